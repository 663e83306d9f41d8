// docs/embedding.md against the built engine: every number and table in it is regenerated here
// from the module (exports, memory map, static call depth, wasm features, result codes), and its
// C call sequence is run outside JavaScript — examples/c/host.c through wabt's wasm2c, and the
// scalar engine in wabt's reference interpreter — giving Node's age bit for bit.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CROP_SIZE, DEFAULT_MARGIN } from '../src/preprocess.js';
import { cropFace } from './helpers/crop-reference.js';
import { EXAMPLE_BOX, engineWith, ensureWasmBuilt, examplePhoto, weightsFile } from './helpers/engine.js';

const DOC = 'docs/embedding.md';
const BUILDS = ['scalar', 'simd'] as const;
/** Post-MVP features a runtime might lack, as wabt's wasm-validate names them. */
const FEATURES = ['simd', 'bulk-memory', 'saturating-float-to-int', 'sign-extension', 'mutable-globals', 'multi-value', 'reference-types'];

interface EngineExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  inputSize(): number;
  weightSlots(): number;
  weightsPtr(slot: number): number;
  weightsCapacity(): number;
  tensorPtr(id: number): number;
  arenaStart(): number;
  arenaEnd(): number;
  reserveImage(width: number, height: number, format: number): number;
  resizeImage(width: number, height: number): number;
}

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const wasmPath = (build: string): string => `build/ssrnet-${build}.wasm`;

/** The text between `<!-- name:start -->` and `<!-- name:end -->` in the doc. */
function docBlock(name: string): string {
  const match = readFileSync(DOC, 'utf8').match(new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`));
  if (!match) throw new Error(`${DOC} has no ${name} block`);
  return match[1].trim();
}

function instantiate(build: string): EngineExports {
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath(build))), {}).exports as unknown as EngineExports;
}

/** The memory-map table as the doc must show it, from the module's exports. */
function memoryMapTable(e: EngineExports): string {
  const tensors: [string, number][] = [
    ['x1, 31x31x32', 0], ['s1, 31x31x16', 4], ['x2, 14x14x32', 1], ['s2, 14x14x16', 5],
    ['x3, 6x6x32', 2], ['s3, 6x6x16', 6], ['x4, 4x4x32', 3], ['s4, 4x4x16', 7],
    ['fusion features, f32', 8], ['tanh table', 9],
  ];
  const rows: [string, string, number][] = [
    ['static data (engine constants, the crop\'s column taps)', '—', 0],
    ['input, 64x64x3 u8 BGR', '`inputPtr()`', e.inputPtr()],
    ...Array.from({ length: e.weightSlots() }, (_, s): [string, string, number] => [`weights slot ${s}`, `\`weightsPtr(${s})\``, e.weightsPtr(s)]),
    ...tensors.map(([name, id]): [string, string, number] => [name, `\`tensorPtr(${id})\``, e.tensorPtr(id)]),
  ];
  const end = e.arenaEnd();
  const memory = e.memory.buffer.byteLength;
  const lines = rows.map(([name, from, offset], i) => `| ${name} | ${from} | ${offset} | ${(rows[i + 1]?.[2] ?? end) - offset} |`);
  // The image region, shown for a 640x480 RGBA image (this grows the instance's memory).
  const image = e.reserveImage(640, 480, 0);
  const resized = e.resizeImage(320, 240);
  const grown = e.memory.buffer.byteLength;
  return [
    '| region | address from | offset | span (bytes) |',
    '|---|---|---:|---:|',
    ...lines,
    `| end of arena | \`arenaEnd()\` | ${end} | ${memory - end} unused |`,
    `| end of the initial memory | ${memory / 65536} pages | ${memory} | |`,
    `| image, e.g. 640x480 RGBA | \`reserveImage(640, 480, 0)\` | ${image} | ${resized - image} |`,
    `| resized BGR image, e.g. 320x240 | \`resizeImage(320, 240)\` | ${resized} | ${320 * 240 * 3} |`,
    `| end of memory after both | ${grown / 65536} pages | ${grown} | |`,
  ].join('\n');
}

