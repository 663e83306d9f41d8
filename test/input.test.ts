// Input normalization: magic sniffing, header-only sizes, the pixel limit before decoding, decode
// round trips against jimp's encoder and decoder (sharp's for WebP), EXIF orientation,
// truncated/garbage files, hostile WebP containers, and raw-pixel validation and conversion.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { MAX_JPEG_SCANS, decodeImage } from '../src/decode.js';
import { SsrnetError, type SsrnetErrorCode } from '../src/errors.js';
import { DEFAULT_MAX_PIXELS, normalizeInput, upright, readImageSize, sniffFormat, type ImageFormat, type NormalizeOptions } from '../src/input.js';
import type { Box, ImageInput, Rgba } from '../src/types.js';
import { withOrientation } from './helpers/exif.js';
import { anmf, animatedWebp, riff, riffChunk, vp8lHeader, vp8x, webpChunks } from './helpers/hostile.js';
import { Rng } from './helpers/rng.js';

// decodeImage is wrapped in a pass-through spy so tests can prove it was never reached.
vi.mock('../src/decode.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/decode.js')>();
  return { ...actual, decodeImage: vi.fn(actual.decodeImage) };
});

const ASTRONAUT = fileURLToPath(new URL('../examples/astronaut.png', import.meta.url));
const SHARED_IMAGES = fileURLToPath(new URL('../../shared/images/', import.meta.url));
const HAS_SHARED = existsSync(SHARED_IMAGES);
if (!HAS_SHARED) console.warn(`input.test: ${SHARED_IMAGES} is absent; the ../shared image tests are skipped`);

/** Sizes of the ../shared/images files (also the decoded sizes, checked below). */
const SHARED_SIZES: Record<string, [number, number]> = {
  'astronaut.png': [512, 512],
  'camera.png': [512, 512],
  'chelsea.png': [451, 300],
  'coffee.png': [600, 400],
  'rocket.jpg': [640, 427],
};

const MIME: Record<Exclude<ImageFormat, 'webp'>, 'image/png' | 'image/jpeg' | 'image/bmp' | 'image/gif'> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  bmp: 'image/bmp',
  gif: 'image/gif',
};
// sharp (an optional dependency) writes the WebP test files: jimp has no WebP encoder.
const sharp = await import('sharp').then((m) => m.default, () => undefined);
if (!sharp) console.warn('input.test: sharp (an optional dependency) is not installed; the WebP and big-photo tests are skipped');
const FORMATS: ImageFormat[] = [...(Object.keys(MIME) as ImageFormat[]), ...(sharp ? ['webp' as const] : [])];
/** Shortest prefix sniffFormat can recognise, per format. */
const MAGIC_LENGTH: Record<ImageFormat, number> = { png: 8, jpeg: 3, gif: 6, bmp: 2, webp: 12 };

/** A deterministic, non-flat RGBA test picture. */
function pattern(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 7 + y * 3) & 255;
      data[i + 1] = (x * y * 5) & 255;
      data[i + 2] = 255 - ((x * 11) & 255);
      data[i + 3] = 255;
    }
  }
  return data;
}

async function encode(format: ImageFormat, width: number, height: number, data = pattern(width, height)): Promise<Uint8Array> {
  if (format === 'webp') return webp(data, width, height, { lossless: true });
  // (Jimp.fromBitmap copies `data.buffer` whole, which is wrong for pooled Buffers: fill instead.)
  const image = new Jimp({ width, height });
  image.bitmap.data.set(data);
  return new Uint8Array(await image.getBuffer(MIME[format]));
}

/** RGBA `data` as a WebP written by sharp; `exact` keeps the colour of transparent pixels. */
async function webp(data: Uint8Array, width: number, height: number, options: { lossless?: boolean; quality?: number }): Promise<Uint8Array> {
  return new Uint8Array(await sharp!(data, { raw: { width, height, channels: 4 } }).webp({ ...options, exact: true }).toBuffer());
}

/** The decoded image, or the SsrnetError code, or a description of any other kind of failure. */
async function outcome(run: () => Promise<Rgba>): Promise<Rgba | string> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SsrnetError) return err.code;
    return `non-SsrnetError ${(err as Error)?.name}: ${(err as Error)?.message}`;
  }
}

async function expectCode(promise: Promise<unknown>, code: SsrnetErrorCode, message?: RegExp): Promise<SsrnetError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a ${code} rejection, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SsrnetError);
  expect((err as SsrnetError).code).toBe(code);
  if (message) expect((err as SsrnetError).message).toMatch(message);
  return err as SsrnetError;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

// ---- hand-made headers ----

const u32be = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u16be = (n: number): number[] => [(n >>> 8) & 255, n & 255];
const u16le = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const i32le = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** PNG signature + IHDR (CRC not checked by the header parser), no image data. */
function pngHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([0x89, ...ascii('PNG\r\n\x1a\n'), ...u32be(13), ...ascii('IHDR'), ...u32be(width), ...u32be(height), 8, 2, 0, 0, 0, 0, 0, 0, 0]);
}

/** SOI + JFIF APP0 + `segments` + a frame header with the given marker; no scan data. */
function jpegHeader(width: number, height: number, sof = 0xc0, segments: number[] = []): Uint8Array {
  const app0 = [0xff, 0xe0, ...u16be(16), ...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const frame = [0xff, sof, ...u16be(11), 8, ...u16be(height), ...u16be(width), 1, 1, 0x11, 0];
  return new Uint8Array([0xff, 0xd8, ...app0, ...segments, ...frame]);
}

function gifHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([...ascii('GIF89a'), ...u16le(width), ...u16le(height), 0, 0, 0]);
}

/** `bmp` with its info-header width and height overwritten. */
function withBmpSize(bmp: Uint8Array, width: number, height: number): Uint8Array {
  const out = bmp.slice();
  const dv = new DataView(out.buffer);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  return out;
}

/** A complete 24-bit BITMAPINFOHEADER BMP of RGBA `data`, rows stored bottom-up or top-down. */
function makeBmp(width: number, height: number, data: Uint8Array, topDown: boolean): Uint8Array {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const pixels = new Uint8Array(stride * height);
  for (let row = 0; row < height; row++) {
    const y = topDown ? row : height - 1 - row;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 4;
      pixels.set([data[s + 2], data[s + 1], data[s]], row * stride + x * 3);
    }
  }
  const header = [
    ...ascii('BM'), ...i32le(54 + pixels.length), 0, 0, 0, 0, ...i32le(54),
    ...i32le(40), ...i32le(width), ...i32le(topDown ? -height : height), ...u16le(1), ...u16le(24),
    ...i32le(0), ...i32le(pixels.length), ...i32le(2835), ...i32le(2835), ...i32le(0), ...i32le(0),
  ];
  const file = new Uint8Array(54 + pixels.length);
  file.set(header);
  file.set(pixels, 54);
  return file;
}

