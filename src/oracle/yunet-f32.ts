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

/**
 * What the convolutions read: a float map, or the int8 oracle's map of integer codes. Any values
 * work; the sums below are exact for integers (double accumulation), which the int8 oracle relies on.
 */
export interface ConvInput {
  h: number;
  w: number;
  c: number;
  data: ArrayLike<number>;
}

/** A conv layer's arrays: the float ones, or the int8 oracle's integer weights and accumulator biases. */
export interface ConvLayer {
  inChannels: number;
  outChannels: number;
  kind: number;
  weights: ArrayLike<number>;
  bias: ArrayLike<number>;
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
export function stem(image: BgrImage, layer: ConvLayer): Tensor {
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
function matVec(layer: ConvLayer, input: ArrayLike<number>, inOffset: number, out: Float32Array, outOffset: number): void {
  const { inChannels: ci, outChannels: co, weights: w, bias } = layer;
  for (let o = 0; o < co; o++) {
    let sum = 0;
    const wo = o * ci;
    for (let i = 0; i < ci; i++) sum += w[wo + i] * input[inOffset + i];
    out[outOffset + o] = sum + bias[o];
  }
}

export function pointwise(x: ConvInput, layer: ConvLayer): Tensor {
  if (layer.kind !== KIND_POINTWISE || layer.inChannels !== x.c) throw new Error(`pointwise layer ${layer.inChannels}->${layer.outChannels} on ${x.c} channels`);
  const out = tensor(x.h, x.w, layer.outChannels);
  for (let p = 0; p < x.h * x.w; p++) matVec(layer, x.data, p * x.c, out.data, p * out.c);
  return out;
}

/** 3x3 depthwise, stride 1, zero padding 1, + bias; weights tap-major [3][3][C]. */
export function depthwise(x: ConvInput, layer: ConvLayer): Tensor {
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
export function maxPool<T extends Tensor>(x: T): T {
  const out = { ...x, ...tensor(Math.ceil(x.h / 2), Math.ceil(x.w / 2), x.c) };
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

/** add(up(a), b): a nearest-upsampled 2x (each value to 2x2), combined with b (plain sum by default). */
export function upsampleAdd(a: Tensor, b: Tensor, add = (u: number, v: number): number => u + v): Tensor {
  if (a.h * 2 !== b.h || a.w * 2 !== b.w || a.c !== b.c) throw new Error('upsampleAdd: shapes');
  const out = tensor(b.h, b.w, b.c);
  for (let r = 0; r < b.h; r++) {
    for (let col = 0; col < b.w; col++) {
      const ap = ((r >> 1) * a.w + (col >> 1)) * a.c;
      const bp = (r * b.w + col) * b.c;
      for (let ch = 0; ch < b.c; ch++) out.data[bp + ch] = add(a.data[ap + ch], b.data[bp + ch]);
    }
  }
  return out;
}

/**
 * The operations the graph is made of, on maps of type T: the float oracle's (f32Ops), the int8
 * oracle's, or wrappers that watch them (tools/calibrate-yunet.ts).
 */
export interface YunetOps<T extends { h: number; w: number }> {
  /** Layer 0 on the image, then ReLU. */
  stem(image: BgrImage): T;
  /** Layer i (1x1 or 3x3 depthwise), ReLU after it when `relu` (the graph's; checked against the record's flag). */
  layer(i: number, x: T, relu: boolean): T;
  maxPool(x: T): T;
  /** up(coarse) + fine, the neck's add at `stride` (16 or 8). */
  upsampleAdd(coarse: T, fine: T, stride: number): T;
  /** A head's raw outputs. */
  floats(head: T): Float32Array;
}

/** Checks that record i's relu flag is the graph's. */
export function checkRelu(layers: readonly { flags: number }[], i: number, withRelu: boolean): void {
  if (((layers[i].flags & FLAG_RELU) !== 0) !== withRelu) throw new Error(`record ${i}: relu flag disagrees with the graph`);
}

/** The float ops: plain float convolutions, ReLU where the graph puts one. */
export function f32Ops(layers: YunetLayer[]): YunetOps<Tensor> {
  if (layers.length !== 53 || layers[0].kind !== KIND_STEM) throw new Error('not the 53 YuNet layers');
  return {
    stem: (image) => relu(stem(image, layers[0])),
    layer(i, x, withRelu) {
      checkRelu(layers, i, withRelu);
      const l = layers[i];
      const y = l.kind === KIND_DEPTHWISE ? depthwise(x, l) : pointwise(x, l);
      return withRelu ? relu(y) : y;
    },
    maxPool,
    upsampleAdd: (coarse, fine) => upsampleAdd(coarse, fine),
    floats: (head) => head.data,
  };
}

/** The network (objectdetect_cnn up to the heads) with `ops`: raw outputs of the stride 8, 16, 32 levels. */
export function yunetGraph<T extends { h: number; w: number }>(ops: YunetOps<T>, image: BgrImage): HeadLevel[] {
  if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3) throw new Error('bad image');
  // Pointwise `p` then depthwise `p + 1`, ReLU after the depthwise when `withRelu` (convolutionDP).
  const dp = (p: number, x: T, withRelu = true): T => ops.layer(p + 1, ops.layer(p, x, false), withRelu);
  // Two dp blocks (convolution4layerUnit).
  const unit = (p: number, x: T): T => dp(p + 2, dp(p, x));
  // The four heads of one level, on the neck's output there: records cls, bbox, obj, kps.
  const heads = (x: T, stride: number, cls: number, bbox: number, obj: number, kps: number): HeadLevel => ({
    stride, rows: x.h, cols: x.w,
    cls: ops.floats(dp(cls, x, false)),
    obj: ops.floats(dp(obj, x, false)),
    bbox: ops.floats(dp(bbox, x, false)),
    kps: ops.floats(dp(kps, x, false)),
  });
  let x = ops.stem(image);
  x = ops.maxPool(dp(1, x)); // 1/4
  x = unit(3, x);
  x = unit(7, x);
  let f8 = unit(11, ops.maxPool(x));
  let f16 = unit(15, ops.maxPool(f8));
  let f32 = unit(19, ops.maxPool(f16));
  // Neck: top-down, each level's lateral conv on (upsampled coarser level + this level).
  f32 = dp(27, f32);
  f16 = dp(25, ops.upsampleAdd(f32, f16, 16));
  f8 = dp(23, ops.upsampleAdd(f16, f8, 8));
  return [heads(f8, 8, 29, 35, 41, 47), heads(f16, 16, 31, 37, 43, 49), heads(f32, 32, 33, 39, 45, 51)];
}

/** The float network: raw outputs of the stride 8, 16, 32 levels. */
export function yunetForward(layers: YunetLayer[], image: BgrImage): HeadLevel[] {
  return yunetGraph(f32Ops(layers), image);
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