/** Deepest call chain and largest frame of a build, from its binaryen text (build/*.wat). */
function stackFacts(build: string): string {
  const wat = readFileSync(`build/ssrnet-${build}.wat`, 'utf8');
  const funcs = new Map<string, string>();
  for (const part of wat.split(/\n \(func /).slice(1)) funcs.set(part.match(/^\$(\S+)/)![1], part.split(/\n \(/)[0]);
  const calls = (name: string): string[] => [...(funcs.get(name) ?? '').matchAll(/\bcall \$([^\s)]+)/g)].map((m) => m[1]);
  const chain = (name: string, seen: string[] = []): string[] => {
    if (seen.includes(name)) throw new Error(`recursion through ${name}`);
    const longest = calls(name).map((c) => chain(c, [...seen, name])).sort((a, b) => b.length - a.length)[0] ?? [];
    return [name, ...longest];
  };
  const deepest = [...funcs.keys()].map((f) => chain(f)).sort((a, b) => b.length - a.length)[0];
  const frame = Math.max(...[...funcs.values()].map((body) => (body.match(/\((param|local) \$/g) ?? []).length));
  const short = (name: string): string => `\`${name.replace(/^.*\//, '')}\``;
  return `The deepest call chain is ${deepest.length} functions (${deepest.map(short).join(' → ')}), and the largest function has ${frame} locals (parameters included).`;
}

/** The post-MVP features each build needs: those whose absence makes wabt's validator fail. */
function featuresNeeded(): string {
  return BUILDS.map((build) => {
    const needed = FEATURES.filter((f) => spawnSync('wasm-validate', [`--disable-${f}`, wasmPath(build)]).status !== 0);
    return `${build}: ${needed.join(', ')}`;
  }).join('; ');
}

let dir: string;
let crop: Uint8Array;
let nodeAge: number;

beforeAll(async () => {
  ensureWasmBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ssrnet-embed-'));
  crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
  cropFace(await examplePhoto(), EXAMPLE_BOX, DEFAULT_MARGIN, crop);
  writeFileSync(join(dir, 'face.bgr'), crop);
  nodeAge = (await engineWith('scalar', 'age-wiki')).run(0, crop);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docs/embedding.md matches the built engine', () => {
  it('lists every export, and the engine imports nothing', () => {
    for (const build of BUILDS) {
      const module = new WebAssembly.Module(readFileSync(wasmPath(build)));
      expect(WebAssembly.Module.imports(module)).toEqual([]);
      const documented = [...docBlock('exports').matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
      expect(documented.sort()).toEqual(WebAssembly.Module.exports(module).map((x) => x.name).sort());
    }
  });

  it('shows the memory map of both builds', () => {
    const table = memoryMapTable(instantiate('scalar'));
    expect(memoryMapTable(instantiate('simd'))).toBe(table);
    expect(docBlock('memory-map'), `expected this table in ${DOC}:\n${table}`).toBe(table);
  });

  it('states the call depth and frame size of the scalar build', () => {
    const facts = stackFacts('scalar');
    expect(docBlock('stack'), `expected in ${DOC}:\n${facts}`).toBe(facts);
  });

  it('lists the result codes of assembly/blob.ts', () => {
    const source = readFileSync('assembly/blob.ts', 'utf8');
    const codes = [...source.matchAll(/export const (OK|ERR_\w+): i32 = (\d+);/g)].map((m) => `${m[2]} ${m[1]}`);
    const documented = [...docBlock('codes').matchAll(/^\| (\d+) \| (\w+) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(documented).toEqual(codes);
  });

  const wabt = has('wasm-validate') && has('wasm2c') && has('wast2json') && has('spectest-interp') && has('cc');
  const skipNote = wabt ? '' : ' (SKIPPED: needs apt package wabt and cc)';

  it.skipIf(!wabt)(`states the wasm features each build needs${skipNote}`, () => {
    const features = featuresNeeded();
    expect(docBlock('features'), `expected in ${DOC}:\n${features}`).toBe(features);
  });

  it.skipIf(!wabt)(`runs examples/c/host.c through wasm2c with Node's result${skipNote}`, () => {
    execFileSync('wasm2c', [wasmPath('scalar'), '-n', 'engine', '-o', join(dir, 'engine.c')]);
    const host = join(dir, 'host');
    execFileSync('cc', ['-O2', '-ffp-contract=off', `-I${dir}`, 'examples/c/host.c', join(dir, 'engine.c'), '/usr/share/wabt/wasm2c/wasm-rt-impl.c', '-lm', '-o', host]);
    const age = Number(execFileSync(host, ['weights/age-wiki.ssrq', join(dir, 'face.bgr')], { encoding: 'utf8' }));
    expect(age).toBe(nodeAge);
    const corrupt = weightsFile('age-wiki');
    corrupt[0] ^= 0xff; // bad magic: ERR_MAGIC
    writeFileSync(join(dir, 'corrupt.ssrq'), corrupt);
    expect(spawnSync(host, [join(dir, 'corrupt.ssrq'), join(dir, 'face.bgr')], { encoding: 'utf8' }).stderr).toMatch(/loadWeights: code 2/);
  });

  it.skipIf(!wabt)(`runs the scalar engine in wabt's interpreter with Node's result${skipNote}`, () => {
    const e = instantiate('scalar');
    const weights = weightsFile('age-wiki');
    const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
    // A second module writes input and weights into the engine's memory and makes the documented calls.
    const script = `(module $engine binary "${hex(readFileSync(wasmPath('scalar')))}")
(register "engine" $engine)
(module
  (import "engine" "memory" (memory 4 16384))
  (import "engine" "loadWeights" (func $loadWeights (param i32 i32) (result i32)))
  (import "engine" "run" (func $run (param i32) (result i32)))
  (import "engine" "result" (func $result (result f64)))
  (data (i32.const ${e.inputPtr()}) "${hex(crop)}")
  (data (i32.const ${e.weightsPtr(0)}) "${hex(weights)}")
  (func (export "loadWeights") (result i32) (call $loadWeights (i32.const 0) (i32.const ${weights.length})))
  (func (export "run") (result i32) (call $run (i32.const 0)))
  (func (export "result") (result f64) (call $result)))
(assert_return (invoke "loadWeights") (i32.const 0))
(assert_return (invoke "run") (i32.const 0))
(assert_return (invoke "result") (f64.const ${nodeAge}))
`;
    writeFileSync(join(dir, 'engine.wast'), script);
    execFileSync('wast2json', [join(dir, 'engine.wast'), '-o', join(dir, 'engine.json')]);
    const run = spawnSync('spectest-interp', [join(dir, 'engine.json')], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toMatch(/5\/5 tests passed/);
  });
});
