// The engine's pixel ops (assembly/crop.ts through assembly/index.ts): cropFace and resizeImage
// byte for byte against the TypeScript implementations they replaced (test/helpers/crop-reference.ts,
// itself pinned to cv2 by test/preprocess.test.ts), on both builds, every source format, random
// images, boxes (inside, partly and fully outside the widened region, tiny, huge) and margins;
// then the raw ABI with hostile arguments: codes, no trap, no write outside INPUT / RESIZED, and
// memory that grows only as far as the image needs.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { SsrnetError } from '../src/errors.js';
import { CROP_SIZE } from '../src/preprocess.js';
import type { Box, Rgba } from '../src/types.js';
import { cropFace as referenceCrop, resizeToBgr as referenceResize } from './helpers/crop-reference.js';
import { Rng } from './helpers/rng.js';

const ROOT = new URL('../', import.meta.url);
const BUILDS = ['simd', 'scalar'] as const;
const OUT_BYTES = CROP_SIZE * CROP_SIZE * 3;
/** Pixel formats of reserveImage (assembly/crop.ts) and their bytes per pixel. */
const FORMATS = [
  { id: 0, name: 'rgba', bpp: 4 },
  { id: 1, name: 'rgb', bpp: 3 },
  { id: 2, name: 'bgr', bpp: 3 },
  { id: 3, name: 'gray', bpp: 1 },
] as const;
const FIXED_BYTES = 4 * 65536;

interface Exports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  reserveImage(width: number, height: number, format: number): number;
  cropFace(x: number, y: number, w: number, h: number, margin: number): number;
  resizeImage(width: number, height: number): number;
  resizeRegion(x: number, y: number, w: number, h: number, width: number, height: number): number;
  arenaStart(): number;
}

const wasmBytes = (build: string): Uint8Array => new Uint8Array(readFileSync(new URL(`build/ssrnet-${build}.wasm`, ROOT)));
const instantiate = (build: string): Exports => new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(build)), {}).exports as unknown as Exports;

/** A random image in `format`, and the same pixels as RGBA (the reference's input). */
function randomImage(rng: Rng, width: number, height: number, bpp: number, format: string): { pixels: Uint8Array; rgba: Rgba } {
  const pixels = Uint8Array.from({ length: width * height * bpp }, () => rng.int(0, 255));
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * bpp, i * bpp + bpp);
    const [r, g, b] = format === 'gray' ? [p[0], p[0], p[0]] : format === 'bgr' ? [p[2], p[1], p[0]] : [p[0], p[1], p[2]];
    data.set([r, g, b, format === 'rgba' ? p[3] : 255], i * 4);
  }
  return { pixels, rgba: { data, width, height } };
}

/** Writes an image through the raw ABI. */
function writeImage(e: Exports, pixels: Uint8Array, width: number, height: number, format: number): void {
  const ptr = e.reserveImage(width, height, format);
  expect(ptr).toBe(FIXED_BYTES);
  new Uint8Array(e.memory.buffer, ptr, pixels.length).set(pixels);
}

