/**
 * End-to-end bench: per-face age estimation on 64x64x3 crops, the int8 engine against its float
 * oracle and against TensorFlow.js running the same model, all in one run on the same inputs.
 *
 *   npm run bench                  (= npx tsx bench/e2e.bench.ts; needs `npm run asbuild` first)
 *
 * What it measures (bench/README.md explains each number):
 * 1. Per-face latency, batch 1: median and p90 of single-face calls after a warm-up, for the engine's
 *    simd and scalar builds, the float oracle (src/oracle/ssrnet-f32.ts), @tensorflow/tfjs on the
 *    `cpu` backend and @tensorflow/tfjs-backend-wasm (SIMD on, threads off). The engines run in
 *    ROUNDS interleaved rounds (each round: every engine in turn on the 32 faces) so a change of
 *    machine load hits all of them alike; ratios are taken between medians of the same run.
 * 2. Batch of 16: the engines run 16 faces back to back, TFJS gets one [16,64,64,3] tensor;
 *    median ms per batch / 16 = per-face time, and faces per second.
 * 3. First inference: compile + instantiate + loadWeights + first run, each part timed, in a fresh
 *    child process per start (not a worker_thread: V8 shares compiled wasm code between isolates of
 *    one process, a child process starts cold). Reading the files is not counted.
 * 4. RSS growth over RSS_RUNS engine runs, and the wasm memory size before/after (must not change).
 * 5. Bytes on disk (tools/size-report.ts).
 * 6. The int8 compute floor: SSR-Net's conv MACs over the peak rate of a pure
 *    i32x4.dot_i16x8_s + add loop (benchDotI16x8Peak of the kernel test build, timed as in
 *    bench/kernels.bench.ts), and the engine's ratio to it.
 *
 * Model: age-imdb everywhere (weights/age-imdb.ssrq, weights/keras/age-imdb.h5, and
 * test/fixtures/reference-tfjs/age.json, which is the imdb model), so the outputs can be compared.
 * Inputs: the first 32 UTKFace dev faces (../shared/data/utkface-dev) when present, otherwise 32
 * seeded random crops; the header line says which. TFJS and the oracle get the same crops as
 * float32 (converted once, outside the timing). Everything runs on one thread: no worker pool,
 * tfjs-backend-wasm without threads.
 *
 * Writes bench/results/e2e-latest.json and docs/latency.svg.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine.js';
import { KERNELS, TEST_WASM, buildTestWasm, convMacs, loadTestWasm } from '../test/helpers/kernel-registry.js';
import { Rng } from '../test/helpers/rng.js';
import { formatSizeReport, sizeReport } from '../tools/size-report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

const FACES = 32;
const BATCH = 16;
/** Interleaved rounds; each round runs every engine once on each of the FACES faces. */
const ROUNDS = 10;
/** The float oracle is slow: this many single-face runs per round. */
const ORACLE_PER_ROUND = 3;
/** Batches of 16 per engine per round. */
const BATCHES_PER_ROUND = 2;
const ENGINE_WARMUP_RUNS = 300;
const TFJS_WARMUP_RUNS = 10;
const FRESH_STARTS = 20;
const RSS_RUNS = 10_000;
const MODEL = 'age-imdb';

// Targets (the project's goals for the engine): printed as PASS/MISS, never enforced here.
const TARGET_SIMD_MS = 1.0;
const TARGET_VS_TFJS_WASM_B1 = 4.5;
const TARGET_VS_TFJS_WASM_B16 = 2.5;
const TARGET_FLOOR_RATIO = 1.5;
const TARGET_FIRST_INFERENCE_MS = 5;
const TARGET_SCALAR_VS_SIMD = 4;

// ---- statistics ---------------------------------------------------------------------------------

interface Stats { runs: number; median: number; p90: number; min: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { runs: s.length, median, p90: s[Math.ceil(0.9 * s.length) - 1], min: s[0] };
}

