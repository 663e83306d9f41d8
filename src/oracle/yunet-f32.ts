/**
 * Float reference of YuNet (libfacedetection): the whole network in plain float loops, then the
 * C++'s decoding and NMS, step for step as src/facedetectcnn-model.cpp and src/facedetectcnn.cpp do
 * them. The spec the detector engine is tested against; test/yunet-oracle.test.ts checks it against
 * the C++ library itself (test/fixtures/yunet-peer). Weights: weights/yunet.yunf (readYunet).
 *
 * Tensors are HWC Float32Arrays. Sums are accumulated in double and stored as float32, so values
 * differ from the C++'s float sums in the last bits only.
 */
import { FLAG_RELU, KIND_DEPTHWISE, KIND_POINTWISE, KIND_STEM, type YunetLayer } from './yunet-weights.js';

/** The three detection levels' strides (feature maps at 1/8, 1/16, 1/32 of the padded input). */
export const YUNET_STRIDES = [8, 16, 32] as const;
/** The C++ input is padded (bottom, right) to a multiple of this. */
export const YUNET_PAD = 32;
/** objectdetect_cnn's detection_output arguments. */
export const YUNET_SCORE_THRESHOLD = 0.2;
export const YUNET_NMS_THRESHOLD = 0.45;
export const YUNET_TOP_K = 1000;
export const YUNET_KEEP_TOP_K = 512;

export interface Tensor {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

/** A BGR image, 8 bits per channel, rows of `width * 3` bytes (the C++'s input). */
export interface BgrImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One detection level's raw head outputs (before sigmoid and decoding), rows x cols positions. */
export interface HeadLevel {
  stride: number;
  rows: number;
  cols: number;
  cls: Float32Array; // [rows][cols]
  obj: Float32Array; // [rows][cols]
  bbox: Float32Array; // [rows][cols][4]: dx, dy (in strides from the prior), log w, log h (log strides)
  kps: Float32Array; // [rows][cols][10]: x, y of 5 landmarks, in strides from the prior
}

export interface Point {
  x: number;
  y: number;
}

/**
 * A face in input pixels. Landmarks in YuNet's order: right eye, left eye (the person's; the right
 * eye is on the image's left), nose tip, right and left mouth corners.
 */
export interface YunetFace {
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
  landmarks: Point[];
}

export interface DecodeOptions {
  scoreThreshold?: number;
  nmsThreshold?: number;
  topK?: number;
  keepTopK?: number;
}

const f = Math.fround;

function tensor(h: number, w: number, c: number): Tensor {
  return { h, w, c, data: new Float32Array(h * w * c) };
}

function relu(t: Tensor): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 0;
  return t;
}

/**
 * The stem as the C++ runs it: gather each output position's 3x3 stride-2 window of the image
 * (zero outside it) into 32 inputs, index (ky * 3 + kx) * 3 + channel, and apply a 1x1 conv.
 * Output size: the image padded to multiples of 32, halved.
 */
export function stem(image: BgrImage, layer: YunetLayer): Tensor {
  const rows = Math.ceil(image.height / YUNET_PAD) * (YUNET_PAD / 2);
  const cols = Math.ceil(image.width / YUNET_PAD) * (YUNET_PAD / 2);
  const out = tensor(rows, cols, layer.outChannels);
  const v = new Float32Array(32);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      v.fill(0);
      for (let ky = 0; ky < 3; ky++) {
        const y = 2 * r + ky - 1;
        if (y < 0 || y >= image.height) continue;
        for (let kx = 0; kx < 3; kx++) {
          const x = 2 * c + kx - 1;
          if (x < 0 || x >= image.width) continue;
          const p = (y * image.width + x) * 3;
          const j = (ky * 3 + kx) * 3;
          v[j] = image.data[p];
          v[j + 1] = image.data[p + 1];
          v[j + 2] = image.data[p + 2];
        }
      }
      matVec(layer, v, 0, out.data, (r * cols + c) * out.c);
    }
  }
  return out;
}

/** out[o] = bias[o] + sum_i w[o][i] * in[i], for one position. */
function matVec(layer: YunetLayer, input: Float32Array, inOffset: number, out: Float32Array, outOffset: number): void {
  const { inChannels: ci, outChannels: co, weights: w, bias } = layer;
  for (let o = 0; o < co; o++) {
    let sum = 0;
    const wo = o * ci;
    for (let i = 0; i < ci; i++) sum += w[wo + i] * input[inOffset + i];
    out[outOffset + o] = sum + bias[o];
  }
}

