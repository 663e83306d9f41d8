// YuNet's decoding and NMS (libfacedetection's meshgrid, bbox_decode, kps_decode, sigmoid and
// detection_output), on the raw head outputs of the last forward(), in detector-input pixels.
//
// Per anchor (level l, stride s = 8 << l, map cell (r, c), prior (c*s, r*s), no offset):
//   score = sqrt(sigmoid(cls) * sigmoid(obj)), sigmoid's input clamped to ±88.3762626647949
//   box   = centre (bbox0*s + c*s, bbox1*s + r*s), size (exp(bbox2)*s, exp(bbox3)*s)
//   kps   = (kps[2k]*s + c*s, kps[2k+1]*s + r*s), k = 0..4
// Anchors scoring >= the threshold are sorted by descending score (stable: ties keep anchor
// order, levels 8, 16, 32, rows, columns), the first TOP_K are decoded in that order and go through
// greedy NMS (kept when their IoU with every kept face is <= the NMS threshold), and the first
// maxFaces kept are the results. Only the candidates' scores and anchor numbers are stored; boxes
// are decoded from HEADS when NMS reaches them.
// Unlike libfacedetection, coordinates stay f32 (it truncates them to int).
//
// Result records, RECORD_FLOATS f32 each: score, x, y, w, h (box top-left and size), then the 5
// landmarks (x, y) in the model's order: right eye, left eye, nose tip, right mouth corner, left
// mouth corner (the subject's right and left: the right eye is on the image's left).

import { CANDIDATES, KEPT_BOXES, MERGE, ORDER, RECORD_BYTES, RESULTS, TOP_K } from './yunet-arena';
import { anchors, headBase, mapWidth } from './yunet';

const SIGMOID_CLAMP: f32 = 88.3762626647949;
/** Bytes per candidate: score f32, anchor index i32 (levels 8, 16, 32 in order, row-major). */
const CANDIDATE_BYTES: usize = 8;
/** A decoded anchor: xmin, ymin, xmax, ymax, then the 5 landmarks (x, y): 14 f32. */
const BOX_BYTES: usize = 56;
const DECODED: usize = KEPT_BOXES; // the anchor being considered; kept boxes follow it

// @ts-ignore: decorator
@inline function sigmoid(v: f32): f32 {
  v = min<f32>(max<f32>(v, -SIGMOID_CLAMP), SIGMOID_CLAMP);
  return <f32>1 / (<f32>1 + Mathf.exp(-v));
}

// @ts-ignore: decorator
@inline function candidate(i: i32): usize {
  return CANDIDATES + <usize>i * CANDIDATE_BYTES;
}

// @ts-ignore: decorator
@inline function kept(k: i32): usize {
  return KEPT_BOXES + BOX_BYTES + <usize>k * BOX_BYTES;
}

/** Writes every anchor scoring >= threshold as a candidate (score, anchor index); returns the count. */
function score(threshold: f32): i32 {
  let count = 0;
  let index = 0;
  for (let level = 0; level < 3; level++) {
    const n = anchors(level);
    const cls = headBase(level);
    const obj = cls + (<usize>n << 2);
    for (let i = 0; i < n; i++, index++) {
      const s = Mathf.sqrt(sigmoid(load<f32>(cls + (<usize>i << 2))) * sigmoid(load<f32>(obj + (<usize>i << 2))));
      if (!(s >= threshold)) continue;
      const c = candidate(count++);
      store<f32>(c, s);
      store<i32>(c, index, 4);
    }
  }
  return count;
}

