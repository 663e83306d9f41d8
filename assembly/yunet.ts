// YuNet forward pass (libfacedetection's facedetectcnn-model.cpp), read top to bottom like the
// network's figure: a backbone of depthwise-separable units with four 2x2 max pools (strides 2 to
// 32), a top-down neck that adds each coarser map, upsampled, to the finer one, and per stride
// (8, 16, 32) four heads: face class, objectness, box, 5 landmarks.
//
// "DP" is libfacedetection's convolutionDP: a 1x1 conv + bias (no relu) then a 3x3 depthwise conv
// + bias + relu. Every map is a whole f32 NHWC tensor in the arena (yunet-arena.ts); the 1x1 convs
// run over a whole map in one call, the depthwise convs and pools one output row per call.

import { ACT_A, ACT_B, FB1, FB2, FB3, HEAD_FLOATS, HEADS, INPUT } from './yunet-arena';
import { layerBias, layerWeights } from './yunet-weights';
import { f32_dwconv3x3_bias, f32_dwconv3x3_bias_relu } from './kernels/dwconv';
import { f32_maxpool2x2 } from './kernels/pool-f32';
import { f32_pwconv_bias } from './kernels/pwconv';
import { f32_conv3x3s2_bias_relu } from './kernels/stem';
import { f32_upsample2x_add } from './kernels/upsample';

// Layer indices (libfacedetection's table order, weights/YUNET-FORMAT.md).
const STEM = 0;
const NECK_8 = 23; // lateral DP of stride 8
const NECK_16 = 25;
const NECK_32 = 27;
const HEAD_CLS = 29; // + 2 * level: pointwise, + 1: depthwise
const HEAD_BBOX = 35;
const HEAD_OBJ = 41;
const HEAD_KPS = 47;

// The current geometry (setGeometry): the input, and the map padded to multiples of 32.
let inWidth = 0;
let inHeight = 0;
let padWidth = 0;
let padHeight = 0;

/** Sets the input size; the caller has checked it against the arena's limits. */
export function setGeometry(width: i32, height: i32): void {
  inWidth = width;
  inHeight = height;
  padWidth = (width + 31) & ~31;
  padHeight = (height + 31) & ~31;
}

/** Width and height of the map at `stride` (2 to 32). */
export function mapWidth(stride: i32): i32 {
  return padWidth / stride;
}

export function mapHeight(stride: i32): i32 {
  return padHeight / stride;
}

/** Anchors (= map pixels) of head level 0, 1, 2 (strides 8, 16, 32). */
export function anchors(level: i32): i32 {
  const stride = 8 << level;
  return mapWidth(stride) * mapHeight(stride);
}

/** Where level's raw outputs start in HEADS: cls[n], obj[n], bbox[n][4], kps[n][10]. */
export function headBase(level: i32): usize {
  let before = 0;
  for (let l = 0; l < level; l++) before += anchors(l);
  return HEADS + (<usize>(before * HEAD_FLOATS) << 2);
}

/** 1x1 conv + bias over a whole w x h map. */
function pointwise(layer: i32, input: usize, w: i32, h: i32, cin: i32, cout: i32, out: usize): void {
  f32_pwconv_bias(input, w * h, cin, layerWeights(layer), layerBias(layer), cout, out);
}

/** 3x3 depthwise conv + bias (+ relu) over a whole w x h map, row by row. */
function depthwise(layer: i32, input: usize, w: i32, h: i32, c: i32, out: usize, relu: bool): void {
  const row = <usize>(w * c) << 2;
  const weights = layerWeights(layer);
  const bias = layerBias(layer);
  for (let y = 0; y < h; y++) {
    const mid = input + <usize>y * row;
    const above = y > 0 ? mid - row : 0;
    const below = y + 1 < h ? mid + row : 0;
    if (relu) f32_dwconv3x3_bias_relu(above, mid, below, w, c, weights, bias, out + <usize>y * row);
    else f32_dwconv3x3_bias(above, mid, below, w, c, weights, bias, out + <usize>y * row);
  }
}

/** libfacedetection's convolutionDP: 1x1 (layer) then 3x3 depthwise + relu (layer + 1), through `tmp`. */
function dp(layer: i32, input: usize, w: i32, h: i32, cin: i32, cout: i32, tmp: usize, out: usize): void {
  pointwise(layer, input, w, h, cin, cout, tmp);
  depthwise(layer + 1, tmp, w, h, cout, out, true);
}

/** 2x2 stride-2 max pool of a w x h map (w, h even). */
function maxpool(input: usize, w: i32, h: i32, c: i32, out: usize): void {
  const row = <usize>(w * c) << 2;
  for (let y = 0; y < h >> 1; y++) {
    f32_maxpool2x2(input + <usize>(2 * y) * row, input + <usize>(2 * y + 1) * row, w, c, out + <usize>y * (row >> 1));
  }
}

