// Hostile inputs through the public API (issue #6), property-based with fast-check: random bytes;
// JPEG / PNG / GIF / BMP / WebP files truncated at every structural boundary and with bytes flipped;
// headers declaring huge sizes and files hiding a larger frame (decompression bombs); raw pixels
// of every wrong shape and type; option objects full of junk; damaged weights through
// createEstimator and through the Engine class; 1,000 concurrent calls with failures mixed in.
//
// Every case must end in a result with finite ages or an SsrnetError — never another exception,
// a crash, a hang (a watchdog thread kills the run, naming the case) or a slow case — and the
// estimator must still give the example face's age afterwards.
//
// Seeded: FUZZ_SEED=<n> picks the seed (fast-check prints seed and path with any failure).
// FUZZ_RUNS=<k> multiplies every property's run count for a long run (default 1: about 15 s).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Jimp } from 'jimp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc32 } from '../src/crc32.js';
import { Engine } from '../src/engine.js';
import { type Estimator, type EstimatorOptions, type FaceResult, type ImageInput, SsrnetError, createEstimator } from '../src/index.js';
import { createEstimator as createUniversalEstimator } from '../src/universal.js';
import { EXAMPLE_BOX, ROOT, ensureWasmBuilt, weightsFile } from './helpers/engine.js';
import { FORMATS as ALL_FORMATS, type Format, MAGIC, concat, hiddenFrameBombs, jpegSofOffset, riffSized, u16be, withSize } from './helpers/hostile.js';
import { type Watchdog, startWatchdog } from './helpers/watchdog.js';

const RUN_SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 0x155e6);
const runs = (n: number): number => Math.max(1, Math.round(n * RUN_SCALE));
const fcOptions = (n: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns: runs(n) });

/** Longest one case may take on a busy 2-core machine (a small decode and an inference: ~5 ms). */
const CASE_MS = 3_000;
/** A case still running after this is a hang: the watchdog kills the test process. */
const HANG_MS = 30_000;
/** A header over the pixel limit is refused from the header alone: no decoding, so fast. */
const BOMB_MS = 250;
/** Memory a refused bomb may leave allocated (noise from the test's own buffers included). */
const BOMB_BYTES = 16 << 20;
/** Largest image the flipped-byte cases may decode (a flipped size field can ask for more). */
const FLIP_MAX_PIXELS = 4_000_000;

const MIME = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', bmp: 'image/bmp' } as const;

// WebP files are written by sharp (an optional dependency; jimp has no WebP encoder).
const sharp = await import('sharp').then((m) => m.default, () => undefined);
if (!sharp) console.warn('fuzz: sharp (optional) is not installed; the WebP cases are skipped');
const FORMATS = ALL_FORMATS.filter((format) => format !== 'webp' || sharp);

const PHOTO = new Uint8Array(readFileSync(new URL('examples/astronaut.png', ROOT)));
/** Side of the small test images made from the photo's face. */
const SMALL = 40;
/** The whole small image as the face box: the age models run even where no face would be detected. */
const WHOLE = { box: { x: 0, y: 0, width: SMALL, height: SMALL } };

let estimator: Estimator;
let referenceAge: number;
/** The photo's face, downscaled to SMALL x SMALL and encoded in each format. */
const files = {} as Record<Format, Uint8Array>;
/** The same face as raw RGBA pixels. */
let face: { data: Uint8Array; width: number; height: number };
let watchdog: Watchdog;

/** Per input class: how many inputs were tried and what they ended in. */
const tally = new Map<string, Map<string, number>>();

