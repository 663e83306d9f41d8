/**
 * Input normalization: whatever the caller passed -> validated RGBA pixels.
 *
 * Encoded bytes go through sniff (magic bytes) -> header-only size parse -> pixel limit ->
 * decode, so a hostile header claiming 100000x100000 pixels is rejected before any pixel memory
 * is allocated. The header parsers read only the few bytes they need, check every bound, and
 * report truncated or garbage headers as DECODE_FAILED.
 */
import { type Decoded, decodeImage, nodeBuiltin } from './decode.js';
import { crc32 } from './crc32.js';
import { SsrnetError, invalidParameter } from './errors.js';
import type { Box, ImageDecoder, ImageInput, PixelFormat, Rgba } from './types.js';
import {
  isArrayBuffer,
  isDataView,
  isObject,
  isPlainObject,
  isPositiveInteger,
  isUint8ArrayLike,
} from './validate.js';

/** Encoded formats recognised by {@link sniffFormat}. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp';

/** Default of `maxPixels`: 50 megapixels (200 MB of RGBA). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Options of {@link normalizeInput}. */
export interface NormalizeOptions {
  /** Largest accepted width x height; a positive integer. Default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
  /** Decoder for encoded bytes. Default: the platform's fastest ({@link decodeImage}). */
  decode?: ImageDecoder;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Identify an encoded image from its magic bytes.
 *
 * @returns the format, or `null` if the bytes start like none of JPEG (FF D8 FF),
 *   PNG (89 'PNG' 0D 0A 1A 0A), GIF ('GIF87a' / 'GIF89a'), BMP ('BM') or WebP ('RIFF', a 4-byte
 *   size, 'WEBP')
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const startsWith = (magic: readonly number[]): boolean =>
    bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (startsWith([0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(PNG_MAGIC)) return 'png';
  if (startsWith([0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) {
    return 'gif';
  }
  if (startsWith([0x42, 0x4d])) return 'bmp';
  if (bytes.length >= 12 && u32be(bytes, 0) === RIFF && u32be(bytes, 8) === WEBP) return 'webp';
  return null;
}

/**
 * Read the pixel size from the header of an encoded image, without decoding it.
 *
 * - PNG: the IHDR chunk, which must come first and be the only one (pngjs and fast-png take the
 *   size from the last IHDR, so a second one would slip past the pixel limit).
 * - GIF: the logical screen descriptor.
 * - BMP: the info header; 16-bit sizes for the OS/2 core header, signed 32-bit otherwise, where a
 *   negative height means rows are stored top-down.
 * - JPEG: walks the marker segments to the first SOF0..SOF15 frame header (C4 DHT, C8 JPG and
 *   CC DAC share that range and are skipped).
 * - WebP: the first chunk's bitstream header ('VP8 ' lossy, 'VP8L' lossless, checked as libwebp
 *   checks them) or the 'VP8X' canvas; {@link checkWebpStructure} then checks that the image
 *   inside is no larger.
 *
 * @param bytes the whole file or at least its header
 * @param format what {@link sniffFormat} returned for `bytes`
 * @throws SsrnetError `DECODE_FAILED` when the header is truncated, malformed or declares a zero
 *   size; nothing else is thrown, and the JPEG walk always ends (every step consumes a byte)
 */
export function readImageSize(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } {
  const parse = { png: pngSize, gif: gifSize, bmp: bmpSize, jpeg: jpegSize, webp: webpSize }[format];
  const size = parse(bytes);
  if (size.width <= 0 || size.height <= 0) {
    throw corruptHeader(format, `it declares a ${size.width}x${size.height} image`);
  }
  return size;
}

/**
 * Turn any accepted input into validated RGBA pixels.
 *
 * Encoded bytes: sniff the format (UNSUPPORTED_FORMAT if unknown), read the size from the header,
 * enforce `maxPixels` (IMAGE_TOO_LARGE), then decode (DECODE_FAILED on any decoder error).
 * Raw pixels: check `width`/`height` (positive integers), `format` and the exact data length
 * (BAD_INPUT), enforce `maxPixels`, then convert to RGBA; RGBA data is returned as a view, not a
 * copy.
 *
 * A big JPEG may be decoded at reduced size: the result then has `scale` (decoded pixels per
 * original pixel, 1/2, 1/4 or 1/8); {@link toOriginalBox} maps boxes found in it back.
 *
 * @param input encoded bytes or raw pixels; anything else is BAD_INPUT
 * @param opts `maxPixels` (default {@link DEFAULT_MAX_PIXELS})
 * @throws SsrnetError (as a rejection) with code BAD_INPUT, UNSUPPORTED_FORMAT, DECODE_FAILED or
 *   IMAGE_TOO_LARGE
 * @example
 * ```ts
 * const rgba = await normalizeInput(await fs.readFile('face.jpg'), { maxPixels: 20_000_000 });
 * ```
 */
export async function normalizeInput(input: ImageInput, opts: NormalizeOptions = {}): Promise<Decoded> {
  const maxPixels = resolveMaxPixels(opts);
  const value: unknown = input; // callers from plain JS can pass anything
  const bytes = asBytes(value);
  if (bytes !== null) return decodeBytes(bytes, maxPixels, opts.decode);
  if (isObject(value) && !Array.isArray(value) && 'data' in value) return rawToRgba(value, maxPixels);
  throw invalidParameter(
    'input',
    'encoded image bytes (Uint8Array, Buffer, ArrayBuffer, DataView) or raw pixels {data, width, height, format}',
    value,
  );
}

function resolveMaxPixels(opts: unknown): number {
  if (!isPlainObject(opts)) throw invalidParameter('options', 'an object', opts);
  const { maxPixels } = opts;
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (!isPositiveInteger(maxPixels)) throw invalidParameter('options.maxPixels', 'a positive integer', maxPixels);
  return maxPixels;
}

/** A Uint8Array view of byte-like input (no copy), or null if `value` is not byte-like. */
function asBytes(value: unknown): Uint8Array | null {
  let bytes: Uint8Array;
  if (isUint8ArrayLike(value) || isDataView(value)) {
    bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (isArrayBuffer(value)) {
    bytes = new Uint8Array(value);
  } else {
    return null;
  }
  if (bytes.length === 0) throw invalidParameter('input', 'non-empty image bytes', value);
  return bytes;
}

async function decodeBytes(bytes: Uint8Array, maxPixels: number, decode: ImageDecoder | undefined): Promise<Decoded> {
  const format = sniffFormat(bytes);
  if (format === null) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new SsrnetError('UNSUPPORTED_FORMAT', `expected JPEG, PNG, WebP, GIF or BMP bytes for input, got bytes starting with ${head}`);
  }
  const { width, height } = readImageSize(bytes, format);
  checkPixelLimit(width, height, maxPixels);
  if (format === 'png') {
    checkPngComplete(bytes);
    await checkPngDataSize(bytes, width, height);
  }
  if (format === 'webp') checkWebpStructure(bytes);
  const limits = { maxPixels };
  return decode ? decodeWith(decode, bytes, limits) : decodeImage(bytes, limits);
}

/**
 * Runs a caller's decoder: whatever it throws (other than an SsrnetError) or returns malformed is
 * DECODE_FAILED. A `scale` in (0, 1] on its result (as {@link decodeImage} and `createDecoder`
 * return for shrunk JPEGs) is kept.
 */
async function decodeWith(decode: ImageDecoder, bytes: Uint8Array, limits: { maxPixels: number }): Promise<Decoded> {
  let image: unknown;
  try {
    image = await decode(bytes, limits);
  } catch (err) {
    if (err instanceof SsrnetError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new SsrnetError('DECODE_FAILED', `expected options.decode to decode the input, but it threw (${message}); the file may be corrupt`, { cause: err });
  }
  const { data, width, height } = isObject(image) ? image : ({} as Record<string, unknown>);
  if (!isPositiveInteger(width) || !isPositiveInteger(height) || !isUint8ArrayLike(data) || data.length !== width * height * 4) {
    throw new SsrnetError('DECODE_FAILED', 'expected options.decode to return RGBA { data, width, height } with data.length === width * height * 4');
  }
  const out: Decoded = { data: data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
  const { scale } = image as { scale?: unknown };
  if (typeof scale === 'number' && scale > 0 && scale < 1) out.scale = scale;
  return out;
}

/**
 * A box in the pixels of a decoded image → the same box in the original image's pixels.
 *
 * @param box a box in decoded pixels
 * @param scale the decoded image's `scale` (decoded pixels per original pixel; absent = 1)
 * @example
 * ```ts
 * toOriginalBox({ x: 10, y: 20, width: 30, height: 40 }, 0.25) // { x: 40, y: 80, width: 120, height: 160 }
 * ```
 */
export function toOriginalBox(box: Box, scale = 1): Box {
  if (scale === 1) return box;
  return { x: box.x / scale, y: box.y / scale, width: box.width / scale, height: box.height / scale };
}

/**
 * Turn an image stored in EXIF orientation `orientation` (1..8) upright, as browsers display it:
 * orientations 5..8 swap width and height. Returns `image` itself for 1 or an unknown value.
 *
 * @param image the pixels as stored
 * @param orientation the EXIF Orientation tag's value
 * @example
 * ```ts
 * upright({ data, width: 4, height: 3 }, 6) // a 3x4 image, rotated 90° clockwise
 * ```
 */
export function upright(image: Rgba, orientation: number): Rgba {
  if (!(orientation >= 2 && orientation <= 8)) return image;
  const { width: w, height: h } = image;
  const bytes = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice(); // Uint32Array needs alignment
  const src = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);
  const swap = orientation > 4;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const out = new Uint32Array(w * h);
  // Target (x, y) reads source (sx, sy) = (ax*x + bx*y + cx, ay*x + by*y + cy) (EXIF's mapping).
  const [ax, bx, cx, ay, by, cy] = {
    2: [-1, 0, w - 1, 0, 1, 0],
    3: [-1, 0, w - 1, 0, -1, h - 1],
    4: [1, 0, 0, 0, -1, h - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, h - 1],
    7: [0, -1, w - 1, -1, 0, h - 1],
    8: [0, -1, w - 1, 1, 0, 0],
  }[orientation as 2 | 3 | 4 | 5 | 6 | 7 | 8];
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o++) out[o] = src[(ay * x + by * y + cy) * w + ax * x + bx * y + cx];
  }
  return { data: new Uint8Array(out.buffer), width, height };
}

function checkPixelLimit(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new SsrnetError(
      'IMAGE_TOO_LARGE',
      `expected at most ${maxPixels} pixels (options.maxPixels) for input, got ${width}x${height} = ${width * height}; raise maxPixels to accept it`,
    );
  }
}

const CHANNELS: Record<PixelFormat, number> = { rgba: 4, rgb: 3, bgr: 3, gray: 1 };

function isPixelFormat(value: unknown): value is PixelFormat {
  return typeof value === 'string' && Object.hasOwn(CHANNELS, value);
}

function rawToRgba(raw: Record<string, unknown>, maxPixels: number): Rgba {
  const { data, width, height } = raw;
  const format = raw.format ?? 'rgba'; // an ImageData has no format field and is RGBA
  if (!isPixelFormat(format)) {
    throw invalidParameter('input.format', "'rgba', 'rgb', 'bgr' or 'gray' (or no format for ImageData)", format);
  }
  if (!isPositiveInteger(width)) throw invalidParameter('input.width', 'a positive integer', width);
  if (!isPositiveInteger(height)) throw invalidParameter('input.height', 'a positive integer', height);
  if (!isUint8ArrayLike(data)) throw invalidParameter('input.data', 'a Uint8Array or Uint8ClampedArray', data);
  const channels = CHANNELS[format];
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw invalidParameter(
      'input.data.length',
      `${expected} (width ${width} x height ${height} x ${channels} channel${channels > 1 ? 's' : ''} for '${format}')`,
      data.length,
    );
  }
  checkPixelLimit(width, height, maxPixels);

  const src = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (format === 'rgba') return { data: src, width, height };
  const n = width * height;
  const out = new Uint8Array(n * 4);
  // Source offsets of r, g, b within a pixel; gray reads its one byte three times.
  const [r, g, b] = format === 'rgb' ? [0, 1, 2] : format === 'bgr' ? [2, 1, 0] : [0, 0, 0];
  for (let i = 0, s = 0, d = 0; i < n; i++, s += channels, d += 4) {
    out[d] = src[s + r];
    out[d + 1] = src[s + g];
    out[d + 2] = src[s + b];
    out[d + 3] = 255;
  }
  return { data: out, width, height };
}

// ---- header parsers: each reads only what it needs and checks bounds first ----

/** DECODE_FAILED for a header that cannot be parsed. */
function corruptHeader(format: ImageFormat, detail: string): SsrnetError {
  const name = format === 'webp' ? 'WebP' : format.toUpperCase();
  return new SsrnetError('DECODE_FAILED', `expected a valid ${name} header for input, but ${detail}; the file may be corrupt or truncated`);
}

/** Bounds check before reading `bytes[..end)`. */
function need(bytes: Uint8Array, end: number, format: ImageFormat): void {
  if (bytes.length < end) throw corruptHeader(format, `the file ends at byte ${bytes.length}, inside the header`);
}

const u16be = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u16le = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32be = (b: Uint8Array, o: number): number => b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
const i32le = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
const u24le = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const u32le = (b: Uint8Array, o: number): number => i32le(b, o) >>> 0;

const PNG_IHDR = 0x49484452;
const PNG_IDAT = 0x49444154;
const PNG_IEND = 0x49454e44;

/**
 * The chunks of a PNG after its signature, as pngjs and fast-png read them: one after another by
 * their stated lengths, up to IEND or the end of the bytes (the last one may be cut short).
 */
function* pngChunks(b: Uint8Array): Generator<{ type: number; at: number; data: Uint8Array }> {
  for (let p = 8; p + 8 <= b.length; p += 12 + u32be(b, p)) {
    const type = u32be(b, p + 4);
    yield { type, at: p, data: b.subarray(p + 8, p + 8 + u32be(b, p)) };
    if (type === PNG_IEND) return;
  }
}

function pngSize(b: Uint8Array): { width: number; height: number } {
  need(b, 24, 'png'); // signature 8 + chunk length 4 + 'IHDR' 4 + width 4 + height 4
  if (u32be(b, 12) !== PNG_IHDR) throw corruptHeader('png', 'the first chunk is not IHDR');
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  if (width > 0x7fffffff || height > 0x7fffffff) {
    throw corruptHeader('png', `it declares ${width}x${height}, beyond the PNG limit of 2^31-1`);
  }
  for (const chunk of pngChunks(b)) {
    if (chunk.type === PNG_IHDR && chunk.at !== 8) throw corruptHeader('png', `it has a second IHDR chunk at byte ${chunk.at}`);
  }
  return { width, height };
}

/**
 * Refuse a PNG cut before the end of its IEND chunk or with a chunk whose CRC does not match
 * (@jsquash/png decodes both; pngjs refused them, and a damaged file must be DECODE_FAILED on
 * every platform). One CRC pass over the file: small next to inflating it.
 *
 * @throws SsrnetError DECODE_FAILED without a complete IEND chunk, or for a bad CRC
 */
function checkPngComplete(b: Uint8Array): void {
  for (const chunk of pngChunks(b)) {
    const end = chunk.at + 12 + chunk.data.length;
    if (end > b.length) break;
    if (crc32(b.subarray(chunk.at + 4, end - 4)) !== u32be(b, end - 4)) {
      throw new SsrnetError('DECODE_FAILED', `expected a valid PNG for input, but the CRC of the chunk at byte ${chunk.at} does not match; the file is corrupt`);
    }
    if (chunk.type === PNG_IEND) return;
  }
  throw new SsrnetError('DECODE_FAILED', 'expected a complete PNG for input, but it ends before its IEND chunk; the file is truncated');
}

/**
 * Reject PNG image data that inflates to more than a `width` x `height` image can hold: at most 8
 * bytes per pixel (16-bit RGBA) plus a filter byte per row in each of the 7 interlace passes.
 *
 * A few KB of zlib data can inflate to gigabytes, and pngjs (for interlaced images) and fast-png
 * inflate all of it before looking at the size (@jsquash/png inflates a 1 GiB bomb in 1.1 s). This
 * inflates it once and stops at the limit: on Node in one zlib call (images up to ~8 MP), elsewhere
 * with the platform's DecompressionStream, counting bytes and keeping none. Data the stream
 * cannot inflate (corrupt, truncated) fails here too, so no decoder inflates past where this
 * check stopped. Runtimes without DecompressionStream skip the check.
 *
 * @throws SsrnetError DECODE_FAILED for data over the limit or not a valid zlib stream
 */
async function checkPngDataSize(b: Uint8Array, width: number, height: number): Promise<void> {
  const limit = 8 * width * height + 7 * height;
  const idat = [...pngChunks(b)].filter((chunk) => chunk.type === PNG_IDAT).map((chunk) => chunk.data);
  const zlib = nodeBuiltin<NodeZlib>('node:zlib');
  if (zlib && limit <= SYNC_INFLATE_LIMIT && checkPngDataSizeSync(zlib, idat, limit, width, height)) return;
  if (typeof DecompressionStream !== 'function') return;
  const reader = new Blob(idat as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
  let total = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      total += read.value.length;
      if (total > limit) break;
    }
  } catch (err) {
    throw pngDataCorrupt(err);
  }
  if (total > limit) {
    reader.cancel().catch(() => undefined);
    throw pngDataTooLarge(limit, width, height);
  }
}

