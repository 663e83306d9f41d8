// The public API end to end (src/index.ts): the example photo's age, every input form giving the
// same answer, every SsrnetError code reached by an honest misuse (and the estimator still
// answering correctly afterwards), concurrency, simd vs scalar bit-identity, module-level
// estimate() and option validation.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { Jimp } from 'jimp';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_MODEL } from '../src/auto-model.js';
import { crc32 } from '../src/crc32.js';
import { boxIou } from '../src/detector.js';
import { combineAges } from '../src/ensemble.js';
import { normalizeInput } from '../src/input.js';
import { predictF32 } from '../src/oracle/ssrnet-f32.js';
import { CROP_SIZE } from '../src/preprocess.js';
import { cropFace } from './helpers/crop-reference.js';
import {
  type Box,
  type Estimator,
  type EstimatorOptions,
  type FaceResult,
  type ImageInput,
  SsrnetError,
  type SsrnetErrorCode,
  createEstimator,
  estimate,
} from '../src/index.js';
import { readKerasSsrnet } from '../tools/keras-h5.js';
import { Rng } from './helpers/rng.js';

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, import.meta.url)));
const PNG = read('../examples/astronaut.png');
const BOX: Box = { x: 175, y: 70, width: 90, height: 90 };
/** A second, looser box around the same face, for tests that mix boxes. */
const BOX_B: Box = { x: 140, y: 30, width: 160, height: 170 };
/**
 * Eileen Collins was ~42 in this photo. SSR-Net's MAE is ~6-7 years, and the float32 Keras
 * age-wiki model itself says 31.0 for BOX (pinned below), so the plausibility window is the true
 * age ± 15 years; the precise check is the comparison with the float model.
 */
const AGE_MIN = 27;
const AGE_MAX = 57;
const AGE_WIKI_H5 = fileURLToPath(new URL('../weights/keras/age-wiki.h5', import.meta.url));
const GENDER_SSRQ = new URL('../weights/gender-imdb.ssrq', import.meta.url);
const HAS_H5 = existsSync(AGE_WIKI_H5);
const HAS_GENDER = existsSync(GENDER_SSRQ);
if (!HAS_H5) console.warn('api.test: weights/keras/age-wiki.h5 is absent; the float32 comparison is SKIPPED');
if (!HAS_GENDER) console.warn('api.test: weights/gender-imdb.ssrq is absent (run `npm run convert`); the gender tests are SKIPPED');

let estimator: Estimator;
/** The age of the example photo with BOX from `estimator`: every other path must agree exactly. */
let referenceAge: number;
/** The photo decoded to RGBA by jimp, independently of the package. */
let rgba: { data: Uint8Array; width: number; height: number };

beforeAll(async () => {
  estimator = await createEstimator({ model: 'age-wiki' });
  referenceAge = (await estimator.estimate(PNG, { box: BOX }))[0].age;
  const image = await Jimp.read(Buffer.from(PNG));
  rgba = { data: new Uint8Array(image.bitmap.data), width: image.bitmap.width, height: image.bitmap.height };
});

/** Asserts that `promise` rejects with an SsrnetError of `code`, then returns the error. */
async function expectCode(promise: Promise<unknown>, code: SsrnetErrorCode): Promise<SsrnetError> {
  const err = await promise.then(
    () => expect.fail(`expected a rejection with ${code}, got a result`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SsrnetError);
  expect((err as SsrnetError).code, (err as Error).message).toBe(code);
  return err as SsrnetError;
}

/** The shared estimator still gives the reference answer (no state was left behind by a failure). */
async function expectHealthy(): Promise<void> {
  const [face] = await estimator.estimate(PNG, { box: BOX });
  expect(face.age).toBe(referenceAge);
}

/** Converts the RGBA photo to another pixel layout. */
function convert(format: 'rgb' | 'bgr' | 'gray'): Uint8Array {
  const { data, width, height } = rgba;
  const n = width * height;
  const channels = format === 'gray' ? 1 : 3;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [data[i * 4], data[i * 4 + 1], data[i * 4 + 2]];
    if (format === 'gray') out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else out.set(format === 'rgb' ? [r, g, b] : [b, g, r], i * 3);
  }
  return out;
}

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  body.set(Buffer.from(type, 'latin1'));
  body.set(data, 4);
  const chunk = new Uint8Array(8 + data.length + 4);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return chunk;
}

