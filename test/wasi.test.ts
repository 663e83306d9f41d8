// The WASI command build/ssrnet-wasi.wasm (assembly/wasi.ts): no SIMD anywhere (nor in the scalar
// engine), WASI imports only, its crop byte for byte equal to src/preprocess.ts, and its age equal
// to Node's — on Node's WASI and natively outside JavaScript (wabt's wasm2c + a minimal C WASI
// layer; Debian's wasm-interp is built without WASI support).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WASI } from 'node:wasi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { normalizeInput } from '../src/input.js';
import { CROP_SIZE, DEFAULT_MARGIN, wholeImageBox } from '../src/preprocess.js';
import { cropFace } from './helpers/crop-reference.js';
import { EXAMPLE_BOX } from './helpers/engine.js';
import { Rng } from './helpers/rng.js';

const WASI_WASM = resolve('build/ssrnet-wasi.wasm');
/** Node runs the engine on the same crop: only the float tail could differ between runtimes. */
const AGE_TOLERANCE = 1e-4;
const WASI_IMPORTS = ['args_get', 'args_sizes_get', 'fd_close', 'fd_prestat_dir_name', 'fd_prestat_get', 'fd_read', 'fd_write', 'path_open', 'proc_exit'];
/** Any SIMD instruction or type in binaryen's text format. */
const SIMD_TOKEN = /\bv128\b|\b[if](8x16|16x8|32x4|64x2)\./;

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
let dir: string;

/** A binary PPM (3 channels) or PGM (1 channel) file. */
function pnm(width: number, height: number, channels: 1 | 3, data: Uint8Array, comment = ''): Buffer {
  const header = `${channels === 3 ? 'P6' : 'P5'}\n${comment}${width} ${height}\n255\n`;
  return Buffer.concat([Buffer.from(header), data]);
}

/** Runs the command on Node's WASI with `stdinFile` as stdin; the working directory is preopened. */
async function runOnNode(args: string[], stdinFile: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const stdin = openSync(stdinFile, 'r');
  const stdout = openSync(join(dir, 'stdout'), 'w');
  const stderr = openSync(join(dir, 'stderr'), 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['ssrnet-wasi', ...args], stdin, stdout, stderr, preopens: { '.': dir }, returnOnExit: true });
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(WASI_WASM)), wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    return { code, stdout: readFileSync(join(dir, 'stdout')), stderr: readFileSync(join(dir, 'stderr'), 'utf8') };
  } finally {
    [stdin, stdout, stderr].forEach((fd) => closeSync(fd));
  }
}

/** The 64x64 BGR network input src/preprocess.ts makes of a whole PPM/PGM image. */
async function cropInTs(width: number, height: number, channels: 1 | 3, data: Uint8Array): Promise<Uint8Array> {
  const image = await normalizeInput({ data, width, height, format: channels === 3 ? 'rgb' : 'gray' });
  const out = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
  cropFace(image, wholeImageBox(image), DEFAULT_MARGIN, out);
  return out;
}