/** DECODE_FAILED for PNG image data that inflates to more than `limit` bytes. */
function pngDataTooLarge(limit: number, width: number, height: number): SsrnetError {
  return new SsrnetError(
    'DECODE_FAILED',
    `expected PNG image data of at most ${limit} bytes (what ${width}x${height} pixels can hold) for input, but it inflates to more; the file is corrupt or a decompression bomb`,
  );
}

/** DECODE_FAILED for PNG image data the inflater rejected with `err`. */
function pngDataCorrupt(err: unknown): SsrnetError {
  const message = err instanceof Error ? err.message : String(err);
  return new SsrnetError('DECODE_FAILED', `expected PNG image data that inflates for input, but it does not (${message}); the file may be corrupt or truncated`);
}

/** The part of node:zlib used here. */
interface NodeZlib {
  inflateSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
}

/**
 * Largest inflate limit checked in one synchronous zlib call on Node (images up to ~8 MP): the
 * stream above hands every 16 KiB chunk through the event loop (a 1024x576 PNG: ~30 ms, mostly
 * waiting), one `inflateSync` takes ~4 ms; it holds the inflated bytes, at most this many.
 */
const SYNC_INFLATE_LIMIT = 64 << 20;

/**
 * {@link checkPngDataSize} in one `zlib.inflateSync` call that stops at `limit` bytes; false when
 * this zlib failed for another reason than the data (an emulated node:zlib), for the stream to decide.
 */
