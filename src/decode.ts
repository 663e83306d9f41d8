/**
 * Decoding encoded images to RGBA, with the fastest safe decoder each platform has:
 *
 * | format   | browser                              | Node                                   | Workers, Deno, others |
 * |----------|--------------------------------------|----------------------------------------|-----------------------|
 * | JPEG     | createImageBitmap + OffscreenCanvas  | sharp when installed and the image is over {@link DECODE_PIXEL_BUDGET} (shrink-on-load); else @jsquash/jpeg (mozjpeg, WASM) | @jsquash/jpeg |
 * | PNG      | createImageBitmap + OffscreenCanvas  | sharp when installed and the image is over DECODE_PIXEL_BUDGET (reduced row by row); else @jsquash/png (WASM) | @jsquash/png |
 * | WebP     | createImageBitmap + OffscreenCanvas  | sharp when installed and the image is over DECODE_PIXEL_BUDGET (libwebp's scaled decoding); else @jsquash/webp (libwebp, WASM) | @jsquash/webp |
 * | GIF, BMP | createImageBitmap + OffscreenCanvas  | jimp, imported only when such a file arrives | UNSUPPORTED_FORMAT |
 * | CMYK JPEG| createImageBitmap + OffscreenCanvas  | sharp when installed; else jimp (mozjpeg cannot give RGBA from CMYK) | UNSUPPORTED_FORMAT |
 * | arithmetic-coded JPEG | createImageBitmap + OffscreenCanvas | sharp when installed; else UNSUPPORTED_FORMAT | UNSUPPORTED_FORMAT |
 *
 * Every result is upright (JPEG EXIF orientation applied; a WebP is taken as stored, as Chromium
 * displays it, whatever EXIF it carries). Animated WebPs are refused (UNSUPPORTED_FORMAT): libwebp's
 * still-image decoder in @jsquash/webp refuses them, and every platform answers alike. Big JPEGs
 * (and on Node big PNGs and WebPs) are decoded at reduced size
 * where the decoder can, so the decoded image stays within {@link DECODE_PIXEL_BUDGET} pixels:
 * sharp decodes at libjpeg's DCT scale 1/2, 1/4 or 1/8 and reduces 1.5x more (12 MP → 1344x1008),
 * browsers resize while decoding (12 MP → 2016x1512). The result then carries `scale` (decoded
 * pixels per original pixel; within half a decoded pixel per axis) and the estimator reports
 * boxes in original pixels.
 *
 * Memory per decode (RGBA is 4 bytes per pixel): sharp (streaming, sequentialRead) and browsers, at
 * most ~4 x DECODE_PIXEL_BUDGET x 2 bytes (decoder + output); @jsquash/jpeg, about 4 x width x height in
 * its WASM memory plus the same again for the copy it returns, plus mozjpeg's coefficient buffer
 * for progressive files (about 3 bytes per pixel); its WASM memory stays at its high-water mark
 * (one instance per decoder, reused: a bound, not growth). @jsquash/png: 4 bytes per pixel, twice
 * (PNG has no reduced-scale decoding; sharp reduces big ones row by row instead). @jsquash/webp:
 * a copy of the file and 4 bytes per pixel in its WASM memory (lossless files 4 more: libwebp keeps
 * the whole ARGB picture while decoding), plus 4 for the copy it returns; its WASM memory, too,
 * stays at its high-water mark. sharp decodes a big lossy WebP scaled while decoding (the reduced
 * image's memory), a lossless one at 4 bytes per pixel. `maxPixels` bounds all of these before any
 * pixel memory is allocated.
 *
 * On Workers the codecs' .wasm must be imported as compiled modules (run-time compilation is
 * refused there): pass them to {@link createDecoder}. Browsers and Node find them by themselves.
 */
import { SsrnetError } from './errors.js';
import { type ImageFormat, checkWebpStructure, isAnimatedWebp, isJpegFrameMarker, readImageSize, sniffFormat, upright } from './input.js';
import type { Rgba } from './types.js';

