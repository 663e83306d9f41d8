/**
 * `npx tsx tools/ensemble-cv.ts [--write]`: chooses the 'auto' age model — a combination of the
 * official age models — by cross-validation on the UTKFace dev faces, and reports honest figures.
 *
 * Candidates: linear stacking of 1–3 models' int8 outputs (age ≈ w0 + Σ wᵢ·modelᵢ), plain or with
 * hinge terms at 20 and 45 years (per-range calibration), fitted by least squares or by least
 * absolute deviations. Selection and evaluation are nested: for each outer fold (10 folds × 3
 * repeats) the family is chosen by an inner 5-fold CV on the outer training part only, fitted
 * there, and scored on the outer test part — so the reported MAE is not the best in-sample one.
 * With --write, the family chosen on all faces is fitted on all faces and written to
 * src/auto-model.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Engine } from '../src/engine.js';
import { type AgeCombination, combinationFeatures, combineAges } from '../src/ensemble.js';
import { AGE_MODELS } from '../src/models.js';
import { haveDevFaces, loadDevFaces } from './dev-faces.js';

export type AgeModel = (typeof AGE_MODELS)[number];

/** A candidate combination: which models, which features, which loss. */
export interface Family {
  models: AgeModel[];
  hinges: number[];
  loss: 'l2' | 'l1';
}

/** A fitted combination: the family and its coefficients. */
export type Combination = Family & AgeCombination;

const HINGE_KNOTS = [20, 45];
/** Ridge on the slopes (relative to the row count) to keep tiny fits well-posed. */
const RIDGE = 1e-3;

/** The feature row of one face from its outputs per model. */
function features(family: Family, outputs: Record<string, number>): number[] {
  return combinationFeatures(family.hinges, family.models.map((m) => outputs[m]));
}

/** Applies a fitted combination to one face's outputs per model. */
export function combine(c: Combination, outputs: Record<string, number>): number {
  return combineAges(c, c.models.map((m) => outputs[m]));
}

function solve(a: number[][], b: number[]): number[] {
  const d = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= d; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[d] / row[i]);
}

/** Weighted least squares; for 'l1', iteratively reweighted (IRLS) towards least absolute deviations. */
export function fit(family: Family, rows: Record<string, number>[], targets: number[]): Combination {
  const x = rows.map((r) => features(family, r));
  const d = x[0].length;
  let weights = new Array(x.length).fill(1);
  let coefficients = new Array(d).fill(0);
  for (let iter = 0; iter < (family.loss === 'l1' ? 30 : 1); iter++) {
    const a = Array.from({ length: d }, () => new Array(d).fill(0));
    const b = new Array(d).fill(0);
    x.forEach((f, r) => {
      for (let i = 0; i < d; i++) {
        b[i] += weights[r] * f[i] * targets[r];
        for (let j = 0; j < d; j++) a[i][j] += weights[r] * f[i] * f[j];
      }
    });
    for (let i = 1; i < d; i++) a[i][i] += RIDGE * x.length;
    coefficients = solve(a, b);
    weights = x.map((f, r) => 1 / Math.max(0.5, Math.abs(f.reduce((s, v, i) => s + v * coefficients[i], 0) - targets[r])));
  }
  return { ...family, coefficients };
}

/** All candidate families: 1–3 models × {linear, hinged} × {l2, l1}. */
export function candidateFamilies(): Family[] {
  const subsets: AgeModel[][] = [];
  const m = [...AGE_MODELS];
  for (let a = 0; a < m.length; a++) {
    subsets.push([m[a]]);
    for (let b = a + 1; b < m.length; b++) {
      subsets.push([m[a], m[b]]);
      for (let c = b + 1; c < m.length; c++) subsets.push([m[a], m[b], m[c]]);
    }
  }
  return subsets.flatMap((models) =>
    [[], HINGE_KNOTS].flatMap((hinges) => (['l2', 'l1'] as const).map((loss) => ({ models, hinges, loss }))),
  );
}

/** Deterministic fold assignment: a seeded shuffle, then round robin. */
function folds(n: number, k: number, seed: number): number[] {
  const idx = [...Array(n).keys()];
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const fold = new Array(n);
  idx.forEach((face, i) => (fold[face] = i % k));
  return fold;
}

function cvError(family: Family, rows: Record<string, number>[], ages: number[], k: number, seed: number): number {
  const fold = folds(rows.length, k, seed);
  let err = 0;
  for (let f = 0; f < k; f++) {
    const train = rows.map((_, i) => i).filter((i) => fold[i] !== f);
    const c = fit(family, train.map((i) => rows[i]), train.map((i) => ages[i]));
    rows.forEach((r, i) => {
      if (fold[i] === f) err += Math.abs(combine(c, r) - ages[i]);
    });
  }
  return err / rows.length;
}

