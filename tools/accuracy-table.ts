/**
 * `npx tsx tools/accuracy-table.ts [DIR_OR_CSV] [--json]`: the README's accuracy table. Every age
 * model on the int8 engine (what `ssrnet eval --model all --gender=all` prints) and, in the same
 * table, the float oracle (src/oracle/ssrnet-f32.ts) on the official Keras weights of each single
 * model — so it needs a source checkout: weights/keras/*.h5 and h5wasm (a devDependency).
 * DIR_OR_CSV defaults to the UTKFace dev faces (../shared/data/utkface-dev); labels, crops and
 * metrics are those of `ssrnet eval` (src/eval.ts). Prints a Markdown table, or JSON.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createContenders, progressBar } from '../src/eval-command.js';
import { type AgeContender, type GenderContender, evaluate, formatReport, loadLabels } from '../src/eval.js';
import { AGE_MODELS, GENDER_MODELS } from '../src/models.js';
import { predictF32 } from '../src/oracle/ssrnet-f32.js';
import { CROP_SIZE, DEFAULT_MARGIN, wholeImageBox } from '../src/preprocess.js';
import { cropFace } from '../test/helpers/crop-reference.js';
import type { Rgba } from '../src/types.js';
import { DEV_FACES_DIR } from './dev-faces.js';
import { readKerasSsrnet } from './keras-h5.js';
import { KERAS_DIR, WEIGHTS_DIR } from './models.js';

/** The 64x64 BGR crop of a face image, as the library makes it for the whole-image box. */
function crop(image: Rgba): Uint8Array {
  const out = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
  cropFace(image, wholeImageBox(image), DEFAULT_MARGIN, out);
  return out;
}

async function floatContenders(): Promise<{ age: AgeContender[]; gender: GenderContender[] }> {
  const age: AgeContender[] = [];
  for (const model of AGE_MODELS) {
    const params = await readKerasSsrnet(new URL(`${model}.h5`, KERAS_DIR).pathname, 'age');
    age.push({ model, engine: 'float', age: (image) => predictF32(params, crop(image)) });
  }
  const gender: GenderContender[] = [];
  for (const model of GENDER_MODELS) {
    const params = await readKerasSsrnet(new URL(`${model}.h5`, KERAS_DIR).pathname, 'gender');
    // The polarity the library uses: the .ssrq header says what an output above 0.5 means.
    const above = readFileSync(new URL(`${model}.ssrq`, WEIGHTS_DIR))[32] === 1 ? 'female' : 'male';
    const below = above === 'female' ? 'male' : 'female';
    gender.push({ model, engine: 'float', gender: (image) => (predictF32(params, crop(image)) > 0.5 ? above : below) });
  }
  return { age, gender };
}

async function main(): Promise<void> {
  const source = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? relative(process.cwd(), DEV_FACES_DIR);
  const faces = await loadLabels(source);
  const int8 = await createContenders({ models: [...AGE_MODELS, 'auto'], genders: [...GENDER_MODELS], simd: 'auto' });
  const float = await floatContenders();
  const progress = progressBar(faces.length);
  const report = await evaluate(faces, { age: [...int8.age, ...float.age], gender: [...int8.gender, ...float.gender] }, progress.update);
  progress.stop();
  for (const { file, error } of report.failed) console.error(`${file}: ${error.code}: ${error.message}`);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ source, margin: DEFAULT_MARGIN, ...report }, null, 2));
  else console.log(`${report.faces} faces from ${source}\n\n${formatReport(report, 'markdown')}`);
}

await main();