/** Decoded pixels; `scale` < 1 when the image was decoded at reduced size. */
export interface Decoded extends Rgba {
  /** Decoded pixels per original (upright) pixel, in both directions; absent means 1. */
  scale?: number;
}

/** Pixels a JPEG is decoded to at most when the decoder can shrink on load (the next DCT scale is used). */
export const DECODE_PIXEL_BUDGET = 4_000_000;
/**
 * Most scans (SOS markers) accepted in a JPEG. Progressive files have about 10; each scan is a
 * pass over the whole coefficient buffer, so thousands of tiny scans are a CPU bomb.
 */
export const MAX_JPEG_SCANS = 100;

/** The codecs' compiled .wasm modules, for runtimes that cannot fetch or compile them (Workers). */
export interface CodecModules {
  /** `@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm` as a WebAssembly.Module. */
  jpeg?: WebAssembly.Module;
  /** `@jsquash/png/codec/pkg/squoosh_png_bg.wasm` as a WebAssembly.Module. */
  png?: WebAssembly.Module;
  /** `@jsquash/webp/codec/dec/webp_dec.wasm` as a WebAssembly.Module. */
  webp?: WebAssembly.Module;
}

/** The decoder {@link createDecoder} returns: bytes (and the pixel limit) → upright pixels. */
export type Decoder = (bytes: Uint8Array, limits?: { maxPixels: number }) => Promise<Decoded>;

/**
 * Creates the platform's default decoder (see the table above).
 *
 * @param modules precompiled codec modules; required on Cloudflare Workers, optional elsewhere
 * @returns a decoder for the `decode` option of `createEstimator`
 * @example
 * ```ts
 * // Cloudflare Worker (wrangler imports .wasm as WebAssembly.Module):
 * import jpeg from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
 * import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
 * import webp from '@jsquash/webp/codec/dec/webp_dec.wasm';
 * const estimator = await createEstimator({ wasm, weights, decode: createDecoder({ jpeg, png, webp }) });
 * ```
 */