export function pointwise(x: Tensor, layer: YunetLayer): Tensor {
  if (layer.kind !== KIND_POINTWISE || layer.inChannels !== x.c) throw new Error(`pointwise layer ${layer.inChannels}->${layer.outChannels} on ${x.c} channels`);
  const out = tensor(x.h, x.w, layer.outChannels);
  for (let p = 0; p < x.h * x.w; p++) matVec(layer, x.data, p * x.c, out.data, p * out.c);
  return out;
}

/** 3x3 depthwise, stride 1, zero padding 1, + bias; weights tap-major [3][3][C]. */
export function depthwise(x: Tensor, layer: YunetLayer): Tensor {
  if (layer.kind !== KIND_DEPTHWISE || layer.inChannels !== x.c) throw new Error(`depthwise layer ${layer.inChannels} on ${x.c} channels`);
  const { h, w, c } = x;
  const out = tensor(h, w, c);
  const acc = new Float64Array(c);
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      acc.fill(0);
      for (let ky = 0; ky < 3; ky++) {
        const y = r + ky - 1;
        if (y < 0 || y >= h) continue;
        for (let kx = 0; kx < 3; kx++) {
          const xx = col + kx - 1;
          if (xx < 0 || xx >= w) continue;
          const ip = (y * w + xx) * c;
          const wp = (ky * 3 + kx) * c;
          for (let ch = 0; ch < c; ch++) acc[ch] += layer.weights[wp + ch] * x.data[ip + ch];
        }
      }
      const op = (r * w + col) * c;
      for (let ch = 0; ch < c; ch++) out.data[op + ch] = acc[ch] + layer.bias[ch];
    }
  }
  return out;
}

/** 2x2 stride-2 max pool (the maps here always have even sides). */
export function maxPool(x: Tensor): Tensor {
  const out = tensor(Math.ceil(x.h / 2), Math.ceil(x.w / 2), x.c);
  for (let r = 0; r < out.h; r++) {
    for (let col = 0; col < out.w; col++) {
      const op = (r * out.w + col) * x.c;
      for (let ch = 0; ch < x.c; ch++) {
        let m = -Infinity;
        for (let y = 2 * r; y < Math.min(2 * r + 2, x.h); y++) {
          for (let xx = 2 * col; xx < Math.min(2 * col + 2, x.w); xx++) m = Math.max(m, x.data[(y * x.w + xx) * x.c + ch]);
        }
        out.data[op + ch] = m;
      }
    }
  }
  return out;
}

/** up(a) + b: a nearest-upsampled 2x (each value to 2x2), added to b. */
export function upsampleAdd(a: Tensor, b: Tensor): Tensor {
  if (a.h * 2 !== b.h || a.w * 2 !== b.w || a.c !== b.c) throw new Error('upsampleAdd: shapes');
  const out = tensor(b.h, b.w, b.c);
  for (let r = 0; r < b.h; r++) {
    for (let col = 0; col < b.w; col++) {
      const ap = ((r >> 1) * a.w + (col >> 1)) * a.c;
      const bp = (r * b.w + col) * b.c;
      for (let ch = 0; ch < b.c; ch++) out.data[bp + ch] = a.data[ap + ch] + b.data[bp + ch];
    }
  }
  return out;
}

/** Applies record `i`; a ReLU follows where the graph puts one (= the record's flag, checked). */
function layerOp(layers: YunetLayer[], i: number, x: Tensor, withRelu: boolean): Tensor {
  const l = layers[i];
  if (((l.flags & FLAG_RELU) !== 0) !== withRelu) throw new Error(`record ${i}: relu flag disagrees with the graph`);
  const y = l.kind === KIND_DEPTHWISE ? depthwise(x, l) : pointwise(x, l);
  return withRelu ? relu(y) : y;
}

/** Pointwise `p` then depthwise `p + 1`, ReLU after the depthwise when `withRelu` (convolutionDP). */
const dp = (layers: YunetLayer[], p: number, x: Tensor, withRelu = true): Tensor =>
  layerOp(layers, p + 1, layerOp(layers, p, x, false), withRelu);

/** Two dp blocks (convolution4layerUnit). */
const unit = (layers: YunetLayer[], p: number, x: Tensor): Tensor => dp(layers, p + 2, dp(layers, p, x));

/** The four heads of one level, on the neck's output there: records cls, bbox, obj, kps. */
function heads(layers: YunetLayer[], x: Tensor, stride: number, cls: number, bbox: number, obj: number, kps: number): HeadLevel {
  return {
    stride, rows: x.h, cols: x.w,
    cls: dp(layers, cls, x, false).data,
    obj: dp(layers, obj, x, false).data,
    bbox: dp(layers, bbox, x, false).data,
    kps: dp(layers, kps, x, false).data,
  };
}

