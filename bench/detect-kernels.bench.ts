/**
 * Detector speed, baseline vs this checkout, side by side in one run (Node, one thread):
 *
 *   npm run asbuild:detector && npx tsx bench/detect-kernels.bench.ts [git-ref]   (baseline, default main)
 *
 * Builds the baseline's detector (simd) from `git archive <ref>` into a temporary directory, then
 * times the YuNet network (Detector.rawOutputs) at 640x480, 500x375 and 320x240, baseline and
 * current runs interleaved: medians and the baseline / current ratio. Data: random pixels. Both
 * builds load this checkout's weights/yunet.yunf, so the baseline must read the same format.
 * Per-kernel int8 timings: bench/kernels.bench.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector } from '../src/detector.js';
import { Rng } from '../test/helpers/rng.js';

const ROOT = new URL('../', import.meta.url).pathname;
const read = (path: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(path));

/** The baseline's detector-simd wasm, built from `git archive ref` (assembly/ + asconfig.json). */
function buildBaseline(ref: string): Uint8Array<ArrayBuffer> {
  const dir = mkdtempSync(join(tmpdir(), 'detect-base-'));
  try {
    execFileSync('sh', ['-c', `git archive "$0" assembly asconfig.json | tar -x -C "$1"`, ref, dir], { cwd: ROOT });
    const asc = (entry: string, target: string, out: string): void => {
      execFileSync('npx', ['asc', join(dir, entry), '--config', join(dir, 'asconfig.json'), '--target', target, '-o', join(dir, out)], { cwd: ROOT, stdio: 'pipe' });
    };
    asc('assembly/yunet-index.ts', 'detector-simd', 'detector.wasm');
    return read(join(dir, 'detector.wasm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (t: number[]): number => [...t].sort((a, b) => a - b)[t.length >> 1];

/** Network ms at w x h, baseline and current interleaved call by call. */
function networkPair(base: Detector, cur: Detector, w: number, h: number, runs: number): [number, number] {
  const rng = new Rng(w * h);
  const pixels = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 255));
  for (const d of [base, cur]) {
    d.setInputSize(w, h);
    d.input(w, h).set(pixels);
  }
  const t: [number[], number[]] = [[], []];
  for (let i = 0; i < runs + 5; i++) {
    [base, cur].forEach((d, k) => {
      const t0 = performance.now();
      d.rawOutputs();
      if (i >= 5) t[k].push(performance.now() - t0); // the first 5 are warm-up
    });
  }
  return [median(t[0]), median(t[1])];
}

async function main(): Promise<void> {
  const ref = process.argv[2] ?? 'main';
  const currentWasm = join(ROOT, 'build/yunet-simd.wasm');
  if (!existsSync(currentWasm)) throw new Error('build/yunet-simd.wasm missing: run `npm run asbuild:detector` first');
  const baseline = buildBaseline(ref);
  const weights = read(join(ROOT, 'weights/yunet.yunf'));
  const base = await Detector.create(baseline, weights);
  const cur = await Detector.create(read(currentWasm), weights);

  console.log(`# ${cpus()[0]?.model}, ${cpus().length} cores, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}, Node ${process.version}; baseline = ${ref}`);
  console.log('# network (simd), medians of interleaved runs');
  for (const [w, h, runs] of [[640, 480, 40], [500, 375, 40], [320, 240, 80]]) {
    const [b, c] = networkPair(base, cur, w, h, runs);
    console.log(`${`${w}x${h}`.padEnd(8)} baseline ${b.toFixed(2).padStart(6)} ms   current ${c.toFixed(2).padStart(6)} ms   ${(b / c).toFixed(2)}x`);
  }
}

await main();