export function createDecoder(modules: CodecModules = {}): Decoder {
  const codecs = new Codecs(modules);
  return (bytes, limits) => decodeWith(codecs, bytes, limits?.maxPixels ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Decodes with the platform's default decoder (codec modules found by themselves: Node, browsers).
 *
 * @param bytes encoded JPEG, PNG, WebP, GIF or BMP file; it is not modified
 * @param limits `maxPixels`: sharp refuses anything above it (the caller checked the header)
 * @returns upright pixels with `data.length === width * height * 4`, and `scale` when shrunk
 * @throws SsrnetError DECODE_FAILED for bytes the decoder rejects, UNSUPPORTED_FORMAT where no
 *   decoder for the format runs and for an animated WebP
 */
export function decodeImage(bytes: Uint8Array, limits?: { maxPixels: number }): Promise<Decoded> {
  defaultDecoder ??= createDecoder();
  return defaultDecoder(bytes, limits);
}
let defaultDecoder: Decoder | undefined;

async function decodeWith(codecs: Codecs, bytes: Uint8Array, maxPixels: number): Promise<Decoded> {
  const format = sniffFormat(bytes);
  if (format === null) throw new SsrnetError('UNSUPPORTED_FORMAT', 'expected JPEG, PNG, WebP, GIF or BMP bytes for input');
  const size = readImageSize(bytes, format);
  const frame = format === 'jpeg' ? checkJpegStructure(bytes) : undefined;
  if (format === 'gif') checkGifFirstFrame(bytes);
  if (format === 'webp') checkWebpStructure(bytes);
  if (format === 'webp' && isAnimatedWebp(bytes)) {
    throw new SsrnetError('UNSUPPORTED_FORMAT', 'expected a still WebP for input, got an animated one; decode the frame you want yourself and pass its pixels as {data, width, height, format}');
  }
  let image: Decoded;
  try {
    image = await codecs.decode(bytes, format, size, maxPixels, frame);
  } catch (err) {
    if (err instanceof SsrnetError) throw err;
    throw new SsrnetError(
      'DECODE_FAILED',
      `expected a complete, valid image for input, got bytes the decoder rejected (${messageOf(err)}); the file may be corrupt or truncated`,
      { cause: err },
    );
  }
  const { data, width, height } = image;
  if (!(width > 0 && height > 0 && data.length === width * height * 4)) {
    throw new SsrnetError('DECODE_FAILED', `expected ${width}x${height}x4 bytes of RGBA from the decoder for input, got ${data.length}; the file may be corrupt`);
  }
  return image;
}

/** The DCT scale denominator (1, 2, 4 or 8) that brings `width` x `height` within {@link DECODE_PIXEL_BUDGET}. */
export function jpegShrink(width: number, height: number): number {
  let d = 1;
  while (d < 8 && Math.ceil(width / d) * Math.ceil(height / d) > DECODE_PIXEL_BUDGET) d *= 2;
  return d;
}

/** The minimal shape of sharp used here (an optional dependency, so no types are imported). */
type SharpFactory = (input: Uint8Array, options: object) => {
  resize(width: number, height: number, options: object): ReturnType<SharpFactory>;
  toColourspace(space: 'srgb'): ReturnType<SharpFactory>;
  ensureAlpha(): ReturnType<SharpFactory>;
  raw(options: { depth: 'uchar' }): ReturnType<SharpFactory>;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Uint8Array; info: { width: number; height: number } }>;
};

/** Node's `process.getBuiltinModule` (Node ≥ 20.16), invisible to bundlers for other platforms. */
export function nodeBuiltin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** Node's `require` from this file, or undefined off Node. */
function nodeRequire(): (NodeJS.Require & { resolve(id: string): string }) | undefined {
  const mod = nodeBuiltin<{ createRequire(url: string): NodeJS.Require }>('node:module');
  return mod?.createRequire(import.meta.url);
}

/** Codec instances of one decoder, created on first use. */
class Codecs {
  private jpeg: Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> | undefined;
  /** The last line mozjpeg printed while decoding (libjpeg's error text). */
  private jpegMessage = '';
  private png: Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> | undefined;
  private webp: Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> | undefined;
  private sharp: Promise<SharpFactory | undefined> | undefined;

  constructor(private readonly modules: CodecModules) {}

  /** `frame`: a JPEG's frame header ({@link checkJpegStructure}). */
  async decode(bytes: Uint8Array, format: ImageFormat, size: { width: number; height: number }, maxPixels: number, frame?: JpegFrame): Promise<Decoded> {
    if (browserCanDecode()) return decodeInBrowser(bytes, format, size);
    if (format === 'bmp') checkBmpForJimp(bytes);
    if (format === 'gif' || format === 'bmp') return decodeWithJimp(bytes, 'GIF and BMP');
    const orientation = format === 'jpeg' ? exifOrientation(bytes) : 1;
    const reduce = sharpReduction(format, size);
    // mozjpeg here (no arithmetic decoding, RGBA out) cannot decode these; libjpeg-turbo in sharp can.
    const beyondMozjpeg = frame !== undefined && (frame.components === 4 || frame.arithmetic);
    if (reduce > 1 || beyondMozjpeg) {
      const sharp = await this.loadSharp();
      if (sharp) return decodeWithSharp(sharp, bytes, size, reduce, orientation, maxPixels);
    }
    if (frame?.arithmetic) {
      throw new SsrnetError('UNSUPPORTED_FORMAT', 'expected a Huffman-coded JPEG for input: arithmetic-coded ones decode only through sharp (install it) or in browsers; re-encode the image');
    }
    // jpeg-js (inside jimp) converts Adobe CMYK and YCCK, and applies the EXIF orientation itself.
    if (frame?.components === 4) return decodeWithJimp(bytes, 'CMYK JPEGs');
    const decode = await (format === 'jpeg' ? this.loadJpeg() : format === 'webp' ? this.loadWebp() : this.loadPng());
    // The codecs read a whole ArrayBuffer: copy exactly the input's bytes (a Node Buffer's
    // own slice() would share its pool).
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    let image: ImageDataShape;
    this.jpegMessage = '';
    try {
      image = await decode(copy.buffer);
    } catch (err) {
      // An emscripten abort leaves the instance unusable: start a fresh one next time.
      this.drop(format);
      throw format === 'jpeg' && this.jpegMessage ? new Error(this.jpegMessage, { cause: err }) : err;
    }
    const data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    return upright({ data, width: image.width, height: image.height }, orientation);
  }

  /** Forget the JPEG or WebP codec instance; the next decode makes a new one. (@jsquash/png keeps one instance per process.) */
  private drop(format: ImageFormat): void {
    if (format === 'jpeg') this.jpeg = undefined;
    if (format === 'webp') this.webp = undefined;
  }

  private loadJpeg(): Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> {
    this.jpeg ??= (async () => {
      const codec = await import('@jsquash/jpeg/decode.js');
      const module = this.modules.jpeg ?? (await nodeWasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
      // libjpeg's messages go into the error instead of stderr (a library must not print).
      const output = { print: () => {}, printErr: (line: string) => (this.jpegMessage = line) };
      // init(module?, moduleOptions) (its .d.ts lists only the first) replaces the package's one
      // instance: a dropped instance is garbage once replaced.
      const init = codec.init as (...args: unknown[]) => Promise<void>;
      if (module) await init(module, output);
      else await init(output);
      return (b: ArrayBuffer) => codec.default(b, { preserveOrientation: false });
    })();
    return this.jpeg;
  }

  private loadPng(): Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> {
    this.png ??= (async () => {
      const codec = await import('@jsquash/png/decode.js');
      const module = this.modules.png ?? (await nodeWasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'));
      // Instantiate a given module synchronously first: the codec's async init tests
      // `typeof Request`, which on Node makes it load its whole fetch stack (undici, ~20 ms of a
      // one-shot call); init() then finds the instance and returns it.
      if (module) (await import('@jsquash/png/codec/pkg/squoosh_png.js')).initSync(module);
      await codec.init(module);
      return (b: ArrayBuffer) => codec.decode(b);
    })();
    return this.png;
  }

  /**
   * @jsquash/webp, from the given module, else on Node from the installed package, else found by
   * the codec itself next to its script (browsers and their workers). On Cloudflare Workers that
   * last step cannot work (no compiling from bytes), so a missing module is UNSUPPORTED_FORMAT
   * naming what to pass.
   */
  private loadWebp(): Promise<(bytes: ArrayBuffer) => Promise<ImageDataShape>> {
    if (!this.modules.webp && isCloudflareWorkers()) {
      return Promise.reject(new SsrnetError('UNSUPPORTED_FORMAT', "expected createDecoder({ webp }) with '@jsquash/webp/codec/dec/webp_dec.wasm' imported as a WebAssembly.Module to decode WebP on Cloudflare Workers (they cannot compile the codec from bytes)"));
    }
    this.webp ??= (async () => {
      const module = this.modules.webp ?? (await nodeWasm('@jsquash/webp/codec/dec/webp_dec.wasm'));
      const codec = await import('@jsquash/webp/decode.js');
      // init() replaces the package's one instance, as for @jsquash/jpeg.
      if (module) await codec.init(module as never);
      else await codec.init();
      return (b: ArrayBuffer) => codec.default(b);
    })();
    return this.webp;
  }

  /** sharp on Node when it is installed (an optional dependency), else undefined. */
  private loadSharp(): Promise<SharpFactory | undefined> {
    this.sharp ??= (async () => {
      try {
        return nodeRequire()?.('sharp') as SharpFactory | undefined;
      } catch {
        return undefined; // not installed, or no binary for this platform
      }
    })();
    return this.sharp;
  }
}

/** What the @jsquash codecs return (an ImageData or their Node stand-in). */
interface ImageDataShape {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** Whether this is Cloudflare's workerd (it names itself in navigator.userAgent). */
function isCloudflareWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers';
}

/**
 * A codec's .wasm compiled from the installed package on Node, once per process (a codec instance
 * dropped after a failed decode is re-instantiated from it, not recompiled); undefined elsewhere
 * (the codec finds its own).
 */
function nodeWasm(specifier: string): Promise<WebAssembly.Module | undefined> {
  let module = compiledCodecs.get(specifier);
  if (!module) {
    const require = nodeRequire();
    const fs = nodeBuiltin<{ readFileSync(path: string): Uint8Array }>('node:fs');
    module = require && fs ? WebAssembly.compile(fs.readFileSync(require.resolve(specifier)) as Uint8Array<ArrayBuffer>) : Promise.resolve(undefined);
    // A failed read or compile is not kept: the next decode tries again.
    module.catch(() => compiledCodecs.delete(specifier));
    compiledCodecs.set(specifier, module);
  }
  return module;
}
const compiledCodecs = new Map<string, Promise<WebAssembly.Module | undefined>>();

/**
 * sharp (libvips) uses libjpeg's DCT scaling 1/d only when the integer part of the requested
 * shrink exceeds d; asked for exactly 1/d it decodes at full size. Asking for 1/(1.5 d) makes it
 * decode at 1/d and finish with a 1.5x reduce: the fastest path measured on a 12 MP JPEG (42 ms to
 * 1344x1008, against 61 ms to 2016x1512 and 63 ms at full size). The smallest face the detector
 * finds there (16 px at its 640-px working size, 100 px in the photo) still spans 33 px.
 */
const SHARP_EXTRA_REDUCE = 1.5;

/**
 * How much sharp reduces an image on Node (1: not at all, the WASM codecs decode it): a JPEG over
 * {@link DECODE_PIXEL_BUDGET} by its DCT scale and {@link SHARP_EXTRA_REDUCE}; a PNG or WebP over
 * it down to the budget. PNG has no reduced-scale decoding, but libvips inflates and reduces it row
 * by row (sequentialRead), so a 49 MP PNG costs the reduced image's memory instead of 4 bytes a
 * pixel twice (measured: 785 MB and 11.6 s through @jsquash/png); libwebp scales a WebP while
 * decoding it (shrink-on-load).
 */
function sharpReduction(format: ImageFormat, size: { width: number; height: number }): number {
  const pixels = size.width * size.height;
  if (pixels <= DECODE_PIXEL_BUDGET) return 1;
  if (format === 'jpeg') return jpegShrink(size.width, size.height) * SHARP_EXTRA_REDUCE;
  return format === 'png' || format === 'webp' ? Math.sqrt(pixels / DECODE_PIXEL_BUDGET) : 1;
}

/**
 * A big JPEG, PNG or WebP through sharp, reduced `d` times ({@link sharpReduction}; a JPEG DCT-scaled on
 * load), 8 bits RGBA, and turned upright here (sharp's own auto-orientation would turn off the
 * shrink-on-load).
 */
async function decodeWithSharp(sharp: SharpFactory, bytes: Uint8Array, size: { width: number; height: number }, d: number, orientation: number, maxPixels: number): Promise<Decoded> {
  const width = Math.max(1, Math.round(size.width / d));
  const height = Math.max(1, Math.round(size.height / d));
  // `failOn: 'error'` rejects corrupt data; a truncated file was refused before (checkJpegStructure).
  const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, sequentialRead: true, failOn: 'error' })
    .resize(width, height, { fit: 'fill', fastShrinkOnLoad: true })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const stored = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  return { ...upright(stored, orientation), scale: 1 / d };
}

/** Whether this is a browser (or browser worker) that decodes images itself. */
function browserCanDecode(): boolean {
  return typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function';
}

/** The browser's own decoder; big images are decoded resized by the browser (same budget as JPEG). */
async function decodeInBrowser(bytes: Uint8Array, format: ImageFormat, size: { width: number; height: number }): Promise<Decoded> {
  const d = jpegShrink(size.width, size.height);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: `image/${format}` });
  const resize = d > 1 ? { resizeWidth: Math.round(size.width / d), resizeHeight: Math.round(size.height / d), resizeQuality: 'medium' as const } : {};
  let bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  // A resize computed from the stored size would stretch a rotated image: resize after orientation.
  if (d > 1) {
    const swap = bitmap.width !== size.width;
    const opts = swap ? { ...resize, resizeWidth: resize.resizeHeight, resizeHeight: resize.resizeWidth } : resize;
    const full = bitmap;
    bitmap = await createImageBitmap(full, opts);
    full.close();
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new SsrnetError('UNSUPPORTED_FORMAT', 'cannot decode images here: OffscreenCanvas has no 2d context; pass decoded pixels');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const image: Decoded = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
  if (d > 1) image.scale = 1 / d;
  return image;
}

