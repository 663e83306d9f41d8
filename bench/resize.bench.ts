/**
 * The detector's working-image resize in the engine (Engine.setImage + Engine.resizeImage,
 * assembly/crop.ts, scalar) against the TypeScript loop it replaced (test/helpers/crop-reference.ts),
 * side by side in one process, on synthetic RGBA images: a frame kept at its size, shrinking by
 * 1.6x and a 12 MP photo down to 640x480. Medians in ms and the wasm / TS ratio.
 *
 *   npm run asbuild:simd && npx tsx bench/resize.bench.ts
 */
import { readFileSync } from 'node:fs';
import { Engine } from '../src/engine.js';
import { resizeToBgr } from '../test/helpers/crop-reference.js';

const engine = await Engine.create(readFileSync(new URL('../build/ssrnet-simd.wasm', import.meta.url)));
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log('# resize bench: RGBA image -> BGR working image; medians in ms');
for (const [w, h, dw, dh] of [[640, 480, 640, 480], [1024, 768, 640, 480], [4032, 3024, 640, 480]]) {
  const image = { data: new Uint8Array(w * h * 4).map((_, i) => (i * 31) & 255), width: w, height: h };
  const out = new Uint8Array(dw * dh * 3);
  const runs = w > 2000 ? 7 : 31;
  const t = { set: [] as number[], wasm: [] as number[], ts: [] as number[] };
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    engine.setImage(image);
    t.set.push(performance.now() - t0);
    t0 = performance.now();
    engine.resizeImage(dw, dh);
    t.wasm.push(performance.now() - t0);
    t0 = performance.now();
    resizeToBgr(image, dw, dh, out);
    t.ts.push(performance.now() - t0);
  }
  console.log(`${w}x${h} -> ${dw}x${dh}: setImage (copy in) ${median(t.set).toFixed(2)}, wasm resize ${median(t.wasm).toFixed(2)}, TS resize ${median(t.ts).toFixed(2)}, wasm / TS ${(median(t.wasm) / median(t.ts)).toFixed(2)}`);
}
