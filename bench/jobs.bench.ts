/**
 * `--jobs` bench: images per second of a batch estimated on the main thread (what `ssrnet
 * estimate` does with --jobs 1) and on an EstimatorPool of 1 and 2 worker threads (--jobs 1 / 2:
 * src/parallel.ts, two images in flight per worker, as the CLI keeps them).
 *
 *   npm run bench:jobs      (= tsc, then npx tsx bench/jobs.bench.ts: the workers load dist/; ~1 min)
 *
 * Two batches, as encoded bytes in memory (file reads are not timed):
 * - faces: the 300 UTKFace dev chips (200x200 JPEG, ../shared/data/utkface-dev) when present,
 *   otherwise 60 crops of the example photo; the face box is the whole image, given explicitly
 *   (so no face detection runs);
 * - photos: 40 copies of the 640x480 JPEG of bench/photo.ts with its face box (decode-bound).
 * Model: the default ('auto'). Each configuration runs REPEATS times, interleaved; the median
 * wall time is reported, with the speed-up over the main thread. Pool start-up (workers
 * creating their estimators) is timed apart. Results must equal the main thread's, bit for bit.
 * Writes bench/results/jobs-latest.json.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEstimator } from '../dist/index.js';
import { EstimatorPool, mapInOrder } from '../dist/parallel.js';
import type { Box, FaceResult } from '../src/types.js';
import { DEV_FACES_DIR, haveDevFaces } from '../tools/dev-faces.js';
import { makePhoto } from './photo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPEATS = 3;
const PHOTOS = 40;
const FALLBACK_FACES = 60;

interface Batch {
  name: string;
  images: Uint8Array[];
  box: Box;
}

interface Estimates {
  estimate(bytes: Uint8Array, options: { box: Box }): Promise<FaceResult[]>;
}

/** Wall time of estimating the whole batch with `inFlight` images in flight, and the ages. */
async function runBatch(estimator: Estimates, batch: Batch, inFlight: number): Promise<{ ms: number; ages: number[] }> {
  const ages: number[] = [];
  const t0 = performance.now();
  await mapInOrder(batch.images, inFlight, (bytes) => estimator.estimate(bytes, { box: batch.box }), ([face]) => ages.push(face.age));
  return { ms: performance.now() - t0, ages };
}

async function faceBatch(): Promise<Batch> {
  if (haveDevFaces()) {
    const files = readdirSync(DEV_FACES_DIR).filter((f) => f.endsWith('.jpg')).sort();
    const images = files.map((f) => new Uint8Array(readFileSync(join(DEV_FACES_DIR, f))));
    return { name: `${files.length} UTKFace dev chips (200x200 JPEG)`, images, box: { x: 0, y: 0, width: 200, height: 200 } };
  }
  const { Jimp } = await import('jimp');
  const photo = await Jimp.read(join(ROOT, 'examples', 'astronaut.png'));
  const images: Uint8Array[] = [];
  for (let i = 0; i < FALLBACK_FACES; i++) {
    const face = photo.clone().crop({ x: 160 + (i % 10), y: 60 + Math.floor(i / 10), w: 110, h: 110 });
    images.push(new Uint8Array(await face.getBuffer('image/jpeg', { quality: 90 })));
  }
  return { name: `${FALLBACK_FACES} crops of the example photo (110x110 JPEG; ../shared not found)`, images, box: { x: 0, y: 0, width: 110, height: 110 } };
}

async function main(): Promise<void> {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown cpu', cores: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version, os: `${platform()} ${arch()}` };
  console.log(`# jobs bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node}`);
  const photo = await makePhoto();
  const batches: Batch[] = [await faceBatch(), { name: `${PHOTOS} x 640x480 JPEG photo, face box given`, images: Array(PHOTOS).fill(photo.jpeg), box: photo.box }];

  const mainThread = await createEstimator();
  const t0 = performance.now();
  const pools = [await EstimatorPool.create({}, 1)];
  const start1 = performance.now() - t0;
  const t1 = performance.now();
  pools.push(await EstimatorPool.create({}, 2));
  const start2 = performance.now() - t1;
  console.log(`# pool start-up: 1 worker ${start1.toFixed(0)} ms, 2 workers ${start2.toFixed(0)} ms (not in the times below)`);
  const configs = [
    { name: 'main thread (--jobs 1)', estimator: mainThread as Estimates, inFlight: 1 },
    { name: 'pool, 1 worker', estimator: pools[0], inFlight: 2 },
    { name: 'pool, 2 workers (--jobs 2)', estimator: pools[1], inFlight: 4 },
  ];

  const results = [];
  for (const batch of batches) {
    // Warm-up, and the reference ages every configuration must reproduce.
    const reference = (await runBatch(mainThread, batch, 1)).ages;
    for (const c of configs.slice(1)) await runBatch(c.estimator, batch, c.inFlight);
    const times: number[][] = configs.map(() => []);
    for (let r = 0; r < REPEATS; r++) {
      for (const [k, c] of configs.entries()) {
        const { ms, ages } = await runBatch(c.estimator, batch, c.inFlight);
        if (ages.some((a, i) => a !== reference[i])) throw new Error(`${c.name} gave different ages on ${batch.name}`);
        times[k].push(ms);
      }
    }
    const medians = times.map((t) => [...t].sort((a, b) => a - b)[t.length >> 1]);
    console.log(`\n# ${batch.name}: median of ${REPEATS} runs; same ages as the main thread in every run`);
    console.log(`${'configuration'.padEnd(28)} ${'batch ms'.padStart(9)} ${'ms/image'.padStart(9)} ${'images/s'.padStart(9)} ${'speed-up'.padStart(9)}`);
    const rows = configs.map((c, k) => {
      const row = { configuration: c.name, batchMs: medians[k], msPerImage: medians[k] / batch.images.length, imagesPerSecond: (1000 * batch.images.length) / medians[k], speedup: medians[0] / medians[k] };
      console.log(`${c.name.padEnd(28)} ${row.batchMs.toFixed(0).padStart(9)} ${row.msPerImage.toFixed(2).padStart(9)} ${row.imagesPerSecond.toFixed(0).padStart(9)} ${`${row.speedup.toFixed(2)}x`.padStart(9)}`);
      return row;
    });
    results.push({ batch: batch.name, images: batch.images.length, rows });
  }
  await Promise.all(pools.map((p) => p.close()));

  const json = { date: new Date().toISOString(), machine, model: 'auto', repeats: REPEATS, poolStartupMs: { workers1: start1, workers2: start2 }, batches: results };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'jobs-latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log('\n# wrote bench/results/jobs-latest.json');
}

await main();
