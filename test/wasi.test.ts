// The WASI command (assembly/wasi.ts), both builds, on every runtime: Node's WASI and the
// microcontroller-class runtimes of ../shared/runtimes/linux-x64 (wasm3, WAMR fast interpreter
// with SIMD, classic interpreter, fast JIT). On each: the same faces, scores and ages as the Node
// library on the same pixels (detection, face box, crop, 'auto' age, gender — compared exactly:
// every step is the same IEEE arithmetic), from a file argument (wasm3's preopens included) and
// from stdin; raw frames; bad input → a message on stderr and exit code 1, never a trap.
//
// A runtime path can be overridden with WASM3, IWASM_FAST_SIMD, IWASM_CLASSIC, IWASM_FASTJIT; a
// runtime that is absent or cannot run on this machine is skipped with one line saying so.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WASI } from 'node:wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { normalizeInput } from '../src/input.js';
import { CROP_SIZE } from '../src/preprocess.js';
import { cropFace } from './helpers/crop-reference.js';
import type { FaceResult, Rgba } from '../src/types.js';

const BUILDS = { simd: resolve('build/ssrnet-wasi-simd.wasm'), scalar: resolve('build/ssrnet-wasi-scalar.wasm') } as const;
type Build = keyof typeof BUILDS;
const WASI_IMPORTS = ['args_get', 'args_sizes_get', 'fd_close', 'fd_prestat_dir_name', 'fd_prestat_get', 'fd_read', 'fd_write', 'path_open', 'proc_exit'];
/** Any SIMD instruction or type in binaryen's text format. */
const SIMD_TOKEN = /\bv128\b|\b[if](8x16|16x8|32x4|64x2)\./;
/** The fixed memory of both builds (asconfig wasi-simd / wasi-scalar), stated in docs/embedding.md. */
const MEMORY_PAGES = 244;

const RUNTIMES_DIR = resolve('../shared/runtimes/linux-x64');
interface Runtime {
  name: string;
  /** Which build it runs: the simd build where the runtime has SIMD, else the scalar one. */
  build: Build;
  path: string;
  args: (wasm: string, args: string[]) => string[];
}
/** wasm3 preopens "/" and "./" by itself; WAMR preopens what --dir names. */
const RUNTIMES: Runtime[] = [
  { name: 'wasm3', env: 'WASM3', build: 'scalar' as Build, wasi: (w: string, a: string[]) => [w, ...a] },
  { name: 'iwasm-fast-simd', env: 'IWASM_FAST_SIMD', build: 'simd' as Build, wasi: (w: string, a: string[]) => ['--dir=.', w, ...a] },
  { name: 'iwasm-classic', env: 'IWASM_CLASSIC', build: 'scalar' as Build, wasi: (w: string, a: string[]) => ['--dir=.', w, ...a] },
  { name: 'iwasm-fastjit', env: 'IWASM_FASTJIT', build: 'scalar' as Build, wasi: (w: string, a: string[]) => ['--dir=.', w, ...a] },
].map(({ name, env, build, wasi }) => ({ name, build, path: process.env[env] ?? join(RUNTIMES_DIR, name), args: wasi }));

/** Why a runtime cannot be used here, or undefined when it runs. */
function unavailable(r: Runtime): string | undefined {
  if (!existsSync(r.path)) return `${r.path} is absent (../shared not beside the project?)`;
  const probe = spawnSync(r.path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) return `${r.path} cannot run on this machine (${probe.signal ?? `exit ${probe.status}`})`;
  // A binary built for another CPU may start and then die on its first module (SIGILL): an
  // unknown option must give the command's usage exit code, 2.
  const run = spawnSync(r.path, r.args(BUILDS[r.build], ['--no-such-option']), { encoding: 'utf8', timeout: 30_000 });
  if (run.signal) return `${r.path} dies running a module on this machine (${run.signal}: built for another CPU?)`;
  return undefined;
}

let dir: string;

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs a build on a native runtime in `dir` (the working directory is the preopen) with `stdin` bytes. */
function runNative(r: Runtime, build: Build, args: string[], stdin: Buffer): Run {
  const p = spawnSync(r.path, r.args(BUILDS[build], args), { cwd: dir, input: stdin, maxBuffer: 64 << 20, timeout: 120_000 });
  return { code: p.status ?? -1, stdout: p.stdout, stderr: `${p.stderr}${p.signal ? ` (signal ${p.signal})` : ''}` };
}

