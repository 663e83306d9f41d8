/**
 * `ssrnet eval DIR_OR_CSV [--model NAME|all] [--gender[=NAME|all]] [--by COLUMN] [--detect] [--json] [--simd auto|on|off]`:
 * the accuracy of the int8 engine's models on labelled face crops (src/eval.ts). The float
 * oracle's rows need the Keras files and h5wasm of a source checkout: tools/accuracy-table.ts.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { UsageError, parseOrReport, parseSimdOption } from './cli-usage.js';
import { type AgeContender, EvalError, type EvalReport, type GenderContender, LabelError, evaluate, formatReport, loadLabels, splitByColumn } from './eval.js';
import { type Estimator, SsrnetError, createEstimator } from './index.js';
import { AGE_MODELS, type AgeModelChoice, DEFAULT_AGE_MODEL, DEFAULT_GENDER_MODEL, GENDER_MODELS, type GenderModelName } from './models.js';
import { DEFAULT_MARGIN, wholeImageBox } from './preprocess.js';
import type { Rgba } from './types.js';

/** The age models of `--model all`: the four single models, then 'auto'. */
const ALL_AGE_MODELS: AgeModelChoice[] = [...AGE_MODELS, 'auto'];

/** The eval part of `ssrnet --help`. */
export const EVAL_USAGE = `Usage: ssrnet eval DIR_OR_CSV [options]

Measures age (and gender) accuracy on labelled face crops: the whole image is the face box
(margin 0.4), or with --detect the best face the detector finds in each image (photos). Labels come from UTKFace file names in DIR (AGE_GENDER_RACE_*.jpg, gender 0 male,
1 female) or from a CSV (paths relative to the CSV): with a header row, the columns named file,
age and gender (optional) are read and the others ignored; without one, file,age[,gender].
Prints MAE, CA(3) and CA(5) (share of faces with |error| < 3 or 5 years) and the MAE per decade
of age.

Options:
  --model NAME|all      age model (default ${DEFAULT_AGE_MODEL}): auto,
                        ${AGE_MODELS.join(', ')};
                        all: the four models and auto in one table (int8 engine; float rows:
                        npx tsx tools/accuracy-table.ts in a source checkout)
  --gender[=NAME|all]   also measure gender accuracy, with model NAME (default ${DEFAULT_GENDER_MODEL})
                        or all three
  --by COLUMN           one table per value of this CSV column (e.g. bound_type)
  --detect              find the face in each image (default detector settings) instead of
                        taking the whole image as the face; an image without one fails
  --simd auto|on|off    engine build, as for estimate
  --json                print the results as one JSON object
`;

interface EvalOptions {
  source: string;
  models: AgeModelChoice[];
  genders: GenderModelName[];
  json: boolean;
  simd: 'auto' | boolean;
  /** Split the faces by this CSV column. */
  by: string | undefined;
  /** Find the face with the detector instead of taking the whole image. */
  detect: boolean;
}

/**
 * Runs `ssrnet eval` with the arguments after `eval`; resolves to the exit status: 0 all faces
 * scored, 1 some face failed or the labels cannot be read, 2 usage error.
 */
export async function evalCommand(argv: string[]): Promise<number> {
  const options = parseOrReport(() => parseEvalArgs(argv), 'ssrnet eval --help');
  if (options === undefined) return 2;
  if (options === 'help') {
    process.stdout.write(EVAL_USAGE);
    return 0;
  }
  const reports: { value?: string; report: EvalReport }[] = [];
  try {
    const faces = await loadLabels(options.source);
    const groups = options.by === undefined ? [{ value: undefined, faces }] : splitByColumn(faces, options.by);
    const contenders = await createContenders(options);
    const progress = progressBar(faces.length);
    let done = 0;
    for (const group of groups) {
      reports.push({ value: group.value, report: await evaluate(group.faces, contenders, (n) => progress.update(done + n)) });
      done += group.faces.length;
    }
    progress.stop();
  } catch (err) {
    if (!(err instanceof LabelError) && !(err instanceof SsrnetError)) throw err;
    process.stderr.write(`ssrnet: ${err instanceof SsrnetError ? `${err.code}: ` : ''}${err.message}\n`);
    return 1;
  }
  const failed = reports.flatMap((r) => r.report.failed);
  for (const { file, error } of failed) process.stderr.write(`ssrnet: ${file}: ${error.code}: ${error.message}\n`);
  if (reports.every((r) => r.report.faces === 0)) {
    process.stderr.write('ssrnet: no face could be evaluated\n');
    return 1;
  }
  if (options.json) {
    const caDefinition = 'CA(n): share of faces with |estimated - true age| < n years (SSR-Net paper)';
    const head = { source: options.source, margin: DEFAULT_MARGIN, detect: options.detect, caDefinition };
    const body = options.by === undefined ? reports[0].report : { by: options.by, groups: reports.map((r) => ({ value: r.value, ...r.report })) };
    process.stdout.write(`${JSON.stringify({ ...head, ...body }, null, 2)}\n`);
  } else {
    const total = reports.reduce((s, r) => s + r.report.faces, 0);
    const boxes = options.detect ? 'the best face found in each image' : 'each whole image is the face box';
    process.stdout.write(`${total} faces from ${options.source}; ${boxes}, margin ${DEFAULT_MARGIN}\n\n`);
    for (const { value, report } of reports) {
      if (options.by !== undefined) process.stdout.write(`${options.by} = ${value}: ${report.faces} faces\n`);
      process.stdout.write(`${formatReport(report)}\n`);
    }
    process.stdout.write('MAE in years, overall and per decade of the true age. CA(n): share of faces with |error| < n years.\n');
    if (options.models.length > 1) process.stdout.write('Float oracle rows (the Keras models in float32): npx tsx tools/accuracy-table.ts, in a source checkout.\n');
  }
  return failed.length === 0 ? 0 : 1;
}

