// The SSR-Net crop: box + margin, cv2 INTER_LINEAR resize to 64x64, BORDER_REPLICATE, BGR —
// pinned here through the path the estimator uses: the image written into the engine, the crop
// made in WebAssembly (Engine.cropFace, assembly/crop.ts), on both builds.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine.js';
import { SsrnetError } from '../src/errors.js';
import { normalizeInput } from '../src/input.js';
import { CROP_SIZE, DEFAULT_MARGIN, wholeImageBox } from '../src/preprocess.js';
import type { Box, Rgba } from '../src/types.js';
import { Rng } from './helpers/rng.js';

const engines: Engine[] = [];
beforeAll(async () => {
  for (const build of ['simd', 'scalar']) engines.push(await Engine.create(readFileSync(fileURLToPath(new URL(`../build/ssrnet-${build}.wasm`, import.meta.url)))));
});

/** Largest allowed difference from the float reference, in u8 levels. */
const MAX_LEVEL_DIFF = 1;
const OUT_BYTES = CROP_SIZE * CROP_SIZE * 3;

function makeImage(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...pixel(x, y), 255], (y * width + x) * 4);
  }
  return { data, width, height };
}

function noiseImage(rng: Rng, width: number, height: number): Rgba {
  return makeImage(width, height, () => [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)]);
}

/** The engine's crop (BGR); both builds must agree byte for byte. `'rgb'` swaps B and R afterwards. */
function crop(img: Rgba, box: Box, margin: number, order: 'bgr' | 'rgb' = 'bgr'): Uint8Array {
  const [first, ...others] = engines.map((engine) => {
    engine.setImage(img);
    engine.cropFace(box, margin);
    return engine.input().slice();
  });
  for (const other of others) expect(Buffer.compare(other, first), 'simd vs scalar build').toBe(0);
  if (order === 'rgb') for (let i = 0; i < first.length; i += 3) [first[i], first[i + 2]] = [first[i + 2], first[i]];
  return first;
}

/** Engine.cropFace on `img` (for the validation tests). */
function cropFace(img: Rgba, box: Box, margin: number): void {
  engines[0].setImage(img);
  engines[0].cropFace(box, margin);
}

/**
 * Independent reference, written the textbook way: cut the widened box (integer geometry) out of
 * the image padded by edge replication, then resize that patch to 64x64 with cv2's INTER_LINEAR
 * rule (half-pixel centres, sample index clamped to the patch), in float64, rounded. BGR out.
 */