/**
 * A full garbage collection. Node 20 segfaults after a dozen or so instances of the command (16 MB
 * of fixed memory each) are started in one process and left to the collector (reproduced with the
 * builds from before the finer pass too); collecting after each run keeps the test process alive.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const modules = new Map<Build, WebAssembly.Module>();

/** Runs a build on Node's WASI with `stdin` bytes; the working directory `dir` is preopened as ".". */
async function runNode(build: Build, args: string[], stdin: Buffer): Promise<Run> {
  writeFileSync(join(dir, 'stdin'), stdin);
  const fds = [openSync(join(dir, 'stdin'), 'r'), openSync(join(dir, 'stdout'), 'w'), openSync(join(dir, 'stderr'), 'w')];
  try {
    const wasi = new WASI({ version: 'preview1', args: ['ssrnet-wasi', ...args], stdin: fds[0], stdout: fds[1], stderr: fds[2], preopens: { '.': dir }, returnOnExit: true });
    if (!modules.has(build)) modules.set(build, await WebAssembly.compile(readFileSync(BUILDS[build])));
    const instance = await WebAssembly.instantiate(modules.get(build)!, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    collectGarbage();
    return { code, stdout: readFileSync(join(dir, 'stdout')), stderr: readFileSync(join(dir, 'stderr'), 'utf8') };
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

/** A binary PPM (3 channels) or PGM (1 channel). */
function pnm(width: number, height: number, channels: 1 | 3, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${channels === 3 ? 'P6' : 'P5'}\n# made by the test\n${width} ${height}\n255\n`), data]);
}

/** RGBA → packed RGB or gray (the gray of an RGBA made from gray is its R). */
function pack(img: Rgba, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(img.width * img.height * channels);
  for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = img.data[i * 4 + c];
  return out;
}

/** `img` shrunk by an integer `factor` (box average). */
function shrink(img: Rgba, factor: number): Rgba {
  const width = Math.floor(img.width / factor);
  const height = Math.floor(img.height / factor);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let v = 0; v < factor; v++) for (let u = 0; u < factor; u++) sum += img.data[((y * factor + v) * img.width + x * factor + u) * 4 + c];
        data[(y * width + x) * 4 + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return { data, width, height };
}

/** A grey 1280x960 frame with the fixture's face at 1/2 (about 45 px) and twice at 1/4 (about 23 px): a case for the detector's finer pass. */
function smallFacesFrame(): Rgba {
  const W = 1280;
  const data = new Uint8Array(W * 960 * 4).fill(128);
  for (const [img, x0, y0] of [[shrink(photo, 2), 600, 100], [shrink(photo, 4), 200, 300], [shrink(photo, 4), 900, 500]] as const) {
    for (let y = 0; y < img.height; y++) data.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), ((y0 + y) * W + x0) * 4);
  }
  return { data, width: W, height: 960 };
}

// ---- what Node says ----

let estimator: Awaited<ReturnType<typeof createEstimator>>;

/**
 * The Node library's result for an image (its detector, the landmark-centred face box of
 * src/face-box.ts, auto age, gender): the WASI command's pipeline. The command prints no landmarks.
 */
async function nodeFaces(img: Rgba, options: { minFaceSize?: number } = {}): Promise<FaceResult[]> {
  return (await estimator.estimate(img, options)).map(({ box, score, age, gender }) => ({ box, score, age, gender }));
}

/** The command's JSON lines as results. */
function parseLines(run: Run): FaceResult[][] {
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.toString().trim().split('\n').map((line) => JSON.parse(line).faces as FaceResult[]);
}

/** The fixture: a 160x160 region of the example photo around the astronaut's face (real pixels, a ~90 px face). */
let photo: Rgba;
let photoFaces: FaceResult[];
/** The same region in gray, with its own Node result. */
let grayPhoto: Rgba;
let grayFaces: FaceResult[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssrnet-wasi-'));
  const full = await normalizeInput(readFileSync('examples/astronaut.png'));
  const [x0, y0, side] = [140, 40, 160];
  const region = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) region.set(full.data.subarray(((y0 + y) * full.width + x0) * 4, ((y0 + y) * full.width + x0 + side) * 4), y * side * 4);
  photo = { data: region, width: side, height: side };
  const gray = new Uint8Array(side * side);
  for (let i = 0; i < gray.length; i++) gray[i] = Math.round((region[i * 4] * 299 + region[i * 4 + 1] * 587 + region[i * 4 + 2] * 114) / 1000);
  grayPhoto = await normalizeInput({ data: gray, width: side, height: side, format: 'gray' });
  writeFileSync(join(dir, 'face.ppm'), pnm(side, side, 3, pack(photo, 3)));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'face.ppm'), pnm(side, side, 3, pack(photo, 3)));
  estimator = await createEstimator({ model: 'auto', gender: true });
  photoFaces = await nodeFaces(photo);
  grayFaces = await nodeFaces(grayPhoto);
  expect(photoFaces.length).toBe(1); // the fixture must hold a face, or the comparisons prove little
  expect(grayFaces.length).toBe(1);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- the module ----