/** fine += upsample2x(coarse), in place; fine is w x h, coarse (w/2) x (h/2). */
function upsampleAdd(coarse: usize, fine: usize, w: i32, h: i32, c: i32): void {
  const row = <usize>(w * c) << 2;
  for (let y = 0; y < h; y++) {
    f32_upsample2x_add(coarse + <usize>(y >> 1) * (row >> 1), fine + <usize>y * row, w, c, fine + <usize>y * row);
  }
}

/** One head: 1x1 conv 64 → cout then 3x3 depthwise + bias, no relu, into `out`. */
function head(layer: i32, features: usize, w: i32, h: i32, cout: i32, out: usize): void {
  pointwise(layer, features, w, h, 64, cout, ACT_A);
  depthwise(layer + 1, ACT_A, w, h, cout, out, false);
}

/** The four heads of level 0, 1, 2 (stride 8, 16, 32) on its neck output. */
function heads(level: i32, features: usize): void {
  const stride = 8 << level;
  const w = mapWidth(stride);
  const h = mapHeight(stride);
  const n = <usize>(w * h) << 2;
  const base = headBase(level);
  head(HEAD_CLS + 2 * level, features, w, h, 1, base);
  head(HEAD_OBJ + 2 * level, features, w, h, 1, base + n);
  head(HEAD_BBOX + 2 * level, features, w, h, 4, base + 2 * n);
  head(HEAD_KPS + 2 * level, features, w, h, 10, base + 6 * n);
}

/** Runs the network on INPUT (inWidth x inHeight BGR) with verified weights; raw outputs in HEADS. */
export function forward(): void {
  const w2 = mapWidth(2), h2 = mapHeight(2);
  const w4 = mapWidth(4), h4 = mapHeight(4);
  const w8 = mapWidth(8), h8 = mapHeight(8);
  const w16 = mapWidth(16), h16 = mapHeight(16);
  const w32 = mapWidth(32), h32 = mapHeight(32);

  // Backbone, stride 2: stem 3x3/2 on the BGR image + relu (16 ch), then DP 16 → 16.
  for (let y = 0; y < h2; y++) {
    f32_conv3x3s2_bias_relu(INPUT, inHeight, inWidth, y, layerWeights(STEM), layerBias(STEM), 16, w2,
      ACT_A + (<usize>(y * w2 * 16) << 2));
  }
  dp(1, ACT_A, w2, h2, 16, 16, ACT_B, ACT_A);
  maxpool(ACT_A, w2, h2, 16, ACT_B);

  // Stride 4: two units of two DPs, 16 → 16 → 32, 32 → 32 → 64.
  dp(3, ACT_B, w4, h4, 16, 16, ACT_A, ACT_B);
  dp(5, ACT_B, w4, h4, 16, 32, ACT_A, ACT_B);
  dp(7, ACT_B, w4, h4, 32, 32, ACT_A, ACT_B);
  dp(9, ACT_B, w4, h4, 32, 64, ACT_A, ACT_B);
  maxpool(ACT_B, w4, h4, 64, ACT_A);

  // Stride 8, 16, 32: pool, one unit each (64 ch); their outputs feed the neck.
  dp(11, ACT_A, w8, h8, 64, 64, ACT_B, ACT_A);
  dp(13, ACT_A, w8, h8, 64, 64, ACT_B, FB1);
  maxpool(FB1, w8, h8, 64, ACT_A);
  dp(15, ACT_A, w16, h16, 64, 64, ACT_B, ACT_A);
  dp(17, ACT_A, w16, h16, 64, 64, ACT_B, FB2);
  maxpool(FB2, w16, h16, 64, ACT_A);
  dp(19, ACT_A, w32, h32, 64, 64, ACT_B, ACT_A);
  dp(21, ACT_A, w32, h32, 64, 64, ACT_B, FB3);

  // Neck, top-down, and the heads of each level as soon as its features are final.
  dp(NECK_32, FB3, w32, h32, 64, 64, ACT_A, FB3);      // stride 32
  heads(2, FB3);
  upsampleAdd(FB3, FB2, w16, h16, 64);                 // stride 16: + upsampled stride 32
  dp(NECK_16, FB2, w16, h16, 64, 64, ACT_A, FB2);
  heads(1, FB2);
  upsampleAdd(FB2, FB1, w8, h8, 64);                   // stride 8: + upsampled stride 16
  dp(NECK_8, FB1, w8, h8, 64, 64, ACT_A, FB1);
  heads(0, FB1);
}
