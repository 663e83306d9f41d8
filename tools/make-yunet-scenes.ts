/**
 * `tsx tools/make-yunet-scenes.ts`: the three synthetic group photos of test/fixtures/images
 * (yunet-group-{1,2,3}.jpg) on which the YuNet oracle is compared with the C++ library. Public-domain
 * material only: Congress portraits from ../shared/data/portraits-dev (whole 225x275 portraits,
 * shrunk or enlarged so the face is about the listed width) pasted at seeded random places onto
 * rocket.jpg, coffee.png and chelsea.png (test/fixtures/images). Deterministic for a given input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '../test/helpers/rng.js';
import { encodeJpeg, loadBgr, pasteBgr, resizeBgr } from './scenes.js';

const IMAGES = new URL('../test/fixtures/images/', import.meta.url);
const PORTRAITS = new URL('../../shared/data/portraits-dev/', import.meta.url);
/** Width of the face in a 225-px-wide portrait (median of the detector's boxes on them). */
const PORTRAIT_FACE = 118;

const SCENES = [
  { out: 'yunet-group-1.jpg', background: 'rocket.jpg', width: 640, height: 427, faces: [140, 96, 64, 48, 32, 24], seed: 1 },
  { out: 'yunet-group-2.jpg', background: 'coffee.png', width: 720, height: 480, faces: [120, 80, 56, 40, 28], seed: 2 },
  { out: 'yunet-group-3.jpg', background: 'chelsea.png', width: 800, height: 532, faces: [200, 110, 70, 44, 30], seed: 3 },
];

const portraits = readFileSync(new URL('labels.csv', PORTRAITS), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
let next = 0;
for (const scene of SCENES) {
  const rng = new Rng(scene.seed);
  const canvas = resizeBgr(await loadBgr(new URL(scene.background, IMAGES)), scene.width, scene.height);
  const placed: number[][] = [];
  for (const face of scene.faces) {
    const file = portraits[next++];
    const s = face / PORTRAIT_FACE;
    const img = resizeBgr(await loadBgr(new URL(file, PORTRAITS)), Math.round(225 * s), Math.round(275 * s));
    for (let attempt = 0; ; attempt++) {
      if (attempt > 10000) throw new Error(`${scene.out}: no room for a ${face}-px face`);
      const x = rng.int(0, scene.width - img.width);
      const y = rng.int(0, scene.height - img.height);
      if (placed.some(([a, b, w, h]) => x < a + w && a < x + img.width && y < b + h && b < y + img.height)) continue;
      placed.push([x, y, img.width, img.height]);
      pasteBgr(canvas, img, x, y);
      console.log(`${scene.out}: ${file} at ${x},${y} ${img.width}x${img.height}`);
      break;
    }
  }
  const bytes = encodeJpeg(canvas, 85);
  writeFileSync(new URL(scene.out, IMAGES), bytes);
  console.log(`wrote ${fileURLToPath(new URL(scene.out, IMAGES))}: ${bytes.length} bytes`);
}
