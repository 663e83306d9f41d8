/**
 * Decode JPEG/PNG/GIF/BMP bytes to RGBA with jimp 1.x.
 *
 * Kept behind one function so the decoder can be swapped (e.g. for @jsquash/* wasm codecs)
 * without touching the rest of the host.
 *
 * Runtime support, measured with jimp 1.6.1:
 * - jimp's Node build (`@jimp/core`, pngjs, bmp-ts, jimp's gif/jpeg wrappers) calls the global
 *   `Buffer` at module load and on every decode; importing it where there is no `Buffer` throws
 *   `ReferenceError: Buffer is not defined`. It works on Node and on runtimes with a Node-style
 *   global `Buffer` (Bun, Deno, Cloudflare Workers with `nodejs_compat`).
 * - jimp 1.6.1's `browser` export condition is an empty stub (jimp-dev/jimp#1402), and bundlers
 *   for browsers and Workers (wrangler resolves `workerd`, `worker`, `browser`) pick it, so `Jimp`
 *   is undefined there.
 * In both cases decodeImage fails with UNSUPPORTED_FORMAT and a message telling the caller to pass
 * decoded pixels (e.g. a canvas ImageData) instead. jimp is imported lazily, so callers that only
 * pass pixels never load it.
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
 * @returns pixels with `data.length === width * height * 4`
 * @throws SsrnetError `DECODE_FAILED` when the decoder rejects the bytes (corrupt or truncated
 *   file); `UNSUPPORTED_FORMAT` when this runtime cannot run the decoder
 */
export async function decodeImage(bytes: Uint8Array): Promise<Rgba> {
  const NodeBuffer = (globalThis as { Buffer?: BufferFactory }).Buffer;
  if (NodeBuffer === undefined) {
    throw decoderUnavailable('this runtime has no global Buffer, which jimp 1.x needs');
  }
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
    const image = await Jimp.fromBuffer(buffer as Parameters<typeof Jimp.fromBuffer>[0]);
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

function decoderUnavailable(reason: string, cause?: unknown): SsrnetError {
  return new SsrnetError(
    'UNSUPPORTED_FORMAT',
    `cannot decode encoded images in this runtime: ${reason}; decode the image yourself and pass its pixels as {data, width, height, format} (a canvas ImageData works)`,
    { cause },
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
