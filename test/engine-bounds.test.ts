// The engine's memory safety (issue #6): the raw wasm exports called with hostile arguments return
// their documented codes without trapping, and nothing — hostile arguments, weights files whose
// every offset points out of range, a host scribbling into a loaded slot, the TS Engine given
// wrong slots or wrong-sized arrays — changes memory outside the regions the ABI says may change
// (assembly/index.ts): INPUT and the weights slots (written by the host), the activation buffers
// and head scratch (written by run), the slot kinds (written by loadWeights and run).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../src/crc32.js';
import { Engine } from '../src/engine.js';
import { SsrnetError } from '../src/errors.js';
import { ROOT, ensureWasmBuilt, exampleCrops, weightsFile } from './helpers/engine.js';

/** Fast-check runs per property; FUZZ_RUNS=N multiplies them for a long run. */
const RUN_SCALE = Number(process.env.FUZZ_RUNS ?? 1);
/** Seed of every property here (FUZZ_SEED overrides; fast-check prints it with any failure). */
const SEED = Number(process.env.FUZZ_SEED ?? 0x6b0d5);

/** Engine result codes (assembly/weights.ts). */
const OK = 0;
const ERR_LENGTH = 1;
const ERR_SHAPE = 5;
const ERR_BOUNDS = 6;
const ERR_SLOT = 7;
const ERR_NOT_LOADED = 8;

/** Start of the data area of a .ssrq file (weights/FORMAT.md §4): header + conv + dense records. */
const DATA_START = 64 + 14 * 32 + 18 * 16;
/** Offset fields of the records (weights/FORMAT.md §2, §3): conv weights, bias, scale; dense weights, bias. */
const OFFSET_FIELDS: number[] = [
  ...Array.from({ length: 14 }, (_, i) => [64 + i * 32 + 8, 64 + i * 32 + 16, 64 + i * 32 + 20]).flat(),
  ...Array.from({ length: 18 }, (_, i) => [512 + i * 16 + 4, 512 + i * 16 + 8]).flat(),
];
/**
 * The arena tail after the tanh table (assembly/arena.ts): TANH_LUT 1040, CRC_TABLE 1024,
 * HEAD_SCRATCH 768, SLOT_KINDS 16 bytes. Checked against arenaEnd() - tensorPtr(9) below.
 */
const TAIL_BYTES = 1040 + 1024 + 768 + 16;
const HEAD_SCRATCH_BYTES = 768;
const SLOT_KINDS_BYTES = 16;

/** The raw exports (assembly/index.ts). */
interface Exports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  inputSize(): number;
  weightSlots(): number;
  weightsPtr(slot: number): number;
  weightsCapacity(): number;
  loadWeights(slot: number, length: number): number;
  slotKind(slot: number): number;
  run(slot: number): number;
  result(): number;
  tensorPtr(id: number): number;
  arenaStart(): number;
  arenaEnd(): number;
}

type Range = [start: number, end: number];

/** One fresh instance of a build and the address ranges its ABI lets change. */
interface Instance {
  e: Exports;
  input: Range;
  slots: Range[];
  /** X1 .. FEATURES (activations, accumulators, pooled features): written by run. */
  activations: Range;
  headScratch: Range;
  slotKinds: Range;
}

const BUILDS = ['simd', 'scalar'] as const;
const modules: Record<string, WebAssembly.Module> = {};
const ageWiki = weightsFile('age-wiki');
const genderImdb = weightsFile('gender-imdb');
let crop: Uint8Array;

beforeAll(async () => {
  ensureWasmBuilt();
  for (const build of BUILDS) modules[build] = new WebAssembly.Module(readFileSync(new URL(`build/ssrnet-${build}.wasm`, ROOT)));
  [crop] = await exampleCrops(1);
});

async function instantiate(build: string): Promise<Instance> {
  const e = (await WebAssembly.instantiate(modules[build], {})).exports as unknown as Exports;
  const tanhLut = e.tensorPtr(9);
  expect(e.arenaEnd() - tanhLut, 'arena layout changed: update TAIL_BYTES').toBe(TAIL_BYTES);
  const slotKinds = e.arenaEnd() - SLOT_KINDS_BYTES;
  return {
    e,
    input: [e.inputPtr(), e.inputPtr() + e.inputSize()],
    slots: Array.from({ length: e.weightSlots() }, (_, s) => [e.weightsPtr(s), e.weightsPtr(s) + e.weightsCapacity()] as Range),
    activations: [e.tensorPtr(0), tanhLut],
    headScratch: [slotKinds - HEAD_SCRATCH_BYTES, slotKinds],
    slotKinds: [slotKinds, e.arenaEnd()],
  };
}