/**
 * GIF, BMP and CMYK JPEG through jimp, imported only now (it is large and slow to load). Node only.
 *
 * @param what the kind of file, named in the UNSUPPORTED_FORMAT error where jimp cannot run
 */
async function decodeWithJimp(bytes: Uint8Array, what: string): Promise<Decoded> {
  const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Uint8Array } }).Buffer;
  let Jimp: typeof import('jimp').Jimp | undefined;
  try {
    Jimp = NodeBuffer ? (await import('jimp')).Jimp : undefined;
  } catch {
    Jimp = undefined;
  }
  if (typeof Jimp?.fromBuffer !== 'function' || !NodeBuffer) {
    // jimp needs Node's Buffer, and its browser build is an empty stub (jimp-dev/jimp#1402).
    throw new SsrnetError('UNSUPPORTED_FORMAT', `expected RGB or grayscale JPEG, PNG or WebP bytes for input in this runtime (${what} decode on Node and in browsers only); decode the image yourself and pass its pixels as {data, width, height, format}`);
  }
  const image = await Jimp.fromBuffer(NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Parameters<typeof Jimp.fromBuffer>[0]);
  const { data, width, height } = image.bitmap;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** The message of anything thrown (emscripten codecs throw plain objects as well as Errors). */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return typeof err === 'object' && err !== null ? 'no message' : String(err);
}

