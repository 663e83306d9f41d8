/**
 * The float32 oracle (src/oracle/ssrnet-f32.ts on weights read from the official .h5 files)
 * against the independent TFJS graph-model conversions (test/fixtures/reference-tfjs, MIT).
 * Inputs: crops of the example face, seeded random images and, with ../shared, dev faces.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { predictF32 } from '../src/oracle/ssrnet-f32.js';
import { readKerasSsrnet } from '../tools/keras-h5.js';
import { haveDevFaces, loadDevFaces } from '../tools/dev-faces.js';
import { exampleCrops, randomCrops } from './helpers/engine.js';
import { loadPeer, runPeer } from './helpers/tfjs-peer.js';

/** Error budgets (issue #2): years for age, raw score for gender. */
const AGE_BUDGET_YEARS = 0.01;
const GENDER_BUDGET = 1e-4;

const keras = (name: string) => new URL(`../weights/keras/${name}.h5`, import.meta.url).pathname;

let inputs: Uint8Array[] = [];

beforeAll(async () => {
  const faces = haveDevFaces() ? (await loadDevFaces({ limit: 12 })).map((f) => f.crop) : [];
  if (!faces.length) console.warn('../shared/data/utkface-dev not found: oracle parity runs on the example face and random images only');
  inputs = [...(await exampleCrops(6)), ...randomCrops(10, 7), ...faces];
});

describe('float oracle vs TFJS reference conversions', () => {
  it('has at least 20 inputs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(16 + (haveDevFaces() ? 12 : 0));
  });

  it(`age-imdb.h5 matches age.json within ${AGE_BUDGET_YEARS} y; the other age models do not`, async () => {
    const peer = runPeer(await loadPeer('age'), inputs.map((i) => Float32Array.from(i)));
    const imdb = await readKerasSsrnet(keras('age-imdb'), 'age');
    const diffs = inputs.map((img, i) => Math.abs(predictF32(imdb, img) - peer[i]));
    expect(Math.max(...diffs)).toBeLessThan(AGE_BUDGET_YEARS);
    // The identification is meaningful: other models' outputs are years away from the peer.
    for (const other of ['age-wiki', 'age-morph2', 'age-megaage-asian']) {
      const params = await readKerasSsrnet(keras(other), 'age');
      const d = inputs.map((img, i) => Math.abs(predictF32(params, img) - peer[i]));
      expect(Math.max(...d), other).toBeGreaterThan(0.5);
    }
  });

  it(`gender-imdb.h5 matches gender-ssrnet-imdb.json within ${GENDER_BUDGET}`, async () => {
    const peer = runPeer(await loadPeer('gender-ssrnet-imdb'), inputs.map((i) => Float32Array.from(i)));
    const params = await readKerasSsrnet(keras('gender-imdb'), 'gender');
    const diffs = inputs.map((img, i) => Math.abs(predictF32(params, img) - peer[i]));
    expect(Math.max(...diffs)).toBeLessThan(GENDER_BUDGET);
  });
});