function referenceCrop(img: Rgba, box: Box, margin: number): Uint8Array {
  const x0 = box.x - margin * box.width;
  const y0 = box.y - margin * box.height;
  const bw = box.width * (1 + 2 * margin);
  const bh = box.height * (1 + 2 * margin);
  for (const v of [x0, y0, bw, bh]) expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-9);
  const [X0, Y0, W, H] = [x0, y0, bw, bh].map(Math.round);

  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const patch = new Float64Array(W * H * 3); // BGR
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const sy = clamp(Y0 + j, img.height - 1);
      const sx = clamp(X0 + i, img.width - 1);
      const s = (sy * img.width + sx) * 4;
      patch.set([img.data[s + 2], img.data[s + 1], img.data[s]], (j * W + i) * 3);
    }
  }

  /** cv2: fx = (d + 0.5) * scale - 0.5; sx = floor(fx); clamp at both patch ends with weight 0. */
  const axis = (d: number, size: number): [number, number, number] => {
    const f = (d + 0.5) * (size / CROP_SIZE) - 0.5;
    let s = Math.floor(f);
    let a = f - s;
    if (s < 0) {
      s = 0;
      a = 0;
    }
    if (s >= size - 1) {
      s = size - 1;
      a = 0;
    }
    return [s, Math.min(s + 1, size - 1), a];
  };

  const out = new Uint8Array(OUT_BYTES);
  for (let v = 0; v < CROP_SIZE; v++) {
    const [ya, yb, fy] = axis(v, H);
    for (let u = 0; u < CROP_SIZE; u++) {
      const [xa, xb, fx] = axis(u, W);
      for (let c = 0; c < 3; c++) {
        const p = (y: number, x: number): number => patch[(y * W + x) * 3 + c];
        const top = p(ya, xa) * (1 - fx) + p(ya, xb) * fx;
        const bottom = p(yb, xa) * (1 - fx) + p(yb, xb) * fx;
        out[(v * CROP_SIZE + u) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): { max: number; at: string } {
  let max = 0;
  let at = '';
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) {
      max = d;
      const px = Math.floor(i / 3);
      at = `(u ${px % CROP_SIZE}, v ${Math.floor(px / CROP_SIZE)}, c ${i % 3}): ${a[i]} vs ${b[i]}`;
    }
  }
  return { max, at };
}

function expectBadInput(run: () => void, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(SsrnetError);
  expect((thrown as SsrnetError).code).toBe('BAD_INPUT');
  expect((thrown as SsrnetError).message).toMatch(message);
}

describe('cropFace geometry', () => {
  it('matches the textbook cv2 reference on noise: inside, partly outside, shrinking and enlarging', () => {
    const rng = new Rng(0xc40f);
    const img = noiseImage(rng, 97, 83);
    // Integer widened boxes (margin x size is an integer), so the reference can cut a patch.
    const cases: [Box, number][] = [
      [{ x: 20, y: 15, width: 50, height: 50 }, 0.4], // 90x90 region, inside: shrink
      [{ x: 30, y: 20, width: 40, height: 60 }, 0.25], // non-square
      [{ x: -30, y: -10, width: 60, height: 40 }, 0.5], // top-left outside
      [{ x: 70, y: 60, width: 50, height: 50 }, 0.4], // bottom-right outside
      [{ x: 40, y: 30, width: 10, height: 10 }, 0.4], // 18x18 region: enlarge
      [{ x: 0, y: 0, width: 97, height: 83 }, 0], // whole image, no margin
      [{ x: 45, y: 40, width: 5, height: 5 }, 2], // margin 2: 25x25 region
      [{ x: 10, y: 10, width: 64, height: 64 }, 0], // identity scale
    ];
    for (let k = 0; k < 40; k++) {
      const size = 5 * rng.int(1, 30);
      cases.push([{ x: rng.int(-60, 120), y: rng.int(-60, 100), width: size, height: 5 * rng.int(1, 30) }, rng.pick([0, 0.2, 0.4, 0.6, 1])]);
    }
    for (const [box, margin] of cases) {
      if (!(box.x < img.width && box.x + box.width > 0 && box.y < img.height && box.y + box.height > 0)) continue;
      const { max, at } = maxAbsDiff(crop(img, box, margin), referenceCrop(img, box, margin));
      expect(max, `box ${JSON.stringify(box)} margin ${margin} worst at ${at}`).toBeLessThanOrEqual(MAX_LEVEL_DIFF);
    }
  });

  it('samples fractional boxes at x0 + (u + 0.5) * bw / 64 - 0.5 (exact on a linear ramp)', () => {
    // Bilinear interpolation reproduces a linear function exactly, so each output is the rounded
    // sample coordinate: R = x, G = 2y.
    const img = makeImage(200, 120, (x, y) => [x, 2 * y, 7]);
    const box = { x: 50.25, y: 20.5, width: 40, height: 30 };
    const out = crop(img, box, 0.4, 'rgb');
    const x0 = box.x - 0.4 * box.width;
    const y0 = box.y - 0.4 * box.height;
    for (let v = 0; v < CROP_SIZE; v++) {
      for (let u = 0; u < CROP_SIZE; u++) {
        const sx = x0 + ((u + 0.5) * box.width * 1.8) / CROP_SIZE - 0.5;
        const sy = y0 + ((v + 0.5) * box.height * 1.8) / CROP_SIZE - 0.5;
        const o = (v * CROP_SIZE + u) * 3;
        expect([out[o], out[o + 1], out[o + 2]], `(u ${u}, v ${v})`).toEqual([Math.round(sx), Math.round(2 * sy), 7]);
      }
    }
  });

  it('keeps a constant image constant for any box and margin', () => {
    const img = makeImage(31, 17, () => [17, 99, 201]);
    const rng = new Rng(7);
    for (let k = 0; k < 50; k++) {
      const box = { x: rng.float() * 40 - 10, y: rng.float() * 25 - 5, width: 0.5 + rng.float() * 60, height: 0.5 + rng.float() * 60 };
      if (!(box.x < 31 && box.x + box.width > 0 && box.y < 17 && box.y + box.height > 0)) continue;
      const out = crop(img, box, rng.float() * 2);
      for (let i = 0; i < OUT_BYTES; i += 3) {
        if (out[i] !== 201 || out[i + 1] !== 99 || out[i + 2] !== 17) throw new Error(`box ${JSON.stringify(box)}: pixel ${i / 3} is ${out.subarray(i, i + 3).join(',')}`);
      }
    }
  });

  it('handles a 1x1 image', () => {
    const out = crop(makeImage(1, 1, () => [1, 2, 3]), { x: 0, y: 0, width: 1, height: 1 }, DEFAULT_MARGIN);
    expect(new Set(Array.from({ length: CROP_SIZE * CROP_SIZE }, (_, i) => out.subarray(i * 3, i * 3 + 3).join(',')))).toEqual(new Set(['3,2,1']));
  });

  it('never reads outside the widened box when it lies inside the image', () => {
    const rng = new Rng(99);
    const img = noiseImage(rng, 120, 100);
    const box = { x: 40.3, y: 30.7, width: 37.5, height: 41.2 };
    const margin = 0.4;
    const before = crop(img, box, margin);
    // Sample points stay within [x0, x0 + bw - 1], so only columns floor(x0)..ceil(x0 + bw - 1) can be read.
    const x0 = box.x - margin * box.width;
    const y0 = box.y - margin * box.height;
    const [xLo, xHi] = [Math.floor(x0), Math.ceil(x0 + box.width * (1 + 2 * margin) - 1)];
    const [yLo, yHi] = [Math.floor(y0), Math.ceil(y0 + box.height * (1 + 2 * margin) - 1)];
    expect(xLo >= 0 && yLo >= 0 && xHi < img.width && yHi < img.height).toBe(true);
    for (let trial = 0; trial < 3; trial++) {
      const scrambled = { ...img, data: img.data.slice() };
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) {
          if (x >= xLo && x <= xHi && y >= yLo && y <= yHi) continue;
          scrambled.data.set([rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)], (y * img.width + x) * 4);
        }
      }
      expect(crop(scrambled, box, margin)).toEqual(before);
    }
  });

  it('replicates edge pixels where the widened box leaves the image', () => {
    // R depends on x only, B on y only; the box covers x in [-32, 32) and y in [16, 80).
    const img = makeImage(64, 64, (x, y) => [100 + x, 50, 200 - y]);
    const out = crop(img, { x: -32, y: 16, width: 64, height: 64 }, 0);
    // 64 px region to 64 px: sample u sits at x = u - 32, y = v + 16.
    for (let v = 0; v < CROP_SIZE; v++) {
      for (let u = 0; u < CROP_SIZE; u++) {
        const o = (v * CROP_SIZE + u) * 3;
        const expectedR = 100 + Math.max(u - 32, 0); // left of the image: column 0 repeated
        const expectedB = 200 - Math.min(v + 16, 63); // below the image: row 63 repeated
        expect([out[o], out[o + 1], out[o + 2]], `(u ${u}, v ${v})`).toEqual([expectedB, 50, expectedR]);
      }
    }
  });
});