beforeAll(async () => {
  ensureWasmBuilt();
  watchdog = startWatchdog(HANG_MS);
  // omggif console.logs a warning for every GIF stream of the wrong length.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  estimator = await createEstimator({ model: 'age-wiki', gender: true });
  [{ age: referenceAge }] = await estimator.estimate(PHOTO, { box: EXAMPLE_BOX });
  const image = await Jimp.fromBuffer(Buffer.from(PHOTO));
  const { x, y, width } = EXAMPLE_BOX;
  image.crop({ x: x - 20, y: y - 20, w: width + 40, h: width + 40 }).resize({ w: SMALL, h: SMALL });
  face = { data: new Uint8Array(image.bitmap.data), width: SMALL, height: SMALL };
  for (const format of FORMATS) {
    files[format] = new Uint8Array(
      format === 'webp'
        ? await sharp!(face.data, { raw: { width: SMALL, height: SMALL, channels: 4 } }).webp({ lossless: true }).toBuffer()
        : await image.getBuffer(MIME[format]),
    );
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await watchdog?.stop();
  const rows = [...tally].map(([name, outcomes]) => {
    const tried = [...outcomes.values()].reduce((a, b) => a + b, 0);
    const detail = [...outcomes].map(([o, n]) => `${o} ${n}`).join(', ');
    return `| ${name} | ${tried} | ${detail} |`;
  });
  console.info(['fuzz inputs (seed ' + SEED + ', FUZZ_RUNS ' + RUN_SCALE + '):', '| class | tried | outcomes |', '|---|---|---|', ...rows].join('\n'));
});

/** The example face still gives the age it gave before any fuzzing. */
async function expectHealthy(): Promise<void> {
  const [result] = await estimator.estimate(PHOTO, { box: EXAMPLE_BOX });
  expect(result.age).toBe(referenceAge);
}

/** Rejects if `promise` has not settled after `ms` (a hang that still yields to the event loop). */
function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A short description of anything thrown that is not an SsrnetError. */
function describeThrown(err: unknown): string {
  return err instanceof Error ? `${err.constructor.name}: ${err.message}` : `a thrown ${typeof err}: ${String(err)}`;
}

/**
 * Runs one case: it must give results with finite ages (and gender probabilities in [0.5, 1]) or
 * reject with an SsrnetError, within `maxMs`. Counts it under `inputClass`; returns 'ok' or the code.
 */
async function outcome(inputClass: string, label: string, call: () => Promise<FaceResult[]>, maxMs = CASE_MS): Promise<string> {
  const start = performance.now();
  let faces: FaceResult[] = [];
  let result = 'ok';
  watchdog.begin(`${inputClass}: ${label}`);
  try {
    faces = await within(call(), maxMs, label);
  } catch (err) {
    if (!(err instanceof SsrnetError)) throw new Error(`${inputClass}: ${label}: expected a result or an SsrnetError, got ${describeThrown(err)}`, { cause: err });
    result = err.code;
  } finally {
    watchdog.end();
  }
  for (const f of faces) {
    expect(Number.isFinite(f.age), `${label}: age ${f.age}`).toBe(true);
    if (f.gender) expect(f.gender.probability, label).toBeGreaterThanOrEqual(0.5);
    if (f.gender) expect(f.gender.probability, label).toBeLessThanOrEqual(1);
  }
  const ms = performance.now() - start;
  expect(ms, `${inputClass}: ${label} took ${ms.toFixed(0)} ms`).toBeLessThan(maxMs);
  const counts = tally.get(inputClass) ?? new Map<string, number>();
  counts.set(result, (counts.get(result) ?? 0) + 1);
  tally.set(inputClass, counts);
  return result;
}

const u32be = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o);
const u32le = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/**
 * Where a file's structure changes: each header field, each chunk / segment / block edge, points
 * inside the pixel data, the end. `dataStart` is the first byte of compressed pixel data.
 */
