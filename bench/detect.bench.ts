/**
 * Detection bench: the YuNet detector (build/yunet-{simd,scalar}.wasm) and photo → faces → ages,
 * Node, one thread.
 *
 *   npx tsx bench/detect.bench.ts      (needs `npm run asbuild` first)
 *
 * The photo: examples/astronaut.png scaled to 480x480 and centred on a 640x480 grey canvas (her
 * face ~85 px wide). Input is raw RGBA, so decoding is not timed. Each row runs its warm-up, then
 * timed calls; medians and p90s in ms.
 *
 * Rows: `network` (the WASM forward pass alone) at 320x240 and 640x480, simd and scalar;
 * `detect` (Detector.detect: the engine's wasm resize to the working size + network + decoding/NMS) on
 * the 640x480 photo; `estimate` (Estimator.estimate: detect + crop + SSR-Net, the default 'auto'
 * age model). Also prints multiply-adds per frame, the weights size, wasm sizes and the fixed
 * linear memory, and writes bench/results/detect-latest.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Jimp } from 'jimp';
import { Detector } from '../src/detector.js';
import { Engine } from '../src/engine.js';
import { createEstimator } from '../src/index.js';
import { KIND_DEPTHWISE, KIND_STEM, readYunet } from '../src/oracle/yunet-weights.js';
import type { Rgba } from '../src/types.js';
import { Rng } from '../test/helpers/rng.js';

const ROOT = new URL('../', import.meta.url);

interface Stats { median: number; p90: number; min: number; runs: number }

function summarize(t: number[]): Stats {
  t.sort((a, b) => a - b);
  return { median: t[t.length >> 1], p90: t[Math.ceil(0.9 * t.length) - 1], min: t[0], runs: t.length };
}

function time(f: () => unknown, warmup: number, runs: number): Stats {
  for (let i = 0; i < warmup; i++) f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return summarize(t);
}

async function timeAsync(f: () => Promise<unknown>, warmup: number, runs: number): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return summarize(t);
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

/** Stride of each of the 53 layers' maps (assembly/yunet.ts); heads: records 29..52, level = (i - 29) / 2 mod 3. */
function layerStride(i: number): number {
  if (i <= 2) return 2;
  if (i <= 10) return 4;
  if (i <= 14) return 8;
  if (i <= 18) return 16;
  if (i <= 22) return 32;
  if (i <= 28) return [8, 16, 32][Math.floor((i - 23) / 2)];
  return [8, 16, 32][Math.floor((i - 29) / 2) % 3];
}

/** Multiply-adds of one frame at width x height (padded to 32; the stem's 27 real taps, padding taps included). */
function macsPerFrame(weights: Uint8Array, width: number, height: number): number {
  const pw = Math.ceil(width / 32) * 32;
  const ph = Math.ceil(height / 32) * 32;
  return readYunet(weights).reduce((sum, l, i) => {
    const pixels = (pw / layerStride(i)) * (ph / layerStride(i));
    if (l.kind === KIND_STEM) return sum + pixels * 27 * l.outChannels;
    if (l.kind === KIND_DEPTHWISE) return sum + pixels * 9 * l.inChannels;
    return sum + pixels * l.inChannels * l.outChannels;
  }, 0);
}

async function main(): Promise<void> {
  const image = await photo640x480();
  const raw = { ...image, format: 'rgba' as const };
  const engine = await Engine.create(read('build/ssrnet-simd.wasm'));
  engine.setImage(image);
  const weights = read('weights/yunet.yunf');
  const simd = await Detector.create(read('build/yunet-simd.wasm'), weights);
  const scalar = await Detector.create(read('build/yunet-scalar.wasm'), weights);
  const estimator = await createEstimator({ simd: true });
  const faces = await estimator.estimate(raw);
  if (faces.length !== 1) throw new Error(`expected one face in the bench photo, got ${faces.length}`);

  const rng = new Rng(7);
  const network = (d: Detector, w: number, h: number, warmup: number, runs: number): Stats => {
    d.setInputSize(w, h);
    d.input(w, h).set(Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255)));
    return time(() => d.rawOutputs(), warmup, runs);
  };
  const rows: Record<string, Stats> = {
    'network 320x240 (simd)': network(simd, 320, 240, 20, 100),
    'network 640x480 (simd)': network(simd, 640, 480, 10, 40),
    'network 320x240 (scalar)': network(scalar, 320, 240, 2, 10),
    'network 640x480 (scalar)': network(scalar, 640, 480, 1, 5),
    'detect 640x480 photo (simd)': time(() => simd.detect(engine), 10, 40),
    'estimate (simd, auto model)': await timeAsync(() => estimator.estimate(raw), 10, 40),
  };

  const macs = { '320x240': macsPerFrame(weights, 320, 240), '640x480': macsPerFrame(weights, 640, 480) };
  const sizes = {
    weightsBytes: weights.length,
    wasmBytes: { simd: read('build/yunet-simd.wasm').length, scalar: read('build/yunet-scalar.wasm').length },
    linearMemoryBytes: simd.memoryBytes.memory,
    arenaBytes: simd.memoryBytes.arena,
  };
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, loadavg: loadavg().map((v) => Number(v.toFixed(2))), node: process.version };
  console.log(`# ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node}`);
  console.log(`# photo 640x480 (astronaut, face ${faces[0].box.width.toFixed(0)} px, score ${faces[0].score?.toFixed(2)})`);
  console.log('name                            median ms   p90 ms   min ms  runs');
  for (const [name, s] of Object.entries(rows)) {
    console.log(`${name.padEnd(32)}${s.median.toFixed(2).padStart(9)}${s.p90.toFixed(2).padStart(9)}${s.min.toFixed(2).padStart(9)}${String(s.runs).padStart(6)}`);
  }
  for (const size of ['320x240', '640x480'] as const) {
    const s = rows[`network ${size} (simd)`].median;
    const c = rows[`network ${size} (scalar)`].median;
    console.log(`${size}: ${(macs[size] / 1e6).toFixed(1)} M multiply-adds per frame; simd ${(macs[size] / s / 1e6).toFixed(2)} GMAC/s, scalar / simd ${(c / s).toFixed(1)}x`);
  }
  console.log(`detector weights ${sizes.weightsBytes} bytes; wasm simd ${sizes.wasmBytes.simd}, scalar ${sizes.wasmBytes.scalar} bytes; ` +
    `linear memory ${sizes.linearMemoryBytes} bytes (fixed, sized for 640x480), arena ${sizes.arenaBytes}`);
  writeFileSync(new URL('bench/results/detect-latest.json', ROOT), `${JSON.stringify({ date: new Date().toISOString(), machine, rows, macs, sizes }, null, 2)}\n`);
}

await main();
