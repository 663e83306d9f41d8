/**
 * Synthetic group photos for the detector's recall test: UTKFace dev chips (../shared only, never
 * copied into the repo) pasted at known places and sizes onto a blurred copy of coffee.png (CC0,
 * test/fixtures/images), so every face box is known exactly.
 *
 * Ground truth: a UTKFace chip is a tight, aligned face crop, so the face box is the whole chip.
 * Calibrated once, not on the test collages: on the even-numbered dev chips (the collages use the
 * odd ones), each alone at 80 px on a grey 160x160 image, YuNet's box covers x 0.086-0.918,
 * y -0.072-0.972 of the chip's side (medians over 150 chips): IoU about 0.77 with the chip, above
 * the test's 0.5.
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../src/decode.js';
import type { Box, Rgba } from '../../src/types.js';
import { Rng } from './rng.js';

const DEV_FACES = new URL('../../../shared/data/utkface-dev/', import.meta.url);
const COFFEE = new URL('../fixtures/images/coffee.png', import.meta.url);

/** One collage and its faces' boxes. */
export interface Collage {
  image: Rgba;
  faces: Box[];
}

/** Box blur of radius `r`, `passes` times horizontally then vertically (a near-Gaussian). */
function blur(img: Rgba, r: number, passes: number): Rgba {
  let data = Float32Array.from(img.data);
  const { width: w, height: h } = img;
  for (let pass = 0; pass < passes * 2; pass++) {
    const horizontal = pass % 2 === 0;
    const out = new Float32Array(data.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 4; c++) {
          let sum = 0;
          let n = 0;
          for (let k = -r; k <= r; k++) {
            const xx = horizontal ? x + k : x;
            const yy = horizontal ? y : y + k;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            sum += data[(yy * w + xx) * 4 + c];
            n++;
          }
          out[(y * w + x) * 4 + c] = sum / n;
        }
      }
    }
    data = out;
  }
  return { data: Uint8Array.from(data, Math.round), width: w, height: h };
}

/** Nearest-neighbour stretch of `img` to width x height (the background is blurred, so no aliasing). */
function stretch(img: Rgba, width: number, height: number): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (Math.floor((y * img.height) / height) * img.width + Math.floor((x * img.width) / width)) * 4;
      data.set(img.data.subarray(s, s + 4), (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/** Pastes `chip` shrunk to side `size` (box filter over the chip pixels each output pixel covers) at (x, y). */
function paste(canvas: Rgba, chip: Rgba, x: number, y: number, size: number): void {
  for (let v = 0; v < size; v++) {
    const y0 = Math.floor((v * chip.height) / size);
    const y1 = Math.max(y0 + 1, Math.floor(((v + 1) * chip.height) / size));
    for (let u = 0; u < size; u++) {
      const x0 = Math.floor((u * chip.width) / size);
      const x1 = Math.max(x0 + 1, Math.floor(((u + 1) * chip.width) / size));
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let j = y0; j < y1; j++) for (let i = x0; i < x1; i++) sum += chip.data[(j * chip.width + i) * 4 + c];
        canvas.data[((y + v) * canvas.width + x + u) * 4 + c] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
}

/** The dev chips' file names in labels.csv order. */
function chipFiles(): string[] {
  return readFileSync(new URL('labels.csv', DEV_FACES), 'utf8').trim().split('\n').slice(1).map((row) => row.split(',')[0]);
}

/**
 * `count` collages of `width` x `height`, each a 3x2 grid of cells with one face per cell, of a
 * random side from 40 to 200 px (log-uniform) at a random place inside its cell. Faces are the
 * odd-numbered dev chips, in order. Seeded: the same call gives the same collages.
 */
export async function makeCollages(count: number, width = 640, height = 480, seed = 2024): Promise<Collage[]> {
  const background = stretch(blur(await decodeImage(new Uint8Array(readFileSync(COFFEE))), 12, 2), width, height);
  const files = chipFiles().filter((_, i) => i % 2 === 1);
  const rng = new Rng(seed);
  const cellW = Math.floor(width / 3);
  const cellH = Math.floor(height / 2);
  const collages: Collage[] = [];
  let next = 0;
  for (let k = 0; k < count; k++) {
    const image = { data: background.data.slice(), width, height };
    const faces: Box[] = [];
    for (let cy = 0; cy < 2; cy++) {
      for (let cx = 0; cx < 3; cx++) {
        const size = Math.round(40 * Math.pow(5, rng.float()));
        const x = cx * cellW + rng.int(0, cellW - size);
        const y = cy * cellH + rng.int(0, cellH - size);
        const chip = await decodeImage(new Uint8Array(readFileSync(new URL(files[next++], DEV_FACES))));
        paste(image, chip, x, y, size);
        faces.push({ x, y, width: size, height: size });
      }
    }
    collages.push({ image, faces });
  }
  return collages;
}
