/**
 * `npx tsx tools/fit-default.ts [--refresh] [--write]`: chooses and fits the default 'auto' age
 * model — a combination of the official age models — so that it is no worse than the best single
 * official model on every kind of photo, and reports honest (nested cross-validated) figures.
 *
 * Faces, grouped by source (each face's int8 outputs of all four age models, computed through the
 * library's public API `createEstimator` + `estimate(rgba, { box })`, and its box side in pixels):
 * - utkface: the UTKFace dev chips (../shared/data/utkface-dev, 200x200), whole chip = face box;
 * - portraits: the Congress portraits (../shared/data/portraits-dev) with tight (`hard`) labels,
 *   face found by the library's detector (default options), box by faceBoxFromYunet
 *   (src/face-box.ts) as the estimator ships. The 378 `term_heuristic` portraits, whose labels can
 *   be years too old (reused older photos), are 'portraits-noisy': never fitted or selected on,
 *   only reported (with them in the fit, the default was 1.3 y worse than age-megaage-asian on the
 *   tight labels);
 * - small: the chips shrunk (antialiased) to 40, 56, 80, 112 and 160 px, whole image = face box;
 * - scenes: the chips pasted at 40-200 px (log-uniform) into 800x600 JPEG scenes, found by the
 *   detector (minFaceSize 32), box by faceBoxFromYunet;
 * - augmented: the chips blurred, re-compressed as JPEG (quality 12), noisy, in low light and
 *   under a colour cast (each chip once per kind), whole chip = face box.
 *
 * Candidate families: a single model's raw output; linear stacking of 1-4 models, with or without
 * hinges on each model's own output (at 20 and 45 y: a soft gate on the model's reading; knots
 * at 15, 30, 50 and 70 y were tried and never chosen), with
 * or without a face-size term s = max(0, log2(128 / side)) and its interactions
 * s × output (a gate on size); least squares or least absolute deviations; every source weighted
 * equally, or reweighted towards the worst source over a few rounds (the objective's minimax aim
 * inside the fit). Families with a size term are also fitted for size consistency: each chip
 * shrunk to 40-160 px should get the age the same chip gets at 200 px (issue 14: ages that do not
 * depend on face size; fitting the small faces' labels alone overshot them). Selection is nested: 5 outer folds grouped by identity (every variant of a chip lies in
 * one fold), a 4-fold inner CV on the outer training part picks the family, which is fitted there
 * and scored on the outer held-out part; the default is the family most outer folds chose, fitted
 * on every face. The objective, per source: MAE minus the best single
 * official model's MAE on that source; minimise the worst source, then the mean (worst sources
 * within 0.05 y count as tied). The cost of a family is its network runs per face (its number of
 * models); the same nested procedure restricted to 1, 2, 3 and 4 runs says what each run buys.
 * The default is chosen among the families of age-wiki and age-megaage-asian (DEFAULT_MODELS:
 * two engine slots, and the weights the Worker and browser examples bundle for 'auto') that have
 * a size term (one fold once chose a family without, and the 40 px faces paid for it).
 *
 * Features are cached in build/fit-default-features.json (--refresh recomputes them: about 3
 * minutes); the nested CV takes about 10 more (progress on stderr). --write writes
 * src/auto-model.ts and docs/accuracy.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/decode.js';
import { type DetectOptions, type Detection, Detector } from '../src/detector.js';
import { Engine } from '../src/engine.js';
import { type AgeCombination, combinationFeatures, combineAges } from '../src/ensemble.js';
import { faceBoxFromYunet } from '../src/face-box.js';
import { createEstimator } from '../src/index.js';
import { AGE_MODELS, type AgeModelName } from '../src/models.js';
import type { Box, Rgba } from '../src/types.js';
import { Rng } from '../test/helpers/rng.js';
import { DEV_FACES_DIR } from './dev-faces.js';
import type { BgrImage } from '../src/oracle/yunet-f32.js';
import { bgrToRgba, blurBgr, encodeJpeg, loadBgr, mapBgr, pasteBgr, resizeBgr, rgbaToBgr } from './scenes.js';

const ROOT = new URL('../', import.meta.url);
export const PORTRAITS_DIR = fileURLToPath(new URL('../../shared/data/portraits-dev/', import.meta.url));
const CACHE = new URL('build/fit-default-features.json', ROOT);

/** The sources the default is selected and fitted on. */
export const SOURCES = ['utkface', 'portraits', 'small', 'scenes', 'augmented'] as const;
/** Every source: the fitted ones and the report-only noisy portraits. */
export const ALL_SOURCES = [...SOURCES, 'portraits-noisy'] as const;
export type Source = (typeof ALL_SOURCES)[number];
/** Sizes (px) the chips are shrunk to for the 'small' source. */
export const SMALL_SIZES = [40, 56, 80, 112, 160];
const AUGMENTATIONS = ['blur', 'jpeg', 'noise', 'low light', 'colour cast'] as const;
const SCENE = { width: 800, height: 600, faces: 6, minSide: 40, maxSide: 200, minFaceSize: 32, quality: 90 };