/** A random box: sizes from a fraction of a pixel to far larger than the image, anywhere around it, overlapping it. */
function randomBox(rng: Rng, width: number, height: number): Box {
  const size = (limit: number): number => {
    const kind = rng.int(0, 3);
    if (kind === 0) return 0.01 + rng.float() * 2; // tiny: enlarging ~30-6000x
    if (kind === 1) return 1 + rng.float() * limit;
    if (kind === 2) return limit * (1 + rng.float() * 20); // larger than the image
    return rng.int(1, limit); // integer
  };
  for (;;) {
    const w = size(width);
    const h = size(height);
    const x = rng.float() < 0.3 ? rng.int(-Math.ceil(w), width) : -w + rng.float() * (width + w);
    const y = rng.float() < 0.3 ? rng.int(-Math.ceil(h), height) : -h + rng.float() * (height + h);
    if (x < width && x + w > 0 && y < height && y + h > 0) return { x, y, width: w, height: h };
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 'none' : `byte ${i} (pixel ${Math.floor(i / 3)}, channel ${i % 3}): ${a[i]} vs ${b[i]}`;
}

describe.each(BUILDS)('%s build: byte for byte with the TypeScript reference', (build) => {
  let e: Exports;
  beforeAll(() => {
    e = instantiate(build);
  });

  it('cropFace: 40 random images x 4 formats x 25 boxes, margins 0..2', () => {
    const rng = new Rng(0xc209 + build.length);
    const expected = new Uint8Array(OUT_BYTES);
    let crops = 0;
    for (let n = 0; n < 40; n++) {
      const width = rng.int(1, 140);
      const height = rng.int(1, 140);
      for (const f of FORMATS) {
        const { pixels, rgba } = randomImage(rng, width, height, f.bpp, f.name);
        writeImage(e, pixels, width, height, f.id);
        for (let k = 0; k < 25; k++) {
          const box = randomBox(rng, width, height);
          const margin = rng.pick([0, 0.4, 2, rng.float() * 2]);
          referenceCrop(rgba, box, margin, expected);
          expect(e.cropFace(box.x, box.y, box.width, box.height, margin)).toBe(0);
          const got = new Uint8Array(e.memory.buffer, e.inputPtr(), OUT_BYTES);
          if (Buffer.compare(got, expected) !== 0) {
            throw new Error(`${width}x${height} ${f.name}, box ${JSON.stringify(box)} margin ${margin}: first difference at ${firstDifference(got, expected)}`);
          }
          crops++;
        }
      }
    }
    expect(crops).toBe(40 * 4 * 25);
  });

  it('cropFace: extreme but valid boxes (1e-9 px, 1e12 px, far offsets)', () => {
    const rng = new Rng(5);
    const { pixels, rgba } = randomImage(rng, 37, 23, 4, 'rgba');
    writeImage(e, pixels, 37, 23, 0);
    const expected = new Uint8Array(OUT_BYTES);
    const boxes: [Box, number][] = [
      [{ x: 3.5, y: 4.25, width: 1e-9, height: 1e-9 }, 0.4],
      [{ x: -1e12 + 1, y: -5, width: 1e12, height: 30 }, 0],
      [{ x: -1e12, y: -1e12, width: 2e12, height: 2e12 }, 2],
      [{ x: 36.999, y: 22.999, width: 1e-3, height: 1e-3 }, 2],
      [{ x: -0.5, y: -0.5, width: 0.5000001, height: 0.5000001 }, 0],
      [{ x: 0, y: 0, width: 1e300, height: 1e300 }, 0.4],
    ];
    for (const [box, margin] of boxes) {
      referenceCrop(rgba, box, margin, expected);
      expect(e.cropFace(box.x, box.y, box.width, box.height, margin), JSON.stringify(box)).toBe(0);
      expect(firstDifference(new Uint8Array(e.memory.buffer, e.inputPtr(), OUT_BYTES), expected), JSON.stringify(box)).toBe('none');
    }
  });

  it('resizeImage: random images x 4 formats, shrinking, enlarging and mixed', () => {
    const rng = new Rng(0x7e5 + build.length);
    for (let n = 0; n < 30; n++) {
      const width = rng.int(1, 300);
      const height = rng.int(1, 300);
      for (const f of FORMATS) {
        const { pixels, rgba } = randomImage(rng, width, height, f.bpp, f.name);
        writeImage(e, pixels, width, height, f.id);
        for (let k = 0; k < 3; k++) {
          const dw = rng.int(1, Math.min(400, width * 2));
          const dh = rng.int(1, Math.min(400, height * 2));
          const expected = new Uint8Array(dw * dh * 3);
          referenceResize(rgba, dw, dh, expected);
          const ptr = e.resizeImage(dw, dh);
          expect(ptr).toBeGreaterThan(FIXED_BYTES);
          expect(ptr % 16).toBe(0);
          const got = new Uint8Array(e.memory.buffer, ptr, expected.length);
          if (Buffer.compare(got, expected) !== 0) {
            throw new Error(`${width}x${height} ${f.name} -> ${dw}x${dh}: first difference at ${firstDifference(got, expected)}`);
          }
        }
      }
    }
  });

  it('resizeRegion: random regions x 4 formats equal resizeImage of the region cut out', () => {
    const rng = new Rng(0x7e6 + build.length);
    for (let n = 0; n < 20; n++) {
      const width = rng.int(1, 200);
      const height = rng.int(1, 200);
      for (const f of FORMATS) {
        const { pixels, rgba } = randomImage(rng, width, height, f.bpp, f.name);
        writeImage(e, pixels, width, height, f.id);
        for (let k = 0; k < 3; k++) {
          const x = rng.int(0, width - 1), y = rng.int(0, height - 1);
          const w = rng.int(1, width - x), h = rng.int(1, height - y);
          const dw = rng.int(1, Math.min(300, w * 2)), dh = rng.int(1, Math.min(300, h * 2));
          const region = new Uint8Array(w * h * 4);
          for (let row = 0; row < h; row++) region.set(rgba.data.subarray(((y + row) * width + x) * 4, ((y + row) * width + x + w) * 4), row * w * 4);
          const expected = new Uint8Array(dw * dh * 3);
          referenceResize({ data: region, width: w, height: h }, dw, dh, expected);
          const ptr = e.resizeRegion(x, y, w, h, dw, dh);
          expect(ptr % 16).toBe(0);
          const got = new Uint8Array(e.memory.buffer, ptr, expected.length);
          if (Buffer.compare(got, expected) !== 0) {
            throw new Error(`${width}x${height} ${f.name}, region ${x},${y} ${w}x${h} -> ${dw}x${dh}: first difference at ${firstDifference(got, expected)}`);
          }
        }
      }
    }
  });

  it('resizeImage / resizeRegion: blocks at the column-sum path limits (64 wide, 257 tall) and past them, 1x1, copies', () => {
    // assembly/crop.ts sums columns for blocks up to 64 x 257 pixels, in groups of one 64-column
    // span, and loops per block past that; a same-size call is a copy (simd128: 4 pixels a step).
    const rng = new Rng(0x5a1 + build.length);
    const shapes: [number, number, number, number][] = [
      [128, 514, 2, 2], // widest block 64, tallest 257: the column sums
      [129, 515, 2, 2], // 65 and 258: per block
      [320, 30, 5, 29], [200, 40, 3, 40], [30, 600, 29, 2], // one side past the limit
      [1000, 3, 997, 2], [255, 2, 64, 1], [67, 9, 1, 9], [13, 300, 40, 2], [131, 7, 130, 8],
      [1, 1, 7, 5], [7, 5, 1, 1], [1, 1, 1, 1], [3, 1, 2, 1],
      [1, 1, 1, 1], [5, 3, 5, 3], [7, 2, 7, 2], [9, 1, 9, 1], [33, 4, 33, 4], // same size
    ];
    for (const f of FORMATS) {
      for (const [width, height, dw, dh] of shapes) {
        const { pixels, rgba } = randomImage(rng, width, height, f.bpp, f.name);
        writeImage(e, pixels, width, height, f.id);
        const expected = new Uint8Array(dw * dh * 3);
        referenceResize(rgba, dw, dh, expected);
        const got = new Uint8Array(e.memory.buffer, e.resizeImage(dw, dh), expected.length);
        expect(firstDifference(got, expected), `${width}x${height} ${f.name} -> ${dw}x${dh}`).toBe('none');
      }
      // All 255: the column sums' 16-bit lanes reach 257 x 255 = 65535 exactly.
      for (const [width, height, dw, dh] of [[128, 514, 2, 2], [64, 257, 1, 1], [256, 257, 4, 1]]) {
        writeImage(e, new Uint8Array(width * height * f.bpp).fill(255), width, height, f.id);
        expect(new Uint8Array(e.memory.buffer, e.resizeImage(dw, dh), dw * dh * 3).every((v) => v === 255), `255s ${width}x${height} ${f.name}`).toBe(true);
      }
      // Same-size regions at offsets, odd widths, reaching the image's right and bottom edges.
      const { pixels, rgba } = randomImage(rng, 23, 11, f.bpp, f.name);
      writeImage(e, pixels, 23, 11, f.id);
      for (const [x, y, w, h] of [[1, 2, 5, 3], [18, 10, 5, 1], [0, 0, 23, 11], [3, 1, 20, 10], [22, 0, 1, 11], [2, 3, 7, 8]]) {
        for (const [dw, dh] of [[w, h], [Math.max(1, w - 1), h + 1], [2 * w, 2 * h]]) {
          const region = new Uint8Array(w * h * 4);
          for (let row = 0; row < h; row++) region.set(rgba.data.subarray(((y + row) * 23 + x) * 4, ((y + row) * 23 + x + w) * 4), row * w * 4);
          const expected = new Uint8Array(dw * dh * 3);
          referenceResize({ data: region, width: w, height: h }, dw, dh, expected);
          const got = new Uint8Array(e.memory.buffer, e.resizeRegion(x, y, w, h, dw, dh), expected.length);
          expect(firstDifference(got, expected), `${f.name} region ${x},${y} ${w}x${h} -> ${dw}x${dh}`).toBe('none');
        }
      }
    }
  });

  it('resizeImage: a real photo to the detector working size', async () => {
    const { decodeImage } = await import('../src/decode.js');
    const img = await decodeImage(new Uint8Array(readFileSync(new URL('examples/astronaut.png', ROOT))));
    writeImage(e, img.data, img.width, img.height, 0);
    for (const [dw, dh] of [[320, 320], [511, 257], [512, 512], [640, 640], [1, 1]]) { // 512x512: the same-size path
      const expected = new Uint8Array(dw * dh * 3);
      referenceResize(img, dw, dh, expected);
      const ptr = e.resizeImage(dw, dh); // may grow memory: view the buffer after it
      expect(firstDifference(new Uint8Array(e.memory.buffer, ptr, expected.length), expected)).toBe('none');
    }
  });
});

describe.each(BUILDS)('%s build: raw ABI with hostile arguments', (build) => {
  it('cropFace, resizeImage and resizeRegion refuse to run without an image or outside it', () => {
    const e = instantiate(build);
    expect(e.cropFace(0, 0, 1, 1, 0)).toBe(11);
    expect(e.resizeImage(10, 10)).toBe(0);
    expect(e.resizeRegion(0, 0, 1, 1, 10, 10)).toBe(0);
    e.reserveImage(4, 4, 0);
    // Regions that are empty or leave the 4x4 image (overflow included) give 0.
    for (const [x, y, w, h] of [[0, 0, 0, 1], [0, 0, 1, 0], [-1, 0, 2, 2], [0, -1, 2, 2], [3, 0, 2, 1], [0, 3, 1, 2], [4, 0, 1, 1], [1, 1, 0x7fffffff, 1], [0x7fffffff, 0, 2, 1]]) {
      expect(e.resizeRegion(x, y, w, h, 2, 2), `${x},${y} ${w}x${h}`).toBe(0);
    }
    expect(e.resizeRegion(1, 1, 3, 3, 2, 2)).toBeGreaterThan(0);
    expect(e.cropFace(0, 0, 1, 1, 0)).toBe(0);
    expect(e.reserveImage(4, 4, 9)).toBe(0); // a failed reserve forgets the previous image
    expect(e.cropFace(0, 0, 1, 1, 0)).toBe(11);
  });

  it('reserveImage: bad formats and sides give 0, too large gives 0 without growing memory', () => {
    const e = instantiate(build);
    for (const [w, h, f] of [[0, 10, 0], [10, 0, 0], [-1, 10, 0], [65536, 1, 0], [1, 65536, 3], [10, 10, -1], [10, 10, 4], [10, 10, 0x7fffffff]]) {
      expect(e.reserveImage(w, h, f), `${w}x${h} format ${f}`).toBe(0);
    }
    expect(e.memory.buffer.byteLength).toBe(FIXED_BYTES);
    // 65535 x 65535 RGBA is 16 GiB: past the 1 GiB maximum, refused before growing.
    expect(e.reserveImage(65535, 65535, 0)).toBe(0);
    expect(e.reserveImage(16384, 16384, 0)).toBe(0); // exactly 1 GiB of pixels + the fixed part
    expect(e.memory.buffer.byteLength).toBe(FIXED_BYTES);
  });

  it('memory grows to the image (rounded to pages), then the resized image, and never shrinks', () => {
    const e = instantiate(build);
    const pages = (bytes: number): number => Math.ceil(bytes / 65536) * 65536;
    expect(e.reserveImage(100, 100, 0)).toBe(FIXED_BYTES);
    expect(e.memory.buffer.byteLength).toBe(pages(FIXED_BYTES + 40000));
    const at = e.resizeImage(1000, 1000);
    expect(at).toBe(FIXED_BYTES + 40000);
    expect(e.memory.buffer.byteLength).toBe(pages(at + 3e6));
    const grown = e.memory.buffer.byteLength;
    expect(e.reserveImage(10, 10, 3)).toBe(FIXED_BYTES);
    expect(e.memory.buffer.byteLength).toBe(grown);
  });

  it('bad boxes and margins return 10, write nothing; good ones write only the input and the static column taps', () => {
    const e = instantiate(build);
    e.reserveImage(50, 40, 0);
    new Uint8Array(e.memory.buffer, FIXED_BYTES, 50 * 40 * 4).fill(77);
    const snapshot = new Uint8Array(e.memory.buffer).slice();
    const bad: number[][] = [
      [NaN, 0, 10, 10, 0.4], [0, NaN, 10, 10, 0.4], [0, 0, NaN, 10, 0.4], [0, 0, 10, NaN, 0.4], [0, 0, 10, 10, NaN],
      [Infinity, 0, 10, 10, 0], [-Infinity, 0, 10, 10, 0], [0, 0, Infinity, 10, 0], [0, 0, 0, 10, 0], [0, 0, 10, -1, 0],
      [0, 0, 10, 10, -0.01], [0, 0, 10, 10, 2.01], [50, 0, 10, 10, 0], [0, 40, 10, 10, 0], [-10, 0, 10, 10, 0], [0, -10, 10, 10, 0],
      [0, 0, 1e308, 10, 2], [-1.7e308, 0, 1.7e308 + 1e300, 10, 1], [0, 0, Number.MAX_VALUE, Number.MAX_VALUE, 0.5],
    ];
    for (const args of bad) expect(e.cropFace(args[0], args[1], args[2], args[3], args[4]), JSON.stringify(args)).toBe(10);
    expect(Buffer.compare(new Uint8Array(e.memory.buffer), snapshot)).toBe(0);
    expect(e.cropFace(-5, -5, 70, 70, 2)).toBe(0);
    const after = new Uint8Array(e.memory.buffer);
    const input = e.inputPtr();
    // Below arenaStart: static data, where the crop keeps its per-column taps (assembly/crop.ts).
    for (let i = e.arenaStart(); i < after.length; i++) {
      if (after[i] !== snapshot[i] && (i < input || i >= input + OUT_BYTES)) throw new Error(`cropFace wrote outside the input at ${i}`);
    }
  });

  it('resizeImage refuses sides outside 1..8192 and writes only after the image (and its static column sums)', () => {
    const e = instantiate(build);
    const image = e.reserveImage(30, 20, 1);
    new Uint8Array(e.memory.buffer, image, 30 * 20 * 3).fill(77);
    const snapshot = new Uint8Array(e.memory.buffer).slice();
    for (const [w, h] of [[0, 5], [5, 0], [-1, 5], [8193, 1], [1, 8193]]) expect(e.resizeImage(w, h), `${w}x${h}`).toBe(0);
    expect(Buffer.compare(new Uint8Array(e.memory.buffer), snapshot)).toBe(0);
    const at = e.resizeImage(8, 8);
    expect(at).toBe(FIXED_BYTES + 30 * 20 * 3 + 8); // next 16-byte boundary
    const after = new Uint8Array(e.memory.buffer);
    // Below arenaStart: static data, where the resize keeps the running column sums (assembly/crop.ts).
    for (let i = e.arenaStart(); i < after.length; i++) {
      if (after[i] !== snapshot[i] && (i < at || i >= at + 8 * 8 * 3)) throw new Error(`resizeImage wrote outside its output at ${i}`);
    }
  });
});

describe('the TS Engine wraps the image path', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create(wasmBytes('simd'));
  });

  const code = (run: () => unknown): string => {
    try {
      run();
    } catch (err) {
      expect(err).toBeInstanceOf(SsrnetError);
      return (err as SsrnetError).code;
    }
    return 'OK';
  };

  it('validates before calling wasm: no image, bad images, bad boxes, bad sizes', async () => {
    const fresh = await Engine.create(wasmBytes('scalar'));
    expect(code(() => fresh.cropFace({ x: 0, y: 0, width: 1, height: 1 }, 0))).toBe('ENGINE_FAILED');
    expect(code(() => fresh.resizeImage(4, 4))).toBe('ENGINE_FAILED');
    expect(code(() => engine.setImage({ data: new Uint8Array(15), width: 2, height: 2 }))).toBe('BAD_INPUT');
    expect(code(() => engine.setImage({ data: new Uint8Array(0), width: 0, height: 0 }))).toBe('BAD_INPUT');
    expect(code(() => engine.setImage({ data: new Uint8Array(4 * 70000), width: 70000, height: 1 }))).toBe('IMAGE_TOO_LARGE');
    engine.setImage({ data: new Uint8Array(16), width: 2, height: 2 });
    expect(code(() => engine.cropFace({ x: NaN, y: 0, width: 1, height: 1 }, 0.4))).toBe('BAD_INPUT');
    expect(code(() => engine.cropFace({ x: 0, y: 0, width: 1, height: 1 }, 3))).toBe('BAD_INPUT');
    expect(code(() => engine.cropFace({ x: 5, y: 0, width: 1, height: 1 }, 0))).toBe('BAD_INPUT');
    expect(code(() => engine.cropFace({ x: 0, y: 0, width: 1, height: 1 }, 0))).toBe('OK');
    for (const [w, h] of [[0, 1], [1.5, 2], [8193, 1], [NaN, 2]]) expect(code(() => engine.resizeImage(w, h)), `${w}x${h}`).toBe('BAD_INPUT');
  });

  it('crop + runInput gives the same age as the reference crop + run', async () => {
    const weights = new Uint8Array(readFileSync(new URL('weights/age-wiki.ssrq', ROOT)));
    engine.loadWeights(0, weights, 'age');
    const { decodeImage } = await import('../src/decode.js');
    const img = await decodeImage(new Uint8Array(readFileSync(new URL('examples/astronaut.png', ROOT))));
    const box = { x: 175, y: 70, width: 90, height: 90 };
    const crop = new Uint8Array(OUT_BYTES);
    referenceCrop(img, box, 0.4, crop);
    const expected = engine.run(0, crop);
    engine.setImage(img);
    engine.cropFace(box, 0.4);
    expect(engine.input()).toEqual(crop);
    expect(engine.runInput(0)).toBe(expected);
  });
});
