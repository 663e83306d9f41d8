/**
 * The .ssrq weights files: the reader and writer agree with every committed file byte for byte,
 * the converter is deterministic (and, with ../shared, reproduces the committed files), and the
 * engine rejects every kind of damaged file with BAD_WEIGHTS — and keeps working afterwards.
 */
import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../src/crc32.js';
import { SsrnetError } from '../src/errors.js';
import { calibrationSubset } from '../tools/convert.js';
import { haveDevFaces, loadDevFaces } from '../tools/dev-faces.js';
import { readKerasSsrnet } from '../tools/keras-h5.js';
import { MODEL_SOURCES } from '../tools/models.js';
import { quantizeModel } from '../tools/quantize.js';
import { readSsrq, writeSsrq } from '../tools/ssrq.js';
import { engineWith, exampleCrops, weightsFile } from './helpers/engine.js';

const keras = (name: string) => new URL(`../weights/keras/${name}.h5`, import.meta.url).pathname;

/** Re-stamps the trailing CRC so a deliberately edited file passes the checksum. */
function withValidCrc(file: Uint8Array): Uint8Array {
  const out = file.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('CRC-32', () => {
  it('equals zlib crc32', () => {
    const bytes = weightsFile('age-wiki');
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe.each(MODEL_SOURCES.map((m) => m.name))('%s.ssrq', (name) => {
  it('reads and writes back to the same bytes', () => {
    const file = weightsFile(name);
    const model = readSsrq(file);
    expect(model.kind).toBe(name.startsWith('age') ? 'age' : 'gender');
    expect(writeSsrq(model, model.info)).toEqual(file);
  });
});

describe('converter', () => {
  it('is deterministic (same bytes twice)', async () => {
    const params = await readKerasSsrnet(keras('age-morph2'), 'age');
    const crops = await exampleCrops(3);
    const a = writeSsrq(quantizeModel(params, crops), { calibrationFaces: crops.length });
    const b = writeSsrq(quantizeModel(params, crops), { calibrationFaces: crops.length });
    expect(a).toEqual(b);
  });

  it.skipIf(!haveDevFaces())(`reproduces the committed age-wiki.ssrq from the .h5 and the dev faces${haveDevFaces() ? '' : ' (SKIPPED: ../shared/data/utkface-dev absent)'}`, async () => {
    const faces = calibrationSubset(await loadDevFaces()).map((f) => f.crop);
    const params = await readKerasSsrnet(keras('age-wiki'), 'age');
    const bytes = writeSsrq(quantizeModel(params, faces), { calibrationFaces: faces.length });
    expect(bytes).toEqual(weightsFile('age-wiki'));
  }, 600_000);
});

/** A weights slot's capacity (the engine's weightsCapacity(), assembly/arena.ts). */
const SLOT_BYTES = 51712;

describe('damaged weights are rejected with BAD_WEIGHTS', () => {
  const good = weightsFile('age-wiki');
  const view = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['empty', () => new Uint8Array(0), /length/],
    ['truncated header', () => good.slice(0, 100), /length/],
    ['truncated data', () => good.slice(0, good.length - 1000), /length/],
    ['one byte short', () => good.slice(0, good.length - 1), /length/],
    ['trailing garbage', () => Uint8Array.from([...good, 0]), /length/],
    ['bad magic', () => { const f = good.slice(); f[0] = 0x58; return f; }, /magic/],
    ['future version', () => { const f = good.slice(); view(f).setUint16(4, 3, true); return f; }, /version/],
    ['version 1 (u8 x maps)', () => { const f = good.slice(); view(f).setUint16(4, 1, true); return f; }, /version/],
    ['flipped data byte', () => { const f = good.slice(); f[5000] ^= 0x10; return f; }, /checksum/],
    ['wrong layer shape, valid checksum', () => { const f = good.slice(); f[64 + 2] = 31; return withValidCrc(f); }, /shapes/],
    ['x conv4 reading a u8 map, valid checksum', () => { const f = good.slice(); f[64 + 3 * 32 + 6] = 1; return withValidCrc(f); }, /shapes/],
    ['offset outside the file, valid checksum', () => { const f = good.slice(); view(f).setUint32(64 + 8, good.length, true); return withValidCrc(f); }, /outside/],
    ['misaligned offset, valid checksum', () => { const f = good.slice(); view(f).setUint32(64 + 16, view(f).getUint32(64 + 16, true) + 1, true); return withValidCrc(f); }, /outside/],
    ['larger than a slot', () => new Uint8Array(70_000), /at most/],
  ];

  it.each(cases)('%s', async (_, make, message) => {
    const engine = await engineWith('simd', 'age-wiki');
    const before = engine.run(0, (await exampleCrops(1))[0]);
    const bad = make();
    let error: unknown;
    try {
      engine.loadWeights(0, bad, 'age');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SsrnetError);
    expect((error as SsrnetError).code).toBe('BAD_WEIGHTS');
    expect((error as SsrnetError).message).toMatch(message);
    // The TypeScript reader rejects it too (it implements the same FORMAT.md rules).
    if (bad.length <= SLOT_BYTES) expect(() => readSsrq(bad)).toThrow();
    // A file the engine saw leaves the slot unusable until reloaded (the oversized one is refused
    // by the host before it touches the slot); reloading restores the same results.
    if (bad.length <= SLOT_BYTES) expect(() => engine.run(0, new Uint8Array(12288))).toThrow(/no weights/);
    engine.loadWeights(0, good, 'age');
    expect(engine.run(0, (await exampleCrops(1))[0])).toBe(before);
  });

  it('a gender file is refused where an age model is expected', async () => {
    const engine = await engineWith('simd', 'age-wiki');
    expect(() => engine.loadWeights(0, weightsFile('gender-imdb'), 'age')).toThrow(/expected age model/);
  });
});
