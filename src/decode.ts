/**
 * Decode JPEG/PNG/GIF/BMP bytes to RGBA with jimp 1.x.
 *
 * Kept behind one function so the decoder can be swapped (e.g. for @jsquash/* wasm codecs)
 * without touching the rest of the host.
 *
 * Runtime support, measured with jimp 1.6.1:
 * - jimp's Node build (`@jimp/core`, pngjs, bmp-ts, jimp's gif/jpeg wrappers) calls the global
 *   `Buffer` at module load and on every decode (pngjs also needs `zlib`); importing it where
 *   there is no `Buffer` throws `ReferenceError: Buffer is not defined`. It works on Node.
 * - jimp 1.6.1's `browser` export condition is an empty stub (jimp-dev/jimp#1402), and bundlers
 *   for browsers and Workers (wrangler resolves `workerd`, `worker`, `browser`) pick it, so `Jimp`
 *   is undefined there even where a `Buffer` global exists (Workers with `nodejs_compat`).
 * In both cases decodeImage fails with UNSUPPORTED_FORMAT and a message telling the caller to pass
 * decoded pixels (e.g. a canvas ImageData) instead. jimp is imported lazily, so callers that only
 * pass pixels never load it.
 *
 * jimp's GIF decoder (omggif 1.0.10) loops forever on some corrupt LZW data, and being synchronous
 * it cannot be interrupted; GIF bytes are therefore checked by {@link checkGifFirstFrame} first.
 */
import { SsrnetError } from './errors.js';
import type { Rgba } from './types.js';

/** The part of Node's Buffer constructor used here, declared so no Node typings are needed. */
interface BufferFactory {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

/**
 * Decode an encoded image to RGBA.
 *
 * The caller has already sniffed the format and checked the header's pixel count (see
 * `normalizeInput`); this function only decodes. GIF yields its first frame; JPEG EXIF
 * orientation is applied (jimp does it), so the result is upright as browsers display it.
 *
 * @param bytes encoded JPEG, PNG, GIF or BMP file; it is not modified
 * @param limits `maxPixels`: jpeg-js refuses any JPEG frame header above it, including frames the
 *   header check cannot see (default: jpeg-js's 100 MP)
 * @returns pixels with `data.length === width * height * 4`
 * @throws SsrnetError `DECODE_FAILED` when the decoder rejects the bytes (corrupt or truncated
 *   file); `UNSUPPORTED_FORMAT` when this runtime cannot run the decoder
 */
export async function decodeImage(bytes: Uint8Array, limits?: { maxPixels: number }): Promise<Rgba> {
  const NodeBuffer = (globalThis as { Buffer?: BufferFactory }).Buffer;
  if (NodeBuffer === undefined) {
    throw decoderUnavailable('this runtime has no global Buffer, which jimp 1.x needs');
  }
  // Before loading jimp, so a hostile GIF fails fast.
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) checkGifFirstFrame(bytes);
  let jimp: Partial<typeof import('jimp')>;
  try {
    jimp = await import('jimp');
  } catch (err) {
    throw decoderUnavailable(`jimp failed to load (${messageOf(err)})`, err);
  }
  const Jimp = jimp.Jimp;
  if (typeof Jimp?.fromBuffer !== 'function') {
    throw decoderUnavailable('the jimp build resolved here exports no Jimp (jimp 1.6.1 ships an empty browser build)');
  }

  let bitmap: { data: Uint8Array; width: number; height: number };
  try {
    // A Buffer view over the same memory: jimp's decoders call Buffer methods (readUInt32BE...).
    const buffer = NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const jpegOptions = limits && { 'image/jpeg': { maxResolutionInMP: limits.maxPixels / 1e6 } };
    const image = await Jimp.fromBuffer(buffer as Parameters<typeof Jimp.fromBuffer>[0], jpegOptions);
    bitmap = image.bitmap;
  } catch (err) {
    throw new SsrnetError(
      'DECODE_FAILED',
      `expected a complete, valid image for input, got bytes the decoder rejected (${messageOf(err)}); the file may be corrupt or truncated`,
      { cause: err },
    );
  }