describe('WASI command builds', () => {
  const text = (wasm: string): string => execFileSync('node_modules/.bin/wasm-dis', [wasm], { encoding: 'utf8', maxBuffer: 256 << 20 });

  it('scalar has no SIMD instruction, simd has', () => {
    expect(SIMD_TOKEN.test(text(BUILDS.scalar))).toBe(false);
    expect(SIMD_TOKEN.test(text(BUILDS.simd))).toBe(true);
  });

  it('docs/embedding.md states the fixed memory', () => {
    const block = readFileSync('docs/embedding.md', 'utf8').match(/<!-- wasi-memory:start -->([\s\S]*?)<!-- wasi-memory:end -->/)?.[1] ?? '';
    expect(block).toContain(`${MEMORY_PAGES} pages (${(MEMORY_PAGES * 65536).toLocaleString('en-US')} bytes)`);
  });

  it.each(Object.keys(BUILDS) as Build[])('%s: imports only WASI preview1, exports _start and memory; fixed memory, never grown', (build) => {
    const module = new WebAssembly.Module(readFileSync(BUILDS[build]));
    const imports = WebAssembly.Module.imports(module);
    expect(new Set(imports.map((i) => i.module))).toEqual(new Set(['wasi_snapshot_preview1']));
    expect(imports.map((i) => i.name).sort()).toEqual(WASI_IMPORTS);
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['_start', 'memory']);
    const wat = text(BUILDS[build]);
    expect(wat.match(/\(memory \$0 \d+ \d+\)/)?.[0]).toBe(`(memory $0 ${MEMORY_PAGES} ${MEMORY_PAGES})`);
    // No growth and no allocation: the stub runtime's allocator (which grows memory) is not linked in.
    expect(/memory\.grow/.test(wat)).toBe(false);
  });
});

// ---- Node's WASI ----