function boundaries(format: Format, b: Uint8Array): { cuts: number[]; dataStart: number } {
  const cuts: number[] = [MAGIC[format].length];
  let dataStart = b.length;
  if (format === 'png') {
    cuts.push(16, 20, 24, 25, 26, 27, 28, 29); // IHDR width, height, depth, colour type, compression, filter, interlace, CRC
    for (let p = 8; p + 8 <= b.length; p += 12 + u32be(b, p)) {
      const length = u32be(b, p);
      cuts.push(p, p + 4, p + 8, p + 8 + length, p + 12 + length);
      if (u32be(b, p + 4) === 0x49444154) {
        dataStart = Math.min(dataStart, p + 8);
        cuts.push(p + 8 + (length >> 2), p + 8 + (length >> 1), p + 8 + ((3 * length) >> 2));
      }
    }
  } else if (format === 'jpeg') {
    for (let p = 2; p + 4 <= b.length; p += 2 + u16be(b, p + 2)) {
      const length = u16be(b, p + 2);
      cuts.push(p, p + 1, p + 2, p + 4, p + 2 + length);
      if (p === jpegSofOffset(b)) cuts.push(p + 5, p + 7, p + 9, ...[0, 1, 2].map((c) => p + 10 + 3 * c));
      if (b[p + 1] === 0xda) {
        dataStart = p + 2 + length;
        const n = b.length - dataStart;
        cuts.push(dataStart + (n >> 2), dataStart + (n >> 1), dataStart + ((3 * n) >> 2), b.length - 2);
        break;
      }
    }
  } else if (format === 'gif') {
    cuts.push(8, 10, 11, 12, 13); // logical screen width, height, flags, background, aspect
    let p = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
    while (p < b.length && b[p] !== 0x3b) {
      cuts.push(p, p + 1);
      if (b[p] === 0x2c) {
        cuts.push(p + 3, p + 5, p + 7, p + 9, p + 10); // image x, y, width, height, flags
        const flags = b[p + 9];
        p += 10 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
        dataStart = p;
        cuts.push(p, p + 1); // LZW minimum code size, first sub-block
        p++;
      } else {
        p += 2; // extension introducer and label
      }
      for (; p < b.length && b[p] !== 0; p += 1 + b[p]) cuts.push(p, p + 1 + (b[p] >> 1));
      p++;
    }
    cuts.push(p);
  } else if (format === 'webp') {
    cuts.push(4, 8); // RIFF size, 'WEBP'
    for (let p = 12; p + 8 <= b.length; p += 8 + u32le(b, p + 4) + (u32le(b, p + 4) & 1)) {
      const size = u32le(b, p + 4);
      cuts.push(p, p + 4, p + 8, p + 8 + size);
      const type = String.fromCharCode(...b.subarray(p, p + 4));
      if (type === 'VP8L' || type === 'VP8 ') {
        dataStart = Math.min(dataStart, p + 8 + (type === 'VP8L' ? 5 : 10)); // after the bitstream header
        cuts.push(p + 9, p + 11, p + 13, dataStart + (size >> 2), dataStart + (size >> 1));
      }
    }
  } else {
    cuts.push(6, 10, 14, 18, 22, 26, 28, 30, 34, 38, 42, 46, 50, 54); // file header, BITMAPINFOHEADER fields
    dataStart = u32le(b, 10);
    const stride = Math.ceil((SMALL * b[28]) / 32) * 4;
    for (let row = 0; row < SMALL; row += 7) cuts.push(dataStart + row * stride, dataStart + row * stride + 1);
  }
  cuts.push(b.length - 1);
  const all = new Set(cuts.flatMap((c) => [c - 1, c, c + 1]).filter((c) => c >= 1 && c < b.length));
  return { cuts: [...all].sort((x, y) => x - y), dataStart };
}

