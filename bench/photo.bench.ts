/**
 * Whole-photo bench: a 640x480 JPEG in, the age of the face at a given box out — and where that
 * time goes: decoding (jimp, the Node default; jpeg-js, the universal entry's decoder; and
 * @jsquash/jpeg, mozjpeg in wasm, for comparison), cropping, and the network runs.
 *
 *   npm run bench:photo      (= npx tsx bench/photo.bench.ts; needs `npm run asbuild` first; ~1 min)
 *
 * The photo is made at run time from examples/astronaut.png (bench/photo.ts). Model: the default, 'auto' (two network runs per face), no gender.
 * Every stage runs in ROUNDS interleaved rounds of RUNS calls after a warm-up (ENGINE_WARMUP more
 * calls for the stages without decoding, so the wasm is tiered up); the table gives
 * the median and p90 per call and each stage's share of the end-to-end median.
 * Writes bench/results/photo-latest.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsquashDecode, { init as jsquashInit } from '@jsquash/jpeg/decode.js';
import { AUTO_MODEL } from '../src/auto-model.js';
import { decodePortable } from '../tools/decode-portable.js';
import { decodeImage } from '../src/decode.js';
import { Engine } from '../src/engine.js';
import { createEstimator } from '../src/index.js';
import { DEFAULT_MARGIN } from '../src/preprocess.js';
import type { Rgba } from '../src/types.js';
import { PHOTO_HEIGHT, PHOTO_QUALITY, PHOTO_WIDTH, makePhoto } from './photo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WARMUP = 10;
/** Extra warm-up of the two engine stages, so V8 has tiered the wasm up (as bench/e2e.bench.ts). */
const ENGINE_WARMUP = 300;
const ROUNDS = 10;
const RUNS = 5;

interface Stats { runs: number; median: number; p90: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { runs: s.length, median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, p90: s[Math.ceil(0.9 * s.length) - 1] };
}

/** mozjpeg (wasm) from @jsquash/jpeg, initialised from the package's .wasm (Node has no fetch of file URLs). */
async function jsquash(): Promise<(bytes: Uint8Array) => Promise<Rgba>> {
  const wasm = readFileSync(join(ROOT, 'node_modules', '@jsquash', 'jpeg', 'codec', 'dec', 'mozjpeg_dec.wasm'));
  await jsquashInit(await WebAssembly.compile(wasm));
  return async (bytes) => {
    const image = await jsquashDecode(bytes.slice().buffer);
    return { data: new Uint8Array(image.data.buffer), width: image.width, height: image.height };
  };
}

async function main(): Promise<void> {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown cpu', cores: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version, os: `${platform()} ${arch()}` };
  console.log(`# photo bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node}`);
  const { jpeg, box } = await makePhoto();
  console.log(`# input: ${PHOTO_WIDTH}x${PHOTO_HEIGHT} JPEG (jimp, quality ${PHOTO_QUALITY}), ${jpeg.length} bytes; face box ${[box.x, box.y, box.width, box.height].map((v) => v.toFixed(1)).join(',')}; model auto (${AUTO_MODEL.models.join(' + ')})`);

  const decodeJsquash = await jsquash();
  const estimator = await createEstimator();
  const estimatorJsquash = await createEstimator({ decode: decodeJsquash });
  const rgba = await decodeImage(jpeg);
  const raw = { ...rgba, format: 'rgba' as const };
  const engine = await Engine.create(readFileSync(join(ROOT, 'build', `ssrnet-${estimator.simd ? 'simd' : 'scalar'}.wasm`)));
  AUTO_MODEL.models.forEach((m, slot) => engine.loadWeights(slot, new Uint8Array(readFileSync(join(ROOT, 'weights', `${m}.ssrq`))), 'age'));
  engine.setImage(rgba);
  engine.cropFace(box, DEFAULT_MARGIN);

  const [face] = await estimator.estimate(jpeg, { box });
  const [faceJsquash] = await estimatorJsquash.estimate(jpeg, { box });
  const portable = await decodePortable(jpeg);
  const squashed = await decodeJsquash(jpeg);
  const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  console.log(`# age ${face.age.toFixed(2)} (jimp), ${faceJsquash.age.toFixed(2)} (@jsquash/jpeg); max pixel difference to jimp: jpeg-js ${maxDiff(portable.data, rgba.data)}, @jsquash/jpeg ${maxDiff(squashed.data, rgba.data)}`);

  const stages: { name: string; run: () => unknown; samples: number[] }[] = [
    { name: 'estimate(jpeg, { box }) end to end', run: () => estimator.estimate(jpeg, { box }) },
    { name: '  decode: jimp (default on Node)', run: () => decodeImage(jpeg) },
    { name: '  crop + 2 network runs (raw RGBA in)', run: () => estimator.estimate(raw, { box }) },
    { name: '    image into the engine: Engine.setImage', run: () => engine.setImage(rgba) },
    { name: '    crop: Engine.cropFace 64x64 (wasm)', run: () => engine.cropFace(box, DEFAULT_MARGIN) },
    { name: '    network: 2 engine runs', run: () => AUTO_MODEL.models.forEach((_, slot) => engine.runInput(slot)) },
    { name: 'estimate with decode: @jsquash/jpeg', run: () => estimatorJsquash.estimate(jpeg, { box }) },
    { name: 'decode alone: @jsquash/jpeg (mozjpeg)', run: () => decodeJsquash(jpeg) },
    { name: 'decode alone: jpeg-js (universal entry)', run: () => decodePortable(jpeg) },
  ].map((s) => ({ ...s, samples: [] as number[] }));

  for (const s of stages) for (let i = 0; i < WARMUP; i++) await s.run();
  for (let i = 0; i < ENGINE_WARMUP; i++) {
    await stages[2].run();
    stages[5].run();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of stages) {
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await s.run();
        s.samples.push(performance.now() - t0);
      }
    }
  }

  const results = stages.map((s) => ({ stage: s.name.trim(), ...stats(s.samples) }));
  const total = results[0].median;
  console.log(`\n# median (p90) ms per call, ${ROUNDS} interleaved rounds of ${RUNS}; share = stage median / end-to-end median`);
  console.log(`${'stage'.padEnd(42)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'share'.padStart(7)}`);
  stages.forEach((s, i) => {
    const r = results[i];
    console.log(`${s.name.padEnd(42)} ${r.median.toFixed(2).padStart(8)} ${r.p90.toFixed(2).padStart(8)} ${`${((100 * r.median) / total).toFixed(0)}%`.padStart(7)}`);
  });

  const json = { date: new Date().toISOString(), machine, input: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, quality: PHOTO_QUALITY, bytes: jpeg.length, box }, model: 'auto', config: { warmup: WARMUP, engineWarmup: ENGINE_WARMUP, rounds: ROUNDS, runs: RUNS }, stages: results };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'photo-latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log('\n# wrote bench/results/photo-latest.json');
}

await main();