function timeOne(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

// ---- first inference, in a child process ------------------------------------------------------

interface FreshStart { compile: number; instantiate: number; loadWeights: number; firstRun: number; total: number }

/** Raw engine exports (assembly/index.ts), for the `raw` fresh start. */
interface RawExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  weightsPtr(slot: number): number;
  loadWeights(slot: number, length: number): number;
  run(slot: number): number;
}

/**
 * Child mode: one cold start, printed as one JSON line. `simd` / `scalar`: through the library's
 * Engine class (src/engine.ts, what a user pays); `simd-raw`: the same steps with the bare
 * WebAssembly API and the engine's exports, to separate the engine's cost from the host wrapper's.
 */
async function freshStartChild(mode: string): Promise<void> {
  const raw = mode.endsWith('-raw');
  const wasm = readFileSync(join(ROOT, 'build', `ssrnet-${mode.replace('-raw', '')}.wasm`));
  const weights = new Uint8Array(readFileSync(join(ROOT, 'weights', `${MODEL}.ssrq`)));
  const rng = new Rng(7);
  const crop = Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(0, 255));
  let engine: Engine | undefined;
  let e: RawExports | undefined;
  const t0 = performance.now();
  const module = await WebAssembly.compile(wasm);
  const t1 = performance.now();
  if (raw) e = (await WebAssembly.instantiate(module, {})).exports as unknown as RawExports;
  else engine = await Engine.create(module);
  const t2 = performance.now();
  if (e) {
    new Uint8Array(e.memory.buffer, e.weightsPtr(0), weights.length).set(weights);
    if (e.loadWeights(0, weights.length) !== 0) throw new Error('weights rejected');
  } else engine!.loadWeights(0, weights, 'age');
  const t3 = performance.now();
  if (e) {
    new Uint8Array(e.memory.buffer, e.inputPtr(), crop.length).set(crop);
    if (e.run(0) !== 0) throw new Error('run failed');
  } else engine!.run(0, crop);
  const t4 = performance.now();
  const r: FreshStart = { compile: t1 - t0, instantiate: t2 - t1, loadWeights: t3 - t2, firstRun: t4 - t3, total: t4 - t0 };
  console.log(JSON.stringify(r));
}

