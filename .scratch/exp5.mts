import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { Detector, boxIou } from '../src/detector.js';
import { background, chip, paste } from './collage.js';
import { Rng } from '../test/helpers/rng.js';
const det = await Detector.create(readFileSync('build/blazeface-simd.wasm'), readFileSync('weights/blazeface-front.bf32'));
const minFace = Number(process.argv[2] ?? 40);
// no-face images
for (const f of ['coffee.png', 'rocket.jpg', 'chelsea.png', 'camera.png', 'astronaut.png']) {
  const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/' + f)));
  const a = det.detect(img, { minScore: 0.3 });
  const b = det.detect(img, { minScore: 0.3, minFaceSize: minFace });
  const fmt = (d: any[]) => d.slice(0, 4).map(v => `${v.score.toFixed(2)}@${v.box.x.toFixed(0)},${v.box.y.toFixed(0)},${v.box.width.toFixed(0)}`).join(' ');
  console.log(f, 'single:', fmt(a), ' | minFace', minFace, ':', fmt(b));
}
const W = 640, H = 480;
const bg = await background(W, H);
const rng = new Rng(2024);
const scores: number[] = []; const fps: number[] = [];
let chipIndex = 1; let passes = 0; let t = 0;
for (let k = 0; k < 6; k++) {
  const canvas = { data: bg.data.slice(), width: W, height: H };
  const gts = [];
  for (let cy = 0; cy < 2; cy++) for (let cx = 0; cx < 3; cx++) {
    const s = Math.round(40 * Math.pow(5, rng.float()));
    const cw = Math.floor(W / 3), ch = H / 2;
    const box = { x: cx * cw + rng.int(0, cw - s), y: cy * ch + rng.int(0, ch - s), width: s, height: s };
    paste(canvas, await chip(chipIndex), box); chipIndex += 2;
    gts.push(box);
  }
  const t0 = performance.now();
  const dets = det.detect(canvas, { minScore: 0.3, minFaceSize: minFace });
  t += performance.now() - t0;
  for (const g of gts) {
    const m = dets.filter(d => boxIou(d.box, g) >= 0.5).map(d => d.score);
    scores.push(Math.max(0, ...m));
  }
  for (const d of dets) if (!gts.some(g => boxIou(d.box, g) >= 0.5)) fps.push(d.score);
  if (k === 0) console.log('gts', gts.map(g => g.width).join(','), 'dets', dets.map(d => `${d.score.toFixed(2)}:${d.box.width.toFixed(0)}`).join(' '));
}
console.log('time per collage ms', (t / 6).toFixed(0));
for (const th of [0.5, 0.6, 0.65, 0.7, 0.75, 0.8]) {
  console.log('thr', th, 'recall', (scores.filter(s => s >= th).length / scores.length).toFixed(3), 'fp', fps.filter(s => s >= th).length);
}
console.log('missed sizes@0.7', scores.map((s, i) => [s, i]).filter(([s]) => s < 0.7).map(([s, i]) => `${i}:${s.toFixed(2)}`).join(' '));
console.log('fp scores', fps.sort().reverse().slice(0, 10).map(v => v.toFixed(2)).join(' '));
{
  const rng2 = new Rng(2024); let ci = 1;
  for (let k = 0; k < 6; k++) {
    const canvas = { data: bg.data.slice(), width: W, height: H };
    const gts = [];
    for (let cy = 0; cy < 2; cy++) for (let cx = 0; cx < 3; cx++) {
      const s = Math.round(40 * Math.pow(5, rng2.float()));
      const cw = Math.floor(W / 3), ch = H / 2;
      const box = { x: cx * cw + rng2.int(0, cw - s), y: cy * ch + rng2.int(0, ch - s), width: s, height: s };
      paste(canvas, await chip(ci), box); ci += 2; gts.push(box);
    }
    const dets = det.detect(canvas, { minScore: 0.1, minFaceSize: minFace });
    gts.forEach((g, j) => { const idx = k * 6 + j; if (idx === 6 || idx === 31) {
      const best = dets.map(d => [boxIou(d.box, g), d.score, d.box] as const).sort((a, b) => b[0] - a[0])[0];
      console.log('missed', idx, JSON.stringify(g), 'best', best && best[0].toFixed(2), best && best[1].toFixed(2), JSON.stringify(best && best[2]));
    } });
  }
}
const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/coffee.png')));
const out = new Uint8Array(128*128*3);
const { letterbox } = await import('../src/detector.js');
let t0 = performance.now(); for (let i = 0; i < 50; i++) letterbox(bg, { x: 0, y: -80, width: 640, height: 640 }, out); console.log('letterbox 640x480 ms', ((performance.now() - t0) / 50).toFixed(2));
t0 = performance.now(); for (let i = 0; i < 50; i++) letterbox(bg, { x: 100, y: 100, width: 200, height: 200 }, out); console.log('letterbox tile 200 ms', ((performance.now() - t0) / 50).toFixed(2));
