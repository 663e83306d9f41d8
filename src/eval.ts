/**
 * Accuracy of age (and gender) models on labelled faces: the labels (UTKFace file names or a CSV),
 * the metrics of the SSR-Net paper (MAE and cumulative accuracy CA(n)), the MAE per age decade,
 * gender accuracy, and the table that shows them. `ssrnet eval` (src/eval-command.ts) and
 * tools/accuracy-table.ts run the models through {@link evaluate}.
 *
 * By default every image is taken as the face crop: the whole image is the face box, widened by
 * the training margin (0.4), as the UTKFace chips and the models' training crops are; for photos,
 * `ssrnet eval --detect` lets the detector find the face instead.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { SsrnetError } from './errors.js';
import { normalizeInput } from './input.js';
import type { Rgba } from './types.js';

export type GenderLabel = 'male' | 'female';

/** One labelled image: its path, the true age in years and, when known, the gender. */
export interface LabelledFace {
  file: string;
  age: number;
  gender?: GenderLabel;
  /** Every field of its CSV row by column name, when the CSV has a header. */
  columns?: Record<string, string>;
}

/** Labels that cannot be read: a bad CSV row, an unlabelled file name, an empty source. */
export class LabelError extends Error {}

/** Image files a directory source is made of; other files (labels.csv, READMEs) are ignored. */
const IMAGE_FILE = /\.(jpe?g|png|webp|gif|bmp)$/i;

/** UTKFace names: `AGE_GENDER_RACE_DATE.jpg[.chip.jpg]`, gender 0 male / 1 female. */
const UTKFACE_NAME = /^(\d{1,3})_([01])_/;

/**
 * The age and gender in a UTKFace file name (`AGE_GENDER_RACE_*`), or null for other names.
 *
 * @example
 * ```ts
 * parseUtkfaceName('42_1_0_20170104165810521.jpg.chip.jpg') // { age: 42, gender: 'female' }
 * ```
 */
export function parseUtkfaceName(name: string): { age: number; gender: GenderLabel } | null {
  const m = UTKFACE_NAME.exec(name);
  return m ? { age: Number(m[1]), gender: m[2] === '1' ? 'female' : 'male' } : null;
}

/**
 * The labelled faces of a directory from the names of its image files (sorted by name); every
 * image file must be named the UTKFace way.
 *
 * @throws LabelError naming the files whose names carry no labels, or when there is no image
 */
export function labelsFromFileNames(dir: string, names: string[]): LabelledFace[] {
  const images = names.filter((n) => IMAGE_FILE.test(n)).sort();
  const unlabelled = images.filter((n) => parseUtkfaceName(n) === null);
  if (unlabelled.length > 0) {
    const shown = unlabelled.slice(0, 3).join(', ') + (unlabelled.length > 3 ? `, … (${unlabelled.length} in all)` : '');
    throw new LabelError(`${dir}: no labels in the file name of ${shown} (expected UTKFace names AGE_GENDER_RACE_*.jpg, gender 0 male / 1 female; or give a CSV file,age[,gender])`);
  }
  if (images.length === 0) throw new LabelError(`${dir}: no image files (.jpg, .jpeg, .png, .webp, .gif, .bmp)`);
  return images.map((name) => ({ file: join(dir, name), ...parseUtkfaceName(name)! }));
}

/**
 * The labelled faces of a CSV. With a header row (a row naming a `file` and an `age` column), the
 * columns are found by name: `file`, `age` and optionally `gender`; other columns are kept in
 * {@link LabelledFace.columns} (for `ssrnet eval --by COLUMN`) and otherwise ignored. Without a
 * header the columns are `file,age[,gender]`. Paths are relative to the CSV's folder (or
 * absolute), ages in years (≥ 0, decimals allowed), gender `0` / `male` / `1` / `female` or
 * empty. Blank lines are skipped; fields may be wrapped in double quotes but cannot contain commas.
 *
 * @param text the CSV's contents
 * @param csvPath the CSV's path: names it in errors and anchors the relative paths
 * @throws LabelError for the first bad row, with its line number
 * @example
 * ```ts
 * parseLabelsCsv('file,age,gender,site\nface.jpg,42,1,lab\n', 'data/labels.csv')
 * // [{ file: 'data/face.jpg', age: 42, gender: 'female', columns: { file: 'face.jpg', age: '42', gender: '1', site: 'lab' } }]
 * ```
 */