/** The face of the example photo as a 64x64 RGB image (the fixture the command gets). */
let face: Uint8Array;
let nodeAge: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssrnet-wasi-'));
  const photo = await normalizeInput(readFileSync('examples/astronaut.png'));
  face = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
  cropFace(photo, EXAMPLE_BOX, 0, face, 'rgb');
  writeFileSync(join(dir, 'face.ppm'), pnm(64, 64, 3, face));
  const estimator = await createEstimator({ model: 'age-wiki' }); // the model embedded in the command
  [{ age: nodeAge }] = await estimator.estimate({ data: face, width: 64, height: 64, format: 'rgb' }, { detect: false });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('WASI command build', () => {
  it('has no SIMD instruction, nor has the scalar engine (the simd engine has)', () => {
    const text = (wasm: string): string => execFileSync('node_modules/.bin/wasm-dis', [wasm], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(text(WASI_WASM)).not.toMatch(SIMD_TOKEN);
    expect(text('build/ssrnet-scalar.wasm')).not.toMatch(SIMD_TOKEN);
    expect(text('build/ssrnet-simd.wasm')).toMatch(SIMD_TOKEN);
  });

  it('imports only WASI preview1 and exports _start and memory', () => {
    const module = new WebAssembly.Module(readFileSync(WASI_WASM));
    const imports = WebAssembly.Module.imports(module);
    expect(new Set(imports.map((i) => i.module))).toEqual(new Set(['wasi_snapshot_preview1']));
    expect(imports.map((i) => i.name).sort()).toEqual(WASI_IMPORTS);
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['_start', 'memory']);
  });

  it('crops exactly as src/preprocess.ts on PPM and PGM images of many shapes', async () => {
    const rng = new Rng(3);
    const photo = await normalizeInput(readFileSync('examples/astronaut.png'));
    const photoRgb = new Uint8Array(photo.width * photo.height * 3);
    for (let i = 0; i < photo.width * photo.height; i++) photoRgb.set(photo.data.subarray(i * 4, i * 4 + 3), i * 3);
    const cases: [number, number, 1 | 3, Uint8Array][] = [
      [photo.width, photo.height, 3, photoRgb],
      [64, 64, 3, face],
      ...([[1, 1], [2, 3], [7, 5], [63, 64], [65, 64], [100, 37], [37, 100], [640, 480]] as const).map(
        ([w, h]): [number, number, 3, Uint8Array] => [w, h, 3, new Uint8Array(Array.from({ length: w * h * 3 }, () => rng.int(0, 255)))],
      ),
      [50, 31, 1, new Uint8Array(Array.from({ length: 50 * 31 }, () => rng.int(0, 255)))],
    ];
    for (const [width, height, channels, data] of cases) {
      writeFileSync(join(dir, 'in.pnm'), pnm(width, height, channels, data, '# a comment\n'));
      const { code, stdout, stderr } = await runOnNode(['--crop'], join(dir, 'in.pnm'));
      expect(code, stderr).toBe(0);
      const header = 'P6\n64 64\n255\n';
      expect(stdout.subarray(0, header.length).toString()).toBe(header);
      const rgb = stdout.subarray(header.length);
      const bgr = await cropInTs(width, height, channels, data);
      const asRgb = new Uint8Array(bgr.length);
      for (let i = 0; i < bgr.length; i += 3) asRgb.set([bgr[i + 2], bgr[i + 1], bgr[i]], i);
      expect(Buffer.from(rgb).equals(Buffer.from(asRgb)), `${width}x${height}x${channels}`).toBe(true);
    }
  });

  it('gives Node\'s age on Node\'s WASI, from stdin and from a file', async () => {
    for (const args of [[], ['-'], ['face.ppm']]) {
      const { code, stdout, stderr } = await runOnNode(args, join(dir, 'face.ppm'));
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout.toString());
      expect(result.faces[0].box).toEqual({ x: 0, y: 0, width: 64, height: 64 });
      expect(Math.abs(result.faces[0].age - nodeAge)).toBeLessThan(AGE_TOLERANCE);
    }
  });

  it('fails with exit code 1 on bad images and 2 on bad usage', async () => {
    const bad: [string, Buffer][] = [
      ['not a PNM', Buffer.from('P3\n1 1\n255\n0 0 0\n')],
      ['16-bit', Buffer.concat([Buffer.from('P6\n1 1\n65535\n'), Buffer.alloc(6)])],
      ['truncated', Buffer.concat([Buffer.from('P6\n4 4\n255\n'), Buffer.alloc(10)])],
      ['zero width', Buffer.from('P6\n0 4\n255\n')],
    ];
    for (const [name, bytes] of bad) {
      writeFileSync(join(dir, 'bad.pnm'), bytes);
      const { code, stderr } = await runOnNode([], join(dir, 'bad.pnm'));
      expect(code, name).toBe(1);
      expect(stderr, name).toMatch(/^ssrnet-wasi: /);
    }
    expect((await runOnNode(['no-such-file.ppm'], join(dir, 'face.ppm'))).code).toBe(1);
    expect((await runOnNode(['--bogus'], join(dir, 'face.ppm'))).code).toBe(2);
  });

  const native = has('wasm2c') && has('cc');
  it.skipIf(!native)(`gives Node's age natively: wasm2c + cc, outside JavaScript${native ? '' : ' (SKIPPED: needs wasm2c from apt package wabt, and cc)'}`, () => {
    execFileSync('wasm2c', [WASI_WASM, '-n', 'ssrnet', '-o', join(dir, 'ssrnet.c')]);
    const binary = join(dir, 'ssrnet-wasi');
    // -ffp-contract=off: wasm forbids fusing a*b+c, C compilers may do it by default.
    execFileSync('cc', ['-O1', '-ffp-contract=off', `-I${dir}`, 'test/helpers/wasi-wasm2c.c', join(dir, 'ssrnet.c'), '/usr/share/wabt/wasm2c/wasm-rt-impl.c', '-lm', '-o', binary]);
    for (const args of [[], ['face.ppm']]) {
      const stdout = execFileSync(binary, args, { cwd: dir, input: readFileSync(join(dir, 'face.ppm')), encoding: 'utf8' });
      const result = JSON.parse(stdout);
      expect(result.faces[0].box).toEqual({ x: 0, y: 0, width: 64, height: 64 });
      expect(Math.abs(result.faces[0].age - nodeAge)).toBeLessThan(AGE_TOLERANCE);
    }
  });
});
