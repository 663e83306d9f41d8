/**
 * Soak run (issue #6): N estimate calls on one estimator, good and bad inputs interleaved, checking
 * that nothing is lost and nothing leaks.
 *
 *   npx tsx bench/soak.ts [N]          (default N = 100000; needs `npm run asbuild` first)
 *
 * One estimator (age-wiki + gender-imdb: two network runs per face) gets, in a fixed rotation of
 * 20 calls, 12 calls with 7 good inputs — raw pixels mostly (whole 40x40 faces in rgba / rgb /
 * gray, the 512x512 photo with the example box, two other boxes and margins), one small encoded
 * PNG — and 8 calls, one of each failure class it can meet: BAD_INPUT (a box outside the image, raw data of the wrong length,
 * an unknown option), UNSUPPORTED_FORMAT, DECODE_FAILED (a truncated PNG, a zlib bomb),
 * IMAGE_TOO_LARGE (a header bomb, raw pixels over maxPixels). Every 1000 calls, the failures that
 * need another instance run once each: ENGINE_FAILED (an estimator with degenerate weights),
 * BAD_WEIGHTS and BAD_WASM (createEstimator with a damaged file).
 *
 * Checked on every call, with exit code 1 on any violation:
 * - each input gives exactly what it gave the first time (the same ages, or the same error);
 * - the engine's wasm memory never changes size.
 * And over the run, sampled every 1000 calls after a full garbage collection (so the numbers are
 * what is still held, not what the collector has not reclaimed yet): after the warm-up (the first
 * WARMUP_CALLS calls) RSS stays within RSS_GROWTH_LIMIT and the JS heap within HEAP_GROWTH_LIMIT
 * of their values at the end of the warm-up. Prints progress every 10000 calls and a summary:
 * calls, network runs, outcomes per case, RSS and heap at the start / after the warm-up / peak / end.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflateSync } from 'node:zlib';
import { Jimp } from 'jimp';
import { crc32 } from '../src/crc32.js';
import { type EstimateOptions, type ImageInput, SsrnetError, createEstimator } from '../src/index.js';

const N = Number(process.argv[2] ?? 100_000);
const PROGRESS_EVERY = 10_000;
/** Calls before the RSS baseline is taken: V8 tiers up, jimp loads, heaps reach their working size. */
const WARMUP_CALLS = Math.min(10_000, Math.max(1000, Math.floor(N / 10_000) * 1000));
/**
 * Largest accepted growth after the warm-up. RSS after a full GC still moves in steps of ~15 MB up
 * and back down (pages the allocator keeps; also with MALLOC_ARENA_MAX=1): measured peaks were +16
 * to +31 MB over 100k-300k calls, with the JS heap flat within 0.4 MB. The heap is the tight check.
 */
const RSS_GROWTH_LIMIT = 48 << 20;
const HEAP_GROWTH_LIMIT = 4 << 20;

// A full collection before each memory sample, without needing `node --expose-gc`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const EXAMPLE_BOX = { x: 175, y: 70, width: 90, height: 90 };

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const root = new URL('../', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, root)));

interface Case {
  name: string;
  input: ImageInput;
  options: EstimateOptions;
}

