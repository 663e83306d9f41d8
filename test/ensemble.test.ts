/**
 * The default 'auto' model: the combination arithmetic (by hand), the shipped default on the 24
 * public-domain Congress portraits in test/fixtures/portraits (real labels, fresh clone), and on
 * the UTKFace dev chips when ../shared is present: shrunk to 40 px, faces must not read younger
 * (issue 14: MAE within 1 y of the 200 px figure; its second target, the signed error within 2 y
 * of the 200 px figure, is NOT met: the default leaves 200-px chips about 3 y young, a price of
 * its fit to the portraits, while 40-px faces come out unbiased — docs/accuracy.md).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_MODEL } from '../src/auto-model.js';
import { type AgeCombination, combinationFeatures, combineAges, sizeFeature } from '../src/ensemble.js';
import { type Estimator, createEstimator } from '../src/index.js';
import { AGE_MODELS, type AgeModelChoice } from '../src/models.js';
import { parseLabelsCsv } from '../src/eval.js';
import { decodeImage } from '../src/decode.js';
import { DEV_FACES_DIR, haveDevFaces } from '../tools/dev-faces.js';
import { bgrToRgba, resizeBgr, rgbaToBgr } from '../tools/scenes.js';
import { ensureWasmBuilt } from './helpers/engine.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('combineAges', () => {
  const c: AgeCombination = { models: ['age-wiki', 'age-imdb'], hinges: [20], sizeKnot: 128, sizeSlopes: true, coefficients: [1, 0.5, 2, 0.25, 3, 4, -1, 0.1] };

  it('features: 1, per model its output and hinges, then s = log2(knot / side) and s × outputs', () => {
    expect(combinationFeatures(c, [30, 10], { side: 32 })).toEqual([1, 30, 10, 10, 0, 2, 60, 20]);
    expect(combinationFeatures(c, [30, 10], { side: 128 })).toEqual([1, 30, 10, 10, 0, 0, 0, 0]);
    expect(combinationFeatures(c, [30, 10], { side: 400 })).toEqual([1, 30, 10, 10, 0, 0, 0, 0]); // no term for big faces
    expect(combinationFeatures({ ...c, sizeKnot: null, sizeSlopes: false }, [30, 10], { side: 32 })).toEqual([1, 30, 10, 10, 0]);
    expect(sizeFeature(128, 64)).toBe(1);
    expect(sizeFeature(null, 64)).toBe(0);
  });

  it('is the dot product with the coefficients, clamped to 1..100 years', () => {
    // 1 + 15 + 20 + 2.5 + 0 + 4·2 − 60 + 2 = −11.5 → 1; at 128 px: 1 + 15 + 20 + 2.5 = 38.5
    expect(combineAges(c, [30, 10], { side: 32 })).toBe(1);
    expect(combineAges(c, [30, 10], { side: 128 })).toBeCloseTo(38.5, 12);
    expect(combineAges(c, [90, 90], { side: 200 })).toBe(100);
  });

  it("the shipped default has one coefficient per feature and reads small faces as older, not younger", () => {
    const outputs = AUTO_MODEL.models.map(() => 35);
    expect(AUTO_MODEL.coefficients).toHaveLength(combinationFeatures(AUTO_MODEL, outputs, { side: 200 }).length);
    // The models read a face shrunk to 40 px about 5 y younger (docs/accuracy.md); the fit compensates.
    expect(combineAges(AUTO_MODEL, outputs, { side: 40 })).toBeGreaterThan(combineAges(AUTO_MODEL, outputs, { side: 200 }));
  });
});

/** MAE of a model over photos, each photo's face found by the detector (the default call). */
async function portraitErrors(estimator: Estimator, faces: { file: string; age: number }[]): Promise<number[]> {
  const errors: number[] = [];
  for (const f of faces) {
    const [face] = await estimator.estimate(new Uint8Array(readFileSync(f.file)));
    expect(face, `${f.file}: no face found`).toBeDefined();
    errors.push(face.age - f.age);
  }
  return errors;
}

