/**
 * `npx tsx tools/fidelity-report.ts [--json]`: accuracy of every model on the dev faces
 * (../shared/data/utkface-dev) in float (oracle on the official .h5) and in the int8 engine, and
 * the int8-vs-float drift, over all faces and over the half not used for calibration.
 */
import { readFileSync } from 'node:fs';
import { Engine } from '../src/engine.js';
import { predictF32 } from '../src/oracle/ssrnet-f32.js';
import { haveDevFaces, loadDevFaces } from './dev-faces.js';
import { readKerasSsrnet } from './keras-h5.js';
import { KERAS_DIR, MODEL_SOURCES, WEIGHTS_DIR } from './models.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

async function main(): Promise<void> {
  if (!haveDevFaces()) {
    console.error('the dev faces (../shared/data/utkface-dev) are needed for this report');
    process.exit(1);
  }
  const faces = await loadDevFaces();
  const wasm = readFileSync(new URL('../build/ssrnet-simd.wasm', import.meta.url));
  const rows: Record<string, unknown>[] = [];
  for (const source of MODEL_SOURCES) {
    process.stderr.write(`${source.name}…\n`);
    const params = await readKerasSsrnet(new URL(`${source.name}.h5`, KERAS_DIR).pathname, source.kind);
    const weights = new Uint8Array(readFileSync(new URL(`${source.name}.ssrq`, WEIGHTS_DIR)));
    const engine = await Engine.create(wasm);
    const slot = source.kind === 'age' ? 0 : 1;
    engine.loadWeights(slot, weights, source.kind);
    const float = faces.map((f) => predictF32(params, f.crop));
    const int8 = faces.map((f) => engine.run(slot, f.crop));
    const drift = int8.map((v, i) => Math.abs(v - float[i]));
    const heldOut = drift.filter((_, i) => i % 2 === 1);
    if (source.kind === 'age') {
      rows.push({
        model: source.name,
        'MAE float': mean(faces.map((f, i) => Math.abs(float[i] - f.age))),
        'MAE int8': mean(faces.map((f, i) => Math.abs(int8[i] - f.age))),
        'mean |int8-float|': mean(drift),
        'max |int8-float|': Math.max(...drift),
        'held-out mean': mean(heldOut),
        'held-out max': Math.max(...heldOut),
      });
    } else {
      // UTKFace gender: 0 male, 1 female; weights header says what an output above 0.5 means.
      const femaleAbove = weights[32] === 1;
      const correct = (v: number, g: number) => (v > 0.5 === femaleAbove) === (g === 1);
      rows.push({
        model: source.name,
        'accuracy float': mean(faces.map((f, i) => (correct(float[i], f.gender) ? 1 : 0))),
        'accuracy int8': mean(faces.map((f, i) => (correct(int8[i], f.gender) ? 1 : 0))),
        'decision agreement': mean(int8.map((v, i) => (v > 0.5 === float[i] > 0.5 ? 1 : 0))),
        'mean |int8-float|': mean(drift),
        'max |int8-float|': Math.max(...drift),
      });
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ faces: faces.length, rows }, null, 2));
  else {
    console.log(`${faces.length} dev faces (calibration used the even-numbered half; held-out = the odd half)`);
    console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : v]))));
  }
}

await main();