/** Decodes anchor `index` (as numbered by score()) into a BOX_BYTES record at `out`. */
function decode(index: i32, out: usize): void {
  let level = 0;
  while (index >= anchors(level)) index -= anchors(level++);
  const stride = 8 << level;
  const s = <f32>stride;
  const n = anchors(level);
  const w = mapWidth(stride);
  const px = <f32>(index % w) * s;
  const py = <f32>(index / w) * s;
  const b = headBase(level) + (<usize>(2 * n + 4 * index) << 2);
  const cx = load<f32>(b) * s + px;
  const cy = load<f32>(b, 4) * s + py;
  const bw = Mathf.exp(load<f32>(b, 8)) * s;
  const bh = Mathf.exp(load<f32>(b, 12)) * s;
  store<f32>(out, cx - bw / 2);
  store<f32>(out, cy - bh / 2, 4);
  store<f32>(out, cx + bw / 2, 8);
  store<f32>(out, cy + bh / 2, 12);
  const k = headBase(level) + (<usize>(6 * n + 10 * index) << 2);
  for (let j = 0; j < 5; j++) {
    store<f32>(out + (<usize>(4 + 2 * j) << 2), load<f32>(k + (<usize>(2 * j) << 2)) * s + px);
    store<f32>(out + (<usize>(5 + 2 * j) << 2), load<f32>(k + (<usize>(2 * j + 1) << 2)) * s + py);
  }
}

/** Stable sort of candidate numbers [0, count) by descending score into ORDER (bottom-up merge sort). */
function sortByScore(count: i32): void {
  for (let i = 0; i < count; i++) store<i32>(ORDER + (<usize>i << 2), i);
  let src = ORDER, dst = MERGE;
  for (let width = 1; width < count; width <<= 1) {
    for (let lo = 0; lo < count; lo += 2 * width) {
      const mid = min(lo + width, count);
      const hi = min(lo + 2 * width, count);
      let a = lo, b = mid;
      for (let o = lo; o < hi; o++) {
        // Take from the right run only when strictly better: equal scores keep their order.
        let takeB = a >= mid;
        if (!takeB && b < hi) {
          takeB = load<f32>(candidate(load<i32>(src + (<usize>b << 2)))) > load<f32>(candidate(load<i32>(src + (<usize>a << 2))));
        }
        const from = takeB ? b : a;
        store<i32>(dst + (<usize>o << 2), load<i32>(src + (<usize>from << 2)));
        if (takeB) b++;
        else a++;
      }
    }
    const t = src; src = dst; dst = t;
  }
  if (src != ORDER) memory.copy(ORDER, src, <usize>count << 2);
}

/** libfacedetection's JaccardOverlap of two (xmin, ymin, xmax, ymax) boxes. */
function iou(p: usize, q: usize): f32 {
  const ax0 = load<f32>(p), ay0 = load<f32>(p, 4), ax1 = load<f32>(p, 8), ay1 = load<f32>(p, 12);
  const bx0 = load<f32>(q), by0 = load<f32>(q, 4), bx1 = load<f32>(q, 8), by1 = load<f32>(q, 12);
  if (bx0 > ax1 || bx1 < ax0 || by0 > ay1 || by1 < ay0) return 0;
  const iw = min<f32>(ax1, bx1) - max<f32>(ax0, bx0);
  const ih = min<f32>(ay1, by1) - max<f32>(ay0, by0);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  return inter / ((ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter);
}

/**
 * Scores, sorts, decodes and suppresses the last forward()'s outputs; writes at most `maxFaces`
 * records to RESULTS and returns their count. maxFaces <= MAX_FACES (checked by the caller).
 */
export function postprocess(scoreThreshold: f32, nmsThreshold: f32, maxFaces: i32): i32 {
  const count = score(scoreThreshold);
  sortByScore(count);
  const considered = min(count, TOP_K);
  let faces = 0;
  for (let i = 0; i < considered && faces < maxFaces; i++) {
    const c = candidate(load<i32>(ORDER + (<usize>i << 2)));
    decode(load<i32>(c, 4), DECODED);
    let keep = true;
    for (let k = 0; k < faces && keep; k++) keep = iou(DECODED, kept(k)) <= nmsThreshold;
    if (!keep) continue;
    memory.copy(kept(faces), DECODED, BOX_BYTES);
    const r = RESULTS + <usize>faces * <usize>RECORD_BYTES;
    const x0 = load<f32>(DECODED), y0 = load<f32>(DECODED, 4);
    store<f32>(r, load<f32>(c));
    store<f32>(r, x0, 4);
    store<f32>(r, y0, 8);
    store<f32>(r, load<f32>(DECODED, 8) - x0, 12);
    store<f32>(r, load<f32>(DECODED, 12) - y0, 16);
    memory.copy(r + 20, DECODED + 16, 40);
    faces++;
  }
  return faces;
}
