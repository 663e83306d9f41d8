/**
 * The detector's working-image resize in the engine (Engine.setImage + Engine.resizeRegion,
 * assembly/crop.ts) against the TypeScript loop it replaced (test/helpers/crop-reference.ts) and,
 * when given, another build of the engine (a baseline .wasm, e.g. the previous commit's build),
 * side by side in one process on synthetic RGBA images: a frame kept at its size, shrinking by
 * 1.6x and 2.1x, a 12 MP photo down to 640x480, and a finer-pass tile (a 720x540 region to
 * 640x480). Medians in ms and ratios; the baseline's bytes are checked equal.
 *
 *   npm run asbuild:simd && npx tsx bench/resize.bench.ts [simd|scalar] [baseline.wasm]
 *
 * Measured (Node 20, 2 shared cores, noisy: read the ratios): simd build against the per-block
 * loops it replaced (5f280b1): 1344x1008 -> 640x480 4.1x, 1024x768 3.8-4.0x, 640x480 copy
 * 2.9-5.4x, 4032x3024 4.6x, the 720x540 tile 4.0x; scalar build 2.0-2.6x, copy 1.6x.
 */
import { readFileSync } from 'node:fs';
import { Engine } from '../src/engine.js';
import { resizeToBgr } from '../test/helpers/crop-reference.js';

const build = process.argv[2] ?? 'simd';
const engine = await Engine.create(readFileSync(new URL(`../build/ssrnet-${build}.wasm`, import.meta.url)));
const baseline = process.argv[3] ? await Engine.create(readFileSync(process.argv[3])) : undefined;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
const time = (run: () => unknown): number => {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
};
console.log(`# resize bench (${build} build${baseline ? ` vs ${process.argv[3]}` : ''}): RGBA image -> BGR working image; medians in ms`);
const cases: [number, number, number, number, number, number][] = [
  // image w, h; region x, y (the rest of the image, or 720x540 when x > 0); output w, h
  [640, 480, 0, 0, 640, 480],
  [1024, 768, 0, 0, 640, 480],
  [1344, 1008, 0, 0, 640, 480],
  [4032, 3024, 0, 0, 640, 480],
  [1344, 1008, 300, 200, 640, 480],
];
for (const [w, h, x, y, dw, dh] of cases) {
  const image = { data: new Uint8Array(w * h * 4).map((_, i) => (i * 31 + (i >> 7)) & 255), width: w, height: h };
  const region = x > 0 ? { x, y, width: 720, height: 540 } : { x: 0, y: 0, width: w, height: h };
  const crop = { data: new Uint8Array(region.width * region.height * 4), width: region.width, height: region.height };
  for (let row = 0; row < region.height; row++) {
    crop.data.set(image.data.subarray(((y + row) * w + x) * 4, ((y + row) * w + x + region.width) * 4), row * region.width * 4);
  }
  const out = new Uint8Array(dw * dh * 3);
  engine.setImage(image);
  baseline?.setImage(image);
  if (baseline && Buffer.compare(engine.resizeRegion(region, dw, dh).slice(), baseline.resizeRegion(region, dw, dh)) !== 0) {
    throw new Error(`${w}x${h}: the baseline gives other bytes`);
  }
  const runs = w > 2000 ? 9 : 31;
  const t = { wasm: [] as number[], base: [] as number[], ts: [] as number[] };
  for (let i = 0; i < runs; i++) {
    t.wasm.push(time(() => engine.resizeRegion(region, dw, dh)));
    if (baseline) t.base.push(time(() => baseline.resizeRegion(region, dw, dh)));
    t.ts.push(time(() => resizeToBgr(crop, dw, dh, out)));
  }
  const what = x > 0 ? `${w}x${h} region ${x},${y} 720x540` : `${w}x${h}`;
  const base = baseline ? `, baseline ${median(t.base).toFixed(2)}, baseline / wasm ${(median(t.base) / median(t.wasm)).toFixed(2)}` : '';
  console.log(`${what} -> ${dw}x${dh}: wasm ${median(t.wasm).toFixed(2)}${base}, TS ${median(t.ts).toFixed(2)}, TS / wasm ${(median(t.ts) / median(t.wasm)).toFixed(2)}`);
}