/**
 * The EXIF Orientation tag (0x0112) of IFD0 in the first APP1 "Exif" segment before the first
 * scan; 1 when absent or unreadable.
 */
export function exifOrientation(b: Uint8Array): number {
  let pos = 2;
  while (pos + 4 <= b.length && b[pos] === 0xff) {
    const marker = b[pos + 1];
    const length = (b[pos + 2] << 8) | b[pos + 3];
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan: no EXIF before the pixels
    const start = pos + 4;
    const isExif = marker === 0xe1 && start + 6 <= b.length && b[start] === 0x45 && b[start + 1] === 0x78 && b[start + 2] === 0x69 && b[start + 3] === 0x66;
    if (isExif) return tiffOrientation(b.subarray(start + 6, Math.min(b.length, pos + 2 + length)));
    pos += 2 + length;
  }
  return 1;
}

/** Orientation from a TIFF header + IFD0, 1 when it is missing, out of bounds or not 1..8. */
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
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * Walk a JPEG's markers to its end: refuse more than {@link MAX_JPEG_SCANS} scans and files that
 * end before their EOI marker. libjpeg (mozjpeg, sharp) decodes a truncated file with a warning,
 * filling the missing rows with grey, which would give ages for half a face; jpeg-js and jimp
 * refused such files, and so does this. Segments are skipped by their stated lengths; in
 * entropy-coded data FF is always followed by 00, a restart marker or more FF fill, so any other
 * FFxx ends the scan. Every step advances, so the walk ends.
 *
 * @returns what its frame header says the decoder must handle
 * @throws SsrnetError DECODE_FAILED for too many scans or a missing EOI
 */
