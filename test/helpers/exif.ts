/** Test JPEGs carrying an EXIF Orientation tag (test/input.test.ts, test/decode-portable.test.ts). */

/** `jpeg` with an APP1 EXIF segment holding only IFD0's Orientation tag, right after SOI. */
export function withOrientation(jpeg: Uint8Array, orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new DataView(new ArrayBuffer(26));
  tiff.setUint16(0, littleEndian ? 0x4949 : 0x4d4d);
  tiff.setUint16(2, 42, littleEndian);
  tiff.setUint32(4, 8, littleEndian); // IFD0 at 8
  tiff.setUint16(8, 1, littleEndian); // one entry
  tiff.setUint16(10, 0x0112, littleEndian); // Orientation
  tiff.setUint16(12, 3, littleEndian); // SHORT
  tiff.setUint32(14, 1, littleEndian); // count
  tiff.setUint16(18, orientation, littleEndian);
  tiff.setUint32(22, 0, littleEndian); // no next IFD
  const payload = [...new TextEncoder().encode('Exif\0\0'), ...new Uint8Array(tiff.buffer)];
  const length = payload.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 0xff, ...payload, ...jpeg.subarray(2)]);
}