/** A PNG file; `idat` is omitted for header-only files. Color type 0 = gray, 2 = RGB. */
function png(width: number, height: number, colorType: 0 | 2, idat?: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (idat) parts.push(pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}

/** An 8-bit grayscale PNG (color type 0) of `gray` pixels, filter 0 on every row. */
function grayPng(gray: Uint8Array, width: number, height: number): Uint8Array {
  const rows = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) rows.set(gray.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return png(width, height, 0, deflateSync(rows));
}

/** A copy of a .ssrq file with `edit` applied and the trailing CRC-32 recomputed. */
function editWeights(file: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = file.slice();
  const view = new DataView(copy.buffer);
  edit(view);
  view.setUint32(copy.length - 4, crc32(copy.subarray(0, copy.length - 4)), true);
  return copy;
}

describe('the example photo', () => {
  it('with its box gives a plausible age (true age ~42)', async () => {
    const faces = await estimator.estimate(PNG, { box: BOX });
    expect(faces).toEqual([{ box: BOX, age: referenceAge }]);
    expect(referenceAge).toBeGreaterThanOrEqual(AGE_MIN);
    expect(referenceAge).toBeLessThanOrEqual(AGE_MAX);
  });

  it.skipIf(!HAS_H5)('agrees with the float32 Keras model (age-wiki.h5) on the same crop within 1 year', async () => {
    const params = await readKerasSsrnet(AGE_WIKI_H5, 'age');
    const crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
    cropFace(await normalizeInput(PNG), BOX, 0.4, crop);
    const floatAge = predictF32(params, crop);
    expect(Math.abs(referenceAge - floatAge)).toBeLessThan(1);
  });

  it.skipIf(!HAS_GENDER)('with a gender model is female, and the age is unchanged', async () => {
    const withGender = await createEstimator({ model: 'age-wiki', gender: true });
    const [face] = await withGender.estimate(PNG, { box: BOX });
    expect(face.age).toBe(referenceAge);
    expect(face.gender?.label).toBe('female');
    expect(face.gender?.probability).toBeGreaterThanOrEqual(0.5);
    expect(face.gender?.probability).toBeLessThanOrEqual(1);
  });

  it('without a box detects the one face (with its score); detect: false uses the whole image', async () => {
    const faces = await estimator.estimate(PNG);
    expect(faces).toHaveLength(1);
    expect(boxIou(faces[0].box, BOX)).toBeGreaterThanOrEqual(0.5);
    expect(faces[0].score).toBeGreaterThanOrEqual(0.7);
    const [whole] = await estimator.estimate(PNG, { detect: false });
    expect(whole).toEqual({ box: { x: 0, y: 0, width: 512, height: 512 }, age: expect.any(Number) });
    expect(whole.age).not.toBe(faces[0].age);
  });
});

describe('every input form gives the same age', () => {
  it('encoded PNG (Uint8Array, Buffer, ArrayBuffer, DataView) and raw rgba / ImageData / rgb / bgr are identical', async () => {
    const { width, height, data } = rgba;
    const inputs: [string, ImageInput][] = [
      ['Buffer', Buffer.from(PNG)],
      ['ArrayBuffer', PNG.slice().buffer],
      ['DataView', new DataView(PNG.slice().buffer)],
      ['rgba', { data, width, height, format: 'rgba' }],
      ['ImageData-like', { data: new Uint8ClampedArray(data), width, height }],
      ['rgb', { data: convert('rgb'), width, height, format: 'rgb' }],
      ['bgr', { data: convert('bgr'), width, height, format: 'bgr' }],
    ];
    for (const [name, input] of inputs) {
      const faces = await estimator.estimate(input, { box: BOX });
      expect(faces, name).toEqual([{ box: BOX, age: referenceAge }]);
    }
  });

  it('gray pixels equal the encoded grayscale PNG of the same picture (and rgb with r = g = b)', async () => {
    const { width, height } = rgba;
    const gray = convert('gray');
    const rgbOfGray = new Uint8Array(width * height * 3).map((_, i) => gray[Math.floor(i / 3)]);
    const encoded = grayPng(gray, width, height);
    expect(encoded[25]).toBe(0); // really color type 0
    const [raw] = await estimator.estimate({ data: gray, width, height, format: 'gray' }, { box: BOX });
    const [decoded] = await estimator.estimate(encoded, { box: BOX });
    const [asRgb] = await estimator.estimate({ data: rgbOfGray, width, height, format: 'rgb' }, { box: BOX });
    expect(decoded.age).toBe(raw.age);
    expect(asRgb.age).toBe(raw.age);
    // Gray loses colour, so its age differs from the colour picture's (24.1 vs 30.8 today).
    expect(raw.age).toBeGreaterThan(0);
    expect(raw.age).toBeLessThan(101);
  });
});

describe('errors: every code, and the estimator keeps working', () => {
  it('BAD_INPUT: options, boxes, margins, pixel limits', async () => {
    const bad: [string, EstimateArgs][] = [
      ['options not an object', [PNG, 'fast' as never]],
      ['options null', [PNG, null as never]],
      ['options a Map', [PNG, new Map() as never]],
      ['box not an object', [PNG, { box: '1,2,3,4' as never }]],
      ['box.x NaN', [PNG, { box: { ...BOX, x: NaN } }]],
      ['box.width 0', [PNG, { box: { ...BOX, width: 0 } }]],
      ['box.height negative', [PNG, { box: { ...BOX, height: -5 } }]],
      ['box.y Infinity', [PNG, { box: { ...BOX, y: Infinity } }]],
      ['box outside the image', [PNG, { box: { x: 600, y: 0, width: 10, height: 10 } }]],
      ['margin too large', [PNG, { box: BOX, margin: 3 }]],
      ['margin NaN', [PNG, { box: BOX, margin: NaN }]],
      ['maxPixels 0', [PNG, { maxPixels: 0 }]],
      ['maxPixels fractional', [PNG, { maxPixels: 1.5 }]],
      ['misspelt option', [PNG, { margn: 0.2 } as never]],
      ['detect not a boolean', [PNG, { detect: 'yes' as never }]],
      ['minScore above 1', [PNG, { minScore: 1.5 }]],
      ['maxFaces 0', [PNG, { maxFaces: 0 }]],
      ['minFaceSize negative', [PNG, { minFaceSize: -40 }]],
    ];
    for (const [name, [input, options]] of bad) {
      const err = await expectCode(estimator.estimate(input, options), 'BAD_INPUT');
      expect(err.message, name).toMatch(/^expected .+ got /);
      await expectHealthy();
    }
  });

  it('BAD_INPUT: non-image values, NaN / fractional sizes, wrong raw length, empty bytes', async () => {
    const px = (n: number): Uint8Array => new Uint8Array(n);
    const bad: [string, unknown][] = [
      ['undefined', undefined],
      ['a string', 'astronaut.png'],
      ['a number array', [1, 2, 3]],
      ['empty bytes', new Uint8Array(0)],
      ['an Int16Array', new Int16Array(16)],
      ['width NaN', { data: px(12), width: NaN, height: 1, format: 'rgb' }],
      ['height NaN', { data: px(12), width: 4, height: NaN, format: 'rgb' }],
      ['width fractional', { data: px(12), width: 1.5, height: 2, format: 'rgba' }],
      ['height negative', { data: px(12), width: 1, height: -3, format: 'rgba' }],
      ['width a string', { data: px(12), width: '4', height: 1, format: 'rgb' }],
      ['rgb length short', { data: px(11), width: 2, height: 2, format: 'rgb' }],
      ['rgba length long', { data: px(17), width: 2, height: 2, format: 'rgba' }],
      ['gray given rgb bytes', { data: px(12), width: 2, height: 2, format: 'gray' }],
      ['unknown format', { data: px(12), width: 2, height: 2, format: 'yuv' }],
      ['data not bytes', { data: [0, 0, 0], width: 1, height: 1, format: 'rgb' }],
    ];
    for (const [name, input] of bad) {
      const err = await expectCode(estimator.estimate(input as ImageInput, {}), 'BAD_INPUT');
      expect(err.message, name).toMatch(/^expected .+ got /);
      await expectHealthy();
    }
  });

  it('BAD_INPUT: createEstimator with unknown model names, option values or a non-plain options object', async () => {
    class Options {
      model = 'age-wiki';
    }
    const bad: unknown[] = [
      { model: 'age-nope' },
      { model: 'gender-imdb' },
      { gender: 'gender-nope' },
      { gender: 'age-wiki' },
      { gender: 1 },
      { simd: 'yes' },
      { simd: 1 },
      { model: 'age-wiki', weights: { 'age-wiki': 'age-wiki.ssrq' } },
      { model: 'age-wiki', weights: { 'age-wiki': [1, 2, 3] } },
      { weights: { age: new Uint8Array(8) } },
      { weights: 'age-wiki.ssrq' },
      new Options(),
      new Map([['model', 'age-wiki']]),
      { modle: 'age-imdb' },
      null,
      'age-wiki',
    ];
    for (const options of bad) {
      await expectCode(createEstimator(options as EstimatorOptions), 'BAD_INPUT');
    }
    await expectHealthy();
  });

  it('UNSUPPORTED_FORMAT: random bytes (and a text file)', async () => {
    const rng = new Rng(0x5eed);
    const noise = Uint8Array.from({ length: 4096 }, () => rng.int(0, 255));
    noise[0] = 0x00; // no JPEG / PNG / GIF / BMP magic by chance
    await expectCode(estimator.estimate(noise), 'UNSUPPORTED_FORMAT');
    await expectHealthy();
    await expectCode(estimator.estimate(read('../package.json')), 'UNSUPPORTED_FORMAT');
    await expectHealthy();
  });

  it('DECODE_FAILED: a truncated PNG, inside the pixel data and inside the header', async () => {
    await expectCode(estimator.estimate(PNG.subarray(0, PNG.length >> 1), { box: BOX }), 'DECODE_FAILED');
    await expectHealthy();
    await expectCode(estimator.estimate(PNG.subarray(0, 20)), 'DECODE_FAILED');
    await expectHealthy();
  });

  it('IMAGE_TOO_LARGE: a PNG header claiming 100000x100000, and a small maxPixels', async () => {
    const hostile = png(100_000, 100_000, 2);
    const err = await expectCode(estimator.estimate(hostile), 'IMAGE_TOO_LARGE');
    expect(err.message).toContain('100000x100000');
    await expectHealthy();
    await expectCode(estimator.estimate(PNG, { box: BOX, maxPixels: 512 * 512 - 1 }), 'IMAGE_TOO_LARGE');
    await expectHealthy();
    const { data, width, height } = rgba;
    await expectCode(estimator.estimate({ data, width, height, format: 'rgba' }, { maxPixels: 1000 }), 'IMAGE_TOO_LARGE');
    await expectHealthy();
    // exactly at the limit is accepted
    const [face] = await estimator.estimate(PNG, { box: BOX, maxPixels: 512 * 512 });
    expect(face.age).toBe(referenceAge);
  });

  it('BAD_WEIGHTS: corrupted, truncated, wrong-kind and wrong-version weights', async () => {
    const age = read('../weights/age-wiki.ssrq');
    const corrupted = age.slice();
    corrupted[20_000] ^= 0x40;
    const kindFlipped = editWeights(age, (v) => v.setUint8(6, 1)); // valid checksum, says "gender"
    const version1 = editWeights(age, (v) => v.setUint16(4, 1, true)); // before the i16 x maps
    const version3 = editWeights(age, (v) => v.setUint16(4, 3, true));
    const cases: [string, EstimatorOptions, RegExp][] = [
      ['corrupted byte', { model: 'age-wiki', weights: { 'age-wiki': corrupted } }, /checksum/],
      ['truncated', { model: 'age-wiki', weights: { 'age-wiki': age.subarray(0, age.length - 100) } }, /length/],
      ['header only', { model: 'age-wiki', weights: { 'age-wiki': age.subarray(0, 40) } }, /length/],
      ['not .ssrq', { model: 'age-wiki', weights: { 'age-wiki': PNG.subarray(0, 1000) } }, /magic/],
      ['version 1', { model: 'age-wiki', weights: { 'age-wiki': version1 } }, /version/],
      ['version 3', { model: 'age-wiki', weights: { 'age-wiki': version3 } }, /version/],
      ['gender kind given as age', { model: 'age-wiki', weights: { 'age-wiki': kindFlipped } }, /expected age model weights, got a gender model/],
      ['age model given as gender', { model: 'age-wiki', gender: true, weights: { 'gender-imdb': age } }, /expected gender model weights, got an? age model/],
      ['too large', { model: 'age-wiki', weights: { 'age-wiki': new Uint8Array(10 << 20) } }, /at most/],
    ];
    for (const [name, options, message] of cases) {
      const err = await expectCode(createEstimator(options), 'BAD_WEIGHTS');
      expect(err.message, name).toMatch(message);
    }
    await expectHealthy();
  });

  it.skipIf(!HAS_GENDER)('BAD_WEIGHTS: the real gender-imdb.ssrq given as the age model', async () => {
    const err = await expectCode(createEstimator({ model: 'age-wiki', weights: { 'age-wiki': new Uint8Array(readFileSync(GENDER_SSRQ)) } }), 'BAD_WEIGHTS');
    expect(err.message).toMatch(/expected age model weights, got a gender model/);
  });

  it('BAD_WASM: garbage bytes, a valid module that is not the engine, the wrong build for `simd`', async () => {
    const garbage = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 255);
    await expectCode(createEstimator({ wasm: garbage }), 'BAD_WASM');
    await expectCode(createEstimator({ wasm: new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) }), 'BAD_WASM');
    const scalar = read('../build/ssrnet-scalar.wasm');
    await expectCode(createEstimator({ simd: true, wasm: scalar }), 'BAD_WASM');
    const ok = await createEstimator({ model: 'age-wiki', simd: false, wasm: scalar });
    expect((await ok.estimate(PNG, { box: BOX }))[0].age).toBe(referenceAge);
    await expectHealthy();
  });

  it('BAD_WEIGHTS: a valid checksum but NaN dense weights (rejected at load, not at run)', async () => {
    // Dense records start at byte 512, 16 bytes each: u16 inputs, u16 outputs, u32 offset of the
    // f32 weights. Record 0 is stage 1's mix_s, followed by a relu that would map NaN to 0 and
    // silently change answers: the engine refuses non-finite parameters when loading.
    const nanWeights = editWeights(read('../weights/age-wiki.ssrq'), (v) => {
      const record = 512;
      const count = v.getUint16(record, true) * v.getUint16(record + 2, true);
      const offset = v.getUint32(record + 4, true);
      for (let i = 0; i < count; i++) v.setFloat32(offset + 4 * i, NaN, true);
    });
    const err = await expectCode(createEstimator({ model: 'age-wiki', weights: { 'age-wiki': nanWeights } }), 'BAD_WEIGHTS');
    expect(err.message).toMatch(/non-finite/);
    await expectHealthy();
  });

  it('ENGINE_FAILED: finite but degenerate weights that divide by zero in the stagewise merge', async () => {
    // Record 2 is stage 1's Δ = tanh(x · W + b). A bias of -1e30 (finite, so the file is valid)
    // makes Δ = -1 and the merge's denominator s1·(1 + Δ) zero: the engine's output is not finite.
    const age = read('../weights/age-wiki.ssrq');
    const degenerate = editWeights(age, (v) => {
      const record = 512 + 2 * 16;
      v.setFloat32(v.getUint32(record + 8, true), -1e30, true);
    });
    const broken = await createEstimator({ model: 'age-wiki', weights: { 'age-wiki': degenerate } });
    const err = await expectCode(broken.estimate(PNG, { box: BOX }), 'ENGINE_FAILED');
    expect(err.message).toMatch(/Infinity|NaN/);
    // It fails the same way every time, still validates input first, and nothing leaks into
    // other estimators.
    await expectCode(broken.estimate(PNG, { box: BOX_B }), 'ENGINE_FAILED');
    await expectCode(broken.estimate(PNG, { box: { ...BOX, width: 0 } }), 'BAD_INPUT');
    await expectHealthy();
  });
});

