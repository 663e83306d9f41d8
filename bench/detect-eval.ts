/**
 * `tsx bench/detect-eval.ts [scenes=24]`: detection quality of YuNet (the float oracle,
 * src/oracle/yunet-f32.ts) as a function of the working resolution and the score threshold, to
 * choose the detector's default policy (docs/detector.md).
 *
 * Scenes: dev faces pasted at known places and sizes (16..300 px) onto real backgrounds (random
 * crops, flips of coffee.png, rocket.jpg, chelsea.png), 800-1280 px wide:
 * - UTKFace chips from ../shared/data/utkface-dev (non-commercial: read there, never written
 *   anywhere). Ground truth: the chip is the face box (the project's convention).
 * - Congress portraits from ../shared/data/portraits-dev (public domain), cropped around the face
 *   with a margin. Ground truth: the oracle's box on the untouched 225x275 portrait (score >= 0.8).
 * Plus real photos: astronaut.png and camera.png (one face each, boxes from ../shared/README.md),
 * and the no-face photos coffee.png, rocket.jpg, chelsea.png (the cat).
 *
 * Each image is resized so that its long side is S, detected once, and the faces (NMS at the
 * C++'s 0.45, candidates from 0.2) are filtered by each score threshold T: NMS keeps a box only
 * because of higher-scoring boxes, so filtering after NMS equals running it at T. A detection
 * matches an unmatched ground-truth face at IoU >= 0.3 (greedy, by score); every other one is a
 * false box.
 *
 * Env ORACLE picks the detector: `f32` (default), `int8` (src/oracle/yunet-int8.ts with the
 * committed per-channel scales) or `int8:RULE` (scales calibrated here by tools/calibrate-yunet.ts's
 * RULE; `int8:tensor:max` is the per-tensor scales of v1, for comparison). The
 * portraits' ground truth stays the float oracle's. With int8, the float oracle runs too and its
 * faces (score >= 0.6) are compared with the int8 ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readYunet } from '../src/oracle/yunet-weights.js';
import { iou, yunetDecode, yunetForward, type BgrImage, type HeadLevel, type YunetFace } from '../src/oracle/yunet-f32.js';
import { quantizeYunet, yunetForwardInt8 } from '../src/oracle/yunet-int8.js';
import { calibrate, compareFaces, parseRule, summarize, type FacePair } from '../tools/calibrate-yunet.js';
import { Rng } from '../test/helpers/rng.js';
import { cropBgr, loadBgr, pasteBgr, resizeBgr } from '../tools/scenes.js';

const ROOT = new URL('../', import.meta.url);
const SHARED = new URL('../../shared/', import.meta.url);
const UTK = new URL('data/utkface-dev/', SHARED);
const PORTRAITS = new URL('data/portraits-dev/', SHARED);
const IMAGES = new URL('test/fixtures/images/', ROOT);

/**
 * Working sizes (env SIZES, comma-separated): `S` resizes every image so its long side is S (up or
 * down); `nS` only shrinks: long side min(native, S); `default` is the library's own policy
 * (Detector.detect with default options: the int8 engine, a finer tiled pass when the first one
 * saw small faces; its detections are those scoring >= 0.6, so only thresholds >= 0.6 apply).
 */
export const SIZES = (process.env.SIZES ?? '320,640,960,1280,n640,n960,n1280').split(',');
export const THRESHOLDS = [0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9];
/** Face-width buckets (ground-truth box width in image pixels): [lo, next lo). */
export const BUCKETS = [16, 20, 24, 32, 48, 64, 96, 128, 200, 301];
const MATCH_IOU = 0.3;

type Box = [number, number, number, number]; // xmin, ymin, xmax, ymax

interface Scene {
  name: string;
  image: BgrImage;
  faces: Box[];
  /** Per face: 'utk', 'portrait' or 'photo'. */
  kinds: string[];
  noFace?: boolean;
}

const layers = readYunet(readFileSync(new URL('weights/yunet.yunf', ROOT)));

export const ORACLE = process.env.ORACLE ?? 'f32';
/** The detector under test: the float oracle, or the int8 one (committed scales, or calibrated with ORACLE's rule). */
const forward = await (async (): Promise<(image: BgrImage) => HeadLevel[]> => {
  if (ORACLE === 'f32') return (image) => yunetForward(layers, image);
  if (ORACLE !== 'int8' && !ORACLE.startsWith('int8:')) throw new Error('ORACLE: f32, int8 or int8:RULE (tools/calibrate-yunet.ts parseRule)');
  const rule = ORACLE.slice(5);
  if (rule) parseRule(rule);
  const model = quantizeYunet(layers, rule ? await calibrate(rule) : undefined);
  return (image) => yunetForwardInt8(model, image);
})();