export function checkJpegStructure(b: Uint8Array): JpegFrame {
  const fail = (why: string): SsrnetError => new SsrnetError('DECODE_FAILED', `expected a complete JPEG for input, but ${why}`);
  let scans = 0;
  const frame: JpegFrame = { components: 0, arithmetic: false };
  let pos = 2; // after SOI
  for (;;) {
    pos = nextFF(b, pos); // libjpeg skips stray bytes between segments too
    while (pos < b.length && b[pos] === 0xff) pos++; // fill bytes
    if (pos >= b.length) throw fail('it ends before its end-of-image marker; the file is truncated');
    const marker = b[pos++];
    if (marker === 0xd9) return frame;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no payload
    if (pos + 2 > b.length) throw fail('it ends inside a segment header; the file is truncated');
    // SOFn: length 2, precision 1, height 2, width 2, components 1.
    if (isJpegFrameMarker(marker) && pos + 7 < b.length) {
      frame.components = b[pos + 7];
      frame.arithmetic = marker >= 0xc9; // SOF9-SOF15 (C9-CB, CD-CF)
    }
    pos += (b[pos] << 8) | b[pos + 1];
    if (marker !== 0xda) continue;
    if (++scans > MAX_JPEG_SCANS) {
      throw fail(`it has more than ${MAX_JPEG_SCANS} scans; each scan re-reads the whole image, so such a file is refused as a CPU bomb`);
    }
    // Entropy-coded data up to the next real marker (FF not followed by 00, FF or a restart marker).
    for (pos = nextFF(b, pos); pos + 1 < b.length; pos = nextFF(b, pos + 1)) {
      const next = b[pos + 1];
      if (next !== 0 && next !== 0xff && (next < 0xd0 || next > 0xd7)) break;
    }
  }
}

