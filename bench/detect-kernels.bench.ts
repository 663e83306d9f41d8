/**
 * Detector speed, baseline vs this checkout, side by side in one run (Node, one thread):
 *
 *   npm run asbuild:detector && npx tsx bench/detect-kernels.bench.ts [git-ref]   (baseline, default main)
 *
 * Builds the baseline's detector (simd) and kernel test build from `git archive <ref>` into a
 * temporary directory, then prints:
 * 1. the YuNet network (Detector.rawOutputs) at 640x480, 500x375 and 320x240, baseline and current
 *    runs interleaved, medians and the baseline / current ratio;
 * 2. where the time goes: each f32 kernel's simd128 variant at the graph's shapes for a 640x480
 *    frame (test/helpers/kernel-registry.ts lists them for 320x256; widths and row counts scale),
 *    ms per frame by kernel, baseline and current, the ratio and the current share.
 * Data: random pixels for the network, random floats in [-1, 1) for the kernels (no subnormals,
 * which would slow both sides alike and hide the kernels' own cost).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector } from '../src/detector.js';
import { KERNELS, buildTestWasm, type F32Kind, type F32Shape } from '../test/helpers/kernel-registry.js';
import { Rng } from '../test/helpers/rng.js';

const ROOT = new URL('../', import.meta.url).pathname;
const read = (path: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(path));

/** The baseline's detector-simd and test wasm, built from `git archive ref` (assembly/ + asconfig.json). */
function buildBaseline(ref: string): { detector: Uint8Array<ArrayBuffer>; test: Uint8Array<ArrayBuffer> } {
  const dir = mkdtempSync(join(tmpdir(), 'detect-base-'));
  try {
    execFileSync('sh', ['-c', `git archive "$0" assembly asconfig.json | tar -x -C "$1"`, ref, dir], { cwd: ROOT });
    const asc = (entry: string, target: string, out: string): void => {
      execFileSync('npx', ['asc', join(dir, entry), '--config', join(dir, 'asconfig.json'), '--target', target, '-o', join(dir, out)], { cwd: ROOT, stdio: 'pipe' });
    };
    asc('assembly/yunet-index.ts', 'detector-simd', 'detector.wasm');
    asc('assembly/kernels/registry.ts', 'test', 'test.wasm');
    return { detector: read(join(dir, 'detector.wasm')), test: read(join(dir, 'test.wasm')) };
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

interface Module { exports: Record<string, unknown>; memory: WebAssembly.Memory; scratchBase: number }

async function instantiate(bytes: Uint8Array<ArrayBuffer>): Promise<Module> {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const exports = instance.exports as Record<string, unknown>;
  return { exports, memory: exports.memory as WebAssembly.Memory, scratchBase: (exports.scratchBase as () => number)() };
}

/** A call of kernel `name`'s simd128 variant at shape s on fresh seeded data in m's scratch memory. */
function kernelCall(m: Module, kind: F32Kind, name: string, s: F32Shape): () => void {
  const rng = new Rng(4);
  let top = m.scratchBase;
  const put = (data: Uint8Array | Float32Array): number => {
    const ptr = (top + 15) & ~15;
    top = ptr + data.byteLength + 16;
    if (top > m.memory.buffer.byteLength) throw new Error(`${name} at W${s.width} does not fit in the test build's memory`);
    new Uint8Array(m.memory.buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
    return ptr;
  };
  const floats = (n: number): number => put(Float32Array.from({ length: n }, () => rng.float() * 2 - 1));
  const W = s.width, C = s.inChannels, O = s.outChannels;
  const args = ((): number[] => {
    switch (kind) {
      case 'f32_pw': return [floats(W * C), W, C, floats(C * O), floats(O), O, floats(W * O)];
      case 'f32_dw': return [floats(W * C), floats(W * C), floats(W * C), W, C, floats(9 * C), floats(C), floats(W * C)];
      case 'f32_stem': return [put(rng.u8(2 * W * 5 * 3)), 5, 2 * W, 1, floats(27 * O), floats(O), O, W, floats(W * O)];
      case 'f32_pool': return [floats(W * C), floats(W * C), W, C, floats((W / 2) * C)];
      case 'f32_upadd': return [floats((W / 2) * C), floats(W * C), W, C, floats(W * C)];
    }
  })();
  const f = m.exports[`${name}__simd128`] as (...a: number[]) => void;
  return () => f(...args);
}

/** Best ms per call of each of `calls` over many short batches, the calls' batches interleaved. */
function bestPerCall(calls: (() => void)[]): number[] {
  for (const c of calls) for (let i = 0; i < 500; i++) c(); // tier up to TurboFan
  let n = 1;
  for (let t = 0; t < 1; n *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) calls[0]();
    t = performance.now() - t0;
  }
  const best = calls.map(() => Infinity);
  for (let b = 0; b < 25; b++) {
    calls.forEach((c, k) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) c();
      best[k] = Math.min(best[k], (performance.now() - t0) / n);
    });
  }
  return best;
}