describe('cropFace channel order', () => {
  it('writes BGR: a pure red image gives blue 0, red 255', () => {
    const out = crop(makeImage(8, 8, () => [255, 0, 0]), { x: 2, y: 2, width: 4, height: 4 }, DEFAULT_MARGIN);
    expect([out[0], out[1], out[2]]).toEqual([0, 0, 255]);
    expect([out[OUT_BYTES - 3], out[OUT_BYTES - 1]]).toEqual([0, 255]);
  });

  it('ignores alpha', () => {
    const img = makeImage(4, 4, () => [10, 20, 30]);
    const transparent = { ...img, data: img.data.map((v, i) => (i % 4 === 3 ? 0 : v)) };
    const box = wholeImageBox(img);
    expect(crop(transparent, box, 0.4)).toEqual(crop(img, box, 0.4));
  });
});

describe('cropFace validation', () => {
  const img = makeImage(100, 80, () => [1, 2, 3]);

  it('rejects boxes that are not finite, positive and overlapping', () => {
    const bad: [unknown, RegExp][] = [
      [null, /for box, got null/],
      ['0,0,10,10', /for box, got "0,0,10,10"/],
      [{ x: NaN, y: 0, width: 10, height: 10 }, /finite number for box\.x, got NaN/],
      [{ x: 0, y: Infinity, width: 10, height: 10 }, /for box\.y, got Infinity/],
      [{ x: 0, y: 0, width: 0, height: 10 }, /greater than 0 for box\.width, got 0/],
      [{ x: 0, y: 0, width: 10, height: -5 }, /for box\.height, got -5/],
      [{ x: 0, y: 0, width: '10', height: 10 }, /for box\.width, got "10"/],
      [{ x: 0, y: 0, height: 10 }, /for box\.width, got undefined/],
      [{ x: 100, y: 0, width: 10, height: 10 }, /overlapping the 100x80 image for box, got \{x: 100, y: 0, width: 10, height: 10\}/],
      [{ x: -10, y: 0, width: 10, height: 10 }, /overlapping/],
      [{ x: 0, y: 80, width: 10, height: 10 }, /overlapping/],
      [{ x: 0, y: -20.5, width: 10, height: 20.5 }, /overlapping/],
    ];
    for (const [box, message] of bad) expectBadInput(() => cropFace(img, box as Box, 0.4), message);
  });

  it('accepts a box overlapping by a fraction of a pixel', () => {
    expect(() => cropFace(img, { x: -9.5, y: 79.9, width: 10, height: 10 }, 0.4)).not.toThrow();
  });

  it('rejects margins outside 0..2', () => {
    const box = { x: 10, y: 10, width: 20, height: 20 };
    for (const margin of [-0.1, 2.01, NaN, Infinity, '0.4', undefined]) {
      expectBadInput(() => cropFace(img, box, margin as number), /expected a finite number from 0 to 2 for margin/);
    }
    for (const margin of [0, 2]) expect(() => cropFace(img, box, margin)).not.toThrow();
  });

  it('rejects a box that overflows once widened', () => {
    expectBadInput(() => cropFace(img, { x: 0, y: 0, width: 1e308, height: 10 }, 2), /widened size is finite/);
  });
});

describe('wholeImageBox', () => {
  it('covers the image', () => {
    expect(wholeImageBox({ width: 200, height: 150 })).toEqual({ x: 0, y: 0, width: 200, height: 150 });
  });
});

describe('cropFace on examples/astronaut.png', () => {
  it('crops the face region (README: roughly x 175-265, y 70-160) in BGR', async () => {
    const img = await normalizeInput(readFileSync(fileURLToPath(new URL('../examples/astronaut.png', import.meta.url))));
    const box = { x: 175, y: 70, width: 90, height: 90 };
    const bgr = crop(img, box, DEFAULT_MARGIN);
    // 90 px box + 40% per side = 162 px region, inside the 512x512 image: the reference applies.
    expect(maxAbsDiff(bgr, referenceCrop(img, { x: 175, y: 70, width: 90, height: 90 }, 0.4)).max).toBeLessThanOrEqual(MAX_LEVEL_DIFF);
  });
});