const snapshot = (e: Exports): Uint8Array => new Uint8Array(e.memory.buffer).slice();

/** Address ranges (the first few) where `after` differs from `before` outside `allowed`. */
function changesOutside(before: Uint8Array, after: Uint8Array, allowed: Range[]): string[] {
  // The complement of `allowed`, compared natively; bytes are walked only where it differs.
  const checked: Range[] = [];
  let start = 0;
  for (const [s, e] of [...allowed].sort((x, y) => x[0] - y[0])) {
    if (s > start) checked.push([start, s]);
    start = Math.max(start, e);
  }
  checked.push([start, before.length]);
  const changes: string[] = [];
  for (const [s, e] of checked) {
    if (Buffer.compare(before.subarray(s, e), after.subarray(s, e)) === 0) continue;
    for (let a = s; a < e && changes.length < 8; a++) {
      if (before[a] === after[a]) continue;
      let end = a;
      while (end < e && before[end] !== after[end]) end++;
      changes.push(`[${a}, ${end})`);
      a = end;
    }
  }
  return changes;
}

/** Copies `bytes` into `slot` as a host would, then verifies it; returns the engine code. */
function load(inst: Instance, slot: number, bytes: Uint8Array): number {
  new Uint8Array(inst.e.memory.buffer, inst.slots[slot][0], bytes.length).set(bytes);
  return inst.e.loadWeights(slot, bytes.length);
}

/** A copy of `file` with u32 `value` at `offset` and the trailing CRC-32 recomputed. */
function withU32(file: Uint8Array, offset: number, value: number): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer);
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Integers that are out of range for every argument: negative, just past the end, the i32 extremes. */
const HOSTILE_INTS = [-1, -2, -(2 ** 31), 3, 4, 255, 65536, 2 ** 31 - 1];