describe.each(Object.keys(BUILDS) as Build[])('Node WASI, %s build', (build) => {
  it('finds the faces Node finds, with the same boxes, scores, ages and genders (stdin, "-", file)', async () => {
    const ppm = readFileSync(join(dir, 'face.ppm'));
    for (const args of [['--gender'], ['--gender', '-'], ['--gender', 'face.ppm']]) {
      expect(parseLines(await runNode(build, args, ppm)), args.join(' ')).toEqual([photoFaces]);
    }
  });

  it('gives Node\'s result on a PGM and on raw rgb24 / gray frames (one line per frame)', async () => {
    expect(parseLines(await runNode(build, ['--gender'], pnm(160, 160, 1, pack(grayPhoto, 1))))).toEqual([grayFaces]);
    const rgb = Buffer.from(pack(photo, 3));
    expect(parseLines(await runNode(build, ['--gender', '--raw', '160x160', '--format', 'rgb24'], Buffer.concat([rgb, rgb])))).toEqual([photoFaces, photoFaces]);
    const gray = Buffer.from(pack(grayPhoto, 1));
    expect(parseLines(await runNode(build, ['--gender', '--raw', '160x160', '--format', 'gray'], gray))).toEqual([grayFaces]);
  });

  it('--box, --margin, --model, --gender=NAME, --max-faces give the library\'s numbers', async () => {
    const box = { x: 30.5, y: 25, width: 95.25, height: 101 };
    const ppm = readFileSync(join(dir, 'face.ppm'));
    for (const [model, margin, gender] of [['age-wiki', 0.4, 'gender-wiki'], ['age-morph2', 0.25, 'gender-morph'], ['auto', 0, 'gender-imdb']] as const) {
      const node = await createEstimator({ model, gender });
      const want = await node.estimate(photo, { box, margin });
      const got = parseLines(await runNode(build, ['--box', '30.5,25,95.25,101', '--margin', String(margin), '--model', model, `--gender=${gender}`], ppm));
      expect(got, `${model} ${margin} ${gender}`).toEqual([want]);
    }
    expect(parseLines(await runNode(build, ['--max-faces', '1', '--gender'], ppm))).toEqual([photoFaces.slice(0, 1)]);
  });

  it('a 1280x960 frame with faces too small for the first pass: the finer tiled pass finds Node\'s faces', async () => {
    const frame = smallFacesFrame();
    const want = await nodeFaces(frame);
    expect(want).toHaveLength(3); // the two 23 px faces need the finer pass
    expect(parseLines(await runNode(build, ['--gender', '--raw', '1280x960', '--format', 'rgb24'], Buffer.from(pack(frame, 3))))).toEqual([want]);
  });

  it('--swar-conv (the scalar SWAR conv in the age networks) gives the same faces and ages', async () => {
    expect(parseLines(await runNode(build, ['--gender', '--swar-conv'], readFileSync(join(dir, 'face.ppm'))))).toEqual([photoFaces]);
  });

  it('--min-face N detects at the working size Node\'s minFaceSize picks (same faces)', async () => {
    for (const minFaceSize of [40, 12]) {
      const want = await nodeFaces(photo, { minFaceSize });
      expect(want.length, `minFaceSize ${minFaceSize}`).toBeGreaterThan(0);
      expect(parseLines(await runNode(build, ['--gender', '--min-face', String(minFaceSize)], readFileSync(join(dir, 'face.ppm'))))).toEqual([want]);
    }
  });

  it('converts YUYV and NV12 with BT.601 limited range (white, black, red, green, blue)', async () => {
    // [Y, U, V] → RGB of the ITU-R BT.601 integer form, and the crop of a flat frame is that colour.
    const colours: [number[], number[]][] = [
      [[235, 128, 128], [255, 255, 255]], [[16, 128, 128], [0, 0, 0]],
      [[81, 90, 240], [255, 0, 0]], [[145, 54, 34], [0, 255, 1]], [[41, 240, 110], [0, 0, 255]],
    ];
    for (const [[y, u, v], rgb] of colours) {
      const yuyv = Buffer.alloc(8 * 4 * 2);
      for (let i = 0; i < yuyv.length; i += 4) yuyv.set([y, u, y, v], i);
      const nv12 = Buffer.concat([Buffer.alloc(8 * 4, y), Buffer.from(Array.from({ length: 8 * 2 }, (_, i) => (i % 2 ? v : u)))]);
      for (const [format, frame] of [['yuyv', yuyv], ['nv12', nv12]] as const) {
        const r = await runNode(build, ['--raw', '8x4', '--format', format, '--box', '0,0,8,4', '--crop'], frame);
        expect(r.code, r.stderr).toBe(0);
        const pixels = r.stdout.subarray('P6\n64 64\n255\n'.length);
        expect(pixels.length).toBe(CROP_SIZE * CROP_SIZE * 3);
        for (let i = 0; i < pixels.length; i += 3) {
          if (pixels[i] !== rgb[0] || pixels[i + 1] !== rgb[1] || pixels[i + 2] !== rgb[2]) {
            throw new Error(`${format} Y${y} U${u} V${v}: pixel ${i / 3} is ${[...pixels.subarray(i, i + 3)]}, expected ${rgb}`);
          }
        }
      }
    }
  });

  it('crops exactly as src/preprocess.ts (--crop) at odd sizes, boxes past the edges, gray', async () => {
    const cases: [Rgba, 1 | 3, string][] = [
      [photo, 3, '-20,-10,70,200'], [photo, 3, '100.25,120.5,90,90'], [grayPhoto, 1, '10,10,30,20'],
      [{ data: photo.data.subarray(0, 7 * 5 * 4), width: 7, height: 5 }, 3, '0,0,7,5'],
    ];
    for (const [img, channels, boxText] of cases) {
      const [x, y, width, height] = boxText.split(',').map(Number);
      const r = await runNode(build, ['--box', boxText, '--crop'], pnm(img.width, img.height, channels, pack(img, channels)));
      expect(r.code, r.stderr).toBe(0);
      const want = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
      cropFace(img, { x, y, width, height }, 0.4, want, 'rgb');
      expect(Buffer.from(r.stdout.subarray('P6\n64 64\n255\n'.length)).equals(Buffer.from(want)), boxText).toBe(true);
    }
  });

  // 1000 frames on the simd build (~2 ms each in V8), 300 on the scalar one (~20 ms each).
  const many = build === 'simd' ? 1000 : 300;
  it(`runs ${many} frames in one instance with the same answer each time (fixed memory, no state carried over)`, async () => {
    const rgb = Buffer.from(pack(photo, 3));
    const lines = parseLines(await runNode(build, ['--raw', '160x160', '--format', 'rgb24', '--box', '30,25,95,101', '--model', 'age-wiki'], Buffer.concat(Array.from({ length: many }, () => rgb))));
    expect(lines.length).toBe(many);
    for (const line of lines) expect(line).toEqual(lines[0]);
  }, 120_000);

  it('detects 20 frames in one instance, each giving Node\'s faces (the engine arena restored after every detection)', async () => {
    const rgb = Buffer.from(pack(photo, 3));
    const lines = parseLines(await runNode(build, ['--gender', '--raw', '160x160', '--format', 'rgb24'], Buffer.concat(Array.from({ length: 20 }, () => rgb))));
    expect(lines).toEqual(Array.from({ length: 20 }, () => photoFaces));
  }, 120_000);
});