describe('encoded bytes', () => {
  it('random bytes, bare and behind each magic number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const got = await outcome('random bytes', `${bytes.length} bytes`, () => estimator.estimate(bytes));
        expect(['ok', 'UNSUPPORTED_FORMAT', 'DECODE_FAILED', 'IMAGE_TOO_LARGE', 'BAD_INPUT']).toContain(got);
      }),
      fcOptions(300),
    );
    // After the WebP magic: the RIFF size made right, and the tail often starting with a chunk type.
    const chunkType = fc.constantFrom('', 'VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANMF').map((t) => Array.from(t, (c) => c.charCodeAt(0)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FORMATS), fc.uint8Array({ maxLength: 1024 }), chunkType, async (format, tail, type) => {
        const bytes = format === 'webp' ? riffSized(concat(MAGIC.webp, type, tail)) : concat(MAGIC[format], tail);
        const got = await outcome('random bytes after a magic number', `${format} + ${tail.length}`, () => estimator.estimate(bytes, { maxPixels: FLIP_MAX_PIXELS }));
        expect(['ok', 'DECODE_FAILED', 'IMAGE_TOO_LARGE']).toContain(got);
      }),
      fcOptions(300),
    );
    await expectHealthy();
  });

  it.each(FORMATS)('%s truncated at every structural boundary (header fields, chunk edges, inside the data, one byte short)', async (format) => {
    const file = files[format];
    expect((await estimator.estimate(file, WHOLE))[0].age).toBeGreaterThan(0);
    const { cuts, dataStart } = boundaries(format, file);
    for (const n of cuts) {
      const got = await outcome(`truncated ${format}`, `cut at ${n}/${file.length}`, () => estimator.estimate(file.subarray(0, n)));
      if (n < MAGIC[format].length) expect(got, `cut at ${n}`).toBe('UNSUPPORTED_FORMAT');
      else if (n <= dataStart) expect(got, `cut at ${n}, before the pixel data at ${dataStart}`).toBe('DECODE_FAILED');
      else expect(['ok', 'DECODE_FAILED'], `cut at ${n}`).toContain(got);
    }
    await expectHealthy();
  });

  it.each(FORMATS)('%s with bytes overwritten at random positions, optionally also truncated', async (format) => {
    const file = files[format];
    const flips = fc.array(fc.tuple(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(flips, fc.option(fc.nat({ max: file.length - 1 }), { freq: 4 }), async (changes, cut) => {
        const bytes = file.slice(0, cut ?? file.length);
        for (const [at, value] of changes) if (at < bytes.length) bytes[at] = value;
        const got = await outcome(`flipped ${format}`, JSON.stringify({ changes, cut }), () => estimator.estimate(bytes, { maxPixels: FLIP_MAX_PIXELS }));
        expect(['ok', 'DECODE_FAILED', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_FORMAT', 'BAD_INPUT']).toContain(got);
      }),
      fcOptions(150),
    );
    await expectHealthy();
  });
});

describe('decompression bombs', () => {
  it('headers declaring more than maxPixels are refused with IMAGE_TOO_LARGE from the header, fast', async () => {
    const sizeLimit: Record<Format, number> = { png: 2 ** 31 - 1, jpeg: 65535, gif: 65535, bmp: 2 ** 31 - 1, webp: 2 ** 24 };
    const arb = fc
      .constantFrom(...FORMATS)
      .chain((format) =>
        fc.record({
          format: fc.constant(format),
          width: fc.integer({ min: 1, max: sizeLimit[format] }),
          height: fc.integer({ min: 1, max: sizeLimit[format] }),
          topDown: fc.boolean(),
          maxPixels: fc.option(fc.integer({ min: 1, max: 50_000_000 })),
        }),
      )
      .filter(({ width, height, maxPixels }) => width * height > (maxPixels ?? 50_000_000));
    const start = process.memoryUsage().arrayBuffers;
    await fc.assert(
      fc.asyncProperty(arb, async ({ format, width, height, topDown, maxPixels }) => {
        const bytes = withSize(format, files[format], width, format === 'bmp' && topDown ? -height : height);
        const options = maxPixels === null ? {} : { maxPixels };
        const got = await outcome(`header bomb ${format}`, `${width}x${height}, maxPixels ${maxPixels}`, () => estimator.estimate(bytes, options), BOMB_MS);
        expect(got).toBe('IMAGE_TOO_LARGE');
      }),
      fcOptions(400),
    );
    expect(process.memoryUsage().arrayBuffers - start).toBeLessThan(BOMB_BYTES);
    await expectHealthy();
  });

  it('files hiding a frame larger than their header (second IHDR / SOF, a SOF hidden by a DQT, a GIF frame beyond its screen, a WebP bitstream or frame beyond its canvas, zlib bombs) are refused without the allocation', async () => {
    const universal = await createUniversalEstimator({
      model: 'age-wiki',
      wasm: readFileSync(new URL('build/ssrnet-simd.wasm', ROOT)),
      simd: true,
      weights: { 'age-wiki': weightsFile('age-wiki') },
    });
    const refused = ['DECODE_FAILED', 'IMAGE_TOO_LARGE'];
    for (const [label, bytes] of hiddenFrameBombs()) {
      const calls: [string, () => Promise<FaceResult[]>, string[]][] = [
        ['Node entry', () => estimator.estimate(bytes), refused],
        ['Node entry, maxPixels 1000', () => estimator.estimate(bytes, { maxPixels: 1000 }), refused],
        // On Node the universal entry has the same default decoders (jimp for GIF, loaded lazily).
        ['universal entry', () => universal.estimate(bytes), refused],
      ];
      for (const [entry, call, codes] of calls) {
        const before = process.memoryUsage().arrayBuffers;
        const got = await outcome('hidden-frame and zlib bombs', `${label} (${entry})`, call, 2_000);
        expect(codes, `${label} (${entry})`).toContain(got);
        const grown = process.memoryUsage().arrayBuffers - before;
        expect(grown, `${label} (${entry}): arrayBuffers grew by ${grown} bytes`).toBeLessThan(BOMB_BYTES);
      }
    }
    await expectHealthy();
  });
});

describe('big JPEGs (sharp shrink-on-load on Node) and scan bombs', () => {
  it('a 4.3 MP JPEG truncated and with bytes flipped: a result or an SsrnetError, fast; a scan bomb is refused before decoding', async () => {
    const sharp = await import('sharp').then((m) => m.default, () => undefined);
    if (!sharp) {
      console.warn('fuzz: sharp (optional) is not installed; the shrink-on-load cases are skipped');
      return;
    }
    const group = readFileSync(new URL('test/fixtures/images/yunet-group-1.jpg', ROOT));
    const big = new Uint8Array(await sharp(group).resize(2400, 1800, { fit: 'fill' }).jpeg({ quality: 85, progressive: true }).toBuffer());
    expect(await outcome('big jpeg (shrink-on-load)', 'intact', () => estimator.estimate(big))).toBe('ok');
    const cases = fc.tuple(fc.oneof(fc.constant(big.length), fc.nat({ max: big.length - 1 })), fc.array(fc.tuple(fc.nat({ max: big.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(cases, async ([cut, flips]) => {
        const bytes = big.slice(0, Math.max(4, cut)); // whole (flips only) or cut short
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        await outcome('big jpeg (shrink-on-load)', `cut at ${cut}, ${flips.length} flips`, () => estimator.estimate(bytes));
      }),
      fcOptions(30),
    );
    // A progressive JPEG of thousands of scans: a few KB that would cost a pass over the image each.
    const sos = big.findIndex((b, i) => b === 0xff && big[i + 1] === 0xda);
    const scan = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0]; // an empty DC scan of one component
    const bomb = concat(big.subarray(0, sos), ...Array.from({ length: 5000 }, () => scan), [0xff, 0xd9]);
    const start = performance.now();
    expect(await outcome('big jpeg (shrink-on-load)', 'scan bomb', () => estimator.estimate(bomb))).toBe('DECODE_FAILED');
    expect(performance.now() - start).toBeLessThan(BOMB_MS);
    await expectHealthy();
  });
});

describe('raw pixels', () => {
  const CHANNELS: Record<string, number> = { rgba: 4, rgb: 3, bgr: 3, gray: 1 };
  const DATA_KINDS = ['Uint8Array', 'Uint8ClampedArray', 'Buffer', 'Int8Array', 'Uint16Array', 'Float32Array', 'DataView', 'ArrayBuffer', 'Array', 'string', 'null'] as const;

  /** Data of `kind` with `length` elements. */
  function makeData(kind: (typeof DATA_KINDS)[number], length: number): unknown {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 37) & 255);
    switch (kind) {
      case 'Uint8Array': return bytes;
      case 'Uint8ClampedArray': return new Uint8ClampedArray(bytes);
      case 'Buffer': return Buffer.from(bytes);
      case 'Int8Array': return new Int8Array(bytes.buffer);
      case 'Uint16Array': return new Uint16Array(length);
      case 'Float32Array': return new Float32Array(length);
      case 'DataView': return new DataView(bytes.buffer);
      case 'ArrayBuffer': return bytes.buffer;
      case 'Array': return Array.from(bytes);
      case 'string': return 'x'.repeat(length);
      case 'null': return null;
    }
  }

  it('wrong lengths, zero / negative / fractional / NaN / infinite / huge sizes, wrong formats and data types: BAD_INPUT, else a result', async () => {
    const size = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 48 }) },
      { weight: 2, arbitrary: fc.constantFrom(0, -1, -48, 0.5, 1.5, 31.999, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e308, -0) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('8', null, undefined, {}, [8], true, 8n) },
    );
    const format = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom<unknown>('rgba', 'rgb', 'bgr', 'gray', undefined, null) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('RGBA', 'yuv', '', 'rgba ', 3, {}, ['rgb']) },
    );
    const arb = fc.record({
      width: size,
      height: size,
      format,
      omitFormat: fc.boolean(),
      kind: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('Uint8Array' as const) }, { weight: 4, arbitrary: fc.constantFrom(...DATA_KINDS) }),
      delta: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-4, -1, 1, 3, 4, 1000) }),
      maxPixels: fc.option(fc.integer({ min: 1, max: 3000 }), { freq: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ width, height, format, omitFormat, kind, delta, maxPixels }) => {
        const effectiveFormat = omitFormat ? undefined : format;
        const channels = CHANNELS[String(effectiveFormat ?? 'rgba')] ?? 4;
        const dimsOk = Number.isSafeInteger(width) && Number.isSafeInteger(height) && (width as number) > 0 && (height as number) > 0;
        const wanted = dimsOk ? (width as number) * (height as number) * channels : 64;
        const length = Math.max(0, Math.min(wanted, 1 << 20) + delta);
        const input: Record<string, unknown> = { data: makeData(kind, length), width, height };
        if (!omitFormat) input.format = format;
        const valid =
          dimsOk &&
          (effectiveFormat == null || (typeof effectiveFormat === 'string' && Object.hasOwn(CHANNELS, effectiveFormat))) &&
          ['Uint8Array', 'Uint8ClampedArray', 'Buffer'].includes(kind) &&
          length === wanted;
        const label = JSON.stringify({ width: String(width), height: String(height), format: String(effectiveFormat), kind, length, maxPixels });
        // A 1x1 box overlaps every valid image: what is tested is the input's validation.
        const options = { box: { x: 0, y: 0, width: 1, height: 1 }, ...(maxPixels === null ? {} : { maxPixels }) };
        const got = await outcome('raw pixels', label, () => estimator.estimate(input as unknown as ImageInput, options));
        const expected = !valid ? 'BAD_INPUT' : maxPixels !== null && wanted / channels > maxPixels ? 'IMAGE_TOO_LARGE' : 'ok';
        expect(got, label).toBe(expected);
      }),
      fcOptions(500),
    );
    await expectHealthy();
  });

  it('values that are neither bytes nor pixels', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ withTypedArray: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true, withBigInt: true }), async (value) => {
        const got = await outcome('non-image values', fc.stringify(value).slice(0, 200), () => estimator.estimate(value as ImageInput));
        expect(['BAD_INPUT', 'UNSUPPORTED_FORMAT', 'DECODE_FAILED', 'IMAGE_TOO_LARGE', 'ok']).toContain(got);
      }),
      fcOptions(300),
    );
    await expectHealthy();
  });
});