describe.each(BUILDS)('%s build: raw exports', (build) => {
  it('hostile slots, lengths and tensor ids return their codes, never trap, and write nothing', async () => {
    const inst = await instantiate(build);
    const { e } = inst;
    const before = snapshot(e);
    for (const bad of HOSTILE_INTS) {
      expect(e.weightsPtr(bad), `weightsPtr(${bad})`).toBe(0);
      expect(e.slotKind(bad), `slotKind(${bad})`).toBe(-1);
      expect(e.loadWeights(bad, ageWiki.length), `loadWeights(${bad}, ok length)`).toBe(ERR_SLOT);
      expect(e.run(bad), `run(${bad})`).toBe(ERR_SLOT);
    }
    for (const id of [-1, 10, 11, 2 ** 31 - 1, -(2 ** 31)]) expect(e.tensorPtr(id), `tensorPtr(${id})`).toBe(0);
    for (let slot = 0; slot < e.weightSlots(); slot++) {
      expect(e.run(slot), `run(${slot}) before any load`).toBe(ERR_NOT_LOADED);
      for (const length of [-1, 0, 1, DATA_START + 3, e.weightsCapacity() + 1, 2 ** 31 - 1, -(2 ** 31)]) {
        expect(e.loadWeights(slot, length), `loadWeights(${slot}, ${length})`).toBe(ERR_LENGTH);
      }
      expect(e.run(slot)).toBe(ERR_NOT_LOADED);
    }
    expect(changesOutside(before, snapshot(e), [])).toEqual([]);
  });

  it('loadWeights refuses every offset field pointed out of range, touching nothing outside its slot', async () => {
    const inst = await instantiate(build);
    const { e } = inst;
    expect(load(inst, 0, ageWiki)).toBe(OK);
    expect(load(inst, 2, genderImdb)).toBe(OK);
    new Uint8Array(e.memory.buffer, inst.input[0], crop.length).set(crop);
    expect(e.run(0)).toBe(OK);
    const age = e.result();
    const dv = new DataView(ageWiki.buffer, ageWiki.byteOffset, ageWiki.byteLength);
    const n = ageWiki.length;
    let cases = 0;
    for (const field of OFFSET_FIELDS) {
      const valid = dv.getUint32(field, true);
      // In the tables, on the checksum, at and past the end, wrapping u32 (offset + size), misaligned.
      for (const offset of [0, DATA_START - 16, n - 4, n, n + 16, 0xfffffff0, 0xffffffff, valid + 1, valid + 2]) {
        const bad = withU32(ageWiki, field, offset);
        new Uint8Array(e.memory.buffer, inst.slots[1][0], bad.length).set(bad);
        const before = snapshot(e);
        expect(e.loadWeights(1, bad.length), `field ${field} = ${offset}`).toBe(ERR_BOUNDS);
        expect(changesOutside(before, snapshot(e), [inst.slotKinds])).toEqual([]);
        expect(e.slotKind(1)).toBe(-1);
        cases++;
      }
    }
    expect(cases).toBe(OFFSET_FIELDS.length * 9);
    // Every offset out of range at once; and a conv weight length that disagrees with the shape.
    const allBad = OFFSET_FIELDS.reduce((file, field) => withU32(file, field, 0xfffffff0), ageWiki);
    expect(load(inst, 1, allBad)).toBe(ERR_BOUNDS);
    expect(load(inst, 1, withU32(ageWiki, 64 + 12, dv.getUint32(64 + 12, true) + 16))).toBe(ERR_SHAPE);
    // The other slots still hold their models.
    expect(e.slotKind(0)).toBe(0);
    expect(e.slotKind(2)).toBe(1);
    expect(e.run(0)).toBe(OK);
    expect(e.result()).toBe(age);
  });

  it('run writes only the activation buffers and the head scratch', async () => {
    const inst = await instantiate(build);
    const { e } = inst;
    expect(load(inst, 0, ageWiki)).toBe(OK);
    expect(load(inst, 2, genderImdb)).toBe(OK);
    new Uint8Array(e.memory.buffer, inst.input[0], crop.length).set(crop);
    for (const slot of [0, 2, 0]) {
      const before = snapshot(e);
      expect(e.run(slot)).toBe(OK);
      expect(Number.isFinite(e.result())).toBe(true);
      expect(changesOutside(before, snapshot(e), [inst.activations, inst.headScratch])).toEqual([]);
    }
  });

  it('a host writing into a loaded slot (raw ABI misuse) gets an error code, never a write outside the buffers', async () => {
    // run() re-checks the layout (shapes and offsets) the graph addresses memory with, so a blob
    // changed after loadWeights can change the answer or fail the run, but not escape.
    const inst = await instantiate(build);
    const { e } = inst;
    const scribbles: [string, (view: DataView) => void][] = [
      ['conv 0 padded outputs 255', (v) => v.setUint8(64 + 3, 255)],
      ['conv 0 pool window 1', (v) => v.setUint8(64 + 5, 1)],
      ['conv 13 kernel size 255', (v) => v.setUint8(64 + 13 * 32, 255)],
      ['dense 0 outputs 65535', (v) => v.setUint16(512 + 2, 65535, true)],
      ['dense 17 inputs 65535', (v) => v.setUint16(512 + 17 * 16, 65535, true)],
      ['conv 0 weights offset past memory', (v) => v.setUint32(64 + 8, 0xfffffff0, true)],
      ['dense 5 bias offset past memory', (v) => v.setUint32(512 + 5 * 16 + 8, 0xfffffff0, true)],
      ['stated length past the slot', (v) => v.setUint32(24, 0xffffffff, true)],
      ['stated length 0', (v) => v.setUint32(24, 0, true)],
    ];
    for (const [name, scribble] of scribbles) {
      expect(load(inst, 0, ageWiki)).toBe(OK);
      scribble(new DataView(e.memory.buffer, inst.slots[0][0], ageWiki.length));
      const before = snapshot(e);
      const code = e.run(0);
      expect([ERR_LENGTH, ERR_SHAPE, ERR_BOUNDS], name).toContain(code);
      expect(e.slotKind(0), name).toBe(-1);
      expect(changesOutside(before, snapshot(e), [inst.activations, inst.headScratch, inst.slotKinds]), name).toEqual([]);
    }
  });

  it('random call sequences with random arguments and random host writes keep every invariant (fast-check)', async () => {
    const inst = await instantiate(build);
    const { e } = inst;
    const slotCount = e.weightSlots();
    // Mostly valid slots and whole files, so that loads succeed and scribbles hit loaded slots.
    const anyInt = fc.oneof(fc.integer({ min: -4, max: 6 }), fc.constantFrom(...HOSTILE_INTS), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    const slot = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: slotCount - 1 }) }, { weight: 1, arbitrary: anyInt });
    const cut = fc.oneof({ weight: 3, arbitrary: fc.constant(Infinity) }, { weight: 1, arbitrary: fc.nat({ max: 60_000 }) });
    const step = fc.oneof(
      fc.record({ op: fc.constant('load' as const), slot, file: fc.constantFrom('age', 'gender', 'garbage'), cut }),
      fc.record({ op: fc.constant('scribble' as const), slot: fc.nat({ max: slotCount - 1 }), at: fc.nat({ max: 1024 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ op: fc.constant('run' as const), slot }),
      fc.record({ op: fc.constant('query' as const), arg: anyInt }),
    );
    const runCodes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        // A host's own view of what it wrote; the engine must never change it.
        for (const s of steps) {
          const before = snapshot(e);
          const hostWrites: Range[] = [];
          if (s.op === 'load') {
            const source = s.file === 'age' ? ageWiki : s.file === 'gender' ? genderImdb : ageWiki.map((b, i) => b ^ (i * 31));
            const length = Math.min(s.cut, source.length);
            const valid = s.slot >= 0 && s.slot < slotCount;
            if (valid) {
              new Uint8Array(e.memory.buffer, inst.slots[s.slot][0], length).set(source.subarray(0, length));
              hostWrites.push(inst.slots[s.slot]);
            }
            const code = e.loadWeights(s.slot, length);
            if (!valid) expect(code).toBe(ERR_SLOT);
            else if (code === OK) expect(e.slotKind(s.slot)).toBe(s.file === 'age' ? 0 : 1);
            else expect(e.slotKind(s.slot)).toBe(-1);
          } else if (s.op === 'scribble') {
            new Uint8Array(e.memory.buffer, inst.slots[s.slot][0] + s.at, s.bytes.length).set(s.bytes);
            hostWrites.push(inst.slots[s.slot]);
          } else if (s.op === 'run') {
            const code = e.run(s.slot);
            expect([OK, ERR_LENGTH, ERR_SHAPE, ERR_BOUNDS, ERR_SLOT, ERR_NOT_LOADED]).toContain(code);
            runCodes.set(code, (runCodes.get(code) ?? 0) + 1);
          } else {
            expect([0, ...inst.slots.map(([start]) => start)]).toContain(e.weightsPtr(s.arg));
            expect([-1, 0, 1]).toContain(e.slotKind(s.arg));
            e.tensorPtr(s.arg);
          }
          expect(changesOutside(before, snapshot(e), [...hostWrites, inst.activations, inst.headScratch, inst.slotKinds])).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: Math.round(150 * RUN_SCALE) },
    );
    // Not vacuous: runs succeeded, and some failed on a scribbled layout.
    console.log(`${build}: run() codes over the random sequences`, Object.fromEntries(runCodes));
    expect(runCodes.get(OK)).toBeGreaterThan(0);
    expect((runCodes.get(ERR_SHAPE) ?? 0) + (runCodes.get(ERR_BOUNDS) ?? 0) + (runCodes.get(ERR_LENGTH) ?? 0)).toBeGreaterThan(0);
  });
});

