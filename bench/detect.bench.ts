/**
 * Detection bench: photo → faces → ages on a 640x480 photo with one face, Node, one thread.
 *
 *   npx tsx bench/detect.bench.ts      (needs `npm run asbuild` first)
 *
 * The photo: examples/astronaut.png scaled to 480x480 and centred on a 640x480 grey canvas (her
 * face ~85 px wide, 13% of the width: one detector pass finds it). Input is raw RGBA, so decoding
 * is not timed. Each contender runs WARMUP times, then RUNS timed calls; medians and p90s in ms.
 *
 * Rows: `estimate` (Estimator.estimate: letterbox + detector + crop + SSR-Net, the default 'auto'
 * age model = 2 SSR-Net runs), its parts (`detect` = letterbox + network + decoding/NMS; `letterbox`
 * alone; `network` = the WASM forward pass alone), and the scalar build's `detect`. Also prints
 * the detector's weights size, wasm sizes and linear memory, and writes
 * bench/results/detect-latest.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Jimp } from 'jimp';
import { Detector, planPasses } from '../src/detector.js';
import { createEstimator } from '../src/index.js';
import type { Rgba } from '../src/types.js';

const WARMUP = 50;
const RUNS = 200;
const TARGET_MS = 5;
const ROOT = new URL('../', import.meta.url);

interface Stats { median: number; p90: number; min: number; runs: number }

function time(f: () => unknown): Stats {
  for (let i = 0; i < WARMUP; i++) f();
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[RUNS >> 1], p90: t[Math.ceil(0.9 * RUNS) - 1], min: t[0], runs: RUNS };
}

async function timeAsync(f: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[RUNS >> 1], p90: t[Math.ceil(0.9 * RUNS) - 1], min: t[0], runs: RUNS };
}

/** The astronaut at 480x480 on a 640x480 grey canvas. */
async function photo640x480(): Promise<Rgba> {
  const astronaut = await Jimp.read(new URL('examples/astronaut.png', ROOT).pathname);
  astronaut.resize({ w: 480, h: 480 });
  const canvas = new Jimp({ width: 640, height: 480, color: 0x808080ff });
  canvas.composite(astronaut, 80, 0);
  return { data: new Uint8Array(canvas.bitmap.data), width: 640, height: 480 };
}

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, ROOT)));

async function main(): Promise<void> {
  const image = await photo640x480();
  const raw = { ...image, format: 'rgba' as const };
  const weights = read('weights/blazeface-front.bf32');
  const simd = await Detector.create(read('build/blazeface-simd.wasm'), weights);
  const scalar = await Detector.create(read('build/blazeface-scalar.wasm'), weights);
  const estimator = await createEstimator({ simd: true });
  const faces = await estimator.estimate(raw);
  if (faces.length !== 1) throw new Error(`expected one face in the bench photo, got ${faces.length}`);

  const region = planPasses(image.width, image.height)[0].region;
  simd.letterbox(image, region);
  const rows: Record<string, Stats> = {
    'estimate (simd, auto model)': await timeAsync(() => estimator.estimate(raw)),
    'detect (simd)': time(() => simd.detect(image)),
    'letterbox (simd)': time(() => simd.letterbox(image, region)),
    'network (simd)': time(() => simd.rawOutputs()),
    'detect (scalar)': time(() => scalar.detect(image)),
  };

  const sizes = {
    weightsBytes: weights.length,
    wasmBytes: { simd: read('build/blazeface-simd.wasm').length, scalar: read('build/blazeface-scalar.wasm').length },
    linearMemoryBytes: simd.memoryBytes.memory,
    arenaBytes: simd.memoryBytes.arena,
  };
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, loadavg: loadavg().map((v) => Number(v.toFixed(2))), node: process.version };
  console.log(`# ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node}`);
  console.log(`# photo 640x480 (astronaut, face ${faces[0].box.width.toFixed(0)} px, score ${faces[0].score?.toFixed(2)}); ${WARMUP} warm-up + ${RUNS} timed runs each`);
  console.log('name                          median ms   p90 ms   min ms');
  for (const [name, s] of Object.entries(rows)) {
    console.log(`${name.padEnd(30)}${s.median.toFixed(2).padStart(9)}${s.p90.toFixed(2).padStart(9)}${s.min.toFixed(2).padStart(9)}`);
  }
  const e2e = rows['estimate (simd, auto model)'].median;
  console.log(`target: estimate (detect + ages) <= ${TARGET_MS} ms median: ${e2e <= TARGET_MS ? 'PASS' : 'MISS'} (${e2e.toFixed(2)} ms)`);
  console.log(`scalar / simd detect: ${(rows['detect (scalar)'].median / rows['detect (simd)'].median).toFixed(1)}x`);
  console.log(`detector weights ${sizes.weightsBytes} bytes; wasm simd ${sizes.wasmBytes.simd}, scalar ${sizes.wasmBytes.scalar} bytes; linear memory ${sizes.linearMemoryBytes} bytes (fixed), arena ${sizes.arenaBytes}`);
  writeFileSync(new URL('bench/results/detect-latest.json', ROOT), `${JSON.stringify({ date: new Date().toISOString(), machine, rows, sizes }, null, 2)}\n`);
}

await main();