describe('option objects with random junk', () => {
  const junk = fc.anything({ withTypedArray: true, withNullPrototype: true, withBigInt: true, maxDepth: 2 });
  const number = fc.oneof(fc.double(), fc.integer({ min: -100, max: 100 }), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, 5e-324));

  it('estimate(input, options): a result, BAD_INPUT or IMAGE_TOO_LARGE', async () => {
    const box = fc.oneof(
      fc.record({ x: fc.integer({ min: -10, max: 45 }), y: fc.integer({ min: -10, max: 45 }), width: fc.integer({ min: 1, max: 60 }), height: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ x: number, y: number, width: number, height: number }, { requiredKeys: [] }),
      junk,
    );
    const options = fc.oneof(
      fc.record({ box, margin: fc.oneof(fc.double({ min: 0, max: 2 }), number, junk), maxPixels: fc.oneof(fc.integer({ min: 1, max: 5000 }), number, junk) }, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('box', 'margin', 'maxPixels', 'detect', 'maxFaces', 'minScore', 'minFaceSize', 'margn', 'gender', '__proto__', 'constructor'), junk),
      junk,
    );
    const raw = { ...face, format: 'rgba' as const };
    await fc.assert(
      fc.asyncProperty(options, fc.boolean(), async (opts, encoded) => {
        const input = encoded ? files.png : raw;
        const got = await outcome('estimate options', fc.stringify(opts).slice(0, 200), () => estimator.estimate(input, opts as never));
        expect(['ok', 'BAD_INPUT', 'IMAGE_TOO_LARGE']).toContain(got);
      }),
      fcOptions(400),
    );
    await expectHealthy();
  });

  it('createEstimator(options): an SsrnetError, or an estimator that works', async () => {
    const names = ['auto', 'age-wiki', 'age-imdb', 'gender-imdb', 'gender-wiki', 'nope'];
    const options = fc.oneof(
      fc.record(
        {
          model: fc.oneof(fc.constantFrom(...names), junk),
          gender: fc.oneof(fc.constantFrom<unknown>(true, false, ...names), junk),
          simd: fc.oneof(fc.constantFrom<unknown>('auto', true, false), junk),
          wasm: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 64 }), junk),
          weights: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.uint8Array({ maxLength: 900 }), junk)), junk),
          decode: fc.oneof(fc.constant(undefined), junk),
        },
        { requiredKeys: [] },
      ),
      junk,
    );
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const label = fc.stringify(opts).slice(0, 200);
        const got = await outcome('createEstimator options', label, async () => {
          const created = await createEstimator(opts as EstimatorOptions);
          return created.estimate({ ...face, format: 'rgba' }, WHOLE);
        });
        expect(['ok', 'BAD_INPUT', 'BAD_WASM', 'BAD_WEIGHTS']).toContain(got);
      }),
      fcOptions(80),
    );
    await expectHealthy();
  });
});

