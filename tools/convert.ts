/**
 * `npm run convert [-- NAME...]`: the seven official Keras models (weights/keras/*.h5) → int8
 * `.ssrq` files in weights/ (format: weights/FORMAT.md).
 *
 * Calibration uses the even-numbered UTKFace dev faces of ../shared/data/utkface-dev (the odd
 * ones stay unseen, to report held-out fidelity). Deterministic: the same inputs give the same
 * bytes, which test/weights.test.ts checks.
 */
import { writeFileSync } from 'node:fs';
import { DEV_FACES_DIR, haveDevFaces, loadDevFaces } from './dev-faces.js';
import { readKerasSsrnet } from './keras-h5.js';
import { KERAS_DIR, MODEL_SOURCES, WEIGHTS_DIR } from './models.js';
import { quantizeModel } from './quantize.js';
import { writeSsrq } from './ssrq.js';

/** Gender polarity of the official models: gender-morph was trained with flipped labels. */
const GENDER_ABOVE_05: Record<string, 'male' | 'female'> = {
  'gender-imdb': 'male',
  'gender-wiki': 'male',
  'gender-morph': 'female',
};

/** Every second dev face (indices 0, 2, 4, …) calibrates; the rest are held out. */
export function calibrationSubset<T>(faces: T[]): T[] {
  return faces.filter((_, i) => i % 2 === 0);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((n) => !MODEL_SOURCES.some((m) => m.name === n));
  if (unknown.length) {
    console.error(`unknown model(s): ${unknown.join(', ')}; known: ${MODEL_SOURCES.map((m) => m.name).join(', ')}`);
    process.exit(2);
  }
  if (!haveDevFaces()) {
    console.error(`calibration faces not found in ${DEV_FACES_DIR}: conversion needs ../shared beside the repository`);
    process.exit(1);
  }
  const faces = calibrationSubset(await loadDevFaces()).map((f) => f.crop);
  console.log(`calibrating on ${faces.length} dev faces`);
  for (const source of MODEL_SOURCES.filter((m) => !wanted.length || wanted.includes(m.name))) {
    const started = Date.now();
    const params = await readKerasSsrnet(new URL(`${source.name}.h5`, KERAS_DIR).pathname, source.kind);
    const model = quantizeModel(params, faces, {
      rounding: 'adaptive',
      reluScales: 'channel',
      onLayer: (layer) => process.stdout.write(`\r${source.name}: ${layer}          `),
    });
    const bytes = writeSsrq(model, { calibrationFaces: faces.length, genderAbove05: GENDER_ABOVE_05[source.name] });
    writeFileSync(new URL(`${source.name}.ssrq`, WEIGHTS_DIR), bytes);
    console.log(`\r${source.name}: ${bytes.length} bytes in ${((Date.now() - started) / 1000).toFixed(0)} s          `);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