describe('the TS Engine checks sizes and slots before copying into wasm memory', () => {
  /** Engine memory, reached through a zero-length tensor view (the class keeps its exports private). */
  const memoryOf = (engine: Engine): ArrayBuffer => engine.tensor(0, 0).buffer as ArrayBuffer;

  async function expectRejected(engine: Engine, call: () => unknown, code: string, allowed: Range[] = []): Promise<void> {
    const before = new Uint8Array(memoryOf(engine)).slice();
    let error: unknown;
    try {
      call();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SsrnetError);
    expect((error as SsrnetError).code).toBe(code);
    expect(changesOutside(before, new Uint8Array(memoryOf(engine)), allowed)).toEqual([]);
  }

  it('weights: a wrong slot or a file longer than a slot write nothing at all', async () => {
    const engine = await Engine.create(modules.simd);
    engine.loadWeights(0, ageWiki, 'age');
    const age = engine.run(0, crop);
    for (const slot of HOSTILE_INTS) await expectRejected(engine, () => engine.loadWeights(slot, ageWiki, 'age'), 'BAD_WEIGHTS');
    for (const length of [51712 + 1, 200_000]) { // one byte over a slot (weightsCapacity()), and far over
      await expectRejected(engine, () => engine.loadWeights(1, new Uint8Array(length).fill(0xee), 'age'), 'BAD_WEIGHTS');
    }
    expect(engine.run(0, crop)).toBe(age);
  });

  it('input: a crop of the wrong length (longer or shorter) writes nothing', async () => {
    const engine = await Engine.create(modules.simd);
    engine.loadWeights(0, ageWiki, 'age');
    const age = engine.run(0, crop);
    for (const length of [0, 1, crop.length - 1, crop.length + 1, crop.length * 4]) {
      await expectRejected(engine, () => engine.run(0, new Uint8Array(length).fill(0xee)), 'BAD_INPUT');
    }
    // A bad slot fails after the crop is copied: only INPUT may have changed (same module, same layout).
    const { input: inputRange } = await instantiate('simd');
    for (const slot of [-1, 3, 1]) await expectRejected(engine, () => engine.run(slot, crop), 'ENGINE_FAILED', [inputRange]);
    expect(engine.run(0, crop)).toBe(age);
  });
});
