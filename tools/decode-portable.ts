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
import { exifOrientation } from '../src/decode.js';
import { upright } from '../src/input.js';
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
  return upright({ data, width, height }, exifOrientation(bytes));
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