function checkPngDataSizeSync(zlib: NodeZlib, idat: Uint8Array[], limit: number, width: number, height: number): boolean {
  const data = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const d of idat) {
    data.set(d, at);
    at += d.length;
  }
  try {
    zlib.inflateSync(data, { maxOutputLength: limit });
    return true;
  } catch (err) {
    const code = String((err as { code?: unknown }).code);
    if (code === 'ERR_BUFFER_TOO_LARGE') throw pngDataTooLarge(limit, width, height);
    if (!code.startsWith('Z_')) return false;
    throw pngDataCorrupt(err);
  }
}

function gifSize(b: Uint8Array): { width: number; height: number } {
  need(b, 10, 'gif'); // 'GIF89a' + logical screen width, height (u16 LE)
  return { width: u16le(b, 6), height: u16le(b, 8) };
}

function bmpSize(b: Uint8Array): { width: number; height: number } {
  need(b, 18, 'bmp'); // 14-byte file header + info header size
  const infoSize = i32le(b, 14) >>> 0;
  if (infoSize === 12) {
    // OS/2 BITMAPCOREHEADER: unsigned 16-bit sizes
    need(b, 22, 'bmp');
    return { width: u16le(b, 18), height: u16le(b, 20) };
  }
  if (infoSize < 16 || infoSize > 0x10000) throw corruptHeader('bmp', `its info header size ${infoSize} is not a known one`);
  need(b, 26, 'bmp');
  const width = i32le(b, 18);
  const height = i32le(b, 22);
  if (width <= 0) throw corruptHeader('bmp', `it declares a width of ${width}`);
  return { width, height: Math.abs(height) }; // negative height = top-down rows
}

