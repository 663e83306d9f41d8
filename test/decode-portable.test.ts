// The plain-JS decoder the YuNet peer fixtures were made with (tools/decode-portable.ts, used by
// tools/scenes.ts) must give the very pixels jimp gives, so the fixtures stay reproducible: PNG in
// every colour type and depth
// (encoded here with fast-png, including palettes, packed depths, 16 bits and tRNS colour keys),
// JPEG through jpeg-js with each EXIF orientation.
import { readFileSync } from 'node:fs';
import { encode as encodePng, type ImageData as PngImage } from 'fast-png';
import jpeg from 'jpeg-js';
import { Jimp } from 'jimp';
import { describe, expect, it } from 'vitest';
import { SsrnetError } from '../src/errors.js';
import { decodePortable } from '../tools/decode-portable.js';
import { withOrientation } from './helpers/exif.js';
import { Rng } from './helpers/rng.js';

const W = 7; // odd sizes catch row padding of packed depths
const H = 5;

function samples(rng: Rng, n: number, depth: number): number[] {
  return Array.from({ length: n }, () => rng.int(0, 2 ** depth - 1));
}

/** PNGs of every colour type and legal depth, with and without a tRNS colour key. */
function pngCases(): [string, Uint8Array][] {
  const rng = new Rng(8);
  const cases: [string, Uint8Array][] = [];
  const add = (name: string, img: Omit<PngImage, 'width' | 'height'>): void => {
    cases.push([name, encodePng({ width: W, height: H, ...img })]);
  };
  for (const depth of [1, 2, 4, 8, 16] as const) {
    const data = (n: number): Uint8Array | Uint16Array =>
      depth === 16 ? new Uint16Array(samples(rng, n, 16)) : packed(new Uint8Array(samples(rng, n, depth)), depth);
    add(`gray ${depth}`, { depth, channels: 1, data: data(W * H) });
    add(`gray ${depth} + tRNS`, { depth, channels: 1, data: data(W * H), transparency: new Uint16Array([1]) });
    if (depth < 8) continue;
    add(`gray+alpha ${depth}`, { depth, channels: 2, data: data(W * H * 2) });
    add(`rgb ${depth}`, { depth, channels: 3, data: data(W * H * 3) });
    add(`rgba ${depth}`, { depth, channels: 4, data: data(W * H * 4) });
  }
  // An RGB colour key that some pixels hit.
  const rgb = new Uint8Array(samples(rng, W * H * 3, 1).map((v) => v * 200));
  add('rgb 8 + tRNS', { depth: 8, channels: 3, data: rgb, transparency: new Uint16Array([200, 0, 200]) });
  for (const depth of [1, 2, 4, 8] as const) {
    const colours = 2 ** Math.min(depth, 4);
    const palette = Array.from({ length: colours }, () => samples(rng, 3, 8));
    const indices = new Uint8Array(samples(rng, W * H, Math.min(depth, 4)));
    add(`palette ${depth}`, { depth, channels: 1, data: packed(indices, depth), palette });
    add(`palette ${depth} + alpha`, { depth, channels: 1, data: packed(indices, depth), palette: palette.map((c) => [...c, rng.int(0, 255)]) });
  }
  return cases;
}

/** Rows of `depth`-bit samples packed MSB first, each row padded to a byte (fast-png's input). */
function packed(values: Uint8Array, depth: number): Uint8Array {
  if (depth === 8) return values;
  const rowBytes = Math.ceil((W * depth) / 8);
  const out = new Uint8Array(rowBytes * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const bit = x * depth;
      out[y * rowBytes + (bit >> 3)] |= values[y * W + x] << (8 - depth - (bit & 7));
    }
  }
  return out;
}

/** A JPEG with an APP1 EXIF segment holding only IFD0's Orientation tag. */
function jpegWithOrientation(orientation: number, littleEndian: boolean): Uint8Array {
  const rng = new Rng(orientation);
  const pixels = new Uint8Array(samples(rng, 12 * 9 * 4, 8));
  const plain = new Uint8Array(jpeg.encode({ data: pixels, width: 12, height: 9 }, 90).data);
  return withOrientation(plain, orientation, littleEndian);
}

/** jimp's RGBA (it applies EXIF orientation itself). */
async function decodeWithJimp(bytes: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  return (await Jimp.fromBuffer(Buffer.from(bytes))).bitmap;
}

async function expectSamePixels(bytes: Uint8Array): Promise<void> {
  const [fromJimp, portable] = await Promise.all([decodeWithJimp(bytes), decodePortable(bytes)]);
  expect([portable.width, portable.height]).toEqual([fromJimp.width, fromJimp.height]);
  expect(Buffer.from(portable.data).equals(Buffer.from(fromJimp.data))).toBe(true);
}

describe('decodePortable gives the pixels jimp gives', () => {
  it.each(pngCases())('PNG %s', async (_, bytes) => {
    await expectSamePixels(bytes);
  });

  it('the example photo (PNG)', async () => {
    await expectSamePixels(new Uint8Array(readFileSync('examples/astronaut.png')));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8].flatMap((o) => [[o, true], [o, false]]))('JPEG, EXIF orientation %i (little-endian %s)', async (orientation, little) => {
    const bytes = jpegWithOrientation(orientation as number, little as boolean);
    await expectSamePixels(bytes);
    expect((await decodePortable(bytes)).width).toBe((orientation as number) > 4 ? 9 : 12); // the tag was read
  });

  it('rejects what it cannot decode with stable codes', async () => {
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    await expect(decodePortable(gif)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    const png = readFileSync('examples/astronaut.png').subarray(0, 200);
    const err = await decodePortable(new Uint8Array(png)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsrnetError);
    expect(err).toMatchObject({ code: 'DECODE_FAILED' });
  });
});