/** The inputs: a small face cut from the example photo, in several forms, and hostile ones. */
async function makeCases(): Promise<{ good: Case[]; bad: Case[] }> {
  const photoPng = read('examples/astronaut.png');
  const photo = await Jimp.fromBuffer(Buffer.from(photoPng));
  const photoRgba = { data: new Uint8Array(photo.bitmap.data), width: 512, height: 512, format: 'rgba' as const };
  const small = photo.clone().crop({ x: 155, y: 50, w: 130, h: 130 }).resize({ w: 40, h: 40 });
  const rgba = new Uint8Array(small.bitmap.data);
  const rgb = rgba.filter((_, i) => i % 4 !== 3);
  const gray = Uint8Array.from({ length: 40 * 40 }, (_, i) => Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]));
  const png = new Uint8Array(await small.getBuffer('image/png'));
  const whole = { box: { x: 0, y: 0, width: 40, height: 40 } };
  const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const chunk = (type: string, data: ArrayLike<number>): Uint8Array => {
    const body = new Uint8Array([...Buffer.from(type, 'latin1'), ...Array.from(data)]);
    return new Uint8Array([...be32(data.length), ...body, ...be32(crc32(body))]);
  };
  const signature = png.subarray(0, 8);
  const zlibBomb = new Uint8Array([...signature, ...chunk('IHDR', [...be32(1), ...be32(1), 8, 2, 0, 0, 0]), ...chunk('IDAT', deflateSync(Buffer.alloc(16 << 20))), ...chunk('IEND', [])]);
  const headerBomb = png.slice();
  new DataView(headerBomb.buffer).setUint32(16, 100_000);
  new DataView(headerBomb.buffer).setUint32(20, 100_000);

  const good: Case[] = [
    { name: 'raw rgba 40x40', input: { data: rgba, width: 40, height: 40, format: 'rgba' }, options: whole },
    { name: 'raw rgb 40x40', input: { data: rgb, width: 40, height: 40, format: 'rgb' }, options: whole },
    { name: 'raw gray 40x40', input: { data: gray, width: 40, height: 40, format: 'gray' }, options: whole },
    { name: 'raw rgba 40x40, inner box', input: { data: rgba, width: 40, height: 40 }, options: { box: { x: 8, y: 8, width: 24, height: 24 }, margin: 0.2 } },
    { name: 'raw rgba 40x40, box past the edge', input: { data: rgba, width: 40, height: 40, format: 'rgba' }, options: { box: { x: -10, y: 5, width: 30, height: 40 }, margin: 0 } },
    { name: 'raw photo 512x512, example box', input: photoRgba, options: { box: EXAMPLE_BOX } },
    { name: 'PNG 40x40', input: png, options: whole },
  ];
  const bad: Case[] = [
    { name: 'BAD_INPUT box outside', input: { data: rgba, width: 40, height: 40, format: 'rgba' }, options: { box: { x: 50, y: 0, width: 5, height: 5 } } },
    { name: 'BAD_INPUT raw length', input: { data: rgb, width: 40, height: 40, format: 'rgba' }, options: whole },
    { name: 'BAD_INPUT unknown option', input: png, options: { margn: 0.4 } as EstimateOptions },
    { name: 'UNSUPPORTED_FORMAT', input: png.subarray(8), options: whole },
    { name: 'DECODE_FAILED truncated', input: png.subarray(0, png.length >> 1), options: whole },
    { name: 'DECODE_FAILED zlib bomb', input: zlibBomb, options: whole },
    { name: 'IMAGE_TOO_LARGE header', input: headerBomb, options: whole },
    { name: 'IMAGE_TOO_LARGE raw', input: { data: rgba, width: 40, height: 40, format: 'rgba' }, options: { ...whole, maxPixels: 1000 } },
  ];
  return { good, bad };
}