/** The library's engine and detector, for SIZES=default. */
const library = (process.env.SIZES ?? '').split(',').includes('default') ? await (async () => {
  const { readFile } = await import('node:fs/promises');
  const { Engine } = await import('../src/engine.js');
  const { Detector } = await import('../src/detector.js');
  const read = (path: string) => readFile(new URL(path, ROOT));
  return { engine: await Engine.create(await read('build/ssrnet-simd.wasm')), detector: await Detector.create(await read('build/yunet-simd.wasm'), await read('weights/yunet.yunf')) };
})() : undefined;

/** Detections of the library's default policy, as YunetFace records in image pixels. */
function detectDefault(image: BgrImage): YunetFace[] {
  if (!library) throw new Error('SIZES=default not requested');
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgba[i] = image.data[j + 2];
    rgba[i + 1] = image.data[j + 1];
    rgba[i + 2] = image.data[j];
    rgba[i + 3] = 255;
  }
  library.engine.setImage({ data: rgba, width: image.width, height: image.height });
  return library.detector.detect(library.engine).map((d) => ({ score: d.score, x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, landmarks: Object.values(d.landmarks) }));
}

/** Detects on `image` resized so that its long side is `side`; boxes in the image's pixels. */
function detectAt(image: BgrImage, size: string, detector = forward): YunetFace[] {
  if (size === 'default') return detectDefault(image);
  const scale = workingScale(image, size);
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const sx = image.width / w;
  const sy = image.height / h;
  const faces = yunetDecode(detector(resizeBgr(image, w, h)));
  return faces.map((f) => ({ ...f, x: f.x * sx, y: f.y * sy, width: f.width * sx, height: f.height * sy, landmarks: f.landmarks.map((p) => ({ x: p.x * sx, y: p.y * sy })) }));
}

function workingScale(image: BgrImage, size: string): number {
  if (size === 'default') return workingScale(image, 'n640');
  const long = Math.max(image.width, image.height);
  return size.startsWith('n') ? Math.min(1, Number(size.slice(1)) / long) : Number(size) / long;
}

/** Greedy matching by score: matched ground-truth indices and the number of false boxes. */
function match(faces: YunetFace[], truth: Box[], threshold: number): { found: boolean[]; falseBoxes: number } {
  const found = truth.map(() => false);
  let falseBoxes = 0;
  for (const f of faces) {
    if (f.score < threshold) continue;
    const box: Box = [f.x, f.y, f.x + f.width, f.y + f.height];
    let best = -1;
    let bestIou = MATCH_IOU;
    truth.forEach((t, i) => {
      const o = iou(box, t);
      if (!found[i] && o >= bestIou) {
        best = i;
        bestIou = o;
      }
    });
    if (best >= 0) found[best] = true;
    else falseBoxes++;
  }
  return { found, falseBoxes };
}

async function backgrounds(): Promise<BgrImage[]> {
  return Promise.all(['coffee.png', 'rocket.jpg', 'chelsea.png'].map((f) => loadBgr(new URL(f, IMAGES))));
}

interface FaceSource {
  kind: string;
  image: BgrImage;
  box: Box; // the face box in `image`
}

/** UTKFace chips (whole chip = face box) and portraits (cropped around the oracle's box). */
async function faceSources(rng: Rng, count: number): Promise<FaceSource[]> {
  const sources: FaceSource[] = [];
  const utk = existsSync(new URL('labels.csv', UTK)) ? readFileSync(new URL('labels.csv', UTK), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]) : [];
  const portraits = readFileSync(new URL('labels.csv', PORTRAITS), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
  for (let i = 0; sources.length < count; i++) {
    if (utk.length > 0 && i % 2 === 0) {
      const chip = await loadBgr(new URL(rng.pick(utk), UTK));
      sources.push({ kind: 'utk', image: chip, box: [0, 0, chip.width, chip.height] });
    } else {
      const p = await loadBgr(new URL(rng.pick(portraits), PORTRAITS));
      const face = yunetDecode(yunetForward(layers, p))[0];
      if (!face || face.score < 0.8) continue;
      const m = 0.35 * face.width;
      const x0 = Math.max(0, Math.floor(face.x - m));
      const y0 = Math.max(0, Math.floor(face.y - m));
      const x1 = Math.min(p.width, Math.ceil(face.x + face.width + m));
      const y1 = Math.min(p.height, Math.ceil(face.y + face.height + m));
      sources.push({ kind: 'portrait', image: cropBgr(p, x0, y0, x1 - x0, y1 - y0), box: [face.x - x0, face.y - y0, face.x + face.width - x0, face.y + face.height - y0] });
    }
  }
  return sources;
}

