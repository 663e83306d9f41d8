/**
 * The detected-box convention, measured where it matters (issue 14 item 3): do faces found in a
 * scene get the ages their chips get? Each held-out (odd-numbered) UTKFace dev chip of
 * ../shared/data/utkface-dev is pasted as an S-px square (S = 48, 96, 160) on a mid-grey 640x480
 * canvas, optionally rotated; the default pipeline detects it, and the face's age is computed with
 * several face boxes from the same detection:
 *
 * - `chip`: the pasted square itself (the models' own convention: the reference);
 * - `yunet`: faceBoxFromYunet (src/face-box.ts, what the estimator uses);
 * - `old`: the detector box widened by the former DETECTION_IN_CHIP constants;
 * - with --rotate: `aligned`, the yunet box cropped from the image rotated so the eyes are level.
 *
 * `--rotate DEG` rotates each scene about the face by +DEG (48 and 160 px) or -DEG (96 px) before
 * detection; the reference stays the unrotated chip square. A tiny angle (0.0001) measures the
 * eye-levelled crop on upright faces.
 *
 * Prints MAE against the labels and mean |age - chip-box age| and the signed bias per convention
 * and size. Model: the default ('auto').
 *
 *   npx tsx bench/scene-ages.ts [--rotate DEG] [--limit N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { Detector, LANDMARK_NAMES, type Detection } from '../src/detector.js';
import { Engine } from '../src/engine.js';
import { faceBoxFromYunet } from '../src/face-box.js';
import { createEstimator } from '../src/index.js';
import type { Box, Rgba } from '../src/types.js';
import { loadBgr, pasteBgr, resizeBgr } from '../tools/scenes.js';
import type { BgrImage } from '../src/oracle/yunet-f32.js';

const ROOT = new URL('../', import.meta.url);
const UTK = new URL('../shared/data/utkface-dev/', ROOT);
const SIZES = [48, 96, 160];
const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROTATE = arg('--rotate', 0);
const LIMIT = arg('--limit', 150);
const DEBUG = args.includes('--debug');

const OLD = { x: 0.086, y: -0.072, width: 0.832, height: 1.044 };
const oldBox = (b: Box): Box => {
  const width = b.width / OLD.width;
  const height = b.height / OLD.height;
  return { x: b.x - OLD.x * width, y: b.y - OLD.y * height, width, height };
};
const yunetBox = (d: Detection): Box => faceBoxFromYunet({ ...d.box, landmarks: LANDMARK_NAMES.map((n) => d.landmarks[n]) });

function toRgba(img: BgrImage): Rgba {
  const data = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) data.set([img.data[3 * i + 2], img.data[3 * i + 1], img.data[3 * i], 255], 4 * i);
  return { data, width: img.width, height: img.height };
}

/** `img` rotated by `deg` degrees about (cx, cy), bilinear, grey outside. */
function rotate(img: Rgba, deg: number, cx: number, cy: number): Rgba {
  const a = (deg * Math.PI) / 180;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const out = new Uint8Array(img.data.length).fill(128);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      // Inverse map: the source of output (x, y).
      const sx = c * (x - cx) + s * (y - cy) + cx;
      const sy = -s * (x - cx) + c * (y - cy) + cy;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= img.width || y0 + 1 >= img.height) continue;
      const fx = sx - x0, fy = sy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const p = (yy: number, xx: number): number => img.data[(yy * img.width + xx) * 4 + ch];
        out[(y * img.width + x) * 4 + ch] = Math.round((p(y0, x0) * (1 - fx) + p(y0, x0 + 1) * fx) * (1 - fy) + (p(y0 + 1, x0) * (1 - fx) + p(y0 + 1, x0 + 1) * fx) * fy);
      }
      out[(y * img.width + x) * 4 + 3] = 255;
    }
  }
  return { data: out, width: img.width, height: img.height };
}

