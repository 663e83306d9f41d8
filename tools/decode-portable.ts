/**
 * The plain-JS JPEG/PNG decoder the YuNet fixtures were made with (tools/scenes.ts `loadBgr`):
 * jpeg-js (the JPEG decoder jimp uses) and fast-png, giving jimp's pixels. Kept in tools/ so the
 * peer fixtures (test/fixtures/yunet-peer) stay reproducible; the library decodes with the
 * platform's fastest decoder instead (src/decode.ts).
 *
 * - JPEG: jpeg-js with jimp's options; then the EXIF orientation with jimp's pixel mapping.
 * - PNG: fast-png, converted to 8-bit RGBA by pngjs's rules (jimp's PNG decoder): palette lookup;
 *   gray expanded to r = g = b; a pixel equal to the tRNS colour becomes 0,0,0,0; depths other
 *   than 8 scaled with floor(v * 255 / (2^depth - 1) + 0.5).
 */
import { decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { SsrnetError } from '../src/errors.js';
import type { Rgba } from '../src/types.js';

/**
 * Decode JPEG or PNG bytes to RGBA, exactly as the Node entry's jimp decoder does.
 *
 * The caller has already sniffed the format and checked the header's pixel count (see
 * `normalizeInput`); this function only decodes.
 *
 * @param bytes encoded JPEG or PNG file; it is not modified
 * @param limits `maxPixels`: jpeg-js refuses any frame header above it (default: jpeg-js's 100 MP)
 * @returns pixels with `data.length === width * height * 4`, upright (EXIF orientation applied)
 * @throws SsrnetError `DECODE_FAILED` when the decoder rejects the bytes; `UNSUPPORTED_FORMAT`
 *   for anything but JPEG and PNG
 * @example
 * ```ts
 * const { data, width, height } = await decodePortable(new Uint8Array(await res.arrayBuffer()));
 * ```
 */
export async function decodePortable(bytes: Uint8Array, limits?: { maxPixels: number }): Promise<Rgba> {
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!isJpeg && !isPng) {
    throw new SsrnetError(
      'UNSUPPORTED_FORMAT',
      'expected JPEG or PNG bytes for input (this runtime decodes only those); decode other formats yourself and pass {data, width, height, format}',
    );
  }
  try {
    return isJpeg ? jpegToRgba(bytes, limits) : pngToRgba(bytes);
  } catch (err) {
    if (err instanceof SsrnetError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new SsrnetError(
      'DECODE_FAILED',
      `expected a complete, valid image for input, got bytes the decoder rejected (${message}); the file may be corrupt or truncated`,
      { cause: err },
    );
  }
}

function jpegToRgba(bytes: Uint8Array, limits: { maxPixels: number } | undefined): Rgba {
  // The options src/decode.ts gives jpeg-js through jimp (its defaults and the pixel limit, which
  // jpeg-js checks at every frame header); useTArray only avoids Node's Buffer.
  const limit = limits && { maxResolutionInMP: limits.maxPixels / 1e6 };
  const { data, width, height } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...limit });
  return applyOrientation({ data, width, height }, exifOrientation(bytes));
}

/**
 * The EXIF Orientation tag (0x0112) of IFD0 in the first APP1 "Exif" segment, 1 when absent or
 * unreadable (jimp ignores EXIF it cannot parse).
 */
function exifOrientation(b: Uint8Array): number {
  let pos = 2;
  while (pos + 4 <= b.length && b[pos] === 0xff) {
    const marker = b[pos + 1];
    const length = (b[pos + 2] << 8) | b[pos + 3];
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan: no EXIF before the pixels
    const start = pos + 4;
    const isExif = marker === 0xe1 && start + 6 <= b.length && String.fromCharCode(...b.subarray(start, start + 4)) === 'Exif';
    if (isExif) return tiffOrientation(b.subarray(start + 6, Math.min(b.length, pos + 2 + length)));
    pos += 2 + length;
  }
  return 1;
}

/** Orientation from a TIFF header + IFD0, 1 when it is missing or out of bounds. */
function tiffOrientation(t: Uint8Array): number {
  if (t.length < 8) return 1;
  const little = t[0] === 0x49; // 'II' little-endian, 'MM' big-endian
  const u16 = (o: number): number => (little ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]);
  const u32 = (o: number): number => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > t.length) return 1;
    if (u16(entry) === 0x0112) return u16(entry + 8);
  }
  return 1;
}

/** jimp's exifRotate: the source pixel of each target pixel, for orientations 2..8. */
function applyOrientation(img: Rgba, orientation: number): Rgba {
  if (orientation < 2 || orientation > 8) return img;
  const { data: src, width: w, height: h } = img;
  const swap = orientation > 4;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const sourceOf: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - x - 1, y],
    3: (x, y) => [w - x - 1, h - y - 1],
    4: (x, y) => [x, h - y - 1],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - x - 1],
    7: (x, y) => [w - y - 1, h - x - 1],
    8: (x, y) => [w - y - 1, x],
  };
  const source = sourceOf[orientation];
  const data = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      data.set(src.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

function pngToRgba(bytes: Uint8Array): Rgba {
  // pngjs (jimp) rejects a chunk whose CRC does not match; fast-png only when asked.
  const png = decodePng(bytes, { checkCrc: true });
  const { width, height, depth, channels, data } = png;
  const n = width * height;
  const out = new Uint8Array(n * 4);
  const maxIn = 2 ** depth - 1;
  const scale = (v: number): number => (depth === 8 ? v : Math.floor((v * 255) / maxIn + 0.5));
  // Sample `c` of pixel (x, y) as stored: packed bits below 8, one element otherwise.
  const rowSamples = width * channels;
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const sample = (y: number, i: number): number => {
    if (depth >= 8) return data[y * rowSamples + i];
    const bit = i * depth;
    return (data[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & maxIn;
  };
  const key = png.transparency && png.transparency.length > 0 && !png.palette ? png.transparency : undefined;

  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 4) {
      const s = x * channels;
      if (png.palette) {
        const entry = png.palette[sample(y, s)];
        if (!entry) throw new Error(`palette index ${sample(y, s)} out of range`);
        out.set([entry[0], entry[1], entry[2], entry[3] ?? 255], o);
        continue;
      }
      const gray = channels <= 2;
      const r = sample(y, s);
      const g = gray ? r : sample(y, s + 1);
      const b = gray ? r : sample(y, s + 2);
      const a = channels === 2 || channels === 4 ? sample(y, s + channels - 1) : maxIn;
      const transparent = key !== undefined && (gray ? key[0] === r : key[0] === r && key[1] === g && key[2] === b);
      if (transparent) continue; // stays 0,0,0,0 as pngjs leaves it
      out[o] = scale(r);
      out[o + 1] = scale(g);
      out[o + 2] = scale(b);
      out[o + 3] = scale(a);
    }
  }
  return { data: out, width, height };
}
