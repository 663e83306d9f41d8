import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { decode, weightedNms } from '../src/oracle/blazeface.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';
const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/astronaut.png')));
for (const [W, H, s] of [[640, 480, 480], [640, 480, 512], [800, 600, 512], [1024, 768, 512], [960, 720, 480]]) {
  // astronaut scaled to s x s, centered on a W x H canvas of gray 128 (crop when s > H)
  const scaled = new Uint8Array(s * s * 3);
  letterbox(img, { x: 0, y: 0, width: 512, height: 512 }, s, scaled);
  const canvas = { data: new Uint8Array(W * H * 4).fill(128), width: W, height: H };
  const ox = (W - s) >> 1, oy = (H - s) >> 1;
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) { const cy = y + oy; if (cy < 0 || cy >= H) continue; for (let c = 0; c < 3; c++) canvas.data[(cy * W + x + ox) * 4 + c] = scaled[(y * s + x) * 3 + c]; }
  const rgb = new Uint8Array(128 * 128 * 3);
  const lb = letterbox(canvas, { x: 0, y: 0, width: W, height: H }, 128, rgb);
  const raw = runBlazeface(front, rgb, 128);
  const d = weightedNms(decode(raw.scores, raw.boxes, 0.2));
  console.log(W, H, 'face px', (90 * s / 512).toFixed(0), 'in128', (90 * s / 512 * lb.scale).toFixed(1), d.slice(0, 3).map(v => `${v.score.toFixed(3)} ${(v.width * 128 / lb.scale).toFixed(0)}px`).join(' | '));
}
