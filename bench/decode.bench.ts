/**
 * Decoders side by side: jimp (the old Node default), @jsquash (mozjpeg / squoosh PNG in WASM, the
 * default for JPEG and PNG), sharp (libvips, full size) and the library's default decoder (which
 * shrinks big JPEGs on load with sharp when it is installed) — decode alone, and the whole photo
 * (encoded bytes in, every face and its age out, default options, one estimator per decoder).
 *
 *   npx tsx bench/decode.bench.ts      (needs `npm run build` first; ~2 min, most of it jimp on 12 MP)
 *
 * Inputs, made at run time from test/fixtures/images (nothing big is committed): a 500x375 group
 * JPEG, the benches' 640x480 one-face JPEG (bench/photo.ts), a 1024x576 group PNG and a 12 MP
 * (4032x3024) group JPEG. Calls are interleaved round by round, so the machine's noise hits every
 * decoder alike; the tables give medians and ratios from this one run. Last, a one-shot CLI run on
 * the 12 MP JPEG reports its peak RSS next to a bare `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpegDecode, { init as initJpeg } from '@jsquash/jpeg/decode.js';
import pngDecode, { init as initPng } from '@jsquash/png/decode.js';
import { Jimp } from 'jimp';
import sharp from 'sharp';
import { decodeImage } from '../src/decode.js';
import { createEstimator } from '../src/index.js';
import type { ImageDecoder, Rgba } from '../src/types.js';
import { groupJpeg, groupPng, makePhoto } from './photo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

type Decode = (bytes: Uint8Array) => Promise<Rgba>;

const view = (d: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

async function decoders(): Promise<Record<string, Decode>> {
  await initJpeg(await WebAssembly.compile(readFileSync(require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'))));
  await initPng(await WebAssembly.compile(readFileSync(require.resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'))));
  return {
    jimp: async (bytes) => (await Jimp.fromBuffer(Buffer.from(bytes))).bitmap,
    jsquash: async (bytes) => {
      const copy = bytes.slice();
      const image = bytes[0] === 0xff ? await jpegDecode(copy.buffer) : await pngDecode(copy.buffer);
      return { data: view(image.data), width: image.width, height: image.height };
    },
    'sharp (full size)': async (bytes) => {
      const { data, info } = await sharp(bytes).rotate().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data: view(data), width: info.width, height: info.height };
    },
    default: (bytes) => decodeImage(bytes, { maxPixels: 50_000_000 }),
  };
}

async function inputs(): Promise<[string, Uint8Array][]> {
  return [
    ['500x375 group JPEG', await groupJpeg(500, 375)],
    ['640x480 one-face JPEG', (await makePhoto()).jpeg],
    ['1024x576 group PNG', await groupPng(1024, 576)],
    ['12 MP group JPEG', await groupJpeg(4032, 3024)],
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/**
 * Peak RSS in MB of `node args...`, read at exit by a preloaded hook from /proc (VmHWM: getrusage's
 * maxRSS would carry this big bench process's peak over into the spawned child).
 */
function peakRss(args: string[], dir: string): number {
  const hook = join(dir, 'rss.cjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write('\\n' + require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:.*/)[0] + '\\n'));");
  const out = spawnSync(process.execPath, ['--require', hook, ...args], { encoding: 'utf8' });
  return Number(/VmHWM:\s+(\d+)/.exec(out.stderr)?.[1] ?? NaN) / 1024;
}

async function main(): Promise<void> {
  console.log(`# decode bench: ${cpus()[0]?.model}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}, sharp ${sharp.versions.sharp}`);
  const decode = await decoders();
  const names = Object.keys(decode);
  const estimators = Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await createEstimator({ decode: decode[name] as ImageDecoder })] as const)),
  );
  for (const [label, bytes] of await inputs()) {
    const big = bytes.length > 500_000;
    const rounds = big ? 3 : 15;
    const dec: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const whole: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const faces: Record<string, number> = {};
    for (const name of names) {
      // warm-up: codec instances, sharp's thread pool, the detector, JIT
      await decode[name](bytes);
      faces[name] = (await estimators[name].estimate(bytes)).length;
    }
    for (let r = 0; r < rounds; r++) {
      for (const name of names) {
        dec[name].push(await time(() => decode[name](bytes)));
        whole[name].push(await time(() => estimators[name].estimate(bytes)));
      }
    }
    const jimpDecode = median(dec.jimp);
    const shown = await decode.default(bytes);
    console.log(`\n## ${label} (${bytes.length} bytes; the default decodes it to ${shown.width}x${shown.height}), ${rounds} rounds`);
    console.log('| decoder | decode ms | jimp decode / decode | whole photo ms | jimp decode / whole photo | faces |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const name of names) {
      const d = median(dec[name]);
      const w = median(whole[name]);
      console.log(`| ${name} | ${d.toFixed(1)} | ${(jimpDecode / d).toFixed(1)}x | ${w.toFixed(1)} | ${(jimpDecode / w).toFixed(2)}x | ${faces[name]} |`);
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'ssrnet-decode-bench-'));
  try {
    const photo = join(dir, '12mp.jpg');
    writeFileSync(photo, (await inputs())[3][1]);
    const cli = join(ROOT, 'dist/cli.js');
    const bare = peakRss(['-e', '0'], dir);
    const start = performance.now();
    const oneShot = peakRss([cli, 'estimate', photo], dir);
    const ms = performance.now() - start;
    console.log(`\n## one-shot CLI on the 12 MP JPEG (dist/cli.js estimate): peak RSS ${oneShot.toFixed(0)} MB (bare node -e 0: ${bare.toFixed(0)} MB), ${ms.toFixed(0)} ms wall`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
