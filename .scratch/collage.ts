import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import type { Box, Rgba } from '../src/types.js';
import { letterbox } from './resample.js';
export const DIR = '/work/shared/data/utkface-dev/';
export const chipFiles = readFileSync(DIR + 'labels.csv', 'utf8').trim().split('\n').slice(1).map(r => r.split(',')[0]);
export async function chip(i: number): Promise<Rgba> { return decodeImage(new Uint8Array(readFileSync(DIR + chipFiles[i]))); }
export async function background(width: number, height: number): Promise<Rgba> {
  const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/coffee.png')));
  // box blur radius 12 twice
  let d = Float64Array.from(img.data);
  const W = img.width, H = img.height, r = 12;
  for (let pass = 0; pass < 4; pass++) {
    const o = new Float64Array(d.length);
    const horiz = pass % 2 === 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 4; c++) {
      let s = 0, n = 0;
      for (let k = -r; k <= r; k++) { const xx = horiz ? x + k : x, yy = horiz ? y : y + k; if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue; s += d[(yy * W + xx) * 4 + c]; n++; }
      o[(y * W + x) * 4 + c] = s / n;
    }
    d = o;
  }
  const blurred = { data: Uint8Array.from(d, Math.round), width: W, height: H };
  // stretch to width x height (area resample via letterbox on a square then crop is awkward: do bilinear)
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const sx = Math.min(W - 1, Math.floor(x * W / width)), sy = Math.min(H - 1, Math.floor(y * H / height));
    for (let c = 0; c < 4; c++) out[(y * width + x) * 4 + c] = blurred.data[(sy * W + sx) * 4 + c];
  }
  return { data: out, width, height };
}
export function paste(canvas: Rgba, src: Rgba, box: Box): void {
  const tmp = new Uint8Array(box.width * box.width * 3);
  // area-resample src into box.width square
  letterbox(src, { x: 0, y: 0, width: src.width, height: src.height }, box.width, tmp);
  for (let y = 0; y < box.width; y++) for (let x = 0; x < box.width; x++) for (let c = 0; c < 3; c++) canvas.data[((box.y + y) * canvas.width + box.x + x) * 4 + c] = tmp[(y * box.width + x) * 3 + c];
}
