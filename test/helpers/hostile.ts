/**
 * Hostile image files for the fuzz tests (test/fuzz.test.ts, test/worker-fuzz.test.ts): the magic
 * numbers, header-size patching, and files that hide a frame larger than their header.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/crc32.js';

export const FORMATS = ['png', 'jpeg', 'gif', 'bmp', 'webp'] as const;
export type Format = (typeof FORMATS)[number];

export const MAGIC: Record<Format, number[]> = {
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  jpeg: [0xff, 0xd8, 0xff],
  gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  bmp: [0x42, 0x4d],
  webp: [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50], // 'RIFF', size (see riffSized), 'WEBP'
};

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const be16 = (n: number): number[] => [(n >>> 8) & 255, n & 255];
const le16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const le24 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];
const le32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
export const u16be = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A PNG chunk with its CRC. */
export function pngChunk(type: string, data: ArrayLike<number>): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  body.set(ascii(type));
  body.set(data, 4);
  return concat(be32(data.length), body, be32(crc32(body)));
}

/** A RIFF chunk: FourCC, little-endian size, data, a pad byte after odd data. */
export function riffChunk(type: string, data: ArrayLike<number>): Uint8Array {
  return concat(ascii(type), le32(data.length), data, data.length & 1 ? [0] : []);
}

/** A WebP file of these chunks ('RIFF', their size + 4, 'WEBP', the chunks). */
export function riff(...chunks: Uint8Array[]): Uint8Array {
  return riffSized(concat(MAGIC.webp, ...chunks));
}

/** `b` (a WebP) with its RIFF size set to its length, in place. */
export function riffSized(b: Uint8Array): Uint8Array {
  if (b.length >= 8) new DataView(b.buffer, b.byteOffset).setUint32(4, b.length - 8, true);
  return b;
}

/** The chunks of a WebP file, after 'RIFF', size, 'WEBP'. */
export function webpChunks(file: Uint8Array): Uint8Array {
  return file.subarray(12);
}

/** A VP8X chunk: `flags` (0x02 animation, 0x10 alpha) and a `width` x `height` canvas. */
export function vp8x(flags: number, width: number, height: number): Uint8Array {
  return riffChunk('VP8X', [flags, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)]);
}

/** A VP8L chunk whose header declares `width` x `height`, followed by `data` (no real bitstream). */
export function vp8lHeader(width: number, height: number, data: ArrayLike<number> = [0, 0, 0, 0]): Uint8Array {
  return riffChunk('VP8L', [0x2f, ...le32((width - 1) | ((height - 1) << 14)), ...Array.from(data)]);
}

/** An ANMF chunk: a `width` x `height` frame at `x`, `y` (even) holding `image` (chunks). */
export function anmf(x: number, y: number, width: number, height: number, image: Uint8Array): Uint8Array {
  return riffChunk('ANMF', [...le24(x / 2), ...le24(y / 2), ...le24(width - 1), ...le24(height - 1), ...le24(100), 0, ...Array.from(image)]);
}

/** An animated WebP: a `width` x `height` canvas (VP8X animation flag, ANIM) and these ANMF frames. */
export function animatedWebp(width: number, height: number, ...frames: Uint8Array[]): Uint8Array {
  return riff(vp8x(0x02, width, height), riffChunk('ANIM', [255, 255, 255, 255, 0, 0]), ...frames);
}