// ---- bad input, the same on every runtime ----

/**
 * Inputs that must give exit code 1 and a message, never a trap: [name, args, stdin, JSON lines
 * printed before the failure (the good frames before a bad one; default none)].
 */
const BAD_INPUT: [string, string[], Buffer, number?][] = [
  ['not a PNM', [], Buffer.from('P3\n1 1\n255\n0 0 0\n')],
  ['empty input', [], Buffer.alloc(0)],
  ['16-bit PPM', [], Buffer.concat([Buffer.from('P6\n1 1\n65535\n'), Buffer.alloc(6)])],
  ['truncated PPM data', [], Buffer.concat([Buffer.from('P6\n4 4\n255\n'), Buffer.alloc(10)])],
  ['lying PPM header (larger than the data)', [], Buffer.concat([Buffer.from('P6\n1000 1000\n255\n'), Buffer.alloc(3000)])],
  ['header cut before maxval', [], Buffer.from('P6\n4 4\n')],
  ['zero width', [], Buffer.from('P6\n0 4\n255\n')],
  ['zero height PGM', [], Buffer.from('P5\n4 0\n255\n')],
  ['huge dimensions', [], Buffer.from('P6\n99999999 99999999\n255\n')],
  ['frame larger than the build\'s memory', [], Buffer.concat([Buffer.from('P5\n2000 2000\n255\n'), Buffer.alloc(4_000_000)])],
  ['raw frame truncated', ['--raw', '64x64', '--format', 'rgb24'], Buffer.alloc(64 * 64 * 3 - 1)],
  ['second raw frame truncated', ['--raw', '8x8', '--format', 'gray', '--box', '0,0,8,8'], Buffer.alloc(64 + 10), 1],
  ['no raw frame', ['--raw', '8x8', '--format', 'nv12'], Buffer.alloc(0)],
  ['raw frame larger than the build\'s memory', ['--raw', '4000x3000', '--format', 'yuyv'], Buffer.alloc(16)],
  ['box outside the image', ['--box', '500,500,10,10'], pnm(8, 8, 3, new Uint8Array(8 * 8 * 3))],
];
/** Usage errors: exit code 2. */
const BAD_USAGE: [string, string[]][] = [
  ['unknown option', ['--bogus']],
  ['odd yuyv width', ['--raw', '7x4', '--format', 'yuyv']],
  ['raw without format', ['--raw', '8x8']],
  ['bad box', ['--box', '1,2,0,4']],
  ['bad model', ['--model', 'age-nope']],
  ['zero raw size', ['--raw', '0x4', '--format', 'gray']],
];