describe('damaged weights', () => {
  const good = weightsFile('age-wiki');
  const n = good.length;
  /** Header fields and every record field (weights/FORMAT.md §1-3). */
  const FIELDS = [4, 6, 7, 8, 12, 15, 16, 20, 24, ...Array.from({ length: 14 * 8 }, (_, i) => 64 + i * 4), ...Array.from({ length: 18 * 4 }, (_, i) => 512 + i * 4)];

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: n - 1 }) }),
    fc.record({
      kind: fc.constant('flip' as const),
      flips: fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      restamp: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('field' as const),
      at: fc.constantFrom(...FIELDS),
      value: fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0xfffffff0, n, n - 4, 800, 799, 801), fc.nat()),
    }),
    fc.record({
      kind: fc.constant('float' as const),
      at: fc.nat({ max: (n - 804) / 4 - 1 }).map((i) => 800 + 4 * i),
      value: fc.constantFrom(NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, -1e30, 1e-45, -0, 0),
    }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  /** The good file with `m` applied; the CRC is recomputed unless the mutation is a plain flip. */
  function damage(m: Mutation): Uint8Array {
    if (m.kind === 'truncate') return good.slice(0, m.at);
    if (m.kind === 'append') return concat(good, m.bytes);
    const out = good.slice();
    const dv = new DataView(out.buffer);
    if (m.kind === 'flip') for (const [at, value] of m.flips) out[at] = value;
    else if (m.kind === 'field') dv.setUint32(m.at, m.value >>> 0, true);
    else dv.setFloat32(m.at, m.value, true);
    if (m.kind !== 'flip' || m.restamp) dv.setUint32(n - 4, crc32(out.subarray(0, n - 4)), true);
    return out;
  }

  it("through createEstimator({ model: 'age-wiki', weights: { 'age-wiki': bytes } }): BAD_WEIGHTS, or finite ages / ENGINE_FAILED", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const got = await outcome('weights via createEstimator', JSON.stringify(m).slice(0, 200), async () => {
          const damaged = await createEstimator({ model: 'age-wiki', weights: { 'age-wiki': damage(m) } });
          return damaged.estimate({ ...face, format: 'rgba' }, WHOLE);
        });
        expect(['ok', 'BAD_WEIGHTS', 'ENGINE_FAILED']).toContain(got);
      }),
      fcOptions(80),
    );
    await expectHealthy();
  });

  it('through the Engine class: BAD_WEIGHTS, or finite outputs / ENGINE_FAILED; the other slots never change', async () => {
    const engine = await Engine.create(readFileSync(new URL('build/ssrnet-simd.wasm', ROOT)));
    engine.loadWeights(0, good, 'age');
    engine.loadWeights(2, weightsFile('gender-imdb'), 'gender');
    const crop = new Uint8Array(64 * 64 * 3).map((_, i) => face.data[(i * 7) % face.data.length]);
    const age = engine.run(0, crop);
    const gender = engine.run(2, crop);
    await fc.assert(
      fc.asyncProperty(mutation, fc.constantFrom(1, 1, 1, -1, 3, 7), async (m, slot) => {
        const got = await outcome('weights via Engine', JSON.stringify({ m, slot }).slice(0, 200), async () => {
          engine.loadWeights(slot, damage(m), 'age');
          return [{ box: { x: 0, y: 0, width: 64, height: 64 }, age: engine.run(slot, crop) }];
        });
        expect(['ok', 'BAD_WEIGHTS', 'ENGINE_FAILED']).toContain(got);
        expect(engine.run(0, crop)).toBe(age);
        expect(engine.run(2, crop)).toBe(gender);
      }),
      fcOptions(300),
    );
    await expectHealthy();
  });
});

