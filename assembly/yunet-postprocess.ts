// YuNet's decoding and NMS (libfacedetection's meshgrid, bbox_decode, kps_decode, sigmoid and
// detection_output), on the raw head outputs of the last forward(), in detector-input pixels.
//
// Per anchor (level l, stride s = 8 << l, map cell (r, c), prior (c*s, r*s), no offset):
//   score = sqrt(sigmoid(cls) * sigmoid(obj)), sigmoid's input clamped to ±88.3762626647949
//   box   = centre (bbox0*s + c*s, bbox1*s + r*s), size (exp(bbox2)*s, exp(bbox3)*s)
//   kps   = (kps[2k]*s + c*s, kps[2k+1]*s + r*s), k = 0..4
// Anchors scoring >= the threshold are sorted by descending score (stable: ties keep anchor
// order, levels 8, 16, 32, rows, columns), the first TOP_K go through greedy NMS (kept when their
// IoU with every kept face is <= the NMS threshold) and the first maxFaces kept are the results.
// Unlike libfacedetection, coordinates stay f32 (it truncates them to int).
//
// Result records, RECORD_FLOATS f32 each: score, x, y, w, h (box top-left and size), then the 5
// landmarks (x, y) in the model's order: right eye, left eye, nose tip, right mouth corner, left
// mouth corner (the subject's right and left: the right eye is on the image's left).

import { CANDIDATES, MERGE, ORDER, RECORD_BYTES, RESULTS, TOP_K } from './yunet-arena';
import { anchors, headBase, mapWidth } from './yunet';

const SIGMOID_CLAMP: f32 = 88.3762626647949;

// @ts-ignore: decorator
@inline function sigmoid(v: f32): f32 {
  v = min<f32>(max<f32>(v, -SIGMOID_CLAMP), SIGMOID_CLAMP);
  return <f32>1 / (<f32>1 + Mathf.exp(-v));
}

// @ts-ignore: decorator
@inline function candidate(i: i32): usize {
  return CANDIDATES + <usize>i * <usize>RECORD_BYTES;
}

/** Writes every anchor scoring >= threshold as a candidate (score, xmin, ymin, xmax, ymax, kps); returns the count. */
function decode(threshold: f32): i32 {
  let count = 0;
  for (let level = 0; level < 3; level++) {
    const s = <f32>(8 << level);
    const w = mapWidth(8 << level);
    const n = anchors(level);
    const cls = headBase(level);
    const obj = cls + (<usize>n << 2);
    const bbox = cls + (<usize>(2 * n) << 2);
    const kps = cls + (<usize>(6 * n) << 2);
    for (let i = 0; i < n; i++) {
      const score = Mathf.sqrt(sigmoid(load<f32>(cls + (<usize>i << 2))) * sigmoid(load<f32>(obj + (<usize>i << 2))));
      if (!(score >= threshold)) continue;
      const px = <f32>(i % w) * s;
      const py = <f32>(i / w) * s;
      const b = bbox + (<usize>(4 * i) << 2);
      const cx = load<f32>(b) * s + px;
      const cy = load<f32>(b, 4) * s + py;
      const bw = Mathf.exp(load<f32>(b, 8)) * s;
      const bh = Mathf.exp(load<f32>(b, 12)) * s;
      const d = candidate(count++);
      store<f32>(d, score);
      store<f32>(d, cx - bw / 2, 4);
      store<f32>(d, cy - bh / 2, 8);
      store<f32>(d, cx + bw / 2, 12);
      store<f32>(d, cy + bh / 2, 16);
      const k = kps + (<usize>(10 * i) << 2);
      for (let j = 0; j < 5; j++) {
        store<f32>(d + (<usize>(5 + 2 * j) << 2), load<f32>(k + (<usize>(2 * j) << 2)) * s + px);
        store<f32>(d + (<usize>(6 + 2 * j) << 2), load<f32>(k + (<usize>(2 * j + 1) << 2)) * s + py);
      }
    }
  }
  return count;
}

/** Stable sort of candidate indices [0, count) by descending score into ORDER (bottom-up merge sort). */
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

/** libfacedetection's JaccardOverlap of two (xmin, ymin, xmax, ymax) boxes at p + 4 and q + 4. */
function iou(p: usize, q: usize): f32 {
  const ax0 = load<f32>(p, 4), ay0 = load<f32>(p, 8), ax1 = load<f32>(p, 12), ay1 = load<f32>(p, 16);
  const bx0 = load<f32>(q, 4), by0 = load<f32>(q, 8), bx1 = load<f32>(q, 12), by1 = load<f32>(q, 16);
  if (bx0 > ax1 || bx1 < ax0 || by0 > ay1 || by1 < ay0) return 0;
  const iw = min<f32>(ax1, bx1) - max<f32>(ax0, bx0);
  const ih = min<f32>(ay1, by1) - max<f32>(ay0, by0);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  return inter / ((ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter);
}

/**
 * Decodes, sorts and suppresses the last forward()'s outputs; writes at most `maxFaces` records
 * to RESULTS and returns their count. maxFaces <= MAX_FACES (checked by the caller).
 */
export function postprocess(scoreThreshold: f32, nmsThreshold: f32, maxFaces: i32): i32 {
  const count = decode(scoreThreshold);
  sortByScore(count);
  const considered = min(count, TOP_K);
  let kept = 0;
  for (let i = 0; i < considered && kept < maxFaces; i++) {
    const c = candidate(load<i32>(ORDER + (<usize>i << 2)));
    let keep = true;
    for (let k = 0; k < kept && keep; k++) {
      keep = iou(c, candidate(load<i32>(MERGE + (<usize>k << 2)))) <= nmsThreshold;
    }
    if (!keep) continue;
    store<i32>(MERGE + (<usize>kept << 2), load<i32>(ORDER + (<usize>i << 2)));
    const r = RESULTS + <usize>kept * <usize>RECORD_BYTES;
    const x0 = load<f32>(c, 4), y0 = load<f32>(c, 8);
    store<f32>(r, load<f32>(c));
    store<f32>(r, x0, 4);
    store<f32>(r, y0, 8);
    store<f32>(r, load<f32>(c, 12) - x0, 12);
    store<f32>(r, load<f32>(c, 16) - y0, 16);
    memory.copy(r + 20, c + 20, 40);
    kept++;
  }
  return kept;
}
