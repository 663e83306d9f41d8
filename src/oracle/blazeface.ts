/**
 * Reference post-processing of MediaPipe BlazeFace short-range ("front", 128x128), in plain
 * TypeScript: the test oracle for the detector engine's anchors, box decoding and weighted NMS
 * (assembly/detector/postprocess.ts must agree with it), and the decoder used to evaluate the TFJS
 * peer. Not exported from the package.
 *
 * Semantics follow MediaPipe's face_detection_short_range graph:
 * - SsdAnchorsCalculator: num_layers 4, strides 8, 16, 16, 16, aspect ratio 1 plus the interpolated
 *   one, fixed_anchor_size (w = h = 1), offsets 0.5 -> 16x16x2 + 8x8x6 = 896 anchors, ordered
 *   (layer group, y, x, anchor);
 * - TensorsToDetectionsCalculator: reverse_output_order (x before y), scales 128, sigmoid scores
 *   with the raw value clipped to ±100, keypoints 6, min_score_thresh;
 * - NonMaxSuppressionCalculator: WEIGHTED, IoU, min_suppression_threshold 0.3 — each kept
 *   detection has its top candidate's score and the score-weighted mean of the box corners and
 *   keypoints of every candidate overlapping it by IoU > 0.3 (itself included).
 */

/** Anchors of the front model. */
export const ANCHOR_COUNT = 896;
/** Values per anchor in the regressor output: box (4) + 6 keypoints (x, y). */
export const COORDS = 16;
/** Keypoints per face: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion. */
export const KEYPOINTS = 6;
/** MediaPipe's score_clipping_thresh. */
export const SCORE_CLIP = 100;
/** MediaPipe's min_suppression_threshold (IoU). */
export const SUPPRESSION_IOU = 0.3;
/** x_scale = y_scale = w_scale = h_scale: the input size. */
export const INPUT_SIZE = 128;

/** A decoded detection in coordinates normalized to the 128x128 input (0..1). */
export interface RefDetection {
  score: number;
  xmin: number;
  ymin: number;
  width: number;
  height: number;
  /** 6 keypoints as x0, y0, x1, y1, ... */
  keypoints: number[];
  /** Index of the anchor it came from (the top candidate's, after NMS). */
  anchor: number;
}

/** Anchor centres [x0, y0, x1, y1, ...] (896 x 2), normalized; width and height are 1. */
export function frontAnchors(): Float64Array {
  const out = new Float64Array(ANCHOR_COUNT * 2);
  let i = 0;
  // (feature map size, anchors per cell): stride 8 -> 16x16 with 2; the three stride-16 layers
  // share one 8x8 map with 2 anchors each.
  for (const [size, perCell] of [[16, 2], [8, 6]]) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let a = 0; a < perCell; a++) {
          out[i++] = (x + 0.5) / size;
          out[i++] = (y + 0.5) / size;
        }
      }
    }
  }
  return out;
}

/** Sigmoid of the raw score clipped to ±SCORE_CLIP. */
export function score(raw: number): number {
  const clipped = Math.min(Math.max(raw, -SCORE_CLIP), SCORE_CLIP);
  return 1 / (1 + Math.exp(-clipped));
}

/**
 * Decodes every anchor whose score is at least `minScore` (TensorsToDetectionsCalculator).
 *
 * @param rawScores 896 logits (the concatenated classificator outputs)
 * @param rawBoxes 896 x 16 regressor values (x, y, w, h, then keypoint x, y pairs), in input pixels
 */
export function decode(rawScores: ArrayLike<number>, rawBoxes: ArrayLike<number>, minScore: number): RefDetection[] {
  const anchors = frontAnchors();
  const out: RefDetection[] = [];
  for (let i = 0; i < ANCHOR_COUNT; i++) {
    const s = score(rawScores[i]);
    if (s < minScore) continue;
    const r = i * COORDS;
    const ax = anchors[i * 2];
    const ay = anchors[i * 2 + 1];
    const cx = rawBoxes[r] / INPUT_SIZE + ax;
    const cy = rawBoxes[r + 1] / INPUT_SIZE + ay;
    const w = rawBoxes[r + 2] / INPUT_SIZE;
    const h = rawBoxes[r + 3] / INPUT_SIZE;
    if (!(w > 0 && h > 0)) continue; // MediaPipe drops flipped boxes
    const keypoints: number[] = [];
    for (let k = 0; k < KEYPOINTS; k++) {
      keypoints.push(rawBoxes[r + 4 + k * 2] / INPUT_SIZE + ax, rawBoxes[r + 5 + k * 2] / INPUT_SIZE + ay);
    }
    out.push({ score: s, xmin: cx - w / 2, ymin: cy - h / 2, width: w, height: h, keypoints, anchor: i });
  }
  return out;
}

/** Intersection over union of two boxes; 0 when they do not overlap. */
export function iou(a: Pick<RefDetection, 'xmin' | 'ymin' | 'width' | 'height'>, b: Pick<RefDetection, 'xmin' | 'ymin' | 'width' | 'height'>): number {
  const ix = Math.min(a.xmin + a.width, b.xmin + b.width) - Math.max(a.xmin, b.xmin);
  const iy = Math.min(a.ymin + a.height, b.ymin + b.height) - Math.max(a.ymin, b.ymin);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * MediaPipe's weighted non-maximum suppression. Candidates are taken by descending score (ties:
 * lower anchor index first, the engine's order).
 */
export function weightedNms(candidates: RefDetection[], threshold = SUPPRESSION_IOU): RefDetection[] {
  let remaining = [...candidates].sort((a, b) => b.score - a.score || a.anchor - b.anchor);
  const out: RefDetection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0];
    // The top candidate always joins its own group (as MediaPipe's, whose IoU with itself is 1).
    const joins = remaining.map((d, i) => i === 0 || iou(d, top) > threshold);
    const group = remaining.filter((_, i) => joins[i]);
    remaining = remaining.filter((_, i) => !joins[i]);
    let total = 0;
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    const keypoints = new Array<number>(KEYPOINTS * 2).fill(0);
    for (const d of group) {
      total += d.score;
      x0 += d.xmin * d.score;
      y0 += d.ymin * d.score;
      x1 += (d.xmin + d.width) * d.score;
      y1 += (d.ymin + d.height) * d.score;
      d.keypoints.forEach((v, k) => (keypoints[k] += v * d.score));
    }
    out.push({
      score: top.score,
      xmin: x0 / total,
      ymin: y0 / total,
      width: (x1 - x0) / total,
      height: (y1 - y0) / total,
      keypoints: keypoints.map((v) => v / total),
      anchor: top.anchor,
    });
  }
  return out;
}

/** Decode + weighted NMS: the detections of one network run. */
export function detectionsFromRaw(rawScores: ArrayLike<number>, rawBoxes: ArrayLike<number>, minScore: number): RefDetection[] {
  return weightedNms(decode(rawScores, rawBoxes, minScore));
}