/** The family with the lowest k-fold CV error on these faces. */
export function selectFamily(rows: Record<string, number>[], ages: number[], k = 5, seed = 1): Family {
  let best = { err: Infinity, family: candidateFamilies()[0] };
  for (const family of candidateFamilies()) {
    const err = cvError(family, rows, ages, k, seed);
    if (err < best.err) best = { err, family };
  }
  return best.family;
}

/** Nested CV: per outer fold, select on the training part, fit there, score the held-out part. */
export function nestedCv(rows: Record<string, number>[], ages: number[], outerFolds = 10, repeats = 3) {
  const predictions: number[][] = rows.map(() => []);
  const chosen = new Map<string, number>();
  for (let rep = 0; rep < repeats; rep++) {
    const fold = folds(rows.length, outerFolds, 1000 + rep);
    for (let f = 0; f < outerFolds; f++) {
      const train = rows.map((_, i) => i).filter((i) => fold[i] !== f);
      const trainRows = train.map((i) => rows[i]);
      const trainAges = train.map((i) => ages[i]);
      const family = selectFamily(trainRows, trainAges);
      const key = describe(family);
      chosen.set(key, (chosen.get(key) ?? 0) + 1);
      const c = fit(family, trainRows, trainAges);
      rows.forEach((r, i) => {
        if (fold[i] === f) predictions[i].push(combine(c, r));
      });
    }
  }
  // Each face has one held-out prediction per repeat; errors are averaged over them.
  const errors = predictions.map((p, i) => p.reduce((s, v) => s + Math.abs(v - ages[i]), 0) / p.length);
  return { errors, chosen };
}

/** Short human name of a family. */
export function describe(f: Family): string {
  return `${f.loss}${f.hinges.length ? ' hinged' : ''} linear of ${f.models.join(' + ')}`;
}

/** Int8 outputs of every age model on the dev faces (64x64 BGR crops, margin 0.4). */
export async function devFaceOutputs(): Promise<{ rows: Record<string, number>[]; ages: number[] }> {
  const faces = await loadDevFaces();
  const wasm = readFileSync(new URL('../build/ssrnet-simd.wasm', import.meta.url));
  const rows: Record<string, number>[] = faces.map(() => ({}));
  for (const name of AGE_MODELS) {
    const engine = await Engine.create(wasm);
    engine.loadWeights(0, new Uint8Array(readFileSync(new URL(`../weights/${name}.ssrq`, import.meta.url))), 'age');
    faces.forEach((f, i) => (rows[i][name] = engine.run(0, f.crop)));
  }
  return { rows, ages: faces.map((f) => f.age) };
}

const mae = (e: number[]) => e.reduce((s, v) => s + v, 0) / e.length;

async function main(): Promise<void> {
  if (!haveDevFaces()) {
    console.error('the dev faces (../shared/data/utkface-dev) are needed');
    process.exit(1);
  }
  const { rows, ages } = await devFaceOutputs();
  const under15 = (e: number[]) => mae(e.filter((_, i) => ages[i] < 15));
  for (const m of AGE_MODELS) {
    const e = rows.map((r, i) => Math.abs(r[m] - ages[i]));
    console.log(`${m.padEnd(18)} MAE ${mae(e).toFixed(2)}  under 15: ${under15(e).toFixed(2)}`);
  }
  const { errors, chosen } = nestedCv(rows, ages);
  console.log(`auto (nested 10-fold CV × 3) MAE ${mae(errors).toFixed(2)}  under 15: ${under15(errors).toFixed(2)}`);
  console.log('families chosen in the outer folds:', Object.fromEntries(chosen));
  const family = selectFamily(rows, ages);
  const final = fit(family, rows, ages);
  console.log(`final: ${describe(final)}; coefficients ${final.coefficients.map((c) => c.toFixed(4)).join(', ')}`);
  if (process.argv.includes('--write')) {
    const file = new URL('../src/auto-model.ts', import.meta.url);
    writeFileSync(file, autoModelSource(final, mae(errors), under15(errors), rows.length));
    console.log(`wrote ${file.pathname}`);
  }
}

function autoModelSource(c: Combination, cvMae: number, cvUnder15: number, faces: number): string {
  return `/**
 * The 'auto' age model: ${describe(c)}.
 * Generated by tools/ensemble-cv.ts (nested cross-validation on ${faces} UTKFace dev faces:
 * MAE ${cvMae.toFixed(2)} y, under age 15 ${cvUnder15.toFixed(2)} y). Do not edit: rerun the tool.
 */
import type { AgeCombination } from './ensemble.js';

export const AUTO_MODEL: AgeCombination = {
  models: ${JSON.stringify(c.models)},
  hinges: ${JSON.stringify(c.hinges)},
  coefficients: ${JSON.stringify(c.coefficients.map((v) => Number(v.toPrecision(10))))},
};
`;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