  const { data, width, height } = bitmap;
  if (!(width > 0 && height > 0 && data.length === width * height * 4)) {
    throw new SsrnetError(
      'DECODE_FAILED',
      `expected ${width}x${height}x4 bytes of RGBA from the decoder for input, got ${data.length}; the file may be corrupt`,
    );
  }
  // A plain Uint8Array view (no copy), so nothing downstream depends on Buffer.
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** UNSUPPORTED_FORMAT for a runtime where jimp cannot run. */
function decoderUnavailable(reason: string, cause?: unknown): SsrnetError {
  return new SsrnetError(
    'UNSUPPORTED_FORMAT',
    `cannot decode encoded images in this runtime: ${reason}; decode the image yourself and pass its pixels as {data, width, height, format} (a canvas ImageData works)`,
    { cause },
  );
}

/** The message of anything thrown. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reject GIFs whose first frame would hang omggif.
 *
 * omggif stores each LZW table entry as (prefix code, last byte) and follows prefixes until it
 * reaches a root code. A code greater than the next free table slot (or equal to it right after a
 * clear code) makes it store an entry whose prefix is not an older entry, which can form a cycle.
 * When every code is at most the next free slot, each entry's prefix is strictly smaller than the
 * entry, so every prefix walk ends. This walks to the first image block the way omggif does (the
 * only frame jimp decodes), under strict block rules for which both walks land on the same bytes,
 * and replays the code stream with omggif's bit reading and code-size rules, without output.
 *
 * @throws SsrnetError DECODE_FAILED for a malformed block structure, a first frame outside the
 *   logical screen, or an invalid code
 */
function checkGifFirstFrame(b: Uint8Array): void {
  const fail = (why: string): SsrnetError =>
    new SsrnetError('DECODE_FAILED', `expected a valid GIF for input, but ${why}; the file may be corrupt or truncated`);
  /** Index after a sub-block chain starting at `p` (its 0 terminator), checked against the end. */
  const skipSubBlocks = (p: number): number => {
    for (;;) {
      if (p >= b.length) throw fail('a block runs past the end of the file');
      const size = b[p++];
      if (size === 0) return p;
      p += size;
    }
  };

  if (b.length < 13) throw fail('the header is truncated');
  let p = 13;
  if (b[10] & 0x80) p += 3 << ((b[10] & 7) + 1); // global colour table
  for (;;) {
    if (p + 1 >= b.length) throw fail('it ends before the first image');
    const block = b[p++];
    if (block === 0x2c) break;
    if (block !== 0x21) throw fail(`block type ${block.toString(16)} comes before the first image`);
    const label = b[p++];
    // omggif reads these two extensions with fixed layouts; require exactly those layouts.
    if (label === 0xf9 && (b[p] !== 4 || b[p + 5] !== 0)) throw fail('its graphic control extension is malformed');
    if (label === 0xff && b[p] !== 11) throw fail('its application extension is malformed');
    p = skipSubBlocks(p);
  }
  if (p + 10 > b.length) throw fail('the image descriptor is truncated');
  // omggif allocates the frame's own width x height, which the header's pixel limit did not see:
  // the frame must lie inside the logical screen (as the GIF spec requires).
  const u16 = (o: number): number => b[o] | (b[o + 1] << 8);
  const [x, y, w, h] = [u16(p), u16(p + 2), u16(p + 4), u16(p + 6)];
  if (x + w > u16(6) || y + h > u16(8)) {
    throw fail(`its first frame (${w}x${h} at ${x},${y}) does not fit the ${u16(6)}x${u16(8)} screen`);
  }
  const flags = b[p + 8];
  p += 9;
  if (flags & 0x80) p += 3 << ((flags & 7) + 1); // local colour table
  if (p >= b.length) throw fail('the image data is missing');
  const minCodeSize = b[p++];
  if (minCodeSize < 2 || minCodeSize > 8) throw fail(`its LZW minimum code size is ${minCodeSize}`);
  skipSubBlocks(p); // the data chain must end inside the file, so the replay below stays in bounds

  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  let next = eoi + 1;
  let size = minCodeSize + 1;
  let mask = (1 << size) - 1;
  let cur = 0;
  let shift = 0;
  let subBlock = b[p++];
  let afterClear = true; // omggif's prev_code === null
  for (;;) {
    while (shift < 16 && subBlock !== 0) {
      cur |= b[p++] << shift;
      shift += 8;
      subBlock = subBlock === 1 ? b[p++] : subBlock - 1;
    }
    if (shift < size) return;
    const code = cur & mask;
    cur >>= size;
    shift -= size;
    if (code === clear) {
      next = eoi + 1;
      size = minCodeSize + 1;
      mask = (1 << size) - 1;
      afterClear = true;
      continue;
    }
    if (code === eoi) return;
    if (code > next || (code === next && afterClear)) throw fail(`its image data has an invalid LZW code ${code}`);
    if (!afterClear && next < 4096) {
      next++;
      if (next >= mask + 1 && size < 12) {
        size++;
        mask = (mask << 1) | 1;
      }
    }
    afterClear = false;
  }
}