/** FRESH_STARTS cold starts of `build`, each in a new `node` child (same loader flags as us). */
function freshStarts(build: string): Record<keyof FreshStart, Stats> {
  const runs: FreshStart[] = [];
  for (let i = 0; i < FRESH_STARTS; i++) {
    const r = spawnSync(process.execPath, [...process.execArgv, THIS_FILE, '--fresh-start', build], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fresh-start child failed:\n${r.stderr}`);
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as FreshStart);
  }
  const keys = ['compile', 'instantiate', 'loadWeights', 'firstRun', 'total'] as const;
  return Object.fromEntries(keys.map((k) => [k, stats(runs.map((r) => r[k]))])) as Record<keyof FreshStart, Stats>;
}

// ---- compute floor ------------------------------------------------------------------------------

// Full Keras SSR-Net(3,3,3) conv MACs, every valid output pixel: [output side, K, Cin, Cout].
const KERAS_CONVS: [number, number, number, number][] = [
  [62, 3, 3, 32], [29, 3, 32, 32], [12, 3, 32, 32], [4, 3, 32, 32], // x stream
  [62, 3, 3, 16], [29, 3, 16, 16], [12, 3, 16, 16], [4, 3, 16, 16], // s stream
  [4, 1, 32, 10], [4, 1, 16, 10], // stage 1 heads on the 4x4 maps
  [14, 1, 32, 10], [14, 1, 16, 10], // stage 2 heads on the 14x14 maps
  [31, 1, 32, 10], [31, 1, 16, 10], // stage 3 heads on the 31x31 maps
];
const KERAS_MACS = KERAS_CONVS.reduce((n, [side, k, cin, cout]) => n + side * side * k * k * cin * cout, 0);
/** What the engine computes: only the rows/columns the pooling keeps (kernel registry shapes). */
const ENGINE_MACS = KERNELS.filter((k) => k.kind === 'conv')
  .flatMap((k) => k.ssrnet)
  .reduce((n, s) => n + convMacs(s as Parameters<typeof convMacs>[0]) * s.calls, 0);

/** Peak i32x4.dot_i16x8_s + add rate in MACs per ms: best of 31 batches of ~5 ms (as bench/kernels.bench.ts). */
async function peakMacsPerMs(): Promise<number> {
  if (!existsSync(TEST_WASM)) buildTestWasm();
  const mod = await loadTestWasm();
  const peak = mod.exports.benchDotI16x8Peak as (iterations: number) => number;
  const iterations = 1 << 16;
  for (let i = 0; i < 1000; i++) peak(iterations);
  let n = 1;
  for (let t = 0; t < 5 / 4; n *= 2) t = timeOne(() => { for (let i = 0; i < n; i++) peak(iterations); });
  let best = Infinity;
  for (let b = 0; b < 31; b++) best = Math.min(best, timeOne(() => { for (let i = 0; i < n; i++) peak(iterations); }) / n);
  return (iterations * 12 * 8) / best; // 12 dot_i16x8_s per iteration, 8 MACs each
}

// ---- the engines under test ---------------------------------------------------------------------

interface Contender {
  name: string;
  /** TFJS backend to select before running (TFJS keeps one global backend). */
  backend?: 'cpu' | 'wasm';
  /** Single faces per round. */
  perRound: number;
  one: (face: number) => number;
  /** One batch of BATCH faces starting at `first`; absent = not measured. */
  batch?: (first: number) => void;
  samples: number[];
  batchSamples: number[];
  outputs: number[];
}

function contender(name: string, perRound: number, one: (face: number) => number, batch?: (first: number) => void,
  backend?: 'cpu' | 'wasm'): Contender {
  return { name, backend, perRound, one, batch, samples: [], batchSamples: [], outputs: [] };
}

// ---- output: table, JSON, SVG -------------------------------------------------------------------

const ms = (v: number | undefined, d = 3) => (v === undefined ? '—' : v.toFixed(d));
const ratio = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}x`);

function latencySvg(rows: { name: string; median: number; p90: number }[], title: string): string {
  const W = 720, left = 190, right = 110, top = 46, barH = 22, gap = 12;
  const H = top + rows.length * (barH + gap) + 40;
  const maxV = Math.max(...rows.map((r) => r.p90));
  const lo = 0.1; // log axis from 0.1 ms
  const hiExp = Math.ceil(Math.log10(maxV));
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (hiExp - Math.log10(lo))) * (W - left - right);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="36" fill="#555" font-size="11">median ms per face, batch 1 (whisker: p90); log scale; shorter is faster</text>`,
  ];
  for (let e = Math.log10(lo); e <= hiExp; e++) {
    const gx = x(10 ** e).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${H - 30}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${H - 14}" text-anchor="middle" fill="#555" font-size="11">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(1)} ms</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    const fill = r.name.startsWith('ssrnet-wasm') ? '#2f6db5' : '#9aa5b1';
    out.push(`<text x="${left - 8}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(r.name)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${(x(r.median) - left).toFixed(1)}" height="${barH}" fill="${fill}"/>`);
    out.push(`<line x1="${x(r.median).toFixed(1)}" y1="${y + barH / 2}" x2="${x(r.p90).toFixed(1)}" y2="${y + barH / 2}" stroke="#333"/>`);
    out.push(`<line x1="${x(r.p90).toFixed(1)}" y1="${y + 5}" x2="${x(r.p90).toFixed(1)}" y2="${y + barH - 5}" stroke="#333"/>`);
    out.push(`<text x="${(x(r.p90) + 6).toFixed(1)}" y="${y + barH / 2 + 4}">${r.median < 10 ? r.median.toFixed(2) : r.median.toFixed(1)} ms</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown cpu', cores: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version, v8: process.versions.v8, os: `${platform()} ${arch()}`,
  };
  console.log(`# e2e bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node} (V8 ${machine.v8}), ${machine.os}`);

  // Inputs: the same 32 crops for everyone (u8 BGR for the engine, the same values as f32 for the others).
  const { haveDevFaces, loadDevFaces } = await import('../tools/dev-faces.js');
  let crops: Uint8Array[];
  let inputs: string;
  if (haveDevFaces()) {
    crops = (await loadDevFaces({ limit: FACES })).map((f) => f.crop);
    inputs = `${crops.length} UTKFace dev faces (../shared/data/utkface-dev via tools/dev-faces.ts), 64x64x3 BGR`;
  } else {
    const rng = new Rng(2024);
    crops = Array.from({ length: FACES }, () => Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(0, 255)));
    inputs = `${FACES} seeded random crops (Rng 2024; ../shared/data/utkface-dev not found), 64x64x3`;
  }
  const floats = crops.map((c) => Float32Array.from(c));
  console.log(`# inputs: ${inputs}; model ${MODEL} in every engine`);

  // The engine, both builds, one instance each, age model in slot 0.
  const weights = new Uint8Array(readFileSync(join(ROOT, 'weights', `${MODEL}.ssrq`)));
  const simd = await Engine.create(readFileSync(join(ROOT, 'build', 'ssrnet-simd.wasm')));
  const scalar = await Engine.create(readFileSync(join(ROOT, 'build', 'ssrnet-scalar.wasm')));
  simd.loadWeights(0, weights, 'age');
  scalar.loadWeights(0, weights, 'age');
  if (!simd.simd || scalar.simd) throw new Error('build/ssrnet-simd.wasm must report simd() = 1 and the scalar build 0');

  // The float oracle.
  const { predictF32 } = await import('../src/oracle/ssrnet-f32.js');
  const { readKerasSsrnet } = await import('../tools/keras-h5.js');
  const params = await readKerasSsrnet(join(ROOT, 'weights', 'keras', `${MODEL}.h5`), 'age');

  // The peer: TFJS graph model, cpu backend, and tfjs-backend-wasm if it loads here.
  const tf = await import('@tensorflow/tfjs');
  const { loadPeer, runPeer } = await import('../test/helpers/tfjs-peer.js');
  const cpuModel = await loadPeer('age'); // loadPeer selects the cpu backend
  runPeer(cpuModel, [floats[0]]);
  let wasmModel: Awaited<ReturnType<typeof loadPeer>> | undefined;
  let tfjsWasmNote = '';
  try {
    const tfWasm = await import('@tensorflow/tfjs-backend-wasm');
    tfWasm.setWasmPaths(join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmModel = await loadPeer('age'); // weights created on cpu, moved to wasm by the first run below
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    runPeer(wasmModel, [floats[0]]);
    const simdOn = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threadsOn = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    tfjsWasmNote = `tfjs-backend-wasm ${tfWasm.version_wasm}: SIMD ${simdOn ? 'on' : 'OFF'}, threads ${threadsOn ? 'ON' : 'off'}`;
  } catch (err) {
    wasmModel = undefined;
    tfjsWasmNote = `tfjs-backend-wasm unavailable here (${(err as Error).message}); ratios are against tfjs cpu`;
  }
  console.log(`# peer: @tensorflow/tfjs ${tf.version.tfjs}, test/fixtures/reference-tfjs/age.json; ${tfjsWasmNote}`);

  const engineBatch = (e: Engine) => (first: number) => { for (let i = 0; i < BATCH; i++) e.run(0, crops[first + i]); };
  const peerBatch = (m: NonNullable<typeof wasmModel>) => (first: number) => { runPeer(m, floats.slice(first, first + BATCH)); };
  const contenders: Contender[] = [
    contender('ssrnet-wasm simd', FACES, (i) => simd.run(0, crops[i]), engineBatch(simd)),
    contender('ssrnet-wasm scalar', FACES, (i) => scalar.run(0, crops[i]), engineBatch(scalar)),
    contender('float oracle (TS f32)', ORACLE_PER_ROUND, (i) => predictF32(params, floats[i])),
    contender('tfjs cpu', FACES, (i) => runPeer(cpuModel, [floats[i]])[0], peerBatch(cpuModel), 'cpu'),
  ];
  if (wasmModel) contenders.push(contender('tfjs-wasm simd 1t', FACES, (i) => runPeer(wasmModel!, [floats[i]])[0], peerBatch(wasmModel), 'wasm'));
  const peer = contenders[contenders.length - 1];

  // Warm-up (and every face's output, for the agreement column): engines until V8 has tiered the
  // wasm up, TFJS on every face and a few batches; the oracle gets its outputs during the rounds.
  for (const c of contenders) {
    if (c.backend) await tf.setBackend(c.backend);
    const n = c.name.startsWith('ssrnet') ? ENGINE_WARMUP_RUNS : c.backend ? Math.max(TFJS_WARMUP_RUNS, FACES) : 1;
    for (let i = 0; i < n; i++) c.outputs[i % FACES] = c.one(i % FACES);
    if (c.batch) for (let i = 0; i < 3; i++) c.batch(0);
  }

  const peakBefore = await peakMacsPerMs();

  // Interleaved rounds.
  for (let round = 0; round < ROUNDS; round++) {
    process.stdout.write(round === 0 ? `# rounds: 1` : ` ${round + 1}`);
    for (const c of contenders) {
      if (c.backend) {
        await tf.setBackend(c.backend);
        c.one(0); // untimed: anything lazy after a backend switch happens here
      }
      for (let k = 0; k < c.perRound; k++) {
        const face = (round * c.perRound + k) % FACES;
        c.samples.push(timeOne(() => { c.outputs[face] = c.one(face); }));
      }
      if (c.batch) for (let b = 0; b < BATCHES_PER_ROUND; b++) c.batchSamples.push(timeOne(() => c.batch!((b * BATCH) % FACES)));
    }
  }
  process.stdout.write('\n');
  const peak = Math.max(peakBefore, await peakMacsPerMs());

  // Memory: RSS and wasm memory across RSS_RUNS runs of the simd engine.
  const wasmMemBefore = simd.memoryBytes.memory;
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < RSS_RUNS; i++) simd.run(0, crops[i % FACES]);
  const rssAfter = process.memoryUsage().rss;
  const wasmMemAfter = simd.memoryBytes.memory;

  // First inference, cold, in child processes.
  console.log(`# ${FRESH_STARTS} fresh starts per build in child processes...`);
  const firstSimd = freshStarts('simd');
  const firstScalar = freshStarts('scalar');
  const firstSimdRaw = freshStarts('simd-raw');

  const sizes = sizeReport();

  // ---- results ----
  const results = contenders.map((c) => {
    const single = stats(c.samples);
    const batch = c.batchSamples.length ? stats(c.batchSamples) : undefined;
    const maxDiff = Math.max(...c.outputs.flatMap((o, i) => (o === undefined ? [] : [Math.abs(o - peer.outputs[i])])));
    return { name: c.name, single, batch, perFaceBatch16: batch && { median: batch.median / BATCH, p90: batch.p90 / BATCH },
      facesPerSecond: batch && (1000 * BATCH) / batch.median, maxAbsDiffVsPeerYears: maxDiff };
  });
  const byName = (n: string) => results.find((r) => r.name === n)!;
  const rSimd = byName('ssrnet-wasm simd');
  const rScalar = byName('ssrnet-wasm scalar');
  const rPeer = byName(peer.name);

  console.log(`\n# per-face latency, ${ROUNDS} interleaved rounds after warm-up; ratio = ${peer.name} median / engine median (> 1: faster than ${peer.name})`);
  console.log(`${'engine'.padEnd(22)} ${'runs'.padStart(5)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(9)} ${'vs peer'.padStart(8)} | ` +
    `${'b16 runs'.padStart(8)} ${'ms/face'.padStart(8)} ${'p90'.padStart(8)} ${'faces/s'.padStart(8)} ${'vs peer'.padStart(8)} | max |Δ| vs peer (y)`);
  for (const r of results) {
    console.log(`${r.name.padEnd(22)} ${String(r.single.runs).padStart(5)} ${ms(r.single.median).padStart(10)} ${ms(r.single.p90).padStart(9)} ` +
      `${ratio(rPeer.single.median / r.single.median).padStart(8)} | ${String(r.batch?.runs ?? '—').padStart(8)} ${ms(r.perFaceBatch16?.median).padStart(8)} ` +
      `${ms(r.perFaceBatch16?.p90).padStart(8)} ${(r.facesPerSecond?.toFixed(0) ?? '—').padStart(8)} ` +
      `${ratio(r.perFaceBatch16 && rPeer.perFaceBatch16 ? rPeer.perFaceBatch16.median / r.perFaceBatch16.median : undefined).padStart(8)} | ${r.maxAbsDiffVsPeerYears.toFixed(4)}`);
  }

  console.log(`\n# first inference: median (p90) ms of ${FRESH_STARTS} cold starts, each in a new child process; file reads not counted`);
  console.log(`${'build'.padEnd(9)} ${'compile'.padStart(14)} ${'instantiate'.padStart(14)} ${'loadWeights'.padStart(14)} ${'first run'.padStart(14)} ${'total'.padStart(14)} ${'no compile*'.padStart(12)}`);
  for (const [name, f] of [['simd', firstSimd], ['scalar', firstScalar], ['simd-raw', firstSimdRaw]] as const) {
    const cell = (s: Stats) => `${ms(s.median)} (${ms(s.p90)})`.padStart(14);
    const noCompile = f.instantiate.median + f.loadWeights.median + f.firstRun.median;
    console.log(`${name.padEnd(9)} ${cell(f.compile)} ${cell(f.instantiate)} ${cell(f.loadWeights)} ${cell(f.firstRun)} ${cell(f.total)} ${ms(noCompile).padStart(12)}`);
  }
  console.log('* sum of the medians without compile: what a host pays with a precompiled WebAssembly.Module (Workers)');
  console.log('simd/scalar: through src/engine.ts (Engine.create); simd-raw: bare WebAssembly.instantiate + the exports');

  const rssGrowth = rssAfter - rssBefore;
  console.log(`\n# memory over ${RSS_RUNS} simd runs: RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MiB ` +
    `(${rssGrowth >= 0 ? '+' : ''}${(rssGrowth / 1024).toFixed(0)} KiB); wasm memory ${wasmMemBefore} -> ${wasmMemAfter} B ` +
    `(${wasmMemBefore === wasmMemAfter ? 'unchanged' : 'CHANGED'}); arena ${simd.memoryBytes.arena} B`);

  console.log('\n# bytes on disk (tools/size-report.ts)');
  console.log(formatSizeReport(sizes));

  const floorMs = KERAS_MACS / peak;
  const engineFloorMs = ENGINE_MACS / peak;
  const floorRatio = rSimd.single.median / floorMs;
  console.log('\n# int8 compute floor');
  console.log(`peak i32x4.dot_i16x8_s + add rate (kernel test build, best of 31 batches, before and after the rounds): ${(peak / 1e6).toFixed(2)} GMAC/s`);
  console.log(`SSR-Net conv MACs: ${(KERAS_MACS / 1e6).toFixed(2)} M (Keras model, every valid output); ${(ENGINE_MACS / 1e6).toFixed(2)} M computed by the engine (only the pixels the pooling keeps)`);
  console.log(`floor = ${(KERAS_MACS / 1e6).toFixed(2)} M / peak = ${ms(floorMs)} ms (${ms(engineFloorMs)} ms for the engine's ${(ENGINE_MACS / 1e6).toFixed(2)} M)`);
  console.log(`engine simd median / floor = ${floorRatio.toFixed(2)}x (best run: ${(rSimd.single.min / floorMs).toFixed(2)}x)`);

  const vsPeerB1 = rPeer.single.median / rSimd.single.median;
  const vsPeerB16 = rPeer.perFaceBatch16!.median / rSimd.perFaceBatch16!.median;
  const scalarVsSimd = rScalar.single.median / rSimd.single.median;
  const peerLabel = wasmModel ? 'tfjs-wasm (SIMD, 1 thread)' : 'tfjs cpu (tfjs-backend-wasm unavailable)';
  const targets = [
    { target: `simd <= ${TARGET_SIMD_MS} ms/face steady state (median, batch 1)`, value: rSimd.single.median, pass: rSimd.single.median <= TARGET_SIMD_MS, shown: `${ms(rSimd.single.median)} ms` },
    { target: `simd >= ${TARGET_VS_TFJS_WASM_B1}x faster than ${peerLabel}, batch 1`, value: vsPeerB1, pass: vsPeerB1 >= TARGET_VS_TFJS_WASM_B1, shown: ratio(vsPeerB1) },
    { target: `simd >= ${TARGET_VS_TFJS_WASM_B16}x faster than ${peerLabel}, per face at batch 16`, value: vsPeerB16, pass: vsPeerB16 >= TARGET_VS_TFJS_WASM_B16, shown: ratio(vsPeerB16) },
    { target: `simd within ${TARGET_FLOOR_RATIO}x the int8 compute floor`, value: floorRatio, pass: floorRatio <= TARGET_FLOOR_RATIO, shown: ratio(floorRatio) },
    { target: `first inference incl. compile + instantiation <= ${TARGET_FIRST_INFERENCE_MS} ms (simd, median total)`, value: firstSimd.total.median, pass: firstSimd.total.median <= TARGET_FIRST_INFERENCE_MS, shown: `${ms(firstSimd.total.median)} ms` },
    { target: `scalar within ${TARGET_SCALAR_VS_SIMD}x simd (expected MISS)`, value: scalarVsSimd, pass: scalarVsSimd <= TARGET_SCALAR_VS_SIMD, shown: ratio(scalarVsSimd) },
  ];
  console.log('\n# targets');
  for (const t of targets) console.log(`${t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.shown}`);

  const json = {
    date: new Date().toISOString(), machine, inputs, model: MODEL, peer: peer.name, tfjs: tfjsWasmNote,
    config: { faces: FACES, batch: BATCH, rounds: ROUNDS, oraclePerRound: ORACLE_PER_ROUND, engineWarmupRuns: ENGINE_WARMUP_RUNS, freshStarts: FRESH_STARTS, rssRuns: RSS_RUNS },
    latencyMs: results,
    firstInferenceMs: { method: 'child process per start', simd: firstSimd, scalar: firstScalar, simdRaw: firstSimdRaw },
    memory: { rssBefore, rssAfter, rssGrowth, wasmMemBefore, wasmMemAfter, arenaBytes: simd.memoryBytes.arena },
    sizes,
    floor: { kerasMacs: KERAS_MACS, engineMacs: ENGINE_MACS, peakMacsPerSecond: peak * 1000, floorMs, engineFloorMs, simdMedianOverFloor: floorRatio },
    targets,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'e2e-latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  const title = `SSR-Net age, one 64x64 face: ${machine.cpu}, Node ${machine.node}`;
  writeFileSync(join(ROOT, 'docs', 'latency.svg'), latencySvg(results.map((r) => ({ name: r.name, median: r.single.median, p90: r.single.p90 })), title));
  console.log('\n# wrote bench/results/e2e-latest.json and docs/latency.svg');
}

if (process.argv[2] === '--fresh-start') await freshStartChild(process.argv[3]);
else await main();