/** Whether FFxx is a frame header SOF0..SOF15: C0..CF but DHT (C4), JPG (C8) and DAC (CC). */
export function isJpegFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(b: Uint8Array): { width: number; height: number } {
  let pos = 2; // after SOI (FF D8)
  for (;;) {
    need(b, pos + 1, 'jpeg');
    if (b[pos] !== 0xff) throw corruptHeader('jpeg', `byte ${pos} should start a marker (FF) but is ${b[pos].toString(16)}`);
    while (pos < b.length && b[pos] === 0xff) pos++; // any number of FF fill bytes may precede a marker
    need(b, pos + 1, 'jpeg');
    const marker = b[pos++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no payload
    if (marker === 0x00 || marker === 0xd8 || marker === 0xd9 || marker === 0xda) {
      throw corruptHeader('jpeg', `marker FF${marker.toString(16).padStart(2, '0')} comes before the frame header`);
    }
    need(b, pos + 2, 'jpeg');
    const length = u16be(b, pos); // includes its own 2 bytes
    if (length < 2) throw corruptHeader('jpeg', `segment FF${marker.toString(16)} has length ${length}`);
    if (isJpegFrameMarker(marker)) {
      // SOFn: length 2, precision 1, height 2, width 2, then the components
      if (length < 8) throw corruptHeader('jpeg', `its frame header has length ${length}`);
      need(b, pos + 7, 'jpeg');
      return { width: u16be(b, pos + 5), height: u16be(b, pos + 3) };
    }
    pos += length;
  }
}

const RIFF = 0x52494646;
const WEBP = 0x57454250;
const VP8 = 0x56503820; // 'VP8 '
const VP8L = 0x5650384c;
const VP8X = 0x56503858;
const ANMF = 0x414e4d46;
/** VP8X flag: the file is an animation (its frames are ANMF chunks). */
const WEBP_ANIMATION_FLAG = 0x02;

/** A chunk of a RIFF file: its FourCC (big-endian), where it starts, and where its payload is. */
interface RiffChunk {
  type: number;
  at: number;
  data: number;
  size: number;
}

/**
 * The chunks in `b[start..end)`, one after another by their stated sizes (padded to even, as RIFF
 * requires). Each one, header and payload, must lie inside `end`; the last one's pad byte may be
 * missing.
 */
function* riffChunks(b: Uint8Array, start: number, end: number): Generator<RiffChunk> {
  for (let p = start; p < end; ) {
    if (p + 8 > end) throw corruptHeader('webp', `the chunk header at byte ${p} runs past the end of its RIFF data at byte ${end}`);
    const size = u32le(b, p + 4);
    if (size > end - p - 8) {
      throw corruptHeader('webp', `its '${fourcc(b, p)}' chunk at byte ${p} declares ${size} bytes, past the end of its RIFF data at byte ${end}`);
    }
    yield { type: u32be(b, p), at: p, data: p + 8, size };
    p += 8 + size + (size & 1);
  }
}

/** A FourCC as text (non-printable bytes as '?'), for messages. */
function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(...Array.from(b.subarray(o, o + 4), (c) => (c >= 0x20 && c < 0x7f ? c : 0x3f)));
}