/** Offset of the first JPEG frame header (FF C0..CF except C4, C8, CC), walking the segments. */
export function jpegSofOffset(b: Uint8Array): number {
  for (let p = 2; p + 4 <= b.length; p += 2 + u16be(b, p + 2)) {
    const marker = b[p + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return p;
  }
  throw new Error('no SOF in the test JPEG');
}

/**
 * `file` with the size in its header set to width x height (a BMP's height may be negative:
 * top-down rows); the PNG IHDR CRC is fixed, so a decoder would trust it.
 */
export function withSize(format: Format, file: Uint8Array, width: number, height: number): Uint8Array {
  const b = file.slice();
  const dv = new DataView(b.buffer);
  if (format === 'png') {
    dv.setUint32(16, width);
    dv.setUint32(20, height);
    dv.setUint32(29, crc32(b.subarray(12, 29)));
  } else if (format === 'gif') {
    dv.setUint16(6, width, true);
    dv.setUint16(8, height, true);
  } else if (format === 'bmp') {
    dv.setInt32(18, width, true);
    dv.setInt32(22, height, true);
  } else if (format === 'webp') {
    return riff(vp8x(0, width, height), webpChunks(b)); // the canvas: up to 2^24 a side
  } else {
    const sof = jpegSofOffset(b);
    dv.setUint16(sof + 5, height);
    dv.setUint16(sof + 7, width);
  }
  return b;
}

/**
 * Files whose header declares a tiny image but that make a decoder allocate a huge one: a second
 * PNG IHDR (pngjs and fast-png use the last), IDAT that inflates to 64 MB, a second JPEG frame
 * header, a frame header hidden from a length-based marker walk by a DQT whose content runs past
 * its stated length (jpeg-js parses by content), a GIF frame larger than its logical screen, a
 * WebP canvas holding a larger bitstream (libwebp would decode the bitstream's size) and an
 * animation frame beyond its canvas.
 */
export function hiddenFrameBombs(): [label: string, bytes: Uint8Array][] {
  const ihdr = (w: number, h: number, interlace = 0): Uint8Array => pngChunk('IHDR', [...be32(w), ...be32(h), 8, 2, 0, 0, interlace]);
  const png = (...chunks: Uint8Array[]): Uint8Array => concat(MAGIC.png, ...chunks, pngChunk('IEND', []));
  const zeros = deflateSync(Buffer.alloc(64 << 20)); // 64 KB of zlib; a 1x1 RGB image holds 4 bytes
  const sof = (w: number, h: number, components = 1): number[] => [
    0xff, 0xc0, ...be16(8 + 3 * components), 8, ...be16(h), ...be16(w), components,
    ...Array.from({ length: components }, (_, i) => [i + 1, 0x11, 0]).flat(),
  ];
  // A 16-bit DQT stating the length of an 8-bit one: jpeg-js reads 64 bytes past its end, into
  // the COM that follows, where it finds a frame header.
  const dqt16 = [0xff, 0xdb, ...be16(67), 0x10, ...new Array<number>(64).fill(1)];
  const hidden = sof(10000, 10000);
  const com = [0xff, 0xfe, ...be16(2 + 60 + hidden.length + 4), ...new Array<number>(60).fill(0x20), ...hidden, 0x20, 0x20, 0x20, 0x20];
  const gif = (w: number, h: number): Uint8Array =>
    new Uint8Array([...ascii('GIF89a'), ...le16(1), ...le16(1), 0x80, 0, 0, 0, 0, 0, 255, 255, 255, 0x2c, 0, 0, 0, 0, ...le16(w), ...le16(h), 0, 2, 2, 0x4c, 0x01, 0, 0x3b]);
  return [
    ['PNG 1x1, then a second IHDR of 30000x30000', png(ihdr(1, 1), ihdr(30000, 30000), pngChunk('IDAT', deflateSync(new Uint8Array(4))))],
    ['PNG 1x1 whose IDAT inflates to 64 MB', png(ihdr(1, 1), pngChunk('IDAT', zeros))],
    ['interlaced PNG 1x1 whose IDAT inflates to 64 MB', png(ihdr(1, 1, 1), pngChunk('IDAT', zeros))],
    ['JPEG 1x1, then a second SOF of 10000x10000', new Uint8Array([0xff, 0xd8, ...sof(1, 1), ...sof(10000, 10000), 0xff, 0xd9])],
    ['JPEG 1x1, then a second 3-component SOF of 8000x8000', new Uint8Array([0xff, 0xd8, ...sof(1, 1), ...sof(8000, 8000, 3), 0xff, 0xd9])],
    ['JPEG 1x1 with a 10000x10000 SOF hidden from the header walk by a DQT', new Uint8Array([0xff, 0xd8, ...dqt16, ...com, ...sof(1, 1), 0xff, 0xd9])],
    ['GIF 1x1 screen with a 65535x65535 frame', gif(65535, 65535)],
    ['WebP VP8X canvas 1x1 holding a 16384x16384 VP8L bitstream', riff(vp8x(0, 1, 1), vp8lHeader(16384, 16384))],
    ['animated WebP canvas 1x1 with a 16384x16384 frame', animatedWebp(1, 1, anmf(0, 0, 16384, 16384, vp8lHeader(16384, 16384)))],
  ];
}
