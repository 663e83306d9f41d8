import { Jimp } from 'jimp';
import { normalizeInput } from './src/input.js';
import { Rng } from './test/helpers/rng.js';
const fmt = process.argv[2] as 'png'|'jpeg'|'bmp'|'gif';
const N = Number(process.argv[3] ?? 1000);
const seed = Number(process.argv[4] ?? 1);
const MIME = { png: 'image/png', jpeg: 'image/jpeg', bmp: 'image/bmp', gif: 'image/gif' } as const;
const image = new Jimp({ width: 36, height: 24 });
for (let i = 0; i < image.bitmap.data.length; i++) image.bitmap.data[i] = (i * 7 + (i >> 6) * 13) & 255;
const bytes = new Uint8Array(await image.getBuffer(MIME[fmt]));
const rng = new Rng(seed);
const counts: Record<string, number> = {};
let worst = 0;
const log = console.log; console.log = () => {};
for (let iter = 0; iter < N; iter++) {
  const mutated = bytes.slice();
  const flips = rng.int(1, 6);
  for (let k = 0; k < flips; k++) { const p = rng.int(0, mutated.length - 1); mutated[p] = rng.u32() & 255; }
  const cut = rng.float() < 0.2 ? mutated.subarray(0, rng.int(1, mutated.length)) : mutated;
  const t = performance.now();
  let r: string;
  try { await normalizeInput(cut, { maxPixels: 100_000 }); r = 'ok'; } catch (e: any) { r = e.code ?? ('OTHER ' + e.message); }
  worst = Math.max(worst, performance.now() - t);
  counts[r] = (counts[r] ?? 0) + 1;
}
log(fmt, bytes.length, counts, 'worst ms', worst.toFixed(1));