describe('the default on the 24 Congress portraits of test/fixtures/portraits (real labels)', () => {
  const csv = new URL('fixtures/portraits/labels.csv', import.meta.url).pathname;
  const faces = parseLabelsCsv(readFileSync(csv, 'utf8'), csv);
  const mae: Partial<Record<AgeModelChoice, number>> = {};

  beforeAll(async () => {
    ensureWasmBuilt();
    for (const model of ['auto', ...AGE_MODELS] as AgeModelChoice[]) {
      mae[model] = mean((await portraitErrors(await createEstimator({ model }), faces)).map(Math.abs));
    }
    console.log('portrait fixtures MAE:', Object.entries(mae).map(([m, v]) => `${m} ${v!.toFixed(2)}`).join(', '));
  }, 120_000);

  // Measured: auto 6.82, the best single model (age-megaage-asian) 6.64.
  it("'auto' (the default call: detect, crop, two models) has MAE ≤ 7.5 y", () => {
    expect(faces).toHaveLength(24);
    expect(mae.auto).toBeLessThanOrEqual(7.5);
  });

  it("'auto' is no worse than the best single official model there, within 0.5 y", () => {
    expect(mae.auto).toBeLessThanOrEqual(Math.min(...AGE_MODELS.map((m) => mae[m]!)) + 0.5);
  });
});

const HAVE = haveDevFaces();
describe.skipIf(!HAVE)(`'auto' on UTKFace dev chips shrunk to 40 px${HAVE ? '' : ' (SKIPPED: ../shared/data/utkface-dev absent)'}`, () => {
  it('MAE within 1 y of the 200 px figure, unbiased at 40 px, better than age-wiki alone at 200 px (whole chip = face box)', async () => {
    const auto = await createEstimator();
    const rows = readFileSync(`${DEV_FACES_DIR}labels.csv`, 'utf8').trim().split(/\r?\n/).slice(1);
    const err: Record<number, number[]> = { 200: [], 40: [] };
    for (const row of rows) {
      const [file, age] = row.split(',');
      const chip = rgbaToBgr(await decodeImage(new Uint8Array(readFileSync(`${DEV_FACES_DIR}${file}`))));
      for (const size of [200, 40]) {
        const img = bgrToRgba(resizeBgr(chip, size, size));
        const [face] = await auto.estimate({ ...img, format: 'rgba' }, { detect: false });
        err[size].push(face.age - Number(age));
      }
    }
    const [mae200, mae40] = [200, 40].map((s) => mean(err[s].map(Math.abs)));
    const [bias200, bias40] = [200, 40].map((s) => mean(err[s]));
    console.log(`auto on ${rows.length} chips: 200 px MAE ${mae200.toFixed(2)} signed ${bias200.toFixed(2)}; 40 px MAE ${mae40.toFixed(2)} signed ${bias40.toFixed(2)}`);
    // Measured (in-sample: the chips are fitting data; nested-CV figures are in docs/accuracy.md):
    // 200 px MAE 11.09, signed -1.27; 40 px MAE 11.82, signed -1.70. The single models read 40-px
    // faces 2.6-4.5 y younger than 200-px ones (age-wiki: -6.7 against -2.0); the size term,
    // fitted for consistency across sizes, leaves 0.4 y of it (issue 14: within 2 y).
    expect(Math.abs(mae40 - mae200)).toBeLessThanOrEqual(1);
    expect(Math.abs(bias40 - bias200)).toBeLessThanOrEqual(2); // small faces read as the same faces seen large
    expect(Math.abs(bias40)).toBeLessThanOrEqual(3); // a single model is off by 6.7 there
    expect(mae200).toBeLessThanOrEqual(11.71); // age-wiki alone, the best single model on the chips
  }, 300_000);
});