async function makeScenes(count: number): Promise<Scene[]> {
  const bgs = await backgrounds();
  const scenes: Scene[] = [];
  const shapes = [[800, 600], [1024, 768], [1280, 960], [1024, 683], [960, 640]];
  for (let s = 0; s < count; s++) {
    const rng = new Rng(1000 + s);
    const [width, height] = rng.pick(shapes);
    // A random crop (at least half of each side) of a background, maybe mirrored, stretched to the scene.
    const bg = rng.pick(bgs);
    const cw = rng.int(Math.ceil(bg.width / 2), bg.width);
    const ch = rng.int(Math.ceil(bg.height / 2), bg.height);
    let base = cropBgr(bg, rng.int(0, bg.width - cw), rng.int(0, bg.height - ch), cw, ch);
    if (rng.float() < 0.5) base = mirror(base);
    const image = resizeBgr(base, width, height);
    const faces: Box[] = [];
    const kinds: string[] = [];
    const patches: Box[] = [];
    for (const src of await faceSources(rng, rng.int(6, 10))) {
      // Face width log-uniform in [16, 300], at most what fits.
      const want = Math.min(Math.round(Math.exp(Math.log(16) + rng.float() * Math.log(300 / 16))), Math.floor(height / 2.2));
      const k = want / (src.box[2] - src.box[0]);
      const pw = Math.max(1, Math.round(src.image.width * k));
      const ph = Math.max(1, Math.round(src.image.height * k));
      if (pw >= width || ph >= height) continue;
      for (let attempt = 0; attempt < 300; attempt++) {
        const x = rng.int(0, width - pw);
        const y = rng.int(0, height - ph);
        const patch: Box = [x - 4, y - 4, x + pw + 4, y + ph + 4];
        if (patches.some((p) => patch[0] < p[2] && p[0] < patch[2] && patch[1] < p[3] && p[1] < patch[3])) continue;
        patches.push(patch);
        pasteBgr(image, resizeBgr(src.image, pw, ph), x, y);
        kinds.push(src.kind);
        faces.push([x + src.box[0] * (pw / src.image.width), y + src.box[1] * (ph / src.image.height), x + src.box[2] * (pw / src.image.width), y + src.box[3] * (ph / src.image.height)]);
        break;
      }
    }
    scenes.push({ name: `scene-${s}`, image, faces, kinds });
  }
  return scenes;
}

function mirror(img: BgrImage): BgrImage {
  const out = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) out.data.set(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3), (y * img.width + img.width - 1 - x) * 3);
  }
  return out;
}

async function realPhotos(): Promise<Scene[]> {
  return [
    { name: 'astronaut', image: await loadBgr(new URL('examples/astronaut.png', ROOT)), faces: [[175, 70, 265, 160]], kinds: ['photo'] },
    { name: 'camera', image: await loadBgr(new URL('camera.png', IMAGES)), faces: [[180, 95, 255, 200]], kinds: ['photo'] },
    { name: 'coffee', image: await loadBgr(new URL('coffee.png', IMAGES)), faces: [], kinds: [], noFace: true },
    { name: 'rocket', image: await loadBgr(new URL('rocket.jpg', IMAGES)), faces: [], kinds: [], noFace: true },
    { name: 'cat', image: await loadBgr(new URL('chelsea.png', IMAGES)), faces: [], kinds: [], noFace: true },
  ];
}

