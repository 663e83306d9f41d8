#!/usr/bin/env node
/**
 * The `ssrnet` command line.
 *
 *   ssrnet estimate [--model NAME] [--gender[=NAME]] [--json] [--box X,Y,W,H | --no-detect]
 *                   [--min-face PX] [--margin M] [--annotate OUT.png] [--simd auto|on|off] [--jobs N] FILE...
 *   ssrnet eval DIR_OR_CSV [--model NAME|all] [--gender[=NAME|all]] [--json]   (src/eval-command.ts)
 *   ssrnet help | --help | --version
 *
 * Without --box the faces are detected. Prints one line per face, `FILE: age 41.3, female (93%)`
 * (detected faces add `at X,Y WxH, score S`; `FILE: no face found` when there is none), or with
 * `--json` one JSON array of `{ file, faces: [{ box, score?, age, gender? }] }` /
 * `{ file, error: { code, message } }`. `--annotate OUT.png` (one FILE) also writes the photo with
 * a box and an "age, gender" label per face.
 * FILE `-` reads the image from stdin. `--gender-model NAME` is the same as `--gender=NAME`.
 *
 * Exit status: 0 when every file was processed, 1 when any failed (each failure is reported on
 * stderr as `ssrnet: FILE: CODE: message` and the other files are still processed), 2 on a usage
 * error. Error codes are the library's SsrnetErrorCode, plus READ_FAILED (the file cannot be
 * read), WRITE_FAILED (the --annotate file cannot be written) and INTERNAL (anything unexpected).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// Cold start (issue 12): a one-shot `ssrnet estimate photo.jpg` loads only what it runs. The eval
// command (cli-progress) and the worker pool (node:worker_threads) are imported when asked for;
// the decoders are imported by src/decode.ts on the first image of their format and the
// detector's wasm is compiled on the first detection. Files are read with one readFileSync each:
// fs/promises costs thread-pool round trips and ~20 more of Node's own modules to load.
import { annotate } from './annotate.js';
import { UsageError, parseOrReport, parseSimdOption } from './cli-usage.js';
import { SsrnetError } from './errors.js';
import { createEstimatorWith } from './estimator.js';
import { normalizeInput, toOriginalBox } from './input.js';
import { AGE_MODELS, type AgeModelChoice, DEFAULT_AGE_MODEL, DEFAULT_GENDER_MODEL, GENDER_MODELS, type GenderModelName } from './models.js';
import type { EstimatorPool } from './parallel.js';
import { PACKAGE_ROOT, loadNodeAssets } from './platform/node.js';
import type { Box, FaceResult } from './types.js';

/** The help text; the eval part comes from src/eval-command.ts, loaded only for help or eval. */
const usage = (evalUsage: string): string => `Usage: ssrnet estimate [options] FILE...
       ssrnet eval DIR_OR_CSV [options]   (see below)
       ssrnet help | --help | --version

Finds the faces in each image (JPEG, PNG, WebP, GIF or BMP) and estimates their age (and optionally
gender). FILE "-" reads an image from stdin.

Options:
  --model NAME          age model (default ${DEFAULT_AGE_MODEL}): auto, ${AGE_MODELS.join(', ')}
                        (auto combines age-wiki and age-megaage-asian: 2 runs per face)
  --gender[=NAME]       also estimate gender, with model NAME (default ${DEFAULT_GENDER_MODEL}):
                        ${GENDER_MODELS.join(', ')}
  --gender-model NAME   same as --gender=NAME
  --box X,Y,W,H         the face box in pixels, for every FILE; no face search is done
                        (default: the faces are detected)
  --no-detect           the whole image is the face (for images that are face crops)
  --min-face PX         resize the photo for detection so faces down to PX pixels stay findable,
                        within the detector's 640x480 limit (default: at most 640 px on the
                        longer side, then tiles at twice that resolution when a larger photo
                        shows small faces or none; larger PX is faster)
  --annotate OUT.png    write the photo with a box and an "age, gender" label per face (one FILE)
  --margin M            widening of the box on each side, as a fraction of its size, 0 to 2
                        (default 0.4, as the models were trained)
  --simd auto|on|off    engine build: detect simd128 support (default), or force it
  --json                print one JSON array of { file, faces } or { file, error } on stdout
  --jobs N              estimate on N worker threads, one engine each (default 1); the output is
                        the same, in the same order
  -h, --help            print this help
  --version             print the version

Exit status: 0 all files processed, 1 some file failed (reported on stderr), 2 usage error.

${evalUsage}`;