export function parseLabelsCsv(text: string, csvPath: string): LabelledFace[] {
  const faces: LabelledFace[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  let index = { file: 0, age: 1, gender: 2 };
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
    const bad = (what: string) => new LabelError(`${csvPath}:${i + 1}: ${what} in '${line}'`);
    if (faces.length === 0 && header === undefined) {
      const names = fields.map((f) => f.toLowerCase());
      if (names.includes('age')) {
        if (!names.includes('file')) throw bad("a header without a 'file' column");
        if (new Set(names).size !== names.length) throw bad('a header with a repeated column name');
        header = fields;
        index = { file: names.indexOf('file'), age: names.indexOf('age'), gender: names.indexOf('gender') };
        return;
      }
    }
    if (header && fields.length !== header.length) throw bad(`expected ${header.length} columns as in the header, got ${fields.length}`);
    if (!header && (fields.length < 2 || fields.length > 3)) throw bad(`expected 2 or 3 columns (file,age[,gender]), got ${fields.length}`);
    const file = fields[index.file];
    const ageText = fields[index.age];
    const genderText = fields[index.gender] ?? '';
    if (file === '') throw bad('empty file name');
    const age = /^\d+(\.\d+)?$/.test(ageText) ? Number(ageText) : NaN;
    if (!Number.isFinite(age)) throw bad(`bad age '${ageText}' (expected a number of years, 0 or more)`);
    const gender = parseGender(genderText);
    if (gender === null) throw bad(`bad gender '${genderText}' (expected 0 or male, 1 or female, or nothing)`);
    const columns = header ? Object.fromEntries(header.map((name, k) => [name, fields[k]])) : undefined;
    faces.push({ file: isAbsolute(file) ? file : join(dirname(csvPath), file), age, ...(gender ? { gender } : {}), ...(columns ? { columns } : {}) });
  });
  if (faces.length === 0) throw new LabelError(`${csvPath}: no rows (expected file,age[,gender] per line)`);
  return faces;
}

/**
 * The faces split by the value of a CSV column (in order of first appearance).
 *
 * @throws LabelError when the faces have no such column (no header, or not named in it)
 */
export function splitByColumn(faces: LabelledFace[], column: string): { value: string; faces: LabelledFace[] }[] {
  const named = faces[0]?.columns;
  if (!named || !(column in named)) {
    const known = named ? Object.keys(named).join(', ') : 'none: the labels have no CSV header';
    throw new LabelError(`no column '${column}' to split by (columns: ${known})`);
  }
  const groups = new Map<string, LabelledFace[]>();
  for (const f of faces) {
    const v = f.columns![column];
    groups.set(v, [...(groups.get(v) ?? []), f]);
  }
  return [...groups].map(([value, group]) => ({ value, faces: group }));
}

/** UTKFace's 0 / 1 or the words; undefined for an empty field, null for anything else. */
function parseGender(text: string): GenderLabel | undefined | null {
  const t = text.toLowerCase();
  if (t === '') return undefined;
  if (t === '0' || t === 'male') return 'male';
  if (t === '1' || t === 'female') return 'female';
  return null;
}

/**
 * The labelled faces of `source`: a directory of UTKFace-named images, or a CSV file.
 *
 * @throws LabelError when the source cannot be read or holds bad labels
 */