/** One face: where it comes from, its label, its box side and every age model's int8 output. */
export interface FaceRow {
  source: Source;
  /** The person (source image) it shows: every variant of one chip shares it (folds group by it). */
  group: string;
  /** Variant: the size in 'small', the augmentation, the portrait's bound_type. */
  detail: string;
  age: number;
  side: number;
  out: Record<AgeModelName, number>;
}

// ---- features ------------------------------------------------------------------------------------

type Outputs = (img: Rgba, box: Box) => Promise<Record<AgeModelName, number>>;

/** Every age model's output for a face box, through the library's estimator (one per model). */
async function modelOutputs(): Promise<Outputs> {
  const estimators = await Promise.all(AGE_MODELS.map((model) => createEstimator({ model })));
  return async (img, box) => {
    const out = {} as Record<AgeModelName, number>;
    for (const [i, model] of AGE_MODELS.entries()) {
      out[model] = (await estimators[i].estimate({ ...img, format: 'rgba' }, { box }))[0].age;
    }
    return out;
  };
}

async function loadDetector(): Promise<{ detect(img: Rgba, options?: DetectOptions): Detection[] }> {
  const detector = await Detector.create(readFileSync(new URL('build/yunet-simd.wasm', ROOT)), new Uint8Array(readFileSync(new URL('weights/yunet.yunf', ROOT))));
  // The detector reads its working image from an SSR-Net engine holding the photo, as the estimator's does.
  const engine = await Engine.create(readFileSync(new URL('build/ssrnet-simd.wasm', ROOT)));
  return {
    detect(img, options) {
      engine.setImage(img);
      return detector.detect(engine, options);
    },
  };
}

/** The face box the estimator uses for a detection (chip convention). */
function shippedBox(d: Detection): Box {
  return faceBoxFromYunet({ ...d.box, landmarks: Object.values(d.landmarks) });
}

const whole = (img: { width: number; height: number }): Box => ({ x: 0, y: 0, width: img.width, height: img.height });

function progress(what: string, done: number, total: number): void {
  if (done === total || done % 50 === 0) process.stderr.write(`  ${what}: ${done}/${total}\n`);
}

function utkLabels(): { file: string; age: number }[] {
  return readFileSync(`${DEV_FACES_DIR}labels.csv`, 'utf8').trim().split(/\r?\n/).slice(1).map((l) => {
    const [file, age] = l.split(',');
    return { file, age: Number(age) };
  });
}

function portraitLabels(): { file: string; age: number; bound: string }[] {
  const [header, ...lines] = readFileSync(`${PORTRAITS_DIR}labels.csv`, 'utf8').trim().split(/\r?\n/);
  const col = header.split(',');
  return lines.map((l) => {
    const f = l.split(',');
    return { file: f[col.indexOf('file')], age: Number(f[col.indexOf('age')]), bound: f[col.indexOf('bound_type')] };
  });
}

/** Standard normal samples (Box-Muller) from a seeded generator. */
function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
}

/** The in-the-wild variant `kind` of a chip. */
async function augment(img: BgrImage, kind: (typeof AUGMENTATIONS)[number], rng: Rng): Promise<BgrImage> {
  switch (kind) {
    case 'blur':
      return blurBgr(img, 2);
    case 'jpeg':
      return rgbaToBgr(await decodeImage(encodeJpeg(img, 12)));
    case 'noise':
      return mapBgr(img, (v) => v + 15 * gaussian(rng));
    case 'low light':
      // A quarter of the light, sensor noise, then the camera's brightening: few levels, much noise.
      return mapBgr(img, (v) => 3 * (Math.round(v * 0.25 + 2 * gaussian(rng))));
    case 'colour cast': {
      const gains = rng.float() < 0.5 ? [0.7, 0.95, 1.2] : [1.2, 1.0, 0.8]; // B, G, R: tungsten or shade
      return mapBgr(img, (v, c) => v * gains[c]);
    }
  }
}