const bucketOf = (w: number): number => BUCKETS.findIndex((lo, i) => w >= lo && (i === BUCKETS.length - 1 || w < BUCKETS[i + 1]));
const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(0)}%` : '-').padStart(5);

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 24);
  const started = performance.now();
  const scenes = [...(await makeScenes(count)), ...(await realPhotos())];
  const faceCount = scenes.reduce((n, s) => n + s.faces.length, 0);
  console.log(`${scenes.length} images (${count} scenes, ${scenes.filter((s) => !s.noFace && s.faces.length).length - count} real photos with faces, ${scenes.filter((s) => s.noFace).length} without), ${faceCount} faces; built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const perBucket = BUCKETS.map(() => 0);
  for (const s of scenes) for (const f of s.faces) perBucket[bucketOf(f[2] - f[0])]++;
  console.log(`faces per width bucket: ${BUCKETS.map((lo, i) => `${lo}+:${perBucket[i]}`).join(' ')}`);

  // Detections of every image at every working size, then scored for every threshold.
  const results: { size: string; threshold: number; found: number[]; total: number[]; kind24: Record<string, [number, number]>; falseScenes: number; falsePhotos: number; falseNoFace: Record<string, number>; foundWorking: Map<string, [number, number]> }[] = [];
  for (const size of SIZES) {
    const t0 = performance.now();
    const detections = scenes.map((s) => detectAt(s.image, size));
    const seconds = (performance.now() - t0) / 1000;
    if (ORACLE !== 'f32' && size !== 'default') {
      const pairs: FacePair[] = [];
      let missed = 0;
      let extra = 0;
      scenes.forEach((s, i) => {
        const c = compareFaces(detectAt(s.image, size, (image) => yunetForward(layers, image)), detections[i]);
        pairs.push(...c.pairs);
        missed += c.missed;
        extra += c.extra;
      });
      console.log(`\n${ORACLE} vs f32 at ${size}, score >= 0.6, image pixels: ${summarize(pairs, missed, extra)}`);
    }
    for (const threshold of THRESHOLDS) {
      const found = BUCKETS.map(() => 0);
      const total = BUCKETS.map(() => 0);
      const foundWorking = new Map<string, [number, number]>(); // kind and working-pixel width (4-px bins) → [found, total]
      let falseScenes = 0;
      let falsePhotos = 0;
      const falseNoFace: Record<string, number> = {};
      const kind24: Record<string, [number, number]> = { utk: [0, 0], portrait: [0, 0], photo: [0, 0] };
      scenes.forEach((s, i) => {
        const m = match(detections[i], s.faces, threshold);
        const scale = workingScale(s.image, size);
        s.faces.forEach((f, k) => {
          const b = bucketOf(f[2] - f[0]);
          total[b]++;
          if (m.found[k]) found[b]++;
          if (f[2] - f[0] >= 24) kind24[s.kinds[k]] = [kind24[s.kinds[k]][0] + (m.found[k] ? 1 : 0), kind24[s.kinds[k]][1] + 1];
          const wb = Math.min(64, 4 * Math.floor(((f[2] - f[0]) * scale) / 4));
          for (const key of [`all ${wb}`, `${s.kinds[k]} ${wb}`]) {
            const e = foundWorking.get(key) ?? [0, 0];
            foundWorking.set(key, [e[0] + (m.found[k] ? 1 : 0), e[1] + 1]);
          }
        });
        if (s.noFace) falseNoFace[s.name] = m.falseBoxes;
        else if (s.name.startsWith('scene-')) falseScenes += m.falseBoxes;
        else falsePhotos += m.falseBoxes;
      });
      results.push({ size, threshold, found, total, kind24, falseScenes, falsePhotos, falseNoFace, foundWorking });
    }
    console.log(`\n${size.startsWith('n') ? `long side min(native, ${size.slice(1)})` : `long side ${size}`}: ${seconds.toFixed(1)} s for ${scenes.length} images (${size === 'default' ? 'the library' : `oracle ${ORACLE}`})`);
    console.log(`  T     ${BUCKETS.map((lo) => `${lo}+`.padStart(5)).join(' ')}  >=24px (utk portrait photo)  false/scene  false(photos) coffee rocket cat`);
    for (const r of results.filter((r) => r.size === size)) {
      const f24 = r.found.slice(2).reduce((a, b) => a + b, 0);
      const t24 = r.total.slice(2).reduce((a, b) => a + b, 0);
      console.log(`  ${r.threshold.toFixed(2)}  ${r.found.map((f, i) => pct(f, r.total[i])).join(' ')}  ${pct(f24, t24)} (${['utk', 'portrait', 'photo'].map((k) => pct(...r.kind24[k]).trim()).join(' ')})  ${(r.falseScenes / count).toFixed(2).padStart(6)}       ${String(r.falsePhotos).padStart(3)}          ${r.falseNoFace.coffee}      ${r.falseNoFace.rocket}      ${r.falseNoFace.cat}`);
    }
  }

  // Recall against the face's width in working pixels (all sizes pooled), per kind of face.
  console.log('\nrecall by face width in WORKING pixels (4-px bins, all sizes pooled; found/total)');
  for (const threshold of THRESHOLDS) {
    const pooled = new Map<string, [number, number]>();
    for (const r of results.filter((r) => r.threshold === threshold)) {
      for (const [key, [a, b]] of r.foundWorking) {
        const e = pooled.get(key) ?? [0, 0];
        pooled.set(key, [e[0] + a, e[1] + b]);
      }
    }
    for (const kind of ['all', 'utk', 'portrait']) {
      const cells = Array.from({ length: 15 }, (_, i) => 8 + 4 * i).map((w) => {
        const e = pooled.get(`${kind} ${w}`);
        return `${w}:${e ? `${e[0]}/${e[1]}` : '-'}`;
      });
      console.log(`  T ${threshold.toFixed(2)} ${kind.padEnd(8)} ${cells.join(' ')}`);
    }
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