/** What a call gave: its faces as JSON, or its error code and message. */
async function outcomeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify(await call())}`;
  } catch (err) {
    if (err instanceof SsrnetError) return `${err.code} ${err.message}`;
    return `NOT AN SsrnetError: ${err instanceof Error ? err.stack : String(err)}`;
  }
}

async function main(): Promise<void> {
  const { good, bad } = await makeCases();
  // 20 calls per rotation: the 8 bad cases at odd positions 1..15, the 7 good ones around them.
  let nextGood = 0;
  const rotation: Case[] = Array.from({ length: 20 }, (_, i) => (i % 2 === 1 && i >> 1 < bad.length ? bad[i >> 1] : good[nextGood++ % good.length]));
  const estimator = await createEstimator({ model: 'age-wiki', gender: true });
  const ageWiki = read('weights/age-wiki.ssrq');
  const degenerate = ageWiki.slice();
  const dv = new DataView(degenerate.buffer);
  dv.setFloat32(dv.getUint32(512 + 2 * 16 + 8, true), -1e30, true); // stage 1 Δ bias: the merge divides by zero
  dv.setUint32(degenerate.length - 4, crc32(degenerate.subarray(0, degenerate.length - 4)), true);
  const broken = await createEstimator({ model: 'age-wiki', weights: { 'age-wiki': degenerate } });
  const sideCalls: [string, () => Promise<unknown>][] = [
    ['ENGINE_FAILED', () => broken.estimate(good[0].input, good[0].options)],
    ['BAD_WEIGHTS', () => createEstimator({ model: 'age-wiki', weights: { 'age-wiki': ageWiki.subarray(0, 40_000) } })],
    ['BAD_WASM', () => createEstimator({ model: 'age-wiki', wasm: read('weights/age-wiki.ssrq') })],
  ];

  const first = new Map<string, string>();
  const counts = new Map<string, number>();
  const violations: string[] = [];
  const check = (name: string, got: string, call: number): void => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const expected = first.get(name);
    if (expected === undefined) first.set(name, got);
    else if (got !== expected && violations.length < 20) violations.push(`call ${call}, ${name}: got ${got.slice(0, 200)}, first ${expected.slice(0, 200)}`);
    if (got.startsWith('NOT AN') && violations.length < 20) violations.push(`call ${call}, ${name}: ${got}`);
  };

  const memory = estimator.memoryBytes.memory;
  /** RSS and JS heap after a full collection. */
  const sample = (): { rss: number; heap: number } => {
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    return { rss, heap: heapUsed };
  };
  const atStart = sample();
  let afterWarmup = atStart;
  const peak = { rss: 0, heap: 0 };
  let networkRuns = 0;
  const start = performance.now();
  console.log(`soak: ${N} calls on one estimator (age-wiki + gender-imdb), wasm memory ${memory} bytes, RSS ${mb(atStart.rss)}; node ${process.version}`);

  for (let call = 1; call <= N; call++) {
    const c = rotation[call % rotation.length];
    const got = await outcomeOf(() => estimator.estimate(c.input, c.options));
    if (got.startsWith('ok')) networkRuns += 2;
    check(c.name, got, call);
    if (estimator.memoryBytes.memory !== memory && violations.length < 20) {
      violations.push(`call ${call}: wasm memory is ${estimator.memoryBytes.memory} bytes, was ${memory}`);
    }
    if (call % 1000 === 0) {
      for (const [name, sideCall] of sideCalls) check(name, await outcomeOf(sideCall), call);
      const now = sample();
      if (call <= WARMUP_CALLS) afterWarmup = now;
      else {
        peak.rss = Math.max(peak.rss, now.rss);
        peak.heap = Math.max(peak.heap, now.heap);
      }
    }
    if (call % PROGRESS_EVERY === 0 || call === N) {
      const seconds = (performance.now() - start) / 1000;
      console.log(`${call}/${N} calls, ${networkRuns} network runs, ${seconds.toFixed(0)} s, RSS ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}, wasm memory ${estimator.memoryBytes.memory}, violations ${violations.length}`);
    }
  }

  const atEnd = sample();
  peak.rss = Math.max(peak.rss, atEnd.rss);
  peak.heap = Math.max(peak.heap, atEnd.heap);
  if (peak.rss - afterWarmup.rss > RSS_GROWTH_LIMIT) violations.push(`RSS grew by ${mb(peak.rss - afterWarmup.rss)} after the warm-up (limit ${mb(RSS_GROWTH_LIMIT)})`);
  if (atEnd.heap - afterWarmup.heap > HEAP_GROWTH_LIMIT) violations.push(`the JS heap grew by ${mb(atEnd.heap - afterWarmup.heap)} after the warm-up (limit ${mb(HEAP_GROWTH_LIMIT)})`);
  console.log('\noutcomes per case (all identical to the first call of the case unless listed below):');
  for (const [name, n] of counts) console.log(`  ${name}: ${n} × ${first.get(name)?.slice(0, 90)}`);
  console.log(`\ncalls ${N}, network runs ${networkRuns}, ${((performance.now() - start) / 1000).toFixed(0)} s`);
  console.log(`wasm memory: ${memory} bytes at the start, ${estimator.memoryBytes.memory} at the end`);
  for (const key of ['rss', 'heap'] as const) {
    console.log(`${key === 'rss' ? 'RSS' : 'JS heap'} after GC: start ${mb(atStart[key])}, after ${WARMUP_CALLS} warm-up calls ${mb(afterWarmup[key])}, peak after the warm-up ${mb(peak[key])}, end ${mb(atEnd[key])}`);
  }
  if (violations.length) {
    console.log(`\nFAILED: ${violations.length} violation(s)`);
    for (const v of violations) console.log(`  ${v}`);
    process.exit(1);
  }
  console.log('\nOK: every input gave the same result every time; wasm memory constant; RSS flat after the warm-up');
}

await main();