/** Computes every source's rows (minutes: ~12 000 network runs and 50 detections of scenes). */
export async function collectRows(): Promise<FaceRow[]> {
  const outputs = await modelOutputs();
  const detector = await loadDetector();
  const rows: FaceRow[] = [];
  const utk = utkLabels();
  const chips = await Promise.all(utk.map(async (f) => rgbaToBgr(await decodeImage(new Uint8Array(readFileSync(`${DEV_FACES_DIR}${f.file}`))))));

  for (const [i, f] of utk.entries()) {
    const img = bgrToRgba(chips[i]);
    rows.push({ source: 'utkface', group: f.file, detail: '200', age: f.age, side: 200, out: await outputs(img, whole(img)) });
    progress('utkface', i + 1, utk.length);
  }

  const portraits = portraitLabels();
  let missed = 0;
  for (const [i, p] of portraits.entries()) {
    const img = await decodeImage(new Uint8Array(readFileSync(`${PORTRAITS_DIR}${p.file}`)));
    const [d] = detector.detect(img);
    if (d) {
      const box = shippedBox(d);
      rows.push({ source: p.bound === 'hard' ? 'portraits' : 'portraits-noisy', group: p.file, detail: p.bound, age: p.age, side: Math.sqrt(box.width * box.height), out: await outputs(img, box) });
    } else missed++;
    progress('portraits', i + 1, portraits.length);
  }
  if (missed) process.stderr.write(`  portraits: no face found in ${missed}\n`);

  for (const [i, f] of utk.entries()) {
    for (const size of SMALL_SIZES) {
      const img = bgrToRgba(resizeBgr(chips[i], size, size));
      rows.push({ source: 'small', group: f.file, detail: String(size), age: f.age, side: size, out: await outputs(img, whole(img)) });
    }
    progress('small', i + 1, utk.length);
  }

  const rng = new Rng(13);
  const backgrounds = await Promise.all(['rocket.jpg', 'coffee.png', 'chelsea.png'].map((b) => loadBgr(new URL(`test/fixtures/images/${b}`, ROOT))));
  let found = 0;
  for (let start = 0; start < utk.length; start += SCENE.faces) {
    const canvas = resizeBgr(backgrounds[(start / SCENE.faces) % backgrounds.length], SCENE.width, SCENE.height);
    const placed: { k: number; x: number; y: number; size: number }[] = [];
    for (let k = start; k < Math.min(utk.length, start + SCENE.faces); k++) {
      const size = Math.round(SCENE.minSide * (SCENE.maxSide / SCENE.minSide) ** rng.float());
      for (let attempt = 0; attempt < 10000; attempt++) {
        const x = rng.int(0, SCENE.width - size);
        const y = rng.int(0, SCENE.height - size);
        const pad = 8;
        if (placed.some((p) => x < p.x + p.size + pad && p.x < x + size + pad && y < p.y + p.size + pad && p.y < y + size + pad)) continue;
        placed.push({ k, x, y, size });
        pasteBgr(canvas, resizeBgr(chips[k], size, size), x, y);
        break;
      }
    }
    // The scene as a user's photo: JPEG bytes, decoded by the library's decoder.
    const img = await decodeImage(encodeJpeg(canvas, SCENE.quality));
    const detections = detector.detect(img, { minFaceSize: SCENE.minFaceSize }).map(shippedBox);
    for (const p of placed) {
      const cx = p.x + p.size / 2;
      const cy = p.y + p.size / 2;
      // The detection centred on this chip, of about its size.
      const box = detections.find((b) => Math.abs(b.x + b.width / 2 - cx) < p.size / 4 && Math.abs(b.y + b.height / 2 - cy) < p.size / 4 && b.width > p.size / 2 && b.width < p.size * 2);
      if (!box) continue;
      found++;
      const f = utk[p.k];
      rows.push({ source: 'scenes', group: f.file, detail: String(p.size), age: f.age, side: Math.sqrt(box.width * box.height), out: await outputs(img, box) });
    }
    progress('scenes (chips placed)', Math.min(utk.length, start + SCENE.faces), utk.length);
  }
  process.stderr.write(`  scenes: ${found} of ${utk.length} pasted chips found\n`);

  const augRng = new Rng(14);
  for (const [i, f] of utk.entries()) {
    for (const kind of AUGMENTATIONS) {
      const img = bgrToRgba(await augment(chips[i], kind, augRng));
      rows.push({ source: 'augmented', group: f.file, detail: kind, age: f.age, side: 200, out: await outputs(img, whole(img)) });
    }
    progress('augmented', i + 1, utk.length);
  }
  return rows;
}

/** The rows, from the cache unless `refresh` (or there is none). */
export async function loadRows(refresh = false): Promise<FaceRow[]> {
  if (!refresh && existsSync(CACHE)) return JSON.parse(readFileSync(CACHE, 'utf8'));
  const rows = await collectRows();
  mkdirSync(new URL('build/', ROOT), { recursive: true });
  writeFileSync(CACHE, JSON.stringify(rows));
  return rows;
}

/** True when both dev collections are present. */
export function haveFitData(): boolean {
  return existsSync(`${DEV_FACES_DIR}labels.csv`) && existsSync(`${PORTRAITS_DIR}labels.csv`);
}

// ---- families and fitting ------------------------------------------------------------------------

/** A candidate: a single model's raw output, or a fitted combination's form and loss. */
export type Family =
  | { kind: 'raw'; models: [AgeModelName] }
  | ({ kind: 'fit'; loss: 'l2' | 'l1'; balance: 'equal' | 'minimax' } & Omit<AgeCombination, 'coefficients'>);

const HINGE_SETS = [[], [20, 45]];
/** Minimax reweighting: rounds, and the weight factor per year of a source's gap. */
const MINIMAX = { rounds: 6, eta: 1 };
/**
 * Where the size term starts. 256 px was a candidate too: it puts the 200-px chips themselves under
 * the term, and the folds that chose it read 40-px faces 0.6-1.2 y worse (nested CV, 2026-12-07).
 */