async function main(): Promise<void> {
  if (!existsSync(UTK)) {
    console.log('scene-ages: SKIPPED, ../shared/data/utkface-dev absent');
    return;
  }
  const labels = readFileSync(new URL('labels.csv', UTK), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const odd = labels.filter((_, i) => i % 2 === 1).slice(0, LIMIT);
  const estimator = await createEstimator();
  const engine = await Engine.create(readFileSync(new URL(`build/ssrnet-${estimator.simd ? 'simd' : 'scalar'}.wasm`, ROOT)));
  const detector = await Detector.create(readFileSync(new URL(`build/yunet-${estimator.simd ? 'simd' : 'scalar'}.wasm`, ROOT)), readFileSync(new URL('weights/yunet.yunf', ROOT)));
  const conventions = ['chip', 'yunet', 'old', ...(ROTATE ? ['aligned'] : [])];
  type Row = { err: number[]; diff: number[]; signed: number[]; missed: number };
  const table = new Map<string, Row>();
  const row = (k: string): Row => table.get(k) ?? (table.set(k, { err: [], diff: [], signed: [], missed: 0 }), table.get(k)!);

  for (const [file, ageText] of odd) {
    const label = Number(ageText);
    const chip = await loadBgr(new URL(file, UTK));
    for (const size of SIZES) {
      const canvas: BgrImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(128) };
      const at = { x: 320 - size / 2, y: 240 - size / 2 };
      pasteBgr(canvas, resizeBgr(chip, size, size), at.x, at.y);
      const deg = ROTATE * (size === 96 ? -1 : 1);
      const image = deg ? rotate(toRgba(canvas), deg, 320, 240) : toRgba(canvas);
      engine.setImage(image);
      const [face] = detector.detect(engine);
      if (DEBUG && face) console.log(`size ${size} rotated ${deg}°: eyes at ${((Math.atan2(face.landmarks.leftEye.y - face.landmarks.rightEye.y, face.landmarks.leftEye.x - face.landmarks.rightEye.x) * 180) / Math.PI).toFixed(1)}°`);
      const chipBox = { x: at.x, y: at.y, width: size, height: size };
      const raw = { ...image, format: 'rgba' as const };
      // The reference: the chip's square on the unrotated canvas.
      const [ref] = await estimator.estimate(deg ? toRgbaRaw(toRgba(canvas)) : raw, { box: chipBox });
      for (const k of conventions) {
        const r = row(`${k} ${size}`);
        if (k !== 'chip' && !face) {
          r.missed++;
          continue;
        }
        let age: number;
        if (k === 'chip') age = ref.age;
        else if (k === 'yunet') age = (await estimator.estimate(raw, { box: yunetBox(face) }))[0].age;
        else if (k === 'old') age = (await estimator.estimate(raw, { box: oldBox(face.box) }))[0].age;
        else {
          // Rotate the image about the eyes' midpoint so they are level, then crop the same box.
          const { rightEye: re, leftEye: le } = face.landmarks;
          const angle = (Math.atan2(le.y - re.y, le.x - re.x) * 180) / Math.PI;
          const box = yunetBox(face);
          const mid = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
          const aligned = rotate(image, -angle, mid.x, mid.y);
          if (DEBUG) {
            engine.setImage(aligned);
            const [again] = detector.detect(engine);
            if (again) console.log(`eyes at ${angle.toFixed(1)}°, after alignment ${((Math.atan2(again.landmarks.leftEye.y - again.landmarks.rightEye.y, again.landmarks.leftEye.x - again.landmarks.rightEye.x) * 180) / Math.PI).toFixed(1)}°`);
          }
          age = (await estimator.estimate(toRgbaRaw(aligned), { box }))[0].age;
        }
        r.err.push(Math.abs(age - label));
        r.diff.push(Math.abs(age - ref.age));
        r.signed.push(age - ref.age);
      }
    }
  }
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  console.log(`# ${odd.length} held-out chips x sizes ${SIZES.join(', ')} px on 640x480 grey${ROTATE ? `, rotated ±${ROTATE}°` : ''}; model auto`);
  console.log('convention size | n | MAE vs label | mean |age - chip-box age| | mean signed (age - chip-box age) | missed');
  for (const [k, r] of table) console.log(`${k.padEnd(12)} | ${r.err.length} | ${mean(r.err).toFixed(2)} | ${mean(r.diff).toFixed(2)} | ${mean(r.signed).toFixed(2)} | ${r.missed}`);
}

function toRgbaRaw(img: Rgba): Rgba & { format: 'rgba' } {
  return { ...img, format: 'rgba' };
}

await main();