/** What the command line asked for. */
interface Command {
  files: string[];
  model: AgeModelChoice;
  gender: GenderModelName | false;
  json: boolean;
  box?: Box;
  detect: boolean;
  minFaceSize?: number;
  annotate?: string;
  margin?: number;
  simd: 'auto' | boolean;
  jobs: number;
}

type FileResult = { file: string; faces: FaceResult[] } | { file: string; error: { code: string; message: string } };

/** Runs the CLI on `argv` (without node and the script) and returns the exit status. */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'eval') return (await import('./eval-command.js')).evalCommand(argv.slice(1));
  const command = parseOrReport(() => parseCommand(argv), 'ssrnet --help');
  if (command === undefined) return 2;
  if (command === 'help') {
    process.stdout.write(usage((await import('./eval-command.js')).EVAL_USAGE));
    return 0;
  }
  if (command === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  return estimateFiles(command);
}

/** Parses and validates the arguments; throws UsageError (or parseArgs' TypeError). */
function parseCommand(argv: string[]): Command | 'help' | 'version' {
  // `--gender=NAME` is an alias of `--gender-model NAME`; a plain `--gender` stays a flag, so it
  // never swallows the following FILE as its value.
  const args = argv.map((a) => (a.startsWith('--gender=') ? `--gender-model=${a.slice('--gender='.length)}` : a));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      gender: { type: 'boolean' },
      'gender-model': { type: 'string' },
      json: { type: 'boolean' },
      box: { type: 'string' },
      'no-detect': { type: 'boolean' },
      'min-face': { type: 'string' },
      annotate: { type: 'string' },
      margin: { type: 'string' },
      simd: { type: 'string' },
      jobs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const [name, ...files] = positionals;
  if (values.help || name === 'help') return 'help';
  if (values.version) return 'version';
  if (name === undefined) throw new UsageError('missing command (ssrnet estimate FILE...)');
  if (name !== 'estimate') throw new UsageError(`unknown command '${name}' (expected 'estimate' or 'eval')`);
  if (files.length === 0) throw new UsageError('no FILE given');

  const model = values.model ?? DEFAULT_AGE_MODEL;
  if (!isOneOf(model, ['auto', ...AGE_MODELS] as const)) {
    throw new UsageError(`unknown --model '${model}' (expected auto or one of ${AGE_MODELS.join(', ')})`);
  }
  const genderName = values['gender-model'];
  if (genderName !== undefined && !isOneOf(genderName, GENDER_MODELS)) {
    throw new UsageError(`unknown gender model '${genderName}' (expected one of ${GENDER_MODELS.join(', ')})`);
  }
  const simd = parseSimdOption(values.simd);
  const jobs = values.jobs === undefined ? 1 : toNumber(values.jobs);
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) throw new UsageError(`bad --jobs '${values.jobs}' (expected a whole number from 1 to 64)`);
  const minFaceSize = values['min-face'] === undefined ? undefined : toNumber(values['min-face']);
  if (minFaceSize !== undefined && !(minFaceSize >= 1)) throw new UsageError(`bad --min-face '${values['min-face']}' (expected a number of pixels, at least 1)`);
  if (values.annotate !== undefined && files.length !== 1) throw new UsageError(`--annotate takes exactly one FILE, got ${files.length}`);
  return {
    files,
    model,
    gender: genderName ?? (values.gender ? DEFAULT_GENDER_MODEL : false),
    json: values.json ?? false,
    box: values.box === undefined ? undefined : parseBox(values.box),
    detect: !values['no-detect'],
    minFaceSize,
    annotate: values.annotate,
    margin: values.margin === undefined ? undefined : parseMargin(values.margin),
    simd,
    jobs,
  };
}

function isOneOf<T extends string>(value: string, names: readonly T[]): value is T {
  return (names as readonly string[]).includes(value);
}

/** A decimal number, or NaN for anything else (including '' and '0x10'). */
function toNumber(text: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text) ? Number(text) : NaN;
}

function parseBox(text: string): Box {
  const parts = text.split(',').map(toNumber);
  if (parts.length !== 4 || !parts.every(Number.isFinite) || parts[2] <= 0 || parts[3] <= 0) {
    throw new UsageError(`bad --box '${text}' (expected X,Y,W,H: four numbers, W and H greater than 0)`);
  }
  const [x, y, width, height] = parts;
  return { x, y, width, height };
}

function parseMargin(text: string): number {
  const margin = toNumber(text);
  if (!(margin >= 0 && margin <= 2)) throw new UsageError(`bad --margin '${text}' (expected a number from 0 to 2)`);
  return margin;
}

