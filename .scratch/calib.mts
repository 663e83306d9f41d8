import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { decode, weightedNms } from '../src/oracle/blazeface.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';
const DIR = '/work/shared/data/utkface-dev/';
const rows = readFileSync(DIR + 'labels.csv', 'utf8').trim().split('\n').slice(1).map(r => r.split(',')[0]);
const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
const stats: number[][] = [[], [], [], []];
let missed = 0; const scores: number[] = [];
for (let i = 0; i < rows.length; i += 2) {
  const chip = await decodeImage(new Uint8Array(readFileSync(DIR + rows[i])));
  // chip (200) at 80 px centered on a mid-gray 128 canvas
  const canvas = { data: new Uint8Array(400 * 400 * 4).fill(128), width: 400, height: 400 };
  for (let y = 0; y < 200; y++) for (let x = 0; x < 200; x++) for (let c = 0; c < 4; c++) canvas.data[((y + 100) * 400 + x + 100) * 4 + c] = chip.data[(y * 200 + x) * 4 + c];
  const rgb = new Uint8Array(128 * 128 * 3);
  letterbox(canvas, { x: 0, y: 0, width: 400, height: 400 }, 128, rgb);
  const raw = runBlazeface(front, rgb, 128);
  const d = weightedNms(decode(raw.scores, raw.boxes, 0.5))[0];
  if (!d) { missed++; continue; }
  scores.push(d.score);
  // chip coords: canvas px = norm*400, chip = (canvas-100)/200
  const f = (v: number) => (v * 400 - 100) / 200;
  stats[0].push(f(d.xmin)); stats[1].push(f(d.ymin)); stats[2].push(f(d.xmin + d.width)); stats[3].push(f(d.ymin + d.height));
}
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const q = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(p * (s.length - 1))]; };
console.log('n', stats[0].length, 'missed', missed, 'score median', med(scores), 'min', Math.min(...scores));
for (const [k, n] of ['x0', 'y0', 'x1', 'y1'].entries()) console.log(n, q(stats[k], 0.1).toFixed(3), med(stats[k]).toFixed(3), q(stats[k], 0.9).toFixed(3));
