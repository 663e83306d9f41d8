import { decode, weightedNms, iou } from '../src/oracle/blazeface.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';
import { background, chip, paste } from './collage.js';
import { Rng } from '../test/helpers/rng.js';
const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
const back = await loadGraphModelFile(new URL('file:///work/shared/reference-tfjs/blazeface.json'));
const chips = await Promise.all(Array.from({ length: 30 }, (_, i) => chip(2 * i + 1)));
for (const [name, model, size] of [['front', front, 128], ['back', back, 256]] as const) {
  const bg = await background(size, size);
  for (const rel of [0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 0.7, 0.9]) {
    const s = Math.round(rel * size);
    const rng = new Rng(7);
    const hitScores: number[] = [];
    let fp = 0;
    for (const c of chips) {
      const canvas = { data: bg.data.slice(), width: size, height: size };
      const box = { x: rng.int(0, size - s), y: rng.int(0, size - s), width: s, height: s };
      paste(canvas, c, box);
      const rgb = new Uint8Array(size * size * 3);
      letterbox(canvas, { x: 0, y: 0, width: size, height: size }, size, rgb);
      const raw = runBlazeface(model, rgb, size);
      const dets = weightedNms(decode(raw.scores, raw.boxes.map(v => v * 128 / size), 0.3));
      const gt = { xmin: box.x / size, ymin: box.y / size, width: s / size, height: s / size };
      const best = Math.max(0, ...dets.filter(d => iou(d, gt) >= 0.5).map(d => d.score));
      hitScores.push(best);
      fp += dets.filter(d => iou(d, gt) < 0.5 && d.score >= 0.5).length;
    }
    const rec = (t: number) => (hitScores.filter(v => v >= t).length / hitScores.length).toFixed(2);
    console.log(name, 'face', (rel * 100).toFixed(0) + '%', `${s}px`, 'recall@0.5', rec(0.5), '@0.6', rec(0.6), '@0.7', rec(0.7), '@0.75', rec(0.75), 'fp@0.5', fp);
  }
}