/**
 * Whether `b` (a WebP that passed {@link readImageSize}) is an animation: VP8X with the animation
 * flag. libwebp, and so @jsquash/webp, decodes only still images.
 */
export function isAnimatedWebp(b: Uint8Array): boolean {
  return u32be(b, 12) === VP8X && (b[20] & WEBP_ANIMATION_FLAG) !== 0;
}

function webpSize(b: Uint8Array): { width: number; height: number } {
  need(b, 20, 'webp'); // 'RIFF' + size + 'WEBP' + the first chunk's header
  const type = u32be(b, 12);
  need(b, type === VP8L ? 25 : 30, 'webp'); // its 5- or 10-byte header
  const first = { type, at: 12, data: 20, size: u32le(b, 16) };
  if (type === VP8 || type === VP8L) return webpBitstreamSize(b, first);
  if (type !== VP8X) throw corruptHeader('webp', `its first chunk is '${fourcc(b, 12)}', not 'VP8 ', 'VP8L' or 'VP8X'`);
  if (first.size !== 10) throw corruptHeader('webp', `its VP8X chunk has ${first.size} bytes instead of 10`);
  return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 }; // the canvas
}

/**
 * Check a WebP's chunks (after {@link readImageSize} and the pixel limit, before any decoding):
 * the RIFF size must lie inside the file and every chunk inside the RIFF size; in a VP8X file the
 * image's own bitstream must be exactly the canvas size (a decoder trusting the bitstream would
 * allocate a size the pixel limit never saw), and in an animation each frame must lie inside the
 * canvas with a bitstream of exactly the frame's size. Every step advances, so the walk ends.
 *
 * @throws SsrnetError DECODE_FAILED for any of these
 */