export async function loadLabels(source: string): Promise<LabelledFace[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch (err) {
    throw new LabelError(`${source}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return isDir ? labelsFromFileNames(source, await readdir(source)) : parseLabelsCsv(await readFile(source, 'utf8'), source);
}

// ---- metrics ------------------------------------------------------------------------------------

/** The age decades of the per-decade MAE; the last one is open-ended. */
export const DECADES = ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80-89', '90+'];

/** Accuracy of age predictions. */
export interface AgeMetrics {
  /** Faces scored. */
  faces: number;
  /** Mean absolute error in years. */
  mae: number;
  /** CA(3): the share of faces (0..1) whose absolute error is below 3 years. */
  ca3: number;
  /** CA(5): likewise, below 5 years. */
  ca5: number;
  /** MAE per true-age decade ({@link DECADES}); `mae` is null for a decade without faces. */
  decades: { decade: string; faces: number; mae: number | null }[];
}

/**
 * CA(n) as defined by the SSR-Net paper (after MegaAge): K_n / K, with K_n the number of faces
 * whose absolute error is *smaller than* n years (strictly; the MegaAge-Asian evaluation script
 * of the SSR-Net authors counts ≤ n, which only differs for errors of exactly n).
 */
export function cumulativeAccuracy(errors: number[], n: number): number {
  return errors.filter((e) => Math.abs(e) < n).length / errors.length;
}

/**
 * MAE, CA(3), CA(5) and MAE per decade of `predicted` against the true `ages` (same order).
 *
 * @example
 * ```ts
 * ageMetrics([10, 30], [12, 35]).mae // 3.5
 * ```
 */
export function ageMetrics(predicted: number[], ages: number[]): AgeMetrics {
  const errors = predicted.map((p, i) => Math.abs(p - ages[i]));
  const decades = DECADES.map((decade, d) => {
    const inDecade = errors.filter((_, i) => Math.min(9, Math.floor(ages[i] / 10)) === d);
    return { decade, faces: inDecade.length, mae: inDecade.length ? mean(inDecade) : null };
  });
  return { faces: errors.length, mae: mean(errors), ca3: cumulativeAccuracy(errors, 3), ca5: cumulativeAccuracy(errors, 5), decades };
}

/**
 * The share of faces whose predicted gender is the true one, over the faces with a gender label
 * (null when none has one).
 */
export function genderAccuracy(predicted: GenderLabel[], actual: (GenderLabel | undefined)[]): { faces: number; accuracy: number | null } {
  const labelled = actual.filter((g) => g !== undefined).length;
  const correct = predicted.filter((p, i) => p === actual[i]).length;
  return { faces: labelled, accuracy: labelled ? correct / labelled : null };
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

// ---- running the models -------------------------------------------------------------------------

/** How a model is run: the int8 WebAssembly engine, or the float oracle on the Keras weights. */
export type EngineKind = 'int8' | 'float';

/** An age model under evaluation: its name and its answer for one decoded face image. */
export interface AgeContender {
  model: string;
  engine: EngineKind;
  age(image: Rgba): number | Promise<number>;
}

/** A gender model under evaluation. */
export interface GenderContender {
  model: string;
  engine: EngineKind;
  gender(image: Rgba): GenderLabel | Promise<GenderLabel>;
}

/** What {@link evaluate} found. */
export interface EvalReport {
  /** Faces scored (every labelled face that could be read and estimated). */
  faces: number;
  /** Faces skipped because their file failed, with the reason. */
  failed: { file: string; error: { code: string; message: string } }[];
  age: (AgeMetrics & { model: string; engine: EngineKind })[];
  gender: { model: string; engine: EngineKind; faces: number; accuracy: number | null }[];
}

/**
 * Reads and decodes each face once, runs every contender on it, and scores them. A face whose
 * file cannot be read or decoded (or that a model fails on) is left out of every score and
 * listed in `failed`.
 *
 * @param onFace called after each face, with the number done so far
 */
export async function evaluate(
  faces: LabelledFace[],
  contenders: { age: AgeContender[]; gender: GenderContender[] },
  onFace: (done: number) => void = () => {},
): Promise<EvalReport> {
  const scored: LabelledFace[] = [];
  const ages: number[][] = contenders.age.map(() => []);
  const genders: GenderLabel[][] = contenders.gender.map(() => []);
  const failed: EvalReport['failed'] = [];
  for (const [i, face] of faces.entries()) {
    try {
      const image = await readFace(face.file);
      const faceAges = await Promise.all(contenders.age.map((c) => c.age(image)));
      const faceGenders = await Promise.all(contenders.gender.map((c) => c.gender(image)));
      scored.push(face);
      faceAges.forEach((a, k) => ages[k].push(a));
      faceGenders.forEach((g, k) => genders[k].push(g));
    } catch (err) {
      failed.push({ file: face.file, error: describeError(err) });
    }
    onFace(i + 1);
  }
  const trueAges = scored.map((f) => f.age);
  const trueGenders = scored.map((f) => f.gender);
  return {
    faces: scored.length,
    failed,
    age: contenders.age.map((c, k) => ({ model: c.model, engine: c.engine, ...ageMetrics(ages[k], trueAges) })),
    gender: contenders.gender.map((c, k) => ({ model: c.model, engine: c.engine, ...genderAccuracy(genders[k], trueGenders) })),
  };
}

/** A face file decoded to RGBA (the library's decoder and checks); READ_FAILED when unreadable. */
async function readFace(file: string): Promise<Rgba> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new EvalError('READ_FAILED', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return normalizeInput(bytes);
}

/** A face-level failure outside SsrnetErrorCode: an unreadable file, or no face found in it. */
export class EvalError extends Error {
  constructor(
    readonly code: 'READ_FAILED' | 'NO_FACE',
    message: string,
  ) {
    super(message);
  }
}

function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof SsrnetError || err instanceof EvalError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

// ---- the table ----------------------------------------------------------------------------------

/**
 * The report as a table: one row per age model (faces, MAE, CA(3), CA(5), then the MAE per
 * decade of the true age, and a last row with the number of faces per decade), then one row per
 * gender model. `'text'` aligns columns for a terminal; `'markdown'` is a GitHub table.
 */
export function formatReport(report: EvalReport, style: 'text' | 'markdown' = 'text'): string {
  const ageRows = report.age.map((r) => [
    r.model, r.engine, String(r.faces), r.mae.toFixed(2), percent(r.ca3), percent(r.ca5),
    ...r.decades.map((d) => (d.mae === null ? '—' : d.mae.toFixed(1))),
  ]);
  const counts = (report.age[0]?.decades ?? []).map((d) => String(d.faces));
  if (counts.length > 0) ageRows.push(['faces per decade', '', '', '', '', '', ...counts]);
  const tables = [table(['model', 'engine', 'faces', 'MAE', 'CA(3)', 'CA(5)', ...DECADES], ageRows, style)];
  if (report.gender.length > 0) {
    const genderRows = report.gender.map((r) => [r.model, r.engine, String(r.faces), r.accuracy === null ? '—' : percent(r.accuracy)]);
    tables.push(table(['gender model', 'engine', 'faces', 'accuracy'], genderRows, style));
  }
  return tables.join('\n');
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Columns padded to their widest cell (text; numbers right-aligned) or a Markdown table. */
function table(header: string[], rows: string[][], style: 'text' | 'markdown'): string {
  if (style === 'markdown') {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const align = header.map((_, i) => (i < 2 ? '---' : '---:'));
    return [line(header), line(align), ...rows.map(line)].join('\n') + '\n';
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