describe('sniffFormat', () => {
  it('recognises each magic number', () => {
    expect(sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(sniffFormat(pngHeader(1, 1))).toBe('png');
    expect(sniffFormat(new Uint8Array(ascii('GIF87a')))).toBe('gif');
    expect(sniffFormat(new Uint8Array(ascii('GIF89a')))).toBe('gif');
    expect(sniffFormat(new Uint8Array(ascii('BM')))).toBe('bmp');
    expect(sniffFormat(new Uint8Array(ascii('RIFF\0\0\0\0WEBP')))).toBe('webp');
  });

  it('returns null for anything else, including prefixes shorter than the magic', () => {
    for (const bytes of [
      [],
      [0xff, 0xd8],
      [0xff, 0xd8, 0x00],
      [0x89, ...ascii('PNG\r\n\x1a')],
      ascii('GIF88a'),
      ascii('GIF8'),
      ascii('B'),
      ascii('RIFF\0\0\0\0WEB'),
      ascii('RIFF\0\0\0\0WAVEfmt '),
      [0x49, 0x49, 0x2a, 0x00], // TIFF
      ascii('<!DOCTYPE html>'),
    ]) {
      expect(sniffFormat(new Uint8Array(bytes)), `bytes ${bytes.join(',')}`).toBeNull();
    }
  });

  it('identifies jimp-encoded files (sharp-encoded WebP)', async () => {
    for (const format of FORMATS) expect(sniffFormat(await encode(format, 5, 4))).toBe(format);
  });
});

describe('readImageSize', () => {
  it('reads examples/astronaut.png', () => {
    expect(readImageSize(readFileSync(ASTRONAUT), 'png')).toEqual({ width: 512, height: 512 });
  });

  it.skipIf(!HAS_SHARED)('reads the ../shared/images files (skipped when ../shared is absent)', () => {
    for (const [name, [width, height]] of Object.entries(SHARED_SIZES)) {
      const bytes = readFileSync(SHARED_IMAGES + name);
      const format = sniffFormat(bytes);
      expect(format, name).toBe(name.endsWith('.jpg') ? 'jpeg' : 'png');
      expect(readImageSize(bytes, format!), name).toEqual({ width, height });
    }
  });

  it('reads hand-made headers of every format', () => {
    expect(readImageSize(pngHeader(100000, 3), 'png')).toEqual({ width: 100000, height: 3 });
    expect(readImageSize(gifHeader(640, 480), 'gif')).toEqual({ width: 640, height: 480 });
    const rgba = pattern(3, 2);
    expect(readImageSize(makeBmp(3, 2, rgba, false), 'bmp')).toEqual({ width: 3, height: 2 });
    expect(readImageSize(makeBmp(3, 2, rgba, true), 'bmp')).toEqual({ width: 3, height: 2 });
    // OS/2 BITMAPCOREHEADER: 12 bytes, unsigned 16-bit sizes
    const core = new Uint8Array([...ascii('BM'), ...i32le(0), 0, 0, 0, 0, ...i32le(26), ...i32le(12), ...u16le(300), ...u16le(200), ...u16le(1), ...u16le(24)]);
    expect(readImageSize(core, 'bmp')).toEqual({ width: 300, height: 200 });
  });

  it('walks JPEG markers to the first SOFn, skipping DHT/JPG/DAC and fill bytes', () => {
    const dht = [0xff, 0xc4, ...u16be(5), 0, 0, 0];
    const jpg = [0xff, 0xc8, ...u16be(4), 0, 0];
    const dac = [0xff, 0xcc, ...u16be(4), 0, 0];
    const com = [0xff, 0xfe, ...u16be(7), ...ascii('hello')];
    const exif = [0xff, 0xe1, ...u16be(10), ...ascii('Exif\0\0'), 0, 0];
    expect(readImageSize(jpegHeader(400, 300, 0xc2, [...dht, ...jpg, ...dac, ...com, ...exif]), 'jpeg')).toEqual({ width: 400, height: 300 });
    for (const sof of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      expect(readImageSize(jpegHeader(123, 45, sof), 'jpeg'), sof.toString(16)).toEqual({ width: 123, height: 45 });
    }
    const filled = jpegHeader(7, 9);
    const withFill = new Uint8Array([...filled.subarray(0, 20), 0xff, 0xff, 0xff, ...filled.subarray(20)]);
    expect(readImageSize(withFill, 'jpeg')).toEqual({ width: 7, height: 9 });
  });

  it('rejects truncated or malformed headers with DECODE_FAILED only', () => {
    const bad: [ImageFormat, Uint8Array][] = [
      ['png', pngHeader(10, 10).subarray(0, 23)],
      ['png', new Uint8Array([...pngHeader(10, 10).subarray(0, 12), ...ascii('IDAT'), ...u32be(10), ...u32be(10)])],
      ['png', pngHeader(0, 10)],
      ['png', pngHeader(0x80000000, 1)],
      ['gif', gifHeader(10, 10).subarray(0, 9)],
      ['gif', gifHeader(10, 0)],
      ['bmp', makeBmp(3, 2, pattern(3, 2), false).subarray(0, 25)],
      ['bmp', new Uint8Array([...makeBmp(3, 2, pattern(3, 2), false).subarray(0, 14), ...i32le(7), ...i32le(3), ...i32le(2)])],
      ['bmp', withBmpSize(makeBmp(3, 2, pattern(3, 2), false), -3, 2)],
      ['jpeg', new Uint8Array([0xff, 0xd8])],
      ['jpeg', new Uint8Array([0xff, 0xd8, 0x00, 0x00, 0xff, 0xc0])], // garbage instead of a marker
      ['jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xc0])], // segment length < 2
      ['jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08])], // scan before frame
      ['jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], // EOI before frame
      ['jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x40, 0x00, 0, 0])], // segment runs past the end
      ['jpeg', jpegHeader(0, 10)],
      ['jpeg', new Uint8Array([0xff, 0xd8, ...new Array<number>(10_000).fill(0xff)])], // fill bytes to the end
    ];
    for (const [format, bytes] of bad) {
      let thrown: unknown;
      try {
        readImageSize(bytes, format);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, `${format} ${bytes.length} bytes`).toBeInstanceOf(SsrnetError);
      expect((thrown as SsrnetError).code).toBe('DECODE_FAILED');
    }
  });

  it('never throws anything but DECODE_FAILED on random JPEG headers, and always ends', () => {
    const rng = new Rng(0x5eed);
    const start = performance.now();
    for (let iter = 0; iter < 3000; iter++) {
      const body = rng.u8(rng.int(0, 64));
      // bias towards marker-like bytes so the walk goes deep
      for (let i = 0; i < body.length; i++) if (rng.float() < 0.3) body[i] = 0xff;
      const bytes = new Uint8Array([0xff, 0xd8, 0xff, ...body]);
      try {
        const { width, height } = readImageSize(bytes, 'jpeg');
        expect(width > 0 && height > 0).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(SsrnetError);
        expect((err as SsrnetError).code).toBe('DECODE_FAILED');
      }
    }
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('normalizeInput: encoded bytes', () => {
  it.each(FORMATS)('%s written by jimp round-trips to the same size and pixels', async (format) => {
    const width = 37;
    const height = 23;
    // GIF is palettized: round-trip a picture of 8 colours so it survives quantization.
    const source = format === 'gif' ? pattern(width, height).map((v, i) => (i % 4 === 3 ? 255 : v & 0x80)) : pattern(width, height);
    const bytes = await encode(format, width, height, source);
    expect(readImageSize(bytes, format)).toEqual({ width, height });
    const rgba = await normalizeInput(bytes);
    expect([rgba.width, rgba.height]).toEqual([width, height]);
    expect(rgba.data).toBeInstanceOf(Uint8Array);
    expect(rgba.data.length).toBe(width * height * 4);
    // JPEG is lossy (quality 100 here) and jimp's GIF quantizer moves colours by a level; PNG,
    // BMP and lossless WebP must match exactly.
    expect(maxAbsDiff(rgba.data, source)).toBeLessThanOrEqual({ jpeg: 40, gif: 2, png: 0, bmp: 0, webp: 0 }[format]);
  });

  it('decodes examples/astronaut.png (RGB) to opaque 512x512 RGBA', async () => {
    const rgba = await normalizeInput(readFileSync(ASTRONAUT));
    expect([rgba.width, rgba.height, rgba.data.length]).toEqual([512, 512, 512 * 512 * 4]);
    for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i] !== 255) throw new Error(`alpha ${rgba.data[i]} at ${i}`);
  });

  it.skipIf(!HAS_SHARED)('decodes the ../shared/images files to their header sizes; grayscale gives r = g = b (skipped when ../shared is absent)', async () => {
    for (const [name, [width, height]] of Object.entries(SHARED_SIZES)) {
      const rgba = await normalizeInput(readFileSync(SHARED_IMAGES + name));
      expect([rgba.width, rgba.height], name).toEqual([width, height]);
    }
    const camera = await normalizeInput(readFileSync(SHARED_IMAGES + 'camera.png'));
    for (let i = 0; i < camera.data.length; i += 4) {
      const [r, g, b, a] = camera.data.subarray(i, i + 4);
      if (r !== g || g !== b || a !== 255) throw new Error(`camera.png pixel ${i / 4} is ${r},${g},${b},${a}`);
    }
  });

  it('decodes top-down and bottom-up BMPs to the same pixels', async () => {
    const source = pattern(5, 3);
    const up = await normalizeInput(makeBmp(5, 3, source, false));
    const down = await normalizeInput(makeBmp(5, 3, source, true));
    expect(up.data).toEqual(source);
    expect(down.data).toEqual(source);
  });

  it('accepts Buffer, Uint8Array (also at an offset), Uint8ClampedArray, ArrayBuffer and DataView alike', async () => {
    const png = await encode('png', 9, 7);
    const padded = new Uint8Array(png.length + 13);
    padded.set(png, 5);
    const view = padded.subarray(5, 5 + png.length);
    const inputs: [string, ImageInput][] = [
      ['Buffer', Buffer.from(png)],
      ['Uint8Array', png],
      ['Uint8Array at offset 5', view],
      ['Uint8ClampedArray', new Uint8ClampedArray(padded.buffer, 5, png.length)],
      ['ArrayBuffer', png.slice().buffer],
      ['DataView', new DataView(padded.buffer, 5, png.length)],
    ];
    for (const [name, input] of inputs) {
      const rgba = await normalizeInput(input);
      expect(rgba.data, name).toEqual(pattern(9, 7));
    }
  });

  it('rejects headers over the pixel limit with IMAGE_TOO_LARGE, fast and without decoding', async () => {
    const huge: [string, Uint8Array][] = [
      ['png 100000x100000', pngHeader(100000, 100000)],
      ['jpeg 65535x65535 (the JPEG maximum)', jpegHeader(65535, 65535)],
      ['progressive jpeg 65535x65535', jpegHeader(65535, 65535, 0xc2)],
      ['gif 65535x65535', gifHeader(65535, 65535)],
      ['bmp 100000x100000', withBmpSize(makeBmp(1, 1, pattern(1, 1), false), 100000, 100000)],
      ['bmp 100000x-100000 (top-down)', withBmpSize(makeBmp(1, 1, pattern(1, 1), false), 100000, -100000)],
    ];
    vi.mocked(decodeImage).mockClear();
    for (const [name, bytes] of huge) {
      const start = performance.now();
      const err = await expectCode(normalizeInput(bytes), 'IMAGE_TOO_LARGE', /maxPixels/);
      expect(performance.now() - start, name).toBeLessThan(50);
      expect(err.message, name).toContain(String(DEFAULT_MAX_PIXELS));
    }
    expect(decodeImage).not.toHaveBeenCalled();
  });

  it('applies a custom maxPixels exactly', async () => {
    const bytes = readFileSync(ASTRONAUT);
    await expect(normalizeInput(bytes, { maxPixels: 512 * 512 })).resolves.toMatchObject({ width: 512 });
    await expectCode(normalizeInput(bytes, { maxPixels: 512 * 512 - 1 }), 'IMAGE_TOO_LARGE', /512x512 = 262144/);
  });

  it('rejects bytes of other formats with UNSUPPORTED_FORMAT, showing the first bytes', async () => {
    await expectCode(normalizeInput(new TextEncoder().encode('<html>hello</html>')), 'UNSUPPORTED_FORMAT', /3c 68 74 6d 6c 3e 68 65/);
    await expectCode(normalizeInput(new Uint8Array([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WAVEfmt ')])), 'UNSUPPORTED_FORMAT');
    await expectCode(normalizeInput(new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])), 'UNSUPPORTED_FORMAT');
  });

  it('rejects empty bytes with BAD_INPUT', async () => {
    await expectCode(normalizeInput(new Uint8Array(0)), 'BAD_INPUT', /non-empty/);
    await expectCode(normalizeInput(new ArrayBuffer(0)), 'BAD_INPUT');
  });

  it.each([
    ['png', 'the examples/astronaut.png file'],
    ...FORMATS.map((f) => [f, `a 36x24 ${f} written by jimp`]),
    ...(HAS_SHARED ? [['jpeg', '../shared/images/rocket.jpg']] : []),
  ] as [ImageFormat, string][])('truncating %s (%s) at many points gives DECODE_FAILED, never another error', async (format, source) => {
    let bytes: Uint8Array;
    if (source.endsWith('astronaut.png')) bytes = readFileSync(ASTRONAUT);
    else if (source.endsWith('rocket.jpg')) bytes = readFileSync(SHARED_IMAGES + 'rocket.jpg');
    else bytes = await encode(format, 36, 24);
    const full = await normalizeInput(bytes);
    // GIF's trailer byte and BMP row padding / trailing bytes carry no pixels: cutting only those
    // may still decode, and must then give the full image.
    let pixelsEnd = bytes.length;
    if (format === 'gif') pixelsEnd -= 1;
    if (format === 'bmp') {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const [offset, width, height, bpp] = [dv.getUint32(10, true), dv.getInt32(18, true), Math.abs(dv.getInt32(22, true)), dv.getUint16(28, true)];
      pixelsEnd = offset + Math.ceil((width * bpp) / 32) * 4 * (height - 1) + Math.ceil((width * bpp) / 8);
    }
    const cuts = new Set<number>();
    for (let n = 0; n <= Math.min(80, bytes.length - 1); n++) cuts.add(n);
    for (let k = 1; k < 60; k++) cuts.add(Math.floor((bytes.length * k) / 60));
    for (let n = Math.max(0, bytes.length - 8); n < bytes.length; n++) cuts.add(n);

    const wrong: string[] = [];
    for (const n of [...cuts].sort((a, b) => a - b)) {
      const expected = n === 0 ? 'BAD_INPUT' : n < MAGIC_LENGTH[format] ? 'UNSUPPORTED_FORMAT' : 'DECODE_FAILED';
      const got = await outcome(() => normalizeInput(bytes.slice(0, n)));
      if (got === expected) continue;
      if (typeof got !== 'string' && n >= pixelsEnd && maxAbsDiff(got.data, full.data) === 0) continue;
      wrong.push(`cut at ${n}/${bytes.length}: ${typeof got === 'string' ? got : 'decoded'}, expected ${expected}`);
    }
    expect(wrong).toEqual([]);
  });

  it('rejects a GIF whose LZW codes would send omggif into an endless loop', async () => {
    // 4x4, 4-colour global palette; LZW min code size 2, codes clear(4) 0 7 0 7: the invalid 7
    // makes omggif 1.0.10 store table[7] with prefix 7, and the last code then loops forever.
    const gif = new Uint8Array([
      ...ascii('GIF89a'), ...u16le(4), ...u16le(4), 0x81, 0, 0, ...new Array<number>(12).fill(0),
      0x2c, 0, 0, 0, 0, ...u16le(4), ...u16le(4), 0, 2, 2, 0xc4, 0x71, 0, 0x3b,
    ]);
    const start = performance.now();
    await expectCode(normalizeInput(gif), 'DECODE_FAILED', /invalid LZW code 7/);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('rejects a GIF whose first frame is larger than its logical screen (a pixel-limit bypass)', async () => {
    // The header says 1x1; the frame says 20000x20000, which omggif would allocate and walk.
    const gif = new Uint8Array([
      ...ascii('GIF89a'), ...u16le(1), ...u16le(1), 0x81, 0, 0, ...new Array<number>(12).fill(0),
      0x2c, 0, 0, 0, 0, ...u16le(20000), ...u16le(20000), 0, 2, 2, 0x44, 0x01, 0, 0x3b,
    ]);
    const start = performance.now();
    await expectCode(normalizeInput(gif), 'DECODE_FAILED', /20000x20000 at 0,0\) does not fit the 1x1 screen/);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it.each(FORMATS)('bytes flipped at random in a %s give a result or an SsrnetError, never another error', async (format) => {
    const rng = new Rng(0xf1a9 + format.length);
    const bytes = await encode(format, 36, 24);
    // omggif console.logs a warning for each stream of the wrong length; keep the output readable.
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    onTestFinished(() => log.mockRestore());
    const wrong: string[] = [];
    for (let iter = 0; iter < 150; iter++) {
      const mutated = bytes.slice();
      const flips = rng.int(1, 4);
      for (let k = 0; k < flips; k++) mutated[rng.int(0, mutated.length - 1)] = rng.u32() & 255;
      // a small limit keeps mutated size fields from allocating large images
      const got = await outcome(() => normalizeInput(mutated, { maxPixels: 100_000 }));
      if (typeof got === 'string' && !['DECODE_FAILED', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_FORMAT'].includes(got)) {
        wrong.push(`iteration ${iter}: ${got}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('normalizeInput: raw pixels', () => {
  const width = 5;
  const height = 3;

  /** The same picture in every raw format: a gray picture, so 'gray' can express it exactly. */
  function grayPicture(): Record<'rgba' | 'rgb' | 'bgr' | 'gray', Uint8Array> {
    const gray = Uint8Array.from({ length: width * height }, (_, i) => (i * 37 + 11) & 255);
    const rgb = new Uint8Array(width * height * 3);
    const rgba = new Uint8Array(width * height * 4);
    gray.forEach((v, i) => {
      rgb.set([v, v, v], i * 3);
      rgba.set([v, v, v, 255], i * 4);
    });
    return { rgba, rgb, bgr: rgb.slice(), gray };
  }

  it('gray, rgb, bgr and rgba versions of the same picture give identical RGBA', async () => {
    const versions = grayPicture();
    const results = await Promise.all(
      (Object.keys(versions) as (keyof typeof versions)[]).map((format) => normalizeInput({ data: versions[format], width, height, format })),
    );
    for (const rgba of results) {
      expect([rgba.width, rgba.height]).toEqual([width, height]);
      expect(rgba.data).toEqual(versions.rgba);
    }
  });

  it('rgb, bgr, rgba and ImageData-like (no format, Uint8ClampedArray) versions of a colour picture agree', async () => {
    const rgba = pattern(width, height);
    const rgb = new Uint8Array(width * height * 3);
    const bgr = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      rgb.set([rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]], i * 3);
      bgr.set([rgba[i * 4 + 2], rgba[i * 4 + 1], rgba[i * 4]], i * 3);
    }
    const inputs: ImageInput[] = [
      { data: rgb, width, height, format: 'rgb' },
      { data: bgr, width, height, format: 'bgr' },
      { data: rgba, width, height, format: 'rgba' },
      { data: new Uint8ClampedArray(rgba), width, height },
      { data: Buffer.from(rgb), width, height, format: 'rgb' },
    ];
    for (const input of inputs) expect((await normalizeInput(input)).data).toEqual(rgba);
  });

  it('returns RGBA data as a Uint8Array view without copying', async () => {
    const data = new Uint8ClampedArray(width * height * 4);
    const rgba: Rgba = await normalizeInput({ data, width, height });
    expect(rgba.data).toBeInstanceOf(Uint8Array);
    expect(rgba.data.buffer).toBe(data.buffer);
  });

  it('rejects a data length that does not match, naming the expected length', async () => {
    for (const [format, channels] of [['rgba', 4], ['rgb', 3], ['bgr', 3], ['gray', 1]] as const) {
      const expected = width * height * channels;
      for (const length of [expected - 1, expected + 1, 0, width * height * (channels === 4 ? 3 : 4)]) {
        await expectCode(normalizeInput({ data: new Uint8Array(length), width, height, format }), 'BAD_INPUT', new RegExp(`expected ${expected} .*got ${length}$`));
      }
    }
  });

  it('rejects NaN, infinite, negative, zero, fractional and non-number sizes', async () => {
    for (const bad of [NaN, Infinity, -Infinity, -3, 0, 2.5, '5', null, undefined, 2 ** 53]) {
      await expectCode(normalizeInput({ data: new Uint8Array(60), width: bad, height } as unknown as ImageInput), 'BAD_INPUT', /input\.width/);
      await expectCode(normalizeInput({ data: new Uint8Array(60), width, height: bad } as unknown as ImageInput), 'BAD_INPUT', /input\.height/);
    }
  });

  it('rejects unknown formats and non-byte data', async () => {
    await expectCode(normalizeInput({ data: new Uint8Array(60), width, height, format: 'argb' } as unknown as ImageInput), 'BAD_INPUT', /input\.format.*"argb"/);
    for (const data of [new Float32Array(60), new Uint16Array(60), Array.from({ length: 60 }, () => 0), 'x'.repeat(60), null]) {
      await expectCode(normalizeInput({ data, width, height, format: 'rgba' } as unknown as ImageInput), 'BAD_INPUT', /input\.data/);
    }
  });

  it('applies maxPixels to raw pixels too', async () => {
    const input: ImageInput = { data: new Uint8Array(width * height), width, height, format: 'gray' };
    await expect(normalizeInput(input, { maxPixels: width * height })).resolves.toMatchObject({ width });
    await expectCode(normalizeInput(input, { maxPixels: width * height - 1 }), 'IMAGE_TOO_LARGE');
  });
});

describe('normalizeInput: argument validation', () => {
  it('rejects values that are neither bytes nor pixels with BAD_INPUT', async () => {
    const values: unknown[] = ['face.jpg', 42, true, null, undefined, {}, { width: 1, height: 1 }, [], [255, 216, 255], new Uint16Array(8), new Int8Array(8), () => 0, Symbol('x')];
    for (const value of values) {
      await expectCode(normalizeInput(value as ImageInput), 'BAD_INPUT', /^expected .* for input, got /);
    }
  });

  it('describes the rejected value in the message', async () => {
    await expectCode(normalizeInput('face.jpg' as unknown as ImageInput), 'BAD_INPUT', /got "face\.jpg"$/);
    await expectCode(normalizeInput({ foo: 1 } as unknown as ImageInput), 'BAD_INPUT', /got \{foo: 1\}$/);
    await expectCode(normalizeInput(new Uint16Array(8) as unknown as ImageInput), 'BAD_INPUT', /got Uint16Array\(8\)$/);
  });

  it('rejects bad options and maxPixels values', async () => {
    const png = readFileSync(ASTRONAUT);
    for (const maxPixels of [0, -1, 1.5, NaN, Infinity, '1000', null]) {
      await expectCode(normalizeInput(png, { maxPixels } as unknown as NormalizeOptions), 'BAD_INPUT', /options\.maxPixels/);
    }
    for (const opts of [null, 'fast', 5, []]) {
      await expectCode(normalizeInput(png, opts as unknown as NormalizeOptions), 'BAD_INPUT', /for options,/);
    }
  });
});

describe('the default decoders', () => {
  it.skipIf(!sharp)('decode JPEG, PNG and WebP without a global Buffer (browsers, Workers); GIF and BMP there are UNSUPPORTED_FORMAT', async () => {
    const [png, jpeg, gif, webpFile] = await Promise.all([encode('png', 9, 7), encode('jpeg', 9, 7), encode('gif', 9, 7), encode('webp', 9, 7)]);
    // A fresh process, so Buffer is gone before any decoder module loads.
    // (Node's fetch classes load lazily and need Buffer; @jsquash/png's init looks at Request.)
    const script = `
      void Request;
      delete globalThis.Buffer;
      const { decodeImage } = await import(${JSON.stringify(new URL('../src/decode.ts', import.meta.url).href)});
      const out = [];
      for (const hex of process.argv.slice(1)) {
        const bytes = Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
        out.push(await decodeImage(bytes).then((img) => img.width + 'x' + img.height, (err) => err.code));
      }
      process.stdout.write(out.join(' '));`;
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, hex(png), hex(jpeg), hex(webpFile), hex(gif)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('9x7 9x7 9x7 UNSUPPORTED_FORMAT');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8].flatMap((o) => [[o, true], [o, false]]))(
    'turn a JPEG upright as jimp does, EXIF orientation %i (little-endian %s)',
    async (orientation, little) => {
      const bytes = withOrientation(await encode('jpeg', 24, 16, smooth(24, 16)), orientation as number, little as boolean);
      const ours = await decodeImage(bytes);
      const reference = (await Jimp.fromBuffer(Buffer.from(bytes))).bitmap; // jpeg-js + jimp's exifRotate
      expect([ours.width, ours.height]).toEqual([reference.width, reference.height]);
      expect([ours.width, ours.height]).toEqual((orientation as number) > 4 ? [16, 24] : [24, 16]);
      // Different IDCTs move a smooth picture by a few levels; a wrong mapping moves it by ~100.
      expect(maxAbsDiff(ours.data, new Uint8Array(reference.data))).toBeLessThanOrEqual(6);
    },
  );

  it('upright() maps every orientation like the EXIF table (checked on a 3x2 image of distinct pixels)', () => {
    // Pixel value = 1 + index in the stored 3x2 image; the expected upright rows per orientation.
    const stored = { data: new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6]).buffer), width: 3, height: 2 };
    const expected: Record<number, number[][]> = {
      1: [[1, 2, 3], [4, 5, 6]],
      2: [[3, 2, 1], [6, 5, 4]],
      3: [[6, 5, 4], [3, 2, 1]],
      4: [[4, 5, 6], [1, 2, 3]],
      5: [[1, 4], [2, 5], [3, 6]],
      6: [[4, 1], [5, 2], [6, 3]],
      7: [[6, 3], [5, 2], [4, 1]],
      8: [[3, 6], [2, 5], [1, 4]],
    };
    for (const [orientation, rows] of Object.entries(expected)) {
      const out = upright(stored, Number(orientation));
      const values = Array.from(new Uint32Array(out.data.buffer, out.data.byteOffset, out.width * out.height));
      expect([out.width, out.height], `orientation ${orientation}`).toEqual([rows[0].length, rows.length]);
      expect(values, `orientation ${orientation}`).toEqual(rows.flat());
    }
  });

  it(`refuses a JPEG with more than ${MAX_JPEG_SCANS} scans before decoding it`, async () => {
    const bytes = await encode('jpeg', 16, 16);
    const sos = findMarker(bytes, 0xda);
    const scan = bytes.subarray(sos, bytes.length - 2); // SOS + entropy data, without EOI
    const many = new Uint8Array([...bytes.subarray(0, sos), ...Array.from({ length: MAX_JPEG_SCANS + 1 }, () => [...scan]).flat(), 0xff, 0xd9]);
    const start = performance.now();
    await expectCode(normalizeInput(many), 'DECODE_FAILED', new RegExp(`more than ${MAX_JPEG_SCANS} scans`));
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('do not load jimp for JPEG and PNG (it is only for GIF and BMP)', async () => {
    const [png, jpeg] = await Promise.all([encode('png', 9, 7), encode('jpeg', 9, 7)]);
    const script = `
      const { decodeImage } = await import(${JSON.stringify(new URL('../src/decode.ts', import.meta.url).href)});
      const { createRequire } = await import('node:module');
      for (const hex of process.argv.slice(1)) await decodeImage(Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16)));
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\\\/](jimp|@jimp|pngjs|jpeg-js)[\\\\/]/.test(k));
      process.stdout.write(String(loaded.length));`;
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, hex(png), hex(jpeg)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('0');
  });
});

/** Offset of the first FF `marker` in `bytes`. */
function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  throw new Error(`no FF${marker.toString(16)} marker`);
}

/** A smooth RGBA picture (decoders agree on it within a few levels). */
function smooth(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([(x * 255) / width, (y * 255) / height, 128, 255], (y * width + x) * 4);
  }
  return data;
}


// ---- big photos: made at test time from a group photo (nothing big is committed) ----

const GROUP = fileURLToPath(new URL('./fixtures/images/yunet-group-1.jpg', import.meta.url));

/** The group photo stretched to `width` x `height`, as a JPEG. */
async function bigJpeg(width: number, height: number, progressive = false): Promise<Uint8Array> {
  return new Uint8Array(await sharp!(readFileSync(GROUP)).resize(width, height, { fit: 'fill' }).jpeg({ quality: 88, progressive }).toBuffer());
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
}

describe.skipIf(!sharp)('big photos', () => {
  it('a 12 MP JPEG is decoded at reduced size (DCT 1/2 on load, then 1.5x: 1344x1008), close to the full decode averaged 3x3', async () => {
    const bytes = await bigJpeg(4032, 3024);
    const small = await normalizeInput(bytes);
    expect([small.width, small.height, small.scale]).toEqual([1344, 1008, 1 / 3]);
    const full = await sharp!(bytes).raw().toBuffer(); // RGB, 4032x3024
    let sum = 0;
    let n = 0;
    for (let y = 0; y < 1008; y += 7) {
      for (let x = 0; x < 1344; x += 7) {
        for (let c = 0; c < 3; c++, n++) {
          let mean = 0;
          for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) mean += full[((3 * y + dy) * 4032 + 3 * x + dx) * 3 + c] / 9;
          sum += Math.abs(small.data[(y * 1344 + x) * 4 + c] - mean);
        }
      }
    }
    expect(sum / n).toBeLessThan(3);
  });

  it('faces found in a shrunk 12 MP photo are reported in its original pixels, where the small photo has them', async () => {
    const { createEstimator } = await import('../src/index.js');
    const estimator = await createEstimator();
    const small = await estimator.estimate(readFileSync(GROUP)); // 640x427
    const big = await estimator.estimate(await bigJpeg(4032, 3024, true));
    const [sx, sy] = [4032 / 640, 3024 / 427];
    expect(small.length).toBeGreaterThanOrEqual(4);
    for (const face of small) {
      if (face.box.width < 50) continue; // smaller faces fall under the detector's working size at 12 MP
      const expected = { x: face.box.x * sx, y: face.box.y * sy, width: face.box.width * sx, height: face.box.height * sy };
      const best = Math.max(...big.map((f) => iou(f.box, expected)));
      expect(best, `face at ${face.box.x.toFixed(0)},${face.box.y.toFixed(0)}`).toBeGreaterThan(0.7);
    }
    // A box given in original pixels is cropped where it says.
    const [face] = small.filter((f) => f.box.width > 100);
    const box = { x: face.box.x * sx, y: face.box.y * sy, width: face.box.width * sx, height: face.box.height * sy };
    const [given] = await estimator.estimate(await bigJpeg(4032, 3024), { box });
    expect(given.box).toEqual(box);
    expect(Math.abs(given.age - face.age)).toBeLessThan(5);
  }, 30_000);

  it('a valid 49 MP JPEG (7000x7000, under the 50 MP default) is processed, not DECODE_FAILED; over maxPixels it is refused from its header', async () => {
    const bytes = await bigJpeg(7000, 7000);
    const image = await normalizeInput(bytes);
    expect([image.width, image.height, image.scale]).toEqual([1167, 1167, 1 / 6]);
    await expectCode(normalizeInput(bytes, { maxPixels: 48_999_999 }), 'IMAGE_TOO_LARGE', /7000x7000/);
  }, 30_000);

  it('a PNG over the pixel budget is reduced row by row to the budget (8-bit RGBA from 16-bit and gray too), its faces in original pixels', async () => {
    const group = sharp!(readFileSync(GROUP)).resize(4000, 3000, { fit: 'fill' });
    const kinds = {
      rgb8: await group.clone().png({ compressionLevel: 1 }).toBuffer(),
      rgb16: await group.clone().toColourspace('rgb16').png({ compressionLevel: 1 }).toBuffer(),
      gray8: await group.clone().toColourspace('b-w').png({ compressionLevel: 1 }).toBuffer(),
    };
    const reference = await sharp!(kinds.rgb8).resize(2309, 1732, { fit: 'fill' }).raw().toBuffer(); // RGB
    for (const [kind, bytes] of Object.entries(kinds)) {
      const image = await normalizeInput(new Uint8Array(bytes));
      // 12 MP / 4 MP: each side / sqrt(3), 2309x1732 = 3.999 MP.
      expect([kind, image.width, image.height, image.scale]).toEqual([kind, 2309, 1732, 1 / Math.sqrt(3)]);
      let sum = 0;
      for (let i = 0; i < 2309 * 1732; i += 97) sum += Math.abs(image.data[i * 4 + 1] - reference[i * 3 + 1]) + (image.data[i * 4 + 3] === 255 ? 0 : 255);
      // gray8: luma against the colour reference's green, the channel closest to it.
      expect(sum / Math.ceil((2309 * 1732) / 97), kind).toBeLessThan(kind === 'gray8' ? 20 : 2);
    }
    const { createEstimator } = await import('../src/index.js');
    const estimator = await createEstimator();
    const small = await estimator.estimate(readFileSync(GROUP)); // 640x427
    const big = await estimator.estimate(new Uint8Array(kinds.rgb8));
    const [sx, sy] = [4000 / 640, 3000 / 427];
    for (const face of small) {
      if (face.box.width < 50) continue; // under the detector's working size at 12 MP
      const expected = { x: face.box.x * sx, y: face.box.y * sy, width: face.box.width * sx, height: face.box.height * sy };
      expect(Math.max(...big.map((f) => iou(f.box, expected))), `face at ${face.box.x.toFixed(0)},${face.box.y.toFixed(0)}`).toBeGreaterThan(0.7);
    }
  }, 30_000);

  it('EXIF orientation is applied to shrunk JPEGs too (6: 4032x3024 stored → 1008x1344 upright)', async () => {
    const bytes = withOrientation(await bigJpeg(4032, 3024), 6, false);
    const image = await normalizeInput(bytes);
    expect([image.width, image.height, image.scale]).toEqual([1008, 1344, 1 / 3]);
    const plain = await normalizeInput(await bigJpeg(4032, 3024));
    // Orientation 6: upright (x, y) is stored (y, h - 1 - x).
    let diff = 0;
    for (const [x, y] of [[10, 20], [500, 700], [1000, 1300]]) {
      for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(image.data[(y * 1008 + x) * 4 + c] - plain.data[((1007 - x) * 1344 + y) * 4 + c]));
    }
    expect(diff).toBeLessThanOrEqual(8);
  }, 30_000);
});

describe('files the WASM codecs cannot read: another decoder or a typed refusal, never a wrong picture', () => {
  /** A 2x2 8-bit BMP with a 2-colour palette, pixel rows given as (count, index) runs. */
  const rle8Bmp = (): Uint8Array => {
    const palette = [0, 0, 255, 0, 255, 0, 0, 0]; // BGRX: red, blue
    const runs = [2, 0, 0, 0, 2, 1, 0, 0, 0, 1]; // row 0: 2 x red, EOL; row 1: 2 x blue, EOL; end of bitmap
    const offset = 14 + 40 + palette.length;
    return new Uint8Array([
      ...ascii('BM'), ...i32le(offset + runs.length), 0, 0, 0, 0, ...i32le(offset),
      ...i32le(40), ...i32le(2), ...i32le(2), ...u16le(1), ...u16le(8),
      ...i32le(1), ...i32le(runs.length), ...i32le(2835), ...i32le(2835), ...i32le(2), ...i32le(0),
      ...palette, ...runs,
    ]);
  };

  it('an RLE-compressed BMP (which jimp reads as raw rows: garbage pixels, a wrong age) is UNSUPPORTED_FORMAT', async () => {
    await expect(normalizeInput(rle8Bmp())).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('RLE') });
    const rle4 = rle8Bmp();
    rle4[30] = 2;
    await expect(normalizeInput(rle4)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });

  it('an OS/2 bitmap (12-byte core header) is UNSUPPORTED_FORMAT, not "corrupt"', async () => {
    const os2 = new Uint8Array([
      ...ascii('BM'), ...i32le(26 + 8), 0, 0, 0, 0, ...i32le(26),
      ...i32le(12), ...u16le(2), ...u16le(1), ...u16le(1), ...u16le(24),
      0, 0, 255, 0, 255, 0, 0, 0, // two BGR pixels, row padded to 4 bytes
    ]);
    await expect(normalizeInput(os2)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('OS/2') });
  });

  it('an unknown BMP compression value is DECODE_FAILED (corrupt), not passed to jimp', async () => {
    const bmp = makeBmp(3, 2, pattern(3, 2), false);
    bmp[30] = 77;
    await expect(normalizeInput(bmp)).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });

  it("a JPEG mozjpeg rejects fails with libjpeg's own message, and nothing is printed to stderr", async () => {
    const jpeg = await encode('jpeg', 24, 16, smooth(24, 16));
    const sof = findMarker(jpeg, 0xc0);
    jpeg[sof + 9] = 9; // 9 colour components: libjpeg reads past its segment ("Bogus marker length")
    const script = `
      const { decodeImage } = await import(${JSON.stringify(new URL('../src/decode.ts', import.meta.url).href)});
      const bytes = Uint8Array.from(process.argv[1].match(/../g), (h) => parseInt(h, 16));
      await decodeImage(bytes).then(() => process.stdout.write('ok'), (err) => process.stdout.write(err.code + ': ' + err.message));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, Buffer.from(jpeg).toString('hex')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^DECODE_FAILED: .*\(Bogus marker length\)/);
  });

  it.skipIf(!sharp)('an arithmetic-coded JPEG decodes through sharp (mozjpeg here has no arithmetic decoder)', async () => {
    const bytes = readFileSync(fileURLToPath(new URL('./fixtures/images/astronaut-face-arith.jpg', import.meta.url)));
    const image = await normalizeInput(bytes);
    const { data } = await sharp!(ASTRONAUT).extract({ left: 140, top: 40, width: 160, height: 160 }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([image.width, image.height]).toEqual([160, 160]);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum += Math.abs(image.data[i + c] - data[i + c]);
    expect(sum / ((data.length / 4) * 3)).toBeLessThan(4); // quality 90
  });
});

describe.skipIf(!sharp)('CMYK JPEGs (print and stock workflows; mozjpeg cannot give RGBA from them)', () => {
  /** Mean |difference| over the RGB channels of two RGBA images of one size. */
  const meanRgbDiff = (a: Uint8Array, b: Uint8Array): number => {
    let sum = 0;
    for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
    return sum / ((a.length / 4) * 3);
  };

  it('decode to the colours of the RGB original (not DECODE_FAILED), and the face gets its age', async () => {
    const cmyk = new Uint8Array(await sharp!(ASTRONAUT).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer());
    expect((await sharp!(cmyk).metadata()).channels).toBe(4);
    const image = await normalizeInput(cmyk);
    const original = await normalizeInput(readFileSync(ASTRONAUT));
    expect([image.width, image.height]).toEqual([512, 512]);
    // CMYK is a lossy round trip of its own (measured 11 levels; inverted Adobe CMYK would be ~120).
    expect(meanRgbDiff(image.data, original.data)).toBeLessThan(16);
    const { createEstimator } = await import('../src/index.js');
    const estimator = await createEstimator();
    const [face] = await estimator.estimate(cmyk);
    const [reference] = await estimator.estimate(readFileSync(ASTRONAUT));
    expect(iou(face.box, reference.box)).toBeGreaterThan(0.9);
    expect(Math.abs(face.age - reference.age)).toBeLessThan(6);
  });

  it('over the pixel budget, go through sharp at reduced size like other big JPEGs', async () => {
    const cmyk = new Uint8Array(await sharp!(ASTRONAUT).resize(3000, 3000).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer());
    const image = await normalizeInput(cmyk);
    expect([image.width, image.height, image.scale]).toEqual([1000, 1000, 1 / 3]);
    const reference = await normalizeInput(new Uint8Array(await sharp!(ASTRONAUT).resize(1000, 1000).png().toBuffer()));
    expect(meanRgbDiff(image.data, reference.data)).toBeLessThan(16);
  }, 30_000);
});

// ---- WebP: sharp's encoder (libvips + libwebp) as the independent reference ----

/** The example photo resized to `width` x `height`, with an alpha ramp, as RGBA. */
async function photoRgba(width: number, height: number): Promise<Uint8Array> {
  const data = new Uint8Array(await sharp!(readFileSync(ASTRONAUT)).resize(width, height, { fit: 'fill' }).ensureAlpha().raw().toBuffer());
  for (let i = 3; i < data.length; i += 4) data[i] = 64 + ((i >> 2) % 192);
  return data;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe.skipIf(!sharp)('WebP', () => {
  it.each([
    [1, 1],
    [2, 3],
    [333, 217],
    [217, 333],
  ])('lossy and lossless, with alpha and without, %ix%i: header size = real size; lossless pixels exact, lossy close', async (width, height) => {
    const withAlpha = await photoRgba(width, height);
    const opaque = withAlpha.map((v, i) => (i % 4 === 3 ? 255 : v));
    for (const [label, source, options, firstChunk] of [
      ['lossless, alpha', withAlpha, { lossless: true }, 'VP8L'],
      ['lossless, opaque', opaque, { lossless: true }, 'VP8L'],
      ['lossy, alpha', withAlpha, { quality: 90 }, 'VP8X'], // VP8X + ALPH + VP8
      ['lossy, opaque', opaque, { quality: 90 }, 'VP8 '],
    ] as const) {
      const bytes = await webp(source, width, height, options);
      const name = `${label} ${width}x${height}`;
      expect(String.fromCharCode(...bytes.subarray(12, 16)), name).toBe(firstChunk);
      expect(sniffFormat(bytes), name).toBe('webp');
      expect(readImageSize(bytes, 'webp'), name).toEqual({ width, height });
      const rgba = await normalizeInput(bytes);
      expect([rgba.width, rgba.height], name).toEqual([width, height]);
      if (options.lossless) {
        expect(maxAbsDiff(rgba.data, source), name).toBe(0);
      } else {
        // Lossy: close to the source, and within a level of libvips' own libwebp decoding it.
        expect(meanAbsDiff(rgba.data, source), name).toBeLessThan(width * height > 100 ? 3 : 12);
        const theirs = new Uint8Array(await sharp!(bytes).ensureAlpha().raw().toBuffer());
        expect(maxAbsDiff(rgba.data, theirs), name).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the faces in a WebP of examples/astronaut.png are those of the PNG (lossless: the same numbers)', async () => {
    const { createEstimator } = await import('../src/index.js');
    const estimator = await createEstimator();
    const png = readFileSync(ASTRONAUT);
    const [reference] = await estimator.estimate(png);
    const lossless = new Uint8Array(await sharp!(png).webp({ lossless: true }).toBuffer());
    const lossy = new Uint8Array(await sharp!(png).webp({ quality: 90 }).toBuffer());
    expect(await estimator.estimate(lossless)).toEqual([reference]);
    const faces = await estimator.estimate(lossy);
    expect(faces).toHaveLength(1);
    for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(faces[0].box[key] - reference.box[key]), key).toBeLessThan(2);
    // Compression moves this face's age by ~2 years at quality 90 (a JPEG of the same quality: 2.2).
    expect(Math.abs(faces[0].age - reference.age)).toBeLessThan(3);
  });

  it('an EXIF orientation in a VP8X file is not applied: WebP is taken as stored, as Chromium shows it', async () => {
    const stored = await sharp!(await photoRgba(40, 20), { raw: { width: 40, height: 20, channels: 4 } }).webp({ lossless: true, exact: true }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp!(stored).metadata()).orientation).toBe(6);
    expect(String.fromCharCode(...stored.subarray(12, 16))).toBe('VP8X');
    const rgba = await normalizeInput(new Uint8Array(stored));
    expect([rgba.width, rgba.height]).toEqual([40, 20]);
    expect(rgba.data).toEqual(await photoRgba(40, 20));
  });

  it('headers over the pixel limit (a VP8X canvas up to 2^24 a side, a VP8L of 16384x16384) are IMAGE_TOO_LARGE, without decoding', async () => {
    const small = await encode('webp', 4, 4);
    const huge: [string, Uint8Array][] = [
      ['VP8X canvas 16777216x16777216', riff(vp8x(0x10, 2 ** 24, 2 ** 24), webpChunks(small))],
      ['VP8X canvas 100000x501', riff(vp8x(0, 100000, 501), webpChunks(small))],
      ['VP8L 16384x16384', riff(vp8lHeader(16384, 16384))],
      ['animated VP8X canvas 60000x60000', animatedWebp(60000, 60000, anmf(0, 0, 4, 4, webpChunks(small)))],
    ];
    vi.mocked(decodeImage).mockClear();
    for (const [name, bytes] of huge) {
      const start = performance.now();
      await expectCode(normalizeInput(bytes), 'IMAGE_TOO_LARGE', /maxPixels/);
      expect(performance.now() - start, name).toBeLessThan(50);
    }
    expect(decodeImage).not.toHaveBeenCalled();
    await expectCode(normalizeInput(riff(vp8x(0, 100, 100), webpChunks(small)), { maxPixels: 9999 }), 'IMAGE_TOO_LARGE', /100x100 = 10000/);
  });

  it('hostile containers and headers are DECODE_FAILED before any decoder runs', async () => {
    const file = await encode('webp', 16, 9); // VP8L
    const lossy = await webp(pattern(16, 9), 16, 9, { quality: 80 }); // VP8
    const image = webpChunks(file);
    const vp8 = webpChunks(lossy);
    const patched = (b: Uint8Array, at: number, ...values: number[]): Uint8Array => {
      const out = b.slice();
      out.set(values, at);
      return out;
    };
    const withRiffSize = (b: Uint8Array, size: number): Uint8Array => {
      const out = b.slice();
      new DataView(out.buffer).setUint32(4, size, true);
      return out;
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated by one byte', file.subarray(0, file.length - 1), /RIFF header declares \d+ bytes but the file has/],
      ['RIFF size past the end', withRiffSize(file, file.length), /RIFF header declares/],
      ['RIFF size 0xffffffff', withRiffSize(file, 0xffffffff), /RIFF header declares/],
      ['RIFF size cutting the image chunk short', withRiffSize(file, file.length - 20), /chunk at byte 12 declares \d+ bytes, past the end of its RIFF data/],
      ['RIFF size of no chunk at all', withRiffSize(file, 4), /too few for a chunk/],
      ['a chunk size past the end', riff(image, riffChunk('EXIF', [1, 2, 3, 4])).map((v, i, a) => (i === a.length - 8 ? 200 : v)), /'EXIF' chunk .* past the end/],
      ['a chunk header cut by the RIFF size', riff(image, new Uint8Array([0x45, 0x58])), /chunk header at byte \d+ runs past the end/],
      ['VP8X canvas smaller than its bitstream', riff(vp8x(0, 15, 9), image), /16x9 image does not match its 15x9 canvas/],
      ['VP8X canvas larger than its bitstream', riff(vp8x(0, 16, 10), image), /16x9 image does not match its 16x10 canvas/],
      ['VP8X canvas 1x1 with a hidden 16384x16384 bitstream', riff(vp8x(0, 1, 1), vp8lHeader(16384, 16384)), /16384x16384 image does not match its 1x1 canvas/],
      ['VP8X without an image chunk', riff(vp8x(0, 16, 9), riffChunk('EXIF', [0, 0])), /has no 'VP8 ' or 'VP8L' chunk/],
      ['VP8X chunk of 12 bytes', riff(riffChunk('VP8X', new Array<number>(12).fill(0)), image), /VP8X chunk has 12 bytes instead of 10/],
      ['an unknown first chunk', riff(riffChunk('JUNK', new Array<number>(10).fill(0)), image), /first chunk is 'JUNK'/],
      ['VP8L signature not 2f', riff(patched(image, 8, 0x2e)), /signature 2f/],
      ['VP8L version 1', riff(patched(image, 12, image[12] | 0x20)), /VP8L version is 1/],
      ['VP8L chunk of 4 bytes', riff(riffChunk('VP8L', [0x2f, 0, 0, 0]), new Uint8Array(10)), /fewer than its 5-byte header/],
      ['VP8 inter frame first', riff(patched(vp8, 8, vp8[8] | 1)), /does not start with a key frame/],
      ['VP8 profile 7', riff(patched(vp8, 8, vp8[8] | 0x0e)), /VP8 profile is 7/],
      ['VP8 frame not shown', riff(patched(vp8, 8, vp8[8] & ~0x10)), /marked invisible/],
      ['VP8 first partition longer than its chunk', riff(patched(vp8, 8, vp8[8], 0xff, 0xff)), /first partition/],
      ['VP8 start code wrong', riff(patched(vp8, 11, 0x9d, 0x01, 0x2b)), /start code/],
      ['VP8 width 0', riff(patched(vp8, 14, 0, 0)), /declares a 0x9 image/],
      ['animated: a frame beyond the canvas', animatedWebp(16, 9, anmf(2, 0, 16, 9, image)), /frame 16x9 at 2,0 does not fit the 16x9 canvas/],
      ['animated: a frame holding a larger bitstream', animatedWebp(16, 9, anmf(0, 0, 8, 8, image)), /holds a 16x9 image instead of 8x8/],
      ['animated: a frame hiding a 16384x16384 bitstream', animatedWebp(16, 9, anmf(0, 0, 16, 9, vp8lHeader(16384, 16384))), /holds a 16384x16384 image/],
      ['animated: a frame without an image', animatedWebp(16, 9, anmf(0, 0, 16, 9, riffChunk('ALPH', [0]))), /has no 'VP8 ' or 'VP8L' chunk/],
      ['animated: a frame header cut short', animatedWebp(16, 9, riffChunk('ANMF', new Array<number>(12).fill(0))), /is truncated/],
      ['animated: no frames', animatedWebp(16, 9), /animation without frames/],
    ];
    vi.mocked(decodeImage).mockClear();
    for (const [name, bytes, message] of cases) {
      const start = performance.now();
      await expectCode(normalizeInput(bytes), 'DECODE_FAILED', message).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
      expect(performance.now() - start, name).toBeLessThan(50);
    }
    expect(decodeImage).not.toHaveBeenCalled();
  });

  it('an animated WebP is UNSUPPORTED_FORMAT from the default decoder (libwebp decodes still images only); a caller decoder gets it', async () => {
    const frame = webpChunks(await encode('webp', 16, 9));
    const animation = animatedWebp(16, 9, anmf(0, 0, 16, 9, frame), anmf(0, 0, 16, 9, frame));
    expect(readImageSize(animation, 'webp')).toEqual({ width: 16, height: 9 });
    await expectCode(normalizeInput(animation), 'UNSUPPORTED_FORMAT', /expected a still WebP for input, got an animated one/);
    await expectCode(decodeImage(animation), 'UNSUPPORTED_FORMAT', /animated/);
    const decode = vi.fn(async () => ({ data: new Uint8Array(16 * 9 * 4), width: 16, height: 9 }));
    await expect(normalizeInput(animation, { decode })).resolves.toMatchObject({ width: 16, height: 9 });
    expect(decode).toHaveBeenCalledOnce();
  });

  it('a WebP over the pixel budget is decoded by sharp reduced to the budget, close to a full decode resized', async () => {
    const bytes = new Uint8Array(await sharp!(readFileSync(GROUP)).resize(3000, 2000, { fit: 'fill' }).webp({ quality: 85 }).toBuffer());
    const image = await normalizeInput(bytes);
    // 6 MP / 4 MP: each side / sqrt(1.5), 2449x1633 = 3.999 MP.
    expect([image.width, image.height, image.scale]).toEqual([2449, 1633, 1 / Math.sqrt(1.5)]);
    const reference = new Uint8Array(await sharp!(await sharp!(bytes).raw().toBuffer(), { raw: { width: 3000, height: 2000, channels: 3 } }).resize(2449, 1633, { fit: 'fill' }).ensureAlpha().raw().toBuffer());
    expect(meanAbsDiff(image.data, reference)).toBeLessThan(3);
  }, 30_000);
});