export function checkWebpStructure(b: Uint8Array): void {
  const end = u32le(b, 4) + 8;
  if (end > b.length) throw corruptHeader('webp', `its RIFF header declares ${end} bytes but the file has ${b.length}`);
  if (end < 20) throw corruptHeader('webp', `its RIFF header declares ${end} bytes, too few for a chunk`);
  let canvas: { width: number; height: number; animated: boolean } | undefined;
  let image = false;
  let frames = 0;
  for (const chunk of riffChunks(b, 12, end)) {
    if (chunk.at === 12) {
      // Plain VP8 / VP8L files: readImageSize read the size; their other chunks are only walked.
      if (chunk.type === VP8X) canvas = { width: u24le(b, chunk.data + 4) + 1, height: u24le(b, chunk.data + 7) + 1, animated: (b[chunk.data] & WEBP_ANIMATION_FLAG) !== 0 };
    } else if (canvas && !canvas.animated && !image && (chunk.type === VP8 || chunk.type === VP8L)) {
      // A still image: the first VP8/VP8L chunk is the image (libwebp skips ALPH, ICCP, EXIF, XMP and unknown chunks).
      const own = webpBitstreamSize(b, chunk);
      if (own.width !== canvas.width || own.height !== canvas.height) {
        throw corruptHeader('webp', `its ${own.width}x${own.height} image does not match its ${canvas.width}x${canvas.height} canvas`);
      }
      image = true;
    } else if (canvas?.animated && chunk.type === ANMF) {
      checkWebpFrame(b, chunk, canvas);
      frames++;
    }
  }
  if (canvas && !canvas.animated && !image) throw corruptHeader('webp', "its still image has no 'VP8 ' or 'VP8L' chunk");
  if (canvas?.animated && frames === 0) throw corruptHeader('webp', 'it is an animation without frames');
}