const SIZE_KNOTS = [128];
/** Ridge on the slopes (relative to the total weight) to keep small fits well-posed. */
const RIDGE = 1e-4;

/** Network runs per face. */
export const cost = (f: Family) => f.models.length;

export function describe(f: Family): string {
  if (f.kind === 'raw') return `${f.models[0]} alone`;
  const size = f.sizeKnot === null ? '' : `, size term below ${f.sizeKnot} px${f.sizeSlopes ? ' with slopes' : ''}`;
  const balance = f.balance === 'minimax' ? ', sources reweighted (minimax)' : '';
  return `${f.loss} ${f.hinges.length ? 'hinged ' : ''}linear of ${f.models.join(' + ')}${size}${balance}`;
}

function subsets(): AgeModelName[][] {
  const out: AgeModelName[][] = [];
  const m = [...AGE_MODELS];
  for (let mask = 1; mask < 1 << m.length; mask++) out.push(m.filter((_, i) => mask & (1 << i)));
  return out;
}

export function candidateFamilies(): Family[] {
  const families: Family[] = AGE_MODELS.map((m) => ({ kind: 'raw', models: [m] }));
  const sizes: [number | null, boolean][] = [[null, false], ...SIZE_KNOTS.flatMap((k): [number, boolean][] => [[k, false], [k, true]])];
  for (const models of subsets()) {
    for (const hinges of HINGE_SETS) {
      for (const [sizeKnot, sizeSlopes] of sizes) {
        for (const loss of ['l2', 'l1'] as const) {
          for (const balance of ['equal', 'minimax'] as const) families.push({ kind: 'fit', models, hinges, sizeKnot, sizeSlopes, loss, balance });
        }
      }
    }
  }
  return families;
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

/** The feature row of a face for a fitted family (the library's own feature code). */
function featuresOf(f: Extract<Family, { kind: 'fit' }>, r: FaceRow): number[] {
  return combinationFeatures(f, f.models.map((m) => r.out[m]), { side: r.side });
}

/** A fitted candidate: its family and, for 'fit', the combination. */
export interface Fitted {
  family: Family;
  combination?: AgeCombination;
}

/**
 * Size consistency: the weight (one source's worth) of pseudo-rows that ask a chip shrunk to a
 * small size for the age the same chip gets at 200 px — (x_small − x_full) · c = 0 — so the size
 * term corrects what shrinking does to the models' readings instead of fitting the labels of small
 * faces (which alone overshot: +2.0 y signed at 40 px against −2.9 y at 200 px).
 */
const CONSISTENCY_WEIGHT = 1;

/** Each 'small' row with the 'utkface' row of the same chip, when both are in `rows`. */
function sizePairs(rows: FaceRow[]): [number, number][] {
  const full = new Map<string, number>();
  rows.forEach((r, i) => {
    if (r.source === 'utkface') full.set(r.group, i);
  });
  return rows.flatMap((r, i): [number, number][] => (r.source === 'small' && full.has(r.group) ? [[i, full.get(r.group)!]] : []));
}

/**
 * Weighted least squares (for 'l1', reweighted towards least absolute deviations: IRLS); rows
 * weighted by their source, plus the size-consistency pseudo-rows of `pairs` (target 0).
 */
function fitWeighted(loss: 'l1' | 'l2', x: number[][], rows: FaceRow[], sourceWeight: Map<Source, number>, pairs: [number, number][]): number[] {
  const diffs = pairs.map(([small, full]) => x[small].map((v, i) => v - x[full][i]));
  const design = [...x, ...diffs];
  const targets = [...rows.map((r) => r.age), ...diffs.map(() => 0)];
  const base = [...rows.map((r) => sourceWeight.get(r.source)!), ...diffs.map(() => CONSISTENCY_WEIGHT / diffs.length)];
  const d = x[0].length;
  const total = base.reduce((s, v) => s + v, 0);
  let w = base.slice();
  let coefficients: number[] = [];
  for (let iter = 0; iter < (loss === 'l1' ? 15 : 1); iter++) {
    const a = Array.from({ length: d }, () => new Array(d).fill(0));
    const b = new Array(d).fill(0);
    for (let r = 0; r < design.length; r++) {
      const f = design[r];
      for (let i = 0; i < d; i++) {
        const wf = w[r] * f[i];
        b[i] += wf * targets[r];
        for (let j = i; j < d; j++) a[i][j] += wf * f[j];
      }
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) a[i][j] = a[j][i];
    for (let i = 1; i < d; i++) a[i][i] += RIDGE * total * (1 + a[i][i] / total);
    coefficients = solve(a, b);
    w = design.map((f, r) => base[r] / Math.max(0.5, Math.abs(f.reduce((s, v, i) => s + v * coefficients[i], 0) - targets[r])));
  }
  return coefficients;
}

/**
 * Fits a family on rows. 'equal': every source carries the same total weight. 'minimax': the
 * objective's own aim in the fit — after each fit, every source's weight is multiplied by
 * exp(eta × its gap to the best single model), for a few rounds; the round with the best
 * training objective is kept.
 */
export function fit(family: Family, rows: FaceRow[]): Fitted {
  if (family.kind === 'raw') return { family };
  const { kind: _, loss, balance, ...form } = family;
  const x = rows.map((r) => featuresOf(family, r));
  const counts = new Map<Source, number>();
  for (const r of rows) counts.set(r.source, (counts.get(r.source) ?? 0) + 1);
  const weight = new Map([...counts].map(([s, n]) => [s, 1 / n]));
  // Only a size term can absorb what shrinking does; without one the pairs would only shrink the weights.
  const pairs = form.sizeKnot === null ? [] : sizePairs(rows);
  if (balance === 'equal') return { family, combination: { ...form, coefficients: fitWeighted(loss, x, rows, weight, pairs) } };
  const best = bestSingle(rows);
  let kept: { score: [number, number]; coefficients: number[] } | undefined;
  for (let round = 0; round < MINIMAX.rounds; round++) {
    const coefficients = fitWeighted(loss, x, rows, weight, pairs);
    const combination = { ...form, coefficients };
    const pred = rows.map((r) => combineAges(combination, form.models.map((m) => r.out[m]), { side: r.side }));
    const mae = maeBySource(rows, pred);
    const score = objective(rows, pred, best);
    if (!kept || better(score, kept.score)) kept = { score, coefficients };
    for (const [s, v] of mae) weight.set(s, weight.get(s)! * Math.exp(MINIMAX.eta * (v - best.get(s)!)));
  }
  return { family, combination: { ...form, coefficients: kept!.coefficients } };
}

/** The fitted candidate's age for a face. */
export function predict(m: Fitted, r: FaceRow): number {
  if (!m.combination) return r.out[m.family.models[0]];
  return combineAges(m.combination, m.combination.models.map((k) => r.out[k]), { side: r.side });
}

// ---- the objective and nested cross-validation ---------------------------------------------------

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/** MAE per source of predictions (same order as rows). */
function maeBySource(rows: FaceRow[], pred: number[]): Map<Source, number> {
  const out = new Map<Source, number>();
  for (const s of SOURCES) {
    const e = rows.flatMap((r, i) => (r.source === s ? [Math.abs(pred[i] - r.age)] : []));
    if (e.length) out.set(s, mean(e));
  }
  return out;
}

/** Per source, the best single official model's MAE (raw outputs: no fitting involved). */
export function bestSingle(rows: FaceRow[]): Map<Source, number> {
  const out = new Map<Source, number>();
  for (const m of AGE_MODELS) {
    for (const [s, v] of maeBySource(rows, rows.map((r) => r.out[m]))) out.set(s, Math.min(out.get(s) ?? Infinity, v));
  }
  return out;
}

/** The objective: per source MAE minus the best single model's MAE there; [worst, mean]. */
export function objective(rows: FaceRow[], pred: number[], best = bestSingle(rows)): [number, number] {
  const gaps = [...maeBySource(rows, pred)].map(([s, v]) => v - best.get(s)!);
  return [Math.max(...gaps), mean(gaps)];
}

/** Worst sources within this many years count as tied; the mean decides. */
const TIE = 0.05;
const better = (a: [number, number], b: [number, number]) => (Math.abs(a[0] - b[0]) <= TIE ? a[1] < b[1] : a[0] < b[0]);

/** Deterministic fold of each group: a seeded shuffle of the groups, then round robin. */
function groupFolds(rows: FaceRow[], k: number, seed: number): number[] {
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  const rng = new Rng(seed);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const fold = new Map(groups.map((g, i) => [g, i % k]));
  return rows.map((r) => fold.get(r.group)!);
}

/** Held-out predictions of a family by k-fold CV grouped by identity. */
function cvPredictions(family: Family, rows: FaceRow[], k: number, seed: number): number[] {
  const fold = groupFolds(rows, k, seed);
  const pred = new Array(rows.length);
  for (let f = 0; f < k; f++) {
    const m = fit(family, rows.filter((_, i) => fold[i] !== f));
    rows.forEach((r, i) => {
      if (fold[i] === f) pred[i] = predict(m, r);
    });
  }
  return pred;
}

/** Inner-CV objective of every family on these rows. */
function scoreFamilies(families: Family[], rows: FaceRow[], seed: number): [number, number][] {
  return families.map((f) => objective(rows, cvPredictions(f, rows, 4, seed)));
}

/** The best family among those `allowed`, by these scores. */
function choose(families: Family[], scores: [number, number][], allowed: (f: Family) => boolean): Family {
  let best = -1;
  families.forEach((f, i) => {
    if (allowed(f) && (best < 0 || better(scores[i], scores[best]))) best = i;
  });
  return families[best];
}

export const COSTS = [1, 2, 3, 4];
/**
 * The models the default may use: the engine has two age-model slots, and the Worker and browser
 * examples (and users of the universal entry) bundle exactly these weights for 'auto'.
 */
export const DEFAULT_MODELS: readonly AgeModelName[] = ['age-wiki', 'age-megaage-asian'];
/** The choices the nested CV reports: the default's, and one per cost cap (any models). */
const CHOICES: { key: string; allowed: (f: Family) => boolean }[] = [
  // The default must correct for face size (issue 14): photos have faces of every size.
  { key: 'default', allowed: (f) => f.kind === 'fit' && f.sizeKnot !== null && f.models.every((m) => DEFAULT_MODELS.includes(m)) },
  ...COSTS.map((c) => ({ key: String(c), allowed: (f: Family) => cost(f) <= c })),
];

/**
 * Nested CV: per outer fold (grouped by identity), every family is scored by inner CV on the
 * training part; for each cost cap the best one is fitted there and predicts the held-out part.
 */
export function nestedCv(rows: FaceRow[], outerFolds = 5): { predictions: Map<string, number[]>; chosen: Map<string, string[]> } {
  const families = candidateFamilies();
  const fold = groupFolds(rows, outerFolds, 1000);
  const predictions = new Map(CHOICES.map((c) => [c.key, new Array<number>(rows.length)]));
  const chosen = new Map(CHOICES.map((c) => [c.key, [] as string[]]));
  for (let f = 0; f < outerFolds; f++) {
    const train = rows.filter((_, i) => fold[i] !== f);
    const started = Date.now();
    const scores = scoreFamilies(families, train, 2000 + f);
    for (const c of CHOICES) {
      const family = choose(families, scores, c.allowed);
      chosen.get(c.key)!.push(describe(family));
      const m = fit(family, train);
      rows.forEach((r, i) => {
        if (fold[i] === f) predictions.get(c.key)![i] = predict(m, r);
      });
    }
    process.stderr.write(`  outer fold ${f + 1}/${outerFolds}: ${families.length} families scored in ${((Date.now() - started) / 1000).toFixed(0)} s; chose for the default ${chosen.get('default')![f]}\n`);
  }
  return { predictions, chosen };
}

/**
 * The default: the family the outer folds chose most often for it (the first fold's choice among
 * equals), fitted on all rows. A vote of the five selections is steadier than one more selection
 * on all rows: the inner scores of the leading families differ by less than their fold-to-fold
 * spread.
 */
export function fitDefault(rows: FaceRow[], cv: ReturnType<typeof nestedCv>): Fitted & { combination: AgeCombination } {
  const votes = cv.chosen.get('default')!;
  const modal = votes.reduce((a, b) => (votes.filter((v) => v === b).length > votes.filter((v) => v === a).length ? b : a));
  const family = candidateFamilies().find((f) => describe(f) === modal)!;
  const m = fit(family, rows);
  if (!m.combination) throw new Error(`the chosen default is a single raw model (${describe(family)}): write it as such by hand`);
  return m as Fitted & { combination: AgeCombination };
}

// ---- the report ----------------------------------------------------------------------------------

const DECADES = ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+'];
const decade = (age: number) => Math.min(8, Math.floor(age / 10));

interface Column {
  name: string;
  runs: number;
  pred: number[];
}

function table(header: string[], body: string[][]): string {
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const signed = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(2);

function maeOf(rows: FaceRow[], pred: number[], keep: (r: FaceRow) => boolean): number {
  const e = rows.flatMap((r, i) => (keep(r) ? [Math.abs(pred[i] - r.age)] : []));
  return e.length ? mean(e) : NaN;
}

function biasOf(rows: FaceRow[], pred: number[], keep: (r: FaceRow) => boolean): number {
  const e = rows.flatMap((r, i) => (keep(r) ? [pred[i] - r.age] : []));
  return e.length ? mean(e) : NaN;
}

/**
 * docs/accuracy.md: every model and the default, per source, per decade, per face size, per cost.
 * `auto` figures are the nested-CV predictions on the fitted sources and the final model's on the
 * report-only noisy portraits (never fitted on).
 */
export function report(rows: FaceRow[], cv: ReturnType<typeof nestedCv>, final: Fitted & { combination: AgeCombination }): string {
  const fitted = rows.filter((r) => r.source !== 'portraits-noisy');
  const cvPred = new Map(fitted.map((r, i) => [r, cv.predictions.get('default')![i]]));
  const singles: Column[] = AGE_MODELS.map((m) => ({ name: m, runs: 1, pred: rows.map((r) => r.out[m]) }));
  const auto: Column = { name: '**auto**', runs: cost(final.family), pred: rows.map((r) => cvPred.get(r) ?? predict(final, r)) };
  const columns = [...singles, auto];
  const count = (keep: (r: FaceRow) => boolean) => rows.filter(keep).length;
  const best = bestSingle(fitted);

  const bySource = table(
    ['model', 'runs', ...ALL_SOURCES.map((s) => `${s} (${count((r) => r.source === s)})`), 'mean of the 5 fitted sources', 'worst gap to best single'],
    columns.map((c) => {
      const per = ALL_SOURCES.map((s) => maeOf(rows, c.pred, (r) => r.source === s));
      const gaps = SOURCES.map((s, i) => per[i] - best.get(s)!);
      return [c.name, String(c.runs), ...per.map(f2), f2(mean(per.slice(0, SOURCES.length))), signed(Math.max(...gaps))];
    }),
  );
  const biasTable = table(
    ['model', ...ALL_SOURCES],
    columns.map((c) => [c.name, ...ALL_SOURCES.map((s) => signed(biasOf(rows, c.pred, (r) => r.source === s)))]),
  );
  const perCost = table(
    ['runs per face', ...SOURCES, 'mean', 'worst gap', 'families chosen in the 5 outer folds'],
    CHOICES.map(({ key }) => {
      const pred = cv.predictions.get(key)!;
      const per = SOURCES.map((s) => maeOf(fitted, pred, (r) => r.source === s));
      const [worst] = objective(fitted, pred);
      const chosen = [...new Set(cv.chosen.get(key))].map((d) => `${d} (${cv.chosen.get(key)!.filter((x) => x === d).length})`).join('; ');
      return [key === 'default' ? `2: ${DEFAULT_MODELS.join(' + ')} only (**auto**)` : `at most ${key}, any models`, ...per.map(f2), f2(mean(per)), signed(worst), chosen];
    }),
  );
  const decadeTables = (['utkface', 'portraits', 'portraits-noisy'] as const).map((s) => {
    const keep = (d: number) => (r: FaceRow) => r.source === s && decade(r.age) === d;
    const ds = DECADES.map((_, d) => d).filter((d) => count(keep(d)) > 0);
    return `### ${s}\n\n${table(
      ['model', ...ds.map((d) => `${DECADES[d]} (${count(keep(d))})`)],
      columns.map((c) => [c.name, ...ds.map((d) => f2(maeOf(rows, c.pred, keep(d))))]),
    )}`;
  });
  const sizes = ['200', ...SMALL_SIZES.map(String).reverse()];
  const sizeOf = (r: FaceRow) => (r.source === 'utkface' ? '200' : r.source === 'small' ? r.detail : '');
  const sizeTable = table(
    ['model', ...sizes.map((s) => `${s} px MAE / signed`)],
    columns.map((c) => [c.name, ...sizes.map((s) => `${f2(maeOf(rows, c.pred, (r) => sizeOf(r) === s))} / ${signed(biasOf(rows, c.pred, (r) => sizeOf(r) === s))}`)]),
  );
  const augTable = table(
    ['model', ...AUGMENTATIONS],
    columns.map((c) => [c.name, ...AUGMENTATIONS.map((a) => f2(maeOf(rows, c.pred, (r) => r.source === 'augmented' && r.detail === a)))]),
  );
  const sceneSizes = [[40, 70], [70, 120], [120, 201]];
  const inScene = (lo: number, hi: number) => (r: FaceRow) => r.source === 'scenes' && Number(r.detail) >= lo && Number(r.detail) < hi;
  const sceneTable = table(
    ['model', ...sceneSizes.map(([lo, hi]) => `${lo}-${hi - 1} px (${count(inScene(lo, hi))})`)],
    columns.map((c) => [c.name, ...sceneSizes.map(([lo, hi]) => `${f2(maeOf(rows, c.pred, inScene(lo, hi)))} / ${signed(biasOf(rows, c.pred, inScene(lo, hi)))}`)]),
  );
  const at = (size: string, f: typeof maeOf) => f(rows, auto.pred, (r) => sizeOf(r) === size);
  const gaps = SOURCES.map((s) => maeOf(rows, auto.pred, (r) => r.source === s) - best.get(s)!);
  const utk = maeOf(rows, auto.pred, (r) => r.source === 'utkface');
  const bestMean = Math.min(...singles.map((c) => mean(SOURCES.map((s) => maeOf(rows, c.pred, (r) => r.source === s)))));
  const autoMean = mean(SOURCES.map((s) => maeOf(rows, auto.pred, (r) => r.source === s)));
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const targets = [
    `- No worse than the best single official model on each source: ${verdict(Math.max(...gaps) <= 0)} (worst gap ${signed(Math.max(...gaps))} y, on ${SOURCES[gaps.indexOf(Math.max(...gaps))]}).`,
    `- Better than every single model overall (mean of the sources): ${verdict(autoMean < bestMean)} (${f2(autoMean)} against ${f2(bestMean)}).`,
    `- UTKFace chips MAE ≤ 9.0: ${verdict(utk <= 9)} (${f2(utk)}).`,
    `- At 40 px, MAE within 1 y of the 200 px figure: ${verdict(Math.abs(at('40', maeOf) - at('200', maeOf)) <= 1)} (${f2(at('40', maeOf))} against ${f2(at('200', maeOf))}).`,
    `- At 40 px, signed error within 2 y of the 200 px figure: ${verdict(Math.abs(at('40', biasOf) - at('200', biasOf)) <= 2)} (${signed(at('40', biasOf))} against ${signed(at('200', biasOf))}).`,
  ].join('\n');
  const inSample = rows.map((r) => predict(final, r));
  const co = final.combination.coefficients.map((v) => v.toFixed(4)).join(', ');
  return `# Accuracy of the age models

Generated by \`npx tsx tools/fit-default.ts --write\` (do not edit by hand). Every figure is the
mean absolute error (MAE) in years of the int8 engine through the library's API; **auto** figures
are nested cross-validated (5 outer folds grouped by identity, the family chosen by a 4-fold
inner CV on the training part only), so they are what a new face of the same kind gets. The
single models involve no fitting. The sources and the procedure are described at the top of
tools/fit-default.ts. Detected faces (portraits, scenes) are cropped with the box of
\`faceBoxFromYunet\` (src/face-box.ts), the estimator's box for detections.

**The default \`auto\`**: ${describe(final.family)} — ${cost(final.family)} network runs per face.
\`auto\` figures are nested cross-validated, except on portraits-noisy (never fitted on: the final
model's figures).
Coefficients (fitted on every face): ${co}.
In-sample (for reference only): ${SOURCES.map((s) => `${s} ${f2(maeOf(rows, inSample, (r) => r.source === s))}`).join(', ')}.

## Targets (issues 13 and 14), on the nested-CV figures

${targets}

## Per source

${bySource}

Mean signed error (estimate − true age):

${biasTable}

## What each network run buys

The same nested procedure with the families restricted to at most 1, 2, 3 or 4 models (each
model is one network run of about 1 ms per face). The default is chosen among the families of
${DEFAULT_MODELS.join(' and ')} only: the engine has two age-model slots, and the Worker and
browser examples (and users of the universal entry) bundle exactly these weights for \`auto\`.
The "at most 2, any models" row says what switching a model would buy.

${perCost}

## Per decade of age

portraits are the \`hard\` rows (photo dates known within about a year); portraits-noisy the
\`term_heuristic\` ones, whose labels can be years too old (../shared/data/portraits-dev/README.md).

${decadeTables.join('\n\n')}

## Per face size (UTKFace chips shrunk, whole image = face box)

${sizeTable}

## In-the-wild augmentations of the chips

${augTable}

## Chips in scenes by pasted size (MAE / signed)

${sceneTable}
`;
}

function autoModelSource(m: Fitted & { combination: AgeCombination }, rows: FaceRow[], cv: ReturnType<typeof nestedCv>): string {
  const c = m.combination;
  const pred = cv.predictions.get('default')!;
  const per = SOURCES.map((s) => `${s} ${f2(maeOf(rows, pred, (r) => r.source === s))}`).join(', ');
  return `/**
 * The 'auto' age model: ${describe(m.family)}.
 * Generated by tools/fit-default.ts from ${rows.length} faces of five sources (UTKFace dev chips,
 * Congress portraits with tight labels, chips shrunk to 40-160 px, chips in scenes, augmented chips); nested
 * cross-validated MAE per source: ${per} y (docs/accuracy.md). Do not edit: rerun the tool.
 */
import type { AgeCombination } from './ensemble.js';

export const AUTO_MODEL: AgeCombination = {
  models: ${JSON.stringify(c.models)},
  hinges: ${JSON.stringify(c.hinges)},
  sizeKnot: ${JSON.stringify(c.sizeKnot)},
  sizeSlopes: ${c.sizeSlopes},
  coefficients: ${JSON.stringify(c.coefficients.map((v) => Number(v.toPrecision(10))))},
};
`;
}

async function main(): Promise<void> {
  if (!haveFitData()) {
    console.error('the dev collections (../shared/data/utkface-dev and portraits-dev) are needed');
    process.exit(1);
  }
  process.stderr.write('features (int8 outputs of the four age models per face)…\n');
  const rows = await loadRows(process.argv.includes('--refresh'));
  for (const s of ALL_SOURCES) process.stderr.write(`  ${s}: ${rows.filter((r) => r.source === s).length} faces\n`);
  const fitted = rows.filter((r) => r.source !== 'portraits-noisy');
  process.stderr.write(`nested cross-validation over ${candidateFamilies().length} families…\n`);
  const cv = nestedCv(fitted);
  const final = fitDefault(fitted, cv);
  const doc = report(rows, cv, final);
  console.log(doc);
  if (process.argv.includes('--write')) {
    writeFileSync(new URL('src/auto-model.ts', ROOT), autoModelSource(final, fitted, cv));
    writeFileSync(new URL('docs/accuracy.md', ROOT), doc);
    console.error('wrote src/auto-model.ts and docs/accuracy.md');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