describe('concurrency', () => {
  it('1,000 concurrent estimate calls (raw and encoded PNG, JPEG, WebP; 40% failing in four ways) equal the serial results', async () => {
    const raw = { ...face, format: 'rgba' as const };
    const boxes = [undefined, { x: 5, y: 5, width: 30, height: 30 }, { x: -5, y: 10, width: 20, height: 35 }];
    const calls: [string, ImageInput, object][] = Array.from({ length: 1000 }, (_, i) => {
      const box = boxes[i % boxes.length];
      switch (i % 10) {
        case 0: return ['png', files.png, { box }];
        case 1: return ['jpeg', files.jpeg, { box }];
        case 2: return ['bad box', raw, { box: { x: 100, y: 0, width: 5, height: 5 } }];
        case 3: return ['garbage', files.png.subarray(8), {}];
        case 4: return ['truncated', files.png.subarray(0, files.png.length >> 1), {}];
        case 5: return ['too large', raw, { maxPixels: 100 }];
        case 6: return files.webp ? ['webp', files.webp, { box }] : ['raw', raw, { box }];
        default: return ['raw', raw, { box, margin: (i % 5) * 0.2 }];
      }
    });
    const settle = (p: Promise<FaceResult[]>): Promise<FaceResult[] | string> => p.catch((e: unknown) => (e instanceof SsrnetError ? e.code : `not an SsrnetError: ${describeThrown(e)}`));
    const serial: (FaceResult[] | string)[] = [];
    for (const [, input, options] of calls) serial.push(await settle(estimator.estimate(input, options)));
    const concurrent = await Promise.all(calls.map(([, input, options]) => settle(estimator.estimate(input, options))));
    expect(concurrent).toEqual(serial);
    const counts = new Map<string, number>();
    for (const r of concurrent) counts.set(typeof r === 'string' ? r : 'ok', (counts.get(typeof r === 'string' ? r : 'ok') ?? 0) + 2);
    tally.set('concurrent mix (serial + concurrent)', counts);
    expect(concurrent.filter((r) => typeof r === 'string')).toHaveLength(400);
    expect(new Set(concurrent.filter((r) => typeof r === 'string'))).toEqual(new Set(['BAD_INPUT', 'UNSUPPORTED_FORMAT', 'DECODE_FAILED', 'IMAGE_TOO_LARGE']));
    await expectHealthy();
  });
});