/** What a JPEG's frame header (SOFn) says about decoding it. */
export interface JpegFrame {
  /** Colour components: 1 gray, 3 YCbCr or RGB, 4 CMYK or YCCK (which mozjpeg cannot turn into RGBA). */
  components: number;
  /** Arithmetic-coded (SOF9-SOF15), which the WASM codec is built without. */
  arithmetic: boolean;
}

/**
 * Refuse BMPs jimp would decode wrongly or not at all, before it runs: RLE-compressed ones
 * (compression 1 or 2: it reads them as uncompressed, giving garbage pixels and a wrong age),
 * other compressions (embedded JPEG or PNG, alpha bit fields) and OS/2 headers (12-39 or 64 bytes).
 * Browsers decode all of these themselves.
 *
 * @throws SsrnetError UNSUPPORTED_FORMAT naming what is not supported; DECODE_FAILED for an
 *   unknown compression
 */
function checkBmpForJimp(b: Uint8Array): void {
  const unsupported = (what: string): SsrnetError =>
    new SsrnetError('UNSUPPORTED_FORMAT', `expected an uncompressed BMP for input, got ${what}, which this decoder does not read; save the image as PNG`);
  // readImageSize has checked that the info header is present and of a known size.
  const infoSize = b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24);
  if (infoSize < 40 || infoSize === 64) throw unsupported('an OS/2 bitmap');
  const compression = (b[30] | (b[31] << 8) | (b[32] << 16) | (b[33] << 24)) >>> 0;
  if (compression === 1 || compression === 2) throw unsupported(`an RLE-compressed BMP (compression ${compression})`);
  if (compression >= 4 && compression <= 6) throw unsupported(`a BMP of compression ${compression} (embedded JPEG or PNG, alpha bit fields)`);
  if (compression !== 0 && compression !== 3) {
    throw new SsrnetError('DECODE_FAILED', `expected a valid BMP for input, but its compression field is ${compression}, not a known one; the file may be corrupt`);
  }
}

/** Index of the next FF byte from `pos` (memchr speed: a photo is megabytes), or b.length. */
function nextFF(b: Uint8Array, pos: number): number {
  const i = b.indexOf(0xff, pos);
  return i < 0 ? b.length : i;
}

/**
 * Reject GIFs whose first frame would hang jimp's GIF decoder (omggif 1.0.10 loops forever on
 * some corrupt LZW data, and being synchronous it cannot be interrupted).
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