/** An ANMF chunk must lie inside the canvas and hold a bitstream of exactly its own size. */
function checkWebpFrame(b: Uint8Array, chunk: RiffChunk, canvas: { width: number; height: number }): void {
  if (chunk.size < 16) throw corruptHeader('webp', `its animation frame at byte ${chunk.at} is truncated`);
  // Frame header: x / 2, y / 2, width - 1, height - 1 (24 bits each), then duration and flags.
  const x = 2 * u24le(b, chunk.data);
  const y = 2 * u24le(b, chunk.data + 3);
  const w = u24le(b, chunk.data + 6) + 1;
  const h = u24le(b, chunk.data + 9) + 1;
  if (x + w > canvas.width || y + h > canvas.height) {
    throw corruptHeader('webp', `its animation frame ${w}x${h} at ${x},${y} does not fit the ${canvas.width}x${canvas.height} canvas`);
  }
  const own = webpBitstreamSize(b, webpImageChunk(riffChunks(b, chunk.data + 16, chunk.data + chunk.size), `its animation frame at byte ${chunk.at}`));
  if (own.width !== w || own.height !== h) {
    throw corruptHeader('webp', `its animation frame at byte ${chunk.at} holds a ${own.width}x${own.height} image instead of ${w}x${h}`);
  }
}