type EstimateArgs = [ImageInput, Parameters<Estimator['estimate']>[1]];

describe('concurrency and engine builds', () => {
  it('100 concurrent estimate calls (two boxes, encoded and raw input) equal the serial results', async () => {
    const { data, width, height } = rgba;
    // Every 4th call decodes a PNG (awaits inside the call); the others are raw pixels.
    const calls: EstimateArgs[] = Array.from({ length: 100 }, (_, i) => [
      i % 4 === 3 ? PNG : { data, width, height, format: 'rgba' },
      { box: i % 2 === 0 ? BOX : BOX_B },
    ]);
    const serial: FaceResult[][] = [];
    for (const [input, options] of calls) serial.push(await estimator.estimate(input, options));
    const concurrent = await Promise.all(calls.map(([input, options]) => estimator.estimate(input, options)));
    expect(concurrent).toEqual(serial);
    expect(serial[0][0].age).toBe(referenceAge);
    expect(serial[1][0].age).not.toBe(referenceAge); // the two boxes really differ
  });

  it('simd: true and simd: false give bit-identical ages', async () => {
    const simd = await createEstimator({ simd: true });
    const scalar = await createEstimator({ simd: false });
    expect(simd.simd).toBe(true);
    expect(scalar.simd).toBe(false);
    const rng = new Rng(42);
    const noise = Uint8Array.from({ length: 97 * 61 * 3 }, () => rng.int(0, 255));
    const cases: EstimateArgs[] = [
      [PNG, { box: BOX }],
      [PNG, { box: BOX_B, margin: 0 }],
      [PNG, {}],
      [PNG, { detect: false }],
      [PNG, { box: { x: -40, y: 400, width: 120, height: 150 }, margin: 2 }],
      [{ data: noise, width: 97, height: 61, format: 'rgb' }, { detect: false }],
    ];
    for (const [input, options] of cases) {
      const [a, ...moreA] = await simd.estimate(input, options);
      const [b, ...moreB] = await scalar.estimate(input, options);
      expect(Object.is(a.age, b.age), `${a.age} vs ${b.age}`).toBe(true);
      expect([a.box, a.score, moreA]).toEqual([b.box, b.score, moreB]); // the detectors agree too
    }
  });

  it("module-level estimate() uses the default estimator ('auto')", async () => {
    const auto = (await (await createEstimator({ model: 'auto' })).estimate(PNG, { box: BOX }))[0].age;
    expect(await estimate(PNG, { box: BOX })).toEqual([{ box: BOX, age: auto }]);
    await expectCode(estimate(PNG, { margin: -1 }), 'BAD_INPUT');
    expect((await estimate(Buffer.from(PNG), { box: BOX }))[0].age).toBe(auto);
  });

  it("'auto' combines the engine outputs of its models as src/auto-model.ts says", async () => {
    const single = await Promise.all(AUTO_MODEL.models.map((model) => createEstimator({ model })));
    const outputs = await Promise.all(single.map(async (e) => (await e.estimate(PNG, { box: BOX }))[0].age));
    const [auto] = await (await createEstimator({ model: 'auto' })).estimate(PNG, { box: BOX });
    expect(auto.age).toBe(combineAges(AUTO_MODEL, outputs, { side: Math.sqrt(BOX.width * BOX.height) }));
    expect(auto.age).toBeGreaterThanOrEqual(AGE_MIN);
    expect(auto.age).toBeLessThanOrEqual(AGE_MAX);
  });
});