async function main(): Promise<void> {
  const ref = process.argv[2] ?? 'main';
  const currentWasm = join(ROOT, 'build/yunet-simd.wasm');
  if (!existsSync(currentWasm)) throw new Error('build/yunet-simd.wasm missing: run `npm run asbuild:detector` first');
  const baseline = buildBaseline(ref);
  buildTestWasm();
  const weights = read(join(ROOT, 'weights/yunet.yunf'));
  const base = await Detector.create(baseline.detector, weights);
  const cur = await Detector.create(read(currentWasm), weights);

  console.log(`# ${cpus()[0]?.model}, ${cpus().length} cores, load ${loadavg().map((v) => v.toFixed(2)).join(' ')}, Node ${process.version}; baseline = ${ref}`);
  console.log('# network (simd), medians of interleaved runs');
  for (const [w, h, runs] of [[640, 480, 40], [500, 375, 40], [320, 240, 80]]) {
    const [b, c] = networkPair(base, cur, w, h, runs);
    console.log(`${`${w}x${h}`.padEnd(8)} baseline ${b.toFixed(2).padStart(6)} ms   current ${c.toFixed(2).padStart(6)} ms   ${(b / c).toFixed(2)}x`);
  }

  // Kernel shares at 640x480: the registry's 320x256 shapes, widths x2, rows x 480/256.
  const mods = [await instantiate(baseline.test), await instantiate(read(join(ROOT, 'build/ssrnet-test.wasm')))];
  const perKernel = new Map<string, [number, number]>();
  for (const k of KERNELS) {
    if (!('yunet' in k) || !k.yunet) continue;
    for (const s0 of k.yunet as readonly F32Shape[]) {
      const s = { ...s0, width: s0.width * 2, calls: (s0.calls * 480) / 256 };
      const [b, c] = bestPerCall(mods.map((m) => kernelCall(m, k.kind as F32Kind, k.name, s)));
      const sum = perKernel.get(k.name) ?? [0, 0];
      perKernel.set(k.name, [sum[0] + b * s.calls, sum[1] + c * s.calls]);
    }
  }
  const total = [...perKernel.values()].reduce((a, [b, c]) => [a[0] + b, a[1] + c], [0, 0]);
  console.log('\n# f32 kernels (simd128) per 640x480 frame, alone on the graph\'s shapes: ms baseline, current, ratio, current share');
  for (const [name, [b, c]] of perKernel) {
    console.log(`${name.padEnd(26)} ${b.toFixed(2).padStart(6)} ${c.toFixed(2).padStart(6)}  ${(b / c).toFixed(2)}x  ${((100 * c) / total[1]).toFixed(1).padStart(5)}%`);
  }
  console.log(`${'all'.padEnd(26)} ${total[0].toFixed(2).padStart(6)} ${total[1].toFixed(2).padStart(6)}  ${(total[0] / total[1]).toFixed(2)}x`);
}

await main();
