/**
 * The WASI command on every runtime, against the interpreter's own speed bound measured in the
 * same run: a plain int8 dot loop of the network's 17.08 M MACs (bench/dot-loop.ts).
 *
 *   npx tsx bench/runtimes.bench.ts [--quick] [--only TEXT]    (--only: rows whose name contains TEXT)
 *
 * Runtimes: ../shared/runtimes/linux-x64 (wasm3 with the scalar build; WAMR fast interpreter with
 * the simd and the scalar build, classic interpreter and fast JIT with the scalar build; paths
 * overridable by WASM3, IWASM_FAST_SIMD, IWASM_CLASSIC, IWASM_FASTJIT) and V8 (Node's WASI, both
 * builds). Every time is a difference of two runs of one process (N frames − 1 frame, or dot loop
 * R reps − 1 rep), so start-up and model loading cancel; best of a few runs. V8 runs with
 * --no-liftoff (optimized code from the first call: the steady state).
 *
 * Printed per runtime: dot-loop bound (ms per 17.08 M MACs), one network run (a 64x64 face with
 * --box and one age model: 17.08 M MACs) and its ratio to the bound, one face with the default
 * 'auto' age (two networks), a 640x480 frame with three faces (whole pipeline: detection, three
 * crops, auto ages), the same with --min-face 32 (detector at 320x240).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WASI } from 'node:wasi';
import { createEstimator } from '../src/index.js';
import { normalizeInput } from '../src/input.js';

// V8 rows: optimized code from the first call (no baseline tier), i.e. V8's steady state; each
// run is a fresh instance of a cached module, and wasm has no on-stack replacement.
setFlagsFromString('--no-liftoff');
// Node 20 dies (SIGSEGV) after about a dozen uncollected WASI instances of the 16 MB command in one
// process (as in test/wasi.test.ts): a full collection after each run.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'build', 'bench');
const RUNTIMES_DIR = resolve(ROOT, '../shared/runtimes/linux-x64');
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
const BEST_OF = quick ? 1 : 3;

type Build = 'simd' | 'scalar';
interface Runtime {
  name: string;
  build: Build;
  /** Runs `wasm` with `args` and `stdin`; returns wall milliseconds (throws on failure). */
  run: (wasm: string, args: string[], stdin: Buffer) => number;
}