function parseEvalArgs(argv: string[]): EvalOptions | 'help' {
  // As for estimate: `--gender=NAME` is `--gender-model NAME`, a plain `--gender` stays a flag.
  const args = argv.map((a) => (a.startsWith('--gender=') ? `--gender-model=${a.slice('--gender='.length)}` : a));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      gender: { type: 'boolean' },
      'gender-model': { type: 'string' },
      json: { type: 'boolean' },
      simd: { type: 'string' },
      by: { type: 'string' },
      detect: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`expected one DIR_OR_CSV, got ${positionals.length}`);
  const model = values.model ?? DEFAULT_AGE_MODEL;
  const models = model === 'all' ? ALL_AGE_MODELS : ALL_AGE_MODELS.filter((m) => m === model);
  if (models.length === 0) throw new UsageError(`unknown --model '${model}' (expected all, auto or one of ${AGE_MODELS.join(', ')})`);
  const gender = values['gender-model'] ?? (values.gender ? DEFAULT_GENDER_MODEL : undefined);
  const genders = gender === undefined ? [] : gender === 'all' ? [...GENDER_MODELS] : GENDER_MODELS.filter((g) => g === gender);
  if (gender !== undefined && genders.length === 0) {
    throw new UsageError(`unknown gender model '${gender}' (expected all or one of ${GENDER_MODELS.join(', ')})`);
  }
  const simd = parseSimdOption(values.simd);
  if (values.by === '') throw new UsageError('--by needs a column name');
  return { source: positionals[0], models, genders, json: values.json ?? false, simd, by: values.by, detect: values.detect ?? false };
}

/**
 * The int8 engine's contenders: one library estimator per model, each seeing the whole image as
 * the face box with the training margin (or, with `detect`, the best face the detector finds).
 */
export async function createContenders(
  options: Pick<EvalOptions, 'models' | 'genders' | 'simd'> & { detect?: boolean },
): Promise<{ age: AgeContender[]; gender: GenderContender[] }> {
  const face = (estimator: Estimator, image: Rgba) => (options.detect ? detectedFace(estimator, image) : estimateWhole(estimator, image));
  const age: AgeContender[] = [];
  for (const model of options.models) {
    const estimator = await createEstimator({ model, simd: options.simd });
    age.push({ model, engine: 'int8', age: async (image) => (await face(estimator, image)).age });
  }
  const gender: GenderContender[] = [];
  for (const model of options.genders) {
    // The cheapest single age model rides along: an estimator always has one.
    const estimator = await createEstimator({ model: 'age-wiki', gender: model, simd: options.simd });
    gender.push({ model, engine: 'int8', gender: async (image) => (await face(estimator, image)).gender!.label });
  }
  return { age, gender };
}

/** The estimate for a face crop: the whole image is the face box, with the training margin. */
async function estimateWhole(estimator: Estimator, image: Rgba) {
  const [face] = await estimator.estimate({ ...image, format: 'rgba' }, { box: wholeImageBox(image), margin: DEFAULT_MARGIN });
  return face;
}

/** The estimate for the best-scoring face the detector finds (default settings); NO_FACE when none. */
async function detectedFace(estimator: Estimator, image: Rgba) {
  const [face] = await estimator.estimate({ ...image, format: 'rgba' });
  if (!face) throw new EvalError('NO_FACE', 'the detector found no face');
  return face;
}

/**
 * A progress bar of `total` faces on stderr (cli-progress); it does nothing when stderr is not a
 * terminal, so logs and pipes get no control characters.
 */
export function progressBar(total: number): { update: (done: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'eval [{bar}] {value}/{total} faces, {eta_formatted} left', clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