/** The first 'VP8 ' or 'VP8L' chunk of `chunks`; DECODE_FAILED naming `what` if there is none. */
function webpImageChunk(chunks: Iterable<RiffChunk>, what: string): RiffChunk {
  for (const chunk of chunks) if (chunk.type === VP8 || chunk.type === VP8L) return chunk;
  throw corruptHeader('webp', `${what} has no 'VP8 ' or 'VP8L' chunk`);
}

/**
 * The size a VP8 (lossy) or VP8L (lossless) bitstream declares, checked as libwebp checks it
 * before decoding (VP8GetInfo, VP8LGetInfo).
 */
function webpBitstreamSize(b: Uint8Array, chunk: RiffChunk): { width: number; height: number } {
  const p = chunk.data;
  if (chunk.type === VP8L) {
    // Signature 0x2f, then 14 bits width - 1, 14 bits height - 1, 1 bit alpha, 3 bits version (0).
    if (chunk.size < 5) throw corruptHeader('webp', `its VP8L chunk has ${chunk.size} bytes, fewer than its 5-byte header`);
    if (b[p] !== 0x2f) throw corruptHeader('webp', `its VP8L chunk starts with ${b[p].toString(16)} instead of the signature 2f`);
    const bits = u32le(b, p + 1);
    if (bits >>> 29 !== 0) throw corruptHeader('webp', `its VP8L version is ${bits >>> 29}, not 0`);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // Frame tag (key frame bit 0 clear, profile 0..3, shown, first partition size), start code
  // 9D 01 2A, then 14 bits width and height (the top 2 bits of each are an upscaling hint).
  if (chunk.size < 10) throw corruptHeader('webp', `its VP8 chunk has ${chunk.size} bytes, fewer than its 10-byte frame header`);
  const tag = u24le(b, p);
  if (tag & 1) throw corruptHeader('webp', 'its VP8 data does not start with a key frame');
  if (((tag >>> 1) & 7) > 3) throw corruptHeader('webp', `its VP8 profile is ${(tag >>> 1) & 7}, not 0..3`);
  if (!((tag >>> 4) & 1)) throw corruptHeader('webp', 'its VP8 frame is marked invisible');
  if (tag >>> 5 >= chunk.size) throw corruptHeader('webp', `its VP8 first partition (${tag >>> 5} bytes) does not fit its ${chunk.size}-byte chunk`);
  if (b[p + 3] !== 0x9d || b[p + 4] !== 0x01 || b[p + 5] !== 0x2a) throw corruptHeader('webp', 'its VP8 start code is not 9d 01 2a');
  return { width: u16le(b, p + 6) & 0x3fff, height: u16le(b, p + 8) & 0x3fff };
}