/** The network (objectdetect_cnn up to the heads): raw outputs of the stride 8, 16, 32 levels. */
export function yunetForward(layers: YunetLayer[], image: BgrImage): HeadLevel[] {
  if (layers.length !== 53 || layers[0].kind !== KIND_STEM) throw new Error('not the 53 YuNet layers');
  if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3) throw new Error('bad image');
  let x = relu(stem(image, layers[0]));
  x = maxPool(dp(layers, 1, x)); // 1/4
  x = unit(layers, 3, x);
  x = unit(layers, 7, x);
  let f8 = unit(layers, 11, maxPool(x));
  let f16 = unit(layers, 15, maxPool(f8));
  let f32 = unit(layers, 19, maxPool(f16));
  // Neck: top-down, each level's lateral conv on (upsampled coarser level + this level).
  f32 = dp(layers, 27, f32);
  f16 = dp(layers, 25, upsampleAdd(f32, f16));
  f8 = dp(layers, 23, upsampleAdd(f16, f8));
  return [
    heads(layers, f8, 8, 29, 35, 41, 47),
    heads(layers, f16, 16, 31, 37, 43, 49),
    heads(layers, f32, 32, 33, 39, 45, 51),
  ];
}

/** The C++'s sigmoid: input clamped to +-88.3762626647949 first. */
export function sigmoid(v: number): number {
  const c = Math.max(Math.min(v, 88.3762626647949), -88.3762626647949);
  return f(1 / (1 + Math.exp(-c)));
}

export interface Candidate {
  /** Position in the C++'s concatenation: level 8, 16, 32 one after the other, each row-major. */
  index: number;
  score: number;
  box: [number, number, number, number]; // xmin, ymin, xmax, ymax
  kps: number[];
}

/** JaccardOverlap of the C++ (no +1 on sides; 0 when the boxes do not overlap). */
export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (!(w > 0 && h > 0)) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * Every position whose score sqrt(sigmoid(cls) * sigmoid(obj)) reaches the threshold, decoded as
 * bbox_decode / kps_decode do (prior = (col * stride, row * stride), no half-cell offset), in the
 * C++'s order: level by level, row-major.
 */
export function yunetCandidates(levels: HeadLevel[], scoreThreshold = YUNET_SCORE_THRESHOLD): Candidate[] {
  const out: Candidate[] = [];
  let first = 0;
  for (const { stride, rows, cols, cls, obj, bbox, kps } of levels) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const score = f(Math.sqrt(f(sigmoid(cls[i]) * sigmoid(obj[i]))));
        if (!(score >= scoreThreshold)) continue;
        const px = c * stride;
        const py = r * stride;
        const cx = f(f(bbox[4 * i] * stride) + px);
        const cy = f(f(bbox[4 * i + 1] * stride) + py);
        const w = f(f(Math.exp(bbox[4 * i + 2])) * stride);
        const h = f(f(Math.exp(bbox[4 * i + 3])) * stride);
        const box: [number, number, number, number] = [f(cx - w / 2), f(cy - h / 2), f(cx + w / 2), f(cy + h / 2)];
        const points: number[] = [];
        for (let n = 0; n < 5; n++) points.push(f(f(kps[10 * i + 2 * n] * stride) + px), f(f(kps[10 * i + 2 * n + 1] * stride) + py));
        out.push({ index: first + i, score, box, kps: points });
      }
    }
    first += rows * cols;
  }
  return out;
}

/** detection_output: stable sort by score, keep topK, greedy NMS (drop IoU > nms), keep keepTopK. */
export function yunetDecode(levels: HeadLevel[], options: DecodeOptions = {}): YunetFace[] {
  const { scoreThreshold = YUNET_SCORE_THRESHOLD, nmsThreshold = YUNET_NMS_THRESHOLD, topK = YUNET_TOP_K, keepTopK = YUNET_KEEP_TOP_K } = options;
  const candidates = yunetCandidates(levels, scoreThreshold).sort((a, b) => b.score - a.score); // Array.sort is stable
  if (topK > -1) candidates.length = Math.min(candidates.length, topK);
  const kept: Candidate[] = [];
  for (const c of candidates) if (kept.every((k) => iou(c.box, k.box) <= nmsThreshold)) kept.push(c);
  if (keepTopK > -1) kept.length = Math.min(kept.length, keepTopK);
  return kept.map(({ score, box, kps }) => ({
    score, x: box[0], y: box[1], width: f(box[2] - box[0]), height: f(box[3] - box[1]),
    landmarks: [0, 1, 2, 3, 4].map((n) => ({ x: kps[2 * n], y: kps[2 * n + 1] })),
  }));
}

/** The whole detector on a BGR image at its own size: faces in its pixel coordinates. */
export function yunetDetect(layers: YunetLayer[], image: BgrImage, options: DecodeOptions = {}): YunetFace[] {
  return yunetDecode(yunetForward(layers, image), options);
}
