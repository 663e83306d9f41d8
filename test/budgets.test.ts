/**
 * Budgets are tests (STYLE.md point 9): wasm byte size per build, linear memory and arena, and the
 * weights-file size, against the checked-in budgets.json (numbers from tools/size-report.ts).
 *
 * - Hard targets (budgets.json `limits`): each wasm <= 32 KiB, each .ssrq <= 64 KiB, the fixed
 *   part of linear memory (the initial pages, holding the arena) <= 256 KiB and untouched by
 *   weights loading and inference; the image region above it grows to exactly what the image and
 *   the resized working image need (page-rounded), up to the declared maximum (1 GiB).
 * - Baselines (budgets.json `baselines`): the current sizes, within +-3% (TFLM's arena threshold
 *   test checks floor and ceiling on 64-bit hosts): a 3% regression fails while still under the
 *   hard target, a 3% saving fails until the baseline is lowered, so the baseline stays tight.
 * - The scalar build contains no SIMD instruction (wasm-dis from binaryen, shipped with
 *   assemblyscript, disassembles it; the simd build is scanned too, to show the scan can see SIMD).
 * - Neither build imports anything.
 *
 * The YuNet detector module gets the same checks against budgets.json `detector`.
 *
 * Builds the wasm first (`npm run asbuild`) when build/ is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WASM_BUILDS, memoryLimits, sizeReport, type SizeReport } from '../tools/size-report.js';

interface Budgets {
  tolerance: number;
  limits: { wasmBytes: number; ssrqBytes: number; memoryBytes: number; maxMemoryBytes: number };
  baselines: {
    wasm: Record<string, { bytes: number; gzipBytes: number }>;
    ssrqBytes: number;
    arenaBytes: number;
  };
  detector: {
    limits: { wasmBytes: number; memoryBytes: number };
    baselines: { wasm: Record<string, number>; memoryBytes: number; yunfBytes: number };
  };
}

const budgets = JSON.parse(readFileSync(join(ROOT, 'budgets.json'), 'utf8')) as Budgets;
const TOLERANCE = budgets.tolerance;

/** Any wasm SIMD type or instruction in binaryen's text format. */
const SIMD_TEXT = /\b(v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\b/;

let report: SizeReport;

beforeAll(() => {
  if (WASM_BUILDS.some((b) => !existsSync(join(ROOT, b)))) {
    const r = spawnSync('npm', ['run', 'asbuild'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run asbuild failed:\n${r.stdout}\n${r.stderr}`);
  }
  report = sizeReport();
});

/** Fails when `actual` is more than TOLERANCE away from `baseline`, saying which way and what to do. */
function expectNearBaseline(what: string, actual: number, baseline: number): void {
  const change = (actual - baseline) / baseline;
  const pct = `${(change * 100).toFixed(1)}%`;
  expect(change, `${what}: ${actual} B vs baseline ${baseline} B (${pct}): a regression over ${TOLERANCE * 100}%`)
    .toBeLessThanOrEqual(TOLERANCE);
  expect(change, `${what}: ${actual} B vs baseline ${baseline} B (${pct}): smaller, lower the baseline in budgets.json`)
    .toBeGreaterThanOrEqual(-TOLERANCE);
}

/** binaryen's disassembly of a build (wasm-dis from node_modules, a node script). */
function disassemble(path: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '.bin', 'wasm-dis'), join(ROOT, path)], {
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`wasm-dis ${path} failed:\n${r.stderr}`);
  return r.stdout;
}

describe.each(WASM_BUILDS)('%s', (path) => {
  const wasm = () => report.wasm.find((w) => w.path === path)!;

  it(`is at most ${budgets.limits.wasmBytes} bytes`, () => {
    expect(wasm().bytes).toBeLessThanOrEqual(budgets.limits.wasmBytes);
  });

  it(`is within ${TOLERANCE * 100}% of its baseline size, raw and gzip -9`, () => {
    const baseline = budgets.baselines.wasm[path];
    expect(baseline, `no baseline for ${path} in budgets.json`).toBeDefined();
    expectNearBaseline(`${path} raw`, wasm().bytes, baseline.bytes);
    expectNearBaseline(`${path} gzip`, wasm().gzipBytes, baseline.gzipBytes);
  });

  it(`starts with at most ${budgets.limits.memoryBytes} bytes of linear memory and declares ${budgets.limits.maxMemoryBytes} as its maximum`, () => {
    expect(wasm().memoryBytes).toBeLessThanOrEqual(budgets.limits.memoryBytes);
    expect(wasm().memoryPages.initial * 65536).toBe(wasm().memoryBytes);
    expect(wasm().memoryPages.maximum! * 65536).toBe(budgets.limits.maxMemoryBytes);
  });

  it('grows only for images: weights and runs keep the initial pages; an image adds exactly its page-rounded bytes', () => {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(ROOT, path))), {});
    const e = instance.exports as unknown as {
      memory: WebAssembly.Memory; weightsPtr(s: number): number; loadWeights(s: number, n: number): number; run(s: number): number;
      reserveImage(w: number, h: number, f: number): number; resizeImage(w: number, h: number): number; cropFace(...a: number[]): number;
    };
    const fixed = e.memory.buffer.byteLength;
    const weights = readFileSync(join(ROOT, 'weights/age-wiki.ssrq'));
    new Uint8Array(e.memory.buffer, e.weightsPtr(0), weights.length).set(weights);
    expect(e.loadWeights(0, weights.length)).toBe(0);
    for (let i = 0; i < 3; i++) expect(e.run(0)).toBe(0);
    expect(e.memory.buffer.byteLength).toBe(fixed);
    const pages = (bytes: number): number => Math.ceil(bytes / 65536) * 65536;
    // A 640x480 RGBA frame, then its 640x480 BGR working image after it (16-byte aligned).
    expect(e.reserveImage(640, 480, 0)).toBe(fixed);
    expect(e.memory.buffer.byteLength).toBe(pages(fixed + 640 * 480 * 4));
    expect(e.resizeImage(640, 480)).toBe(fixed + 640 * 480 * 4);
    const frame = pages(fixed + 640 * 480 * 7);
    expect(e.memory.buffer.byteLength).toBe(frame);
    // 1,000 frames of that size: no growth per frame.
    for (let i = 0; i < 1000; i++) {
      e.reserveImage(640, 480, 0);
      e.cropFace(100, 100, 80, 80, 0.4);
    }
    expect(e.memory.buffer.byteLength).toBe(frame);
    // Beyond the maximum: refused, memory unchanged.
    expect(e.reserveImage(16384, 16384, 0)).toBe(0);
    expect(e.memory.buffer.byteLength).toBe(frame);
  });

  it(`has an arena within ${TOLERANCE * 100}% of its baseline, inside the memory`, () => {
    expectNearBaseline(`${path} arena`, wasm().arenaBytes, budgets.baselines.arenaBytes);
    expect(wasm().arenaEnd).toBeLessThanOrEqual(wasm().memoryBytes);
  });

  it('has no imports', () => {
    expect(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(ROOT, path))))).toEqual([]);
    expect(wasm().imports).toBe(0);
  });
});

describe('SIMD content', () => {
  it('the scalar build has no SIMD instruction', () => {
    const text = disassemble('build/ssrnet-scalar.wasm');
    const hit = text.split('\n').find((line) => SIMD_TEXT.test(line));
    expect(hit, `SIMD in the scalar build: ${hit?.trim()}`).toBeUndefined();
  });

  it('the simd build has SIMD instructions (the scan above can see them)', () => {
    expect(disassemble('build/ssrnet-simd.wasm')).toMatch(SIMD_TEXT);
  });
});

describe('weights files', () => {
  it('there is at least one age model', () => {
    expect(report.weights.some((w) => w.path.startsWith('weights/age-'))).toBe(true);
  });

  it(`each .ssrq is at most ${budgets.limits.ssrqBytes} bytes and within ${TOLERANCE * 100}% of the baseline`, () => {
    for (const w of report.weights) {
      expect(w.bytes, w.path).toBeLessThanOrEqual(budgets.limits.ssrqBytes);
      expectNearBaseline(w.path, w.bytes, budgets.baselines.ssrqBytes);
    }
  });

  it('wasm + one age model is the sum of its parts', () => {
    const s = report.wasmPlusAgeModel;
    const wasm = report.wasm.find((w) => w.path === s.wasm)!;
    const model = report.weights.find((w) => w.path === s.model)!;
    expect(s.bytes).toBe(wasm.bytes + model.bytes);
  });
});

describe('detector (YuNet)', () => {
  const { limits, baselines } = budgets.detector;
  const builds = Object.keys(baselines.wasm);

  it.each(builds)('%s: size, fixed memory, no imports', (path) => {
    const bytes = readFileSync(join(ROOT, path));
    expect(bytes.length).toBeLessThanOrEqual(limits.wasmBytes);
    expectNearBaseline(path, bytes.length, baselines.wasm[path]);
    const pages = memoryLimits(bytes);
    expect(pages.maximum).toBe(pages.initial);
    expect(pages.initial * 65536).toBeLessThanOrEqual(limits.memoryBytes);
    expectNearBaseline(`${path} memory`, pages.initial * 65536, baselines.memoryBytes);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const e = instance.exports as { memory: WebAssembly.Memory; arenaEnd(): number };
    expect(e.arenaEnd()).toBeLessThanOrEqual(e.memory.buffer.byteLength);
    expect(() => e.memory.grow(1)).toThrow(RangeError);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual([]);
  });

  it('the scalar build has no SIMD instruction, the simd build has', () => {
    const hit = disassemble('build/yunet-scalar.wasm').split('\n').find((line) => SIMD_TEXT.test(line));
    expect(hit, `SIMD in the scalar detector: ${hit?.trim()}`).toBeUndefined();
    expect(disassemble('build/yunet-simd.wasm')).toMatch(SIMD_TEXT);
  });

  it('weights/yunet.yunf is within the tolerance of its baseline', () => {
    expectNearBaseline('weights/yunet.yunf', readFileSync(join(ROOT, 'weights/yunet.yunf')).length, baselines.yunfBytes);
  });
});