async function expectFailure(run: () => Promise<Run> | Run, code: number, name: string, lines = 0): Promise<void> {
  const r = await run();
  expect(r.code, `${name}: ${r.stderr}`).toBe(code);
  expect(r.stderr, name).toMatch(/^ssrnet-wasi: \S/);
  expect(r.stderr, name).not.toMatch(/trap|unreachable|out of bounds|exception/i);
  const out = r.stdout.toString();
  expect(out === '' ? 0 : out.trimEnd().split('\n').length, name).toBe(lines);
  if (lines) for (const line of out.trimEnd().split('\n')) expect(JSON.parse(line).faces.length, name).toBe(1);
}

describe('Node WASI: bad input', () => {
  it.each(BAD_INPUT)('%s: exit 1 with a message', async (name, args, stdin, lines) => {
    await expectFailure(() => runNode('scalar', args, stdin), 1, name, lines);
  });
  it.each(BAD_USAGE)('%s: exit 2 with a message', async (name, args) => {
    await expectFailure(() => runNode('scalar', args, Buffer.alloc(0)), 2, name);
  });
  it('a file that cannot be opened: exit 1', async () => {
    await expectFailure(() => runNode('scalar', ['no-such-file.ppm'], Buffer.alloc(0)), 1, 'missing file');
  });
});

// ---- natively, outside any wasm runtime: wabt's wasm2c + examples/c/wasi-host.c ----

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const native = has('wasm2c') && has('cc');
describe('wasm2c + cc (native C)', () => {
  it.skipIf(!native)(`scalar build: Node's faces and ages natively${native ? '' : ' (SKIPPED: needs wasm2c from apt package wabt, and cc)'}`, () => {
    execFileSync('wasm2c', [BUILDS.scalar, '-n', 'ssrnet', '-o', join(dir, 'ssrnet.c')]);
    const binary = join(dir, 'ssrnet-wasi');
    // -ffp-contract=off: wasm forbids fusing a*b+c, C compilers may do it by default.
    execFileSync('cc', ['-O1', '-ffp-contract=off', `-I${dir}`, 'examples/c/wasi-host.c', join(dir, 'ssrnet.c'), '/usr/share/wabt/wasm2c/wasm-rt-impl.c', '-lm', '-o', binary]);
    for (const args of [['--gender'], ['--gender', 'face.ppm']]) {
      const stdout = execFileSync(binary, args, { cwd: dir, input: readFileSync(join(dir, 'face.ppm')), encoding: 'utf8' });
      expect(JSON.parse(stdout).faces, args.join(' ')).toEqual(photoFaces);
    }
  }, 300_000);
});

// ---- the native runtimes ----

describe.each(RUNTIMES.map((r) => [r.name, r] as const))('%s', (_name, runtime) => {
  const why = unavailable(runtime);
  if (why) {
    it.skip(`SKIPPED: ${why}`, () => {});
    return;
  }
  const build = runtime.build;

  it(`${build} build: Node's faces, boxes, scores, ages and genders, from a file argument and from stdin`, () => {
    const ppm = readFileSync(join(dir, 'face.ppm'));
    // Relative paths resolve through the runtime's "." / "./" preopen (wasm3 maps its "/" preopen
    // to the working directory too, so absolute paths are not portable across runtimes).
    for (const args of [['--gender', 'face.ppm'], ['--gender', './sub/face.ppm'], ['--gender']]) {
      expect(parseLines(runNative(runtime, build, args, ppm)), args.join(' ')).toEqual([photoFaces]);
    }
  });

  it(`${build} build: raw rgb24 frames, one line each; PGM`, () => {
    const rgb = Buffer.from(pack(photo, 3));
    expect(parseLines(runNative(runtime, build, ['--gender', '--raw', '160x160', '--format', 'rgb24'], Buffer.concat([rgb, rgb])))).toEqual([photoFaces, photoFaces]);
    expect(parseLines(runNative(runtime, build, ['--gender'], pnm(160, 160, 1, pack(grayPhoto, 1))))).toEqual([grayFaces]);
  });

  it('bad input: exit 1 (usage: 2) with a message, no trap', async () => {
    for (const [name, args, stdin, lines] of BAD_INPUT) await expectFailure(() => runNative(runtime, build, args, stdin), 1, name, lines);
    for (const [name, args] of BAD_USAGE) await expectFailure(() => runNative(runtime, build, args, Buffer.alloc(0)), 2, name);
  });
});
