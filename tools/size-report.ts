/**
 * Size report: what the engine costs on disk and in memory.
 *
 *   npx tsx tools/size-report.ts           a table
 *   npx tsx tools/size-report.ts --json    the same numbers as JSON (what sizeReport() returns)
 *
 * Numbers (all bytes):
 * - each wasm build (build/ssrnet-simd.wasm, build/ssrnet-scalar.wasm): raw and gzip -9 (node:zlib
 *   level 9, what a CDN or a Workers bundle would ship);
 * - each weights/*.ssrq: raw and gzip -9;
 * - per build, the linear memory (memory.buffer.byteLength of a fresh instance), its page limits as
 *   declared in the binary's memory section (initial, maximum; the engine never grows, so they are
 *   equal), and the arena inside it (exports arenaEnd() - arenaStart());
 * - "wasm + one age model": the simd build plus the largest age-*.ssrq, raw and gzip.
 *
 * test/budgets.test.ts checks these against budgets.json; bench/e2e.bench.ts prints them.
 * Needs the builds (`npm run asbuild`); reads nothing else than build/ and weights/.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WASM_BUILDS = ['build/ssrnet-simd.wasm', 'build/ssrnet-scalar.wasm'] as const;

export interface FileSize {
  /** Path relative to the repository root. */
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface WasmSize extends FileSize {
  /** memory.buffer.byteLength right after instantiation. */
  memoryBytes: number;
  /** Memory section limits in 64 KiB pages (maximum null = unbounded). */
  memoryPages: { initial: number; maximum: number | null };
  /** arenaEnd() - arenaStart(). */
  arenaBytes: number;
  arenaStart: number;
  arenaEnd: number;
  /** WebAssembly.Module.imports(module).length (the engine has none). */
  imports: number;
}

export interface SizeReport {
  wasm: WasmSize[];
  weights: FileSize[];
  /** The simd build + the largest age model: what a deployment of the age estimator ships. */
  wasmPlusAgeModel: { wasm: string; model: string; bytes: number; gzipBytes: number };
}

function fileSize(path: string): FileSize {
  const bytes = readFileSync(join(ROOT, path));
  return { path, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

/** Reads an unsigned LEB128 at `pos`; returns [value, next position]. */
function uleb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, pos];
  }
}

/**
 * Limits of the module's own memory, from the memory section (id 5). The engine defines its memory
 * (no imports), so this is the only place the limits are declared.
 */
export function memoryLimits(bytes: Uint8Array): { initial: number; maximum: number | null } {
  let pos = 8; // magic + version
  while (pos < bytes.length) {
    const id = bytes[pos++];
    let size: number;
    [size, pos] = uleb(bytes, pos);
    if (id === 5) {
      let count: number;
      let flags: number;
      let initial: number;
      [count, pos] = uleb(bytes, pos);
      if (count !== 1) throw new Error(`expected one memory, found ${count}`);
      [flags, pos] = uleb(bytes, pos);
      [initial, pos] = uleb(bytes, pos);
      const maximum = flags & 1 ? uleb(bytes, pos)[0] : null;
      return { initial, maximum };
    }
    pos += size;
  }
  throw new Error('the module has no memory section');
}

function wasmSize(path: string): WasmSize {
  const bytes = readFileSync(join(ROOT, path));
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, {});
  const e = instance.exports as { memory: WebAssembly.Memory; arenaStart(): number; arenaEnd(): number };
  const arenaStart = e.arenaStart();
  const arenaEnd = e.arenaEnd();
  return {
    ...fileSize(path),
    memoryBytes: e.memory.buffer.byteLength,
    memoryPages: memoryLimits(bytes),
    arenaBytes: arenaEnd - arenaStart,
    arenaStart,
    arenaEnd,
    imports: WebAssembly.Module.imports(module).length,
  };
}

/** Measures every build and every weights file now on disk. */
export function sizeReport(): SizeReport {
  const wasm = WASM_BUILDS.map(wasmSize);
  const weights = readdirSync(join(ROOT, 'weights'))
    .filter((f) => f.endsWith('.ssrq'))
    .sort()
    .map((f) => fileSize(`weights/${f}`));
  const ageModels = weights.filter((w) => w.path.startsWith('weights/age-'));
  if (ageModels.length === 0) throw new Error('no weights/age-*.ssrq (run `npm run convert`)');
  const model = ageModels.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const simd = wasm[0];
  return {
    wasm,
    weights,
    wasmPlusAgeModel: {
      wasm: simd.path,
      model: model.path,
      bytes: simd.bytes + model.bytes,
      gzipBytes: simd.gzipBytes + model.gzipBytes,
    },
  };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The report as aligned text lines. */
export function formatSizeReport(r: SizeReport): string {
  const lines = [`${'file'.padEnd(32)} ${'bytes'.padStart(8)} ${'gzip -9'.padStart(8)}`];
  for (const f of [...r.wasm, ...r.weights]) {
    lines.push(`${f.path.padEnd(32)} ${String(f.bytes).padStart(8)} ${String(f.gzipBytes).padStart(8)}   (${kib(f.bytes)} / ${kib(f.gzipBytes)})`);
  }
  const s = r.wasmPlusAgeModel;
  lines.push(`${'wasm + one age model'.padEnd(32)} ${String(s.bytes).padStart(8)} ${String(s.gzipBytes).padStart(8)}   (${s.wasm} + ${s.model})`);
  for (const w of r.wasm) {
    lines.push(`${w.path}: linear memory ${w.memoryBytes} B (${kib(w.memoryBytes)}, pages ${w.memoryPages.initial}..${w.memoryPages.maximum ?? 'unbounded'}), ` +
      `arena ${w.arenaBytes} B (${kib(w.arenaBytes)}, [${w.arenaStart}, ${w.arenaEnd})), imports ${w.imports}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = sizeReport();
  console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatSizeReport(report));
}
