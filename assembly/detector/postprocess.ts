// From the raw network outputs to face detections, as MediaPipe's face_detection_short_range graph
// does it (src/oracle/blazeface.ts is the TypeScript reference the tests compare against):
//
// - SsdAnchorsCalculator (num_layers 4, strides 8, 16, 16, 16, aspect ratio 1 + the interpolated
//   one, fixed_anchor_size, offsets 0.5): 16x16 cells x 2 anchors, then 8x8 cells x 6 (the three
//   stride-16 layers share one map); anchor centre ((x + 0.5) / size, (y + 0.5) / size), w = h = 1.
// - TensorsToDetectionsCalculator (reverse_output_order: x first; x/y/w/h_scale 128; sigmoid of the
//   raw score clipped to ±100; 6 keypoints): box centre = raw / 128 + anchor centre, size = raw /
//   128; anchors scoring below the threshold, or with a non-positive width or height, are dropped.
// - NonMaxSuppressionCalculator (WEIGHTED, IoU, min_suppression_threshold 0.3): take the best
//   remaining candidate; every remaining candidate overlapping it by IoU > 0.3 (itself included)
//   is removed and averaged into it, weighted by score; the result keeps the best one's score.
//
// Everything is scalar f32 (a few thousand operations per image, not worth SIMD), identical in both
// builds. Coordinates are normalized to the 128x128 input (0..1).

import {
  ANCHOR_COUNT, ANCHORS, CANDIDATES, COORDS, DETECTIONS, ORDER, RAW_BOXES, RAW_SCORES, RECORD_BYTES, RECORD_FLOATS,
} from './arena';

const SCORE_CLIP: f32 = 100;
const SUPPRESSION_IOU: f32 = 0.3;
const SCALE: f32 = 128;
const KEYPOINTS: i32 = 6;

/** Builds the 896 anchor centres into ANCHORS. Called once at instantiation. */
export function buildAnchors(): void {
  let i = 0;
  for (let layer = 0; layer < 2; layer++) {
    const size = layer == 0 ? 16 : 8;
    const perCell = layer == 0 ? 2 : 6;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let a = 0; a < perCell; a++) {
          store<f32>(ANCHORS + (<usize>i << 3), (<f32>x + <f32>0.5) / <f32>size);
          store<f32>(ANCHORS + (<usize>i << 3), (<f32>y + <f32>0.5) / <f32>size, 4);
          i++;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function field(record: usize, k: i32): f32 {
  return load<f32>(record + (<usize>k << 2));
}

/**
 * Decodes the anchors scoring at least `minScore` into CANDIDATES (in anchor order); returns how
 * many. Record: score, xmin, ymin, xmax, ymax, then 6 keypoints (x, y).
 */
function decodeCandidates(minScore: f32): i32 {
  let n = 0;
  for (let i = 0; i < ANCHOR_COUNT; i++) {
    const raw = min<f32>(max<f32>(load<f32>(RAW_SCORES + (<usize>i << 2)), -SCORE_CLIP), SCORE_CLIP);
    const score = <f32>1 / (<f32>1 + Mathf.exp(-raw));
    if (!(score >= minScore)) continue;
    const box = RAW_BOXES + (<usize>(i * COORDS) << 2);
    const ax = load<f32>(ANCHORS + (<usize>i << 3));
    const ay = load<f32>(ANCHORS + (<usize>i << 3), 4);
    const cx = field(box, 0) / SCALE + ax;
    const cy = field(box, 1) / SCALE + ay;
    const w = field(box, 2) / SCALE;
    const h = field(box, 3) / SCALE;
    if (!(w > 0 && h > 0)) continue;
    const r = CANDIDATES + <usize>n * RECORD_BYTES;
    store<f32>(r, score);
    store<f32>(r, cx - w / 2, 4);
    store<f32>(r, cy - h / 2, 8);
    store<f32>(r, cx + w / 2, 12);
    store<f32>(r, cy + h / 2, 16);
    for (let k = 0; k < KEYPOINTS; k++) {
      store<f32>(r + (<usize>(5 + 2 * k) << 2), field(box, 4 + 2 * k) / SCALE + ax);
      store<f32>(r + (<usize>(6 + 2 * k) << 2), field(box, 5 + 2 * k) / SCALE + ay);
    }
    n++;
  }
  return n;
}

// @ts-ignore: decorator
@inline function candidate(index: i32): usize {
  return CANDIDATES + <usize>index * RECORD_BYTES;
}

// @ts-ignore: decorator
@inline function orderAt(k: i32): i32 {
  return load<i32>(ORDER + (<usize>k << 2));
}

/** Fills ORDER with 0..n-1 sorted by descending score; ties keep anchor order (stable insertion sort). */
function sortByScore(n: i32): void {
  for (let k = 0; k < n; k++) {
    const s = field(candidate(k), 0);
    let j = k;
    while (j > 0 && field(candidate(orderAt(j - 1)), 0) < s) {
      store<i32>(ORDER + (<usize>j << 2), orderAt(j - 1));
      j--;
    }
    store<i32>(ORDER + (<usize>j << 2), k);
  }
}

/** IoU of two records' boxes (MediaPipe's OverlapSimilarity): 0 when they do not intersect. */
function iou(a: usize, b: usize): f32 {
  const ix = min<f32>(field(a, 3), field(b, 3)) - max<f32>(field(a, 1), field(b, 1));
  const iy = min<f32>(field(a, 4), field(b, 4)) - max<f32>(field(a, 2), field(b, 2));
  if (!(ix > 0 && iy > 0)) return 0;
  const inter = ix * iy;
  const areaA = (field(a, 3) - field(a, 1)) * (field(a, 4) - field(a, 2));
  const areaB = (field(b, 3) - field(b, 1)) * (field(b, 4) - field(b, 2));
  return inter / (areaA + areaB - inter);
}

/**
 * Decode + weighted NMS of the last forward pass: writes the detections to DETECTIONS (same record
 * layout as the candidates, by descending score) and returns how many.
 */
export function postprocess(minScore: f32): i32 {
  let remaining = decodeCandidates(minScore);
  sortByScore(remaining);
  let count = 0;
  while (remaining > 0) {
    const top = candidate(orderAt(0));
    const out = DETECTIONS + <usize>count * RECORD_BYTES;
    // Weighted sums over the group, in ORDER (score) order, into `out`; the rest is compacted.
    memory.fill(out, 0, <usize>RECORD_BYTES);
    let total: f32 = 0;
    let kept = 0;
    for (let k = 0; k < remaining; k++) {
      const index = orderAt(k);
      const c = candidate(index);
      if (k == 0 || iou(c, top) > SUPPRESSION_IOU) {
        const s = field(c, 0);
        total += s;
        for (let f = 1; f < RECORD_FLOATS; f++) {
          store<f32>(out + (<usize>f << 2), field(out, f) + field(c, f) * s);
        }
      } else {
        store<i32>(ORDER + (<usize>kept << 2), index);
        kept++;
      }
    }
    store<f32>(out, field(top, 0));
    for (let f = 1; f < RECORD_FLOATS; f++) store<f32>(out + (<usize>f << 2), field(out, f) / total);
    remaining = kept;
    count++;
  }
  return count;
}