/** Estimates every file with one estimator (or a pool of `jobs` of them); 0 when all succeeded, else 1. */
async function estimateFiles(command: Command): Promise<number> {
  const options = { model: command.model, gender: command.gender, simd: command.simd };
  const parallel = command.jobs > 1 ? await import('./parallel.js') : undefined;
  let estimator: { estimate: EstimatorPool['estimate'] };
  let pool: EstimatorPool | undefined;
  try {
    // No warm-up run at creation: the first estimate follows at once, so it would only add.
    estimator = parallel ? (pool = await parallel.EstimatorPool.create(options, command.jobs)) : await createEstimatorWith(options, loadNodeAssets, { warmUp: false });
  } catch (err) {
    const { code, message } = describeError(err);
    process.stderr.write(`ssrnet: ${code}: ${message}\n`);
    return 1;
  }
  const results: FileResult[] = [];
  let stdin: Promise<Buffer> | undefined;
  const estimateFile = async (file: string): Promise<FileResult> => {
    try {
      const bytes = file === '-' ? await (stdin ??= readStdin()) : await readInput(file);
      const options = { box: command.box, margin: command.margin, detect: command.detect, minFaceSize: command.minFaceSize };
      return { file, faces: await estimator.estimate(bytes, options) };
    } catch (err) {
      return { file, error: describeError(err) };
    }
  };
  const report = (result: FileResult): void => {
    results.push(result);
    if ('error' in result) process.stderr.write(`ssrnet: ${result.file}: ${result.error.code}: ${result.error.message}\n`);
    else if (!command.json && result.faces.length === 0) process.stdout.write(`${result.file}: no face found\n`);
    else if (!command.json) for (const face of result.faces) process.stdout.write(`${result.file}: ${formatFace(face)}\n`);
  };
  // A pool gets two files per worker in flight; results are reported in input order either way.
  if (parallel) await parallel.mapInOrder(command.files, 2 * command.jobs, estimateFile, report);
  else for (const file of command.files) report(await estimateFile(file));
  await pool?.close();
  const [first] = results;
  if (command.annotate !== undefined && 'faces' in first) {
    try {
      const bytes = first.file === '-' ? await (stdin as Promise<Buffer>) : await readInput(first.file);
      // A big JPEG decodes at reduced size: draw on those pixels, with the boxes scaled to them.
      const image = await normalizeInput(bytes);
      const toImage = 1 / (image.scale ?? 1);
      await writePng(annotate(image, first.faces.map((face) => ({ ...face, box: toOriginalBox(face.box, toImage) }))), command.annotate);
    } catch (err) {
      const { code, message } = describeError(err);
      process.stderr.write(`ssrnet: ${command.annotate}: ${code}: ${message}\n`);
      return 1;
    }
  }
  if (command.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return results.every((r) => 'faces' in r) ? 0 : 1;
}

/** `age 41.3, female (93%)`, plus `, at 178,81 94x94, score 0.92` for a detected face. */
function formatFace(face: FaceResult): string {
  const age = `age ${face.age.toFixed(1)}`;
  const text = face.gender ? `${age}, ${face.gender.label} (${Math.round(face.gender.probability * 100)}%)` : age;
  if (face.score === undefined) return text;
  const { x, y, width, height } = face.box;
  return `${text}, at ${Math.round(x)},${Math.round(y)} ${Math.round(width)}x${Math.round(height)}, score ${face.score.toFixed(2)}`;
}

/** Encodes RGBA pixels as PNG (jimp) into `path`; WRITE_FAILED when the file cannot be written. */
async function writePng(image: { data: Uint8Array; width: number; height: number }, path: string): Promise<void> {
  const { Jimp } = await import('jimp');
  const png = await new Jimp({ data: Buffer.from(image.data), width: image.width, height: image.height }).getBuffer('image/png');
  try {
    writeFileSync(path, png);
  } catch (err) {
    throw new CliError('WRITE_FAILED', `cannot write the file (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A file's bytes; a failed read becomes a READ_FAILED error with the system's reason. */
async function readInput(file: string): Promise<Buffer> {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? `${String(err.code)}: ` : '';
    const detail = err instanceof Error ? err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '') : String(err);
    throw new CliError('READ_FAILED', `cannot read the file (${reason}${detail})`);
  }
}

function readStdin(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', (err) => reject(new CliError('READ_FAILED', `cannot read stdin (${err.message})`)));
  });
}

/** An error of the CLI itself, with a code outside SsrnetErrorCode. */
class CliError extends Error {
  constructor(
    readonly code: 'READ_FAILED' | 'WRITE_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Code and message for the user; anything unexpected is INTERNAL (never a stack trace). */
function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof SsrnetError || err instanceof CliError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

// `ssrnet estimate ... | head -1`: a closed stdout ends the run quietly, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    process.stderr.write(`ssrnet: INTERNAL: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