function native(name: string, env: string, build: Build, wamr: boolean, extra: string[] = []): Runtime | undefined {
  const path = process.env[env] ?? join(RUNTIMES_DIR, name);
  if (!existsSync(path) || spawnSync(path, ['--version']).status !== 0) {
    console.log(`# ${name}: SKIPPED (${path} absent or cannot run here)`);
    return undefined;
  }
  return {
    name: `${name} (${build}${extra.length ? `, ${extra.join(' ')}` : ''})`, build,
    run: (wasm, args, stdin) => {
      const t0 = performance.now();
      // The extra options go to the ssrnet command only (the dot loop takes just its count).
      const all = wasm.includes('dot-loop') ? args : [...extra, ...args];
      const r = spawnSync(path, [...(wamr ? ['--dir=.'] : []), wasm, ...all], { cwd: OUT, input: stdin, maxBuffer: 64 << 20 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status} ${r.signal ?? ''} ${r.stderr}`);
      return ms;
    },
  };
}

const modules = new Map<string, WebAssembly.Module>();
function v8(build: Build): Runtime {
  return {
    name: `V8 / Node WASI (${build})`, build,
    run: (wasm, args, stdin) => {
      writeFileSync(join(OUT, 'stdin'), stdin);
      const fds = [openSync(join(OUT, 'stdin'), 'r'), openSync(join(OUT, 'stdout'), 'w'), openSync('/dev/null', 'w')];
      try {
        if (!modules.has(wasm)) modules.set(wasm, new WebAssembly.Module(readFileSync(wasm)));
        const wasi = new WASI({ version: 'preview1', args: ['x', ...args], stdin: fds[0], stdout: fds[1], stderr: fds[2], preopens: { '.': OUT }, returnOnExit: true });
        const t0 = performance.now();
        const instance = new WebAssembly.Instance(modules.get(wasm)!, wasi.getImportObject() as WebAssembly.Imports);
        const code = wasi.start(instance);
        const ms = performance.now() - t0;
        if (code !== 0) throw new Error(`V8 ${args.join(' ')}: exit ${code}`);
        return ms;
      } finally {
        fds.forEach((fd) => closeSync(fd));
        collectGarbage();
      }
    },
  };
}

const best = (f: () => number, n = BEST_OF): number => Math.min(...Array.from({ length: n }, f));

/** Milliseconds per unit: (time of `many` units − time of 1 unit) / (many − 1), each best of BEST_OF. */
function perUnit(run: (units: number) => number, many: number, tries = BEST_OF): number {
  return (best(() => run(many), tries) - best(() => run(1), tries)) / (many - 1);
}

function buildAll(): { dot: Record<Build, string>; wasi: Record<Build, string> } {
  mkdirSync(OUT, { recursive: true });
  const dot = { simd: join(OUT, 'dot-loop-simd.wasm'), scalar: join(OUT, 'dot-loop-scalar.wasm') };
  for (const build of ['simd', 'scalar'] as const) {
    const r = spawnSync('npx', ['asc', 'bench/dot-loop.ts', '--runtime', 'stub', build === 'simd' ? '--enable' : '--disable', 'simd', '-O3', '--initialMemory', '1', '-o', dot[build]], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`asc dot-loop: ${r.stderr}`);
  }
  const wasi = { simd: join(ROOT, 'build', 'ssrnet-wasi-simd.wasm'), scalar: join(ROOT, 'build', 'ssrnet-wasi-scalar.wasm') };
  for (const w of Object.values(wasi)) if (!existsSync(w)) throw new Error(`${w} is missing: npm run asbuild:wasi`);
  return { dot, wasi };
}

/** A 64x64 face (raw RGB) and a 640x480 frame with three faces pasted on mid-grey (raw RGB). */
async function fixtures(): Promise<{ face: Buffer; frame: Buffer }> {
  const photo = await normalizeInput(readFileSync(join(ROOT, 'examples/astronaut.png')));
  const rgbAt = (x: number, y: number): number[] => [...photo.data.subarray((y * photo.width + x) * 4, (y * photo.width + x) * 4 + 3)];
  const face = Buffer.alloc(64 * 64 * 3);
  // The example's face box (175, 70, 90, 90) sampled to 64x64, nearest pixel: a real face crop.
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) face.set(rgbAt(175 + Math.floor((x * 90) / 64), 70 + Math.floor((y * 90) / 64)), (y * 64 + x) * 3);
  const frame = Buffer.alloc(640 * 480 * 3, 128);
  for (const [ox, oy] of [[20, 160], [240, 160], [460, 160]]) {
    for (let y = 0; y < 160; y++) for (let x = 0; x < 160; x++) frame.set(rgbAt(140 + x, 40 + y), ((oy + y) * 640 + ox + x) * 3);
  }
  const rgba = new Uint8Array(640 * 480 * 4);
  for (let i = 0; i < 640 * 480; i++) rgba.set([frame[i * 3], frame[i * 3 + 1], frame[i * 3 + 2], 255], i * 4);
  const found = (await (await createEstimator()).estimate({ data: rgba, width: 640, height: 480, format: 'rgba' })).length;
  if (found !== 3) throw new Error(`the bench frame should hold 3 faces; Node's detector finds ${found}`);
  return { face, frame };
}

async function main(): Promise<void> {
  console.log(`# runtimes bench: ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}${quick ? ' (quick: best of 1)' : ''}`);
  const { dot, wasi } = buildAll();
  const { face, frame } = await fixtures();
  const runtimes = [
    native('wasm3', 'WASM3', 'scalar', false),
    native('iwasm-fast-simd', 'IWASM_FAST_SIMD', 'simd', true),
    native('iwasm-fast-simd', 'IWASM_FAST_SIMD', 'simd', true, ['--swar-conv']),
    native('iwasm-fast-simd', 'IWASM_FAST_SIMD', 'scalar', true),
    native('iwasm-classic', 'IWASM_CLASSIC', 'scalar', true),
    native('iwasm-fastjit', 'IWASM_FASTJIT', 'scalar', true),
    v8('scalar'),
    v8('simd'),
  ].filter((r): r is Runtime => r !== undefined && r.name.includes(only));

  const faceArgs = ['--raw', '64x64', '--format', 'rgb24', '--box', '0,0,64,64'];
  const frameArgs = ['--raw', '640x480', '--format', 'rgb24'];
  const frames = (one: Buffer, n: number): Buffer => Buffer.concat(Array.from({ length: n }, () => one));
  console.log('\n| runtime (build) | dot loop 17.08 M MACs | one network (17.08 M MACs) | network / dot | face, auto age | 640x480 frame, 3 faces | same, --min-face 32 |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of runtimes) {
    try {
      r.run(wasi[r.build], ['--no-such-option'], Buffer.alloc(0));
    } catch (e) {
      // Exit 2 (usage) is the expected answer; a signal means the binary cannot run modules here.
      if (/signal|SIG/.test(String(e))) {
        console.log(`| ${r.name} | cannot run a module on this machine: ${String(e).split('\n')[0].slice(0, 120)} |`);
        continue;
      }
    }
    const slow = r.name.startsWith('iwasm-classic') || r.name.startsWith('wasm3') || r.name.startsWith('iwasm-fast');
    const dotMs = perUnit((reps) => r.run(dot[r.build], [String(reps)], Buffer.alloc(0)), slow ? 4 : 20);
    const netMs = perUnit((n) => r.run(wasi[r.build], [...faceArgs, '--model', 'age-wiki'], frames(face, n)), slow ? 5 : 40);
    const faceMs = perUnit((n) => r.run(wasi[r.build], faceArgs, frames(face, n)), slow ? 5 : 40);
    // Interpreters take seconds per frame: 3 frames − 1 frame, once (the difference dwarfs the noise).
    const frameMs = perUnit((n) => r.run(wasi[r.build], frameArgs, frames(frame, n)), slow ? 3 : 6, slow ? 1 : BEST_OF);
    const smallMs = perUnit((n) => r.run(wasi[r.build], [...frameArgs, '--min-face', '32'], frames(frame, n)), slow ? 3 : 6, slow ? 1 : BEST_OF);
    const f = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms';
    console.log(`| ${r.name} | ${f(dotMs)} | ${f(netMs)} | ${(netMs / dotMs).toFixed(2)}x | ${f(faceMs)} | ${f(frameMs)} | ${f(smallMs)} |`);
  }
}

await main();
