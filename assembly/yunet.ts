// YuNet forward pass (libfacedetection's facedetectcnn-model.cpp), read top to bottom like the
// network's figure: a backbone of depthwise-separable units with four 2x2 max pools (strides 2 to
// 32), a top-down neck that adds each coarser map, upsampled, to the finer one, and per stride
// (8, 16, 32) four heads: face class, objectness, box, 5 landmarks.
//
// "DP" is libfacedetection's convolutionDP: a 1x1 conv + bias (no relu) then a 3x3 depthwise conv
// + bias + relu.
//
// Row streaming. Only the maps the neck needs whole (the stride 8, 16, 32 features, FB1..FB3) and
// the head outputs are stored whole. Every other layer is a *stage* that keeps its last few output
// rows in a ring (RINGS) and computes a row when its consumer pulls it: a 1x1 conv needs the same
// row of its input, a depthwise conv the rows above and below too (ring of 3), a pool two rows
// (ring of 2). Pulling the last row of a chain's final stage runs the whole chain, one row at a
// time, in order. A stage whose "ring" is a whole map (FB1..FB3, HEADS) keeps every row; the neck
// writes its output over its input map in place, which is safe because a row is only overwritten
// after the row below it has been read (the depthwise conv of row y pulls row y + 1 first).
//
// Compared with whole maps everywhere (two ping-pong buffers of the largest map), streaming keeps
// the stride-2 and stride-4 maps at a few rows each: see yunet-arena.ts.
//
// int8 throughout (the contract is in docs/detector.md): the stem, the depthwise convs with relu,
// the pools and the neck's upsample-adds write u8 maps, the 1x1 convs s8 maps, and only the heads'
// depthwise convs write f32 (dequantized) into HEADS for the post-processing. Every map has one
// scale per channel (real = code * scale[c]); a layer's requantization scales are folded into its
// weights at load (yunet-weights.ts), the neck's upsample-add ratios when the graph is built.

import { ACC, ACC_BYTES, FB1, FB2, FB3, HEAD_FLOATS, HEADS, INPUT, RINGS, RINGS_CAPACITY } from './yunet-arena';
import { NECK16_ADD_SCALES, NECK8_ADD_SCALES } from './yunet-scales';
import { layerBias, layerScale, layerWeights, outputScales } from './yunet-weights';
import { CONV1X1_SCRATCH_BYTES, qu8_conv1x1_requant_s8, setConv1x1Scratch } from './kernels/conv1x1-requant';
import { qs8_dwconv3x3_f32, qs8_dwconv3x3_relu_requant_u8 } from './kernels/dwconv';
import { u8_maxpool2x2 } from './kernels/pool-u8';
import { qu8_conv3x3s2_relu_requant_u8 } from './kernels/stem';
import { qu8_upsample2x_add_requant_u8 } from './kernels/upsample';

// Layer indices (libfacedetection's table order, weights/YUNET-FORMAT.md).
const STEM = 0;
const NECK_8 = 23; // lateral DP of stride 8 (+ 1: its depthwise)
const NECK_16 = 25;
const NECK_32 = 27;
const HEAD_CLS = 29; // + 2 * level: pointwise, + 1: depthwise
const HEAD_BBOX = 35;
const HEAD_OBJ = 41;
const HEAD_KPS = 47;

// Stage kinds.
const STEM_ROW: i32 = 0; // stem 3x3/2 on the BGR input + relu: u8
const POINTWISE: i32 = 1; // 1x1 conv + bias: s8
const DEPTHWISE: i32 = 2; // 3x3 depthwise + bias (heads): f32
const DEPTHWISE_RELU: i32 = 3; // 3x3 depthwise + bias + relu: u8
const MAXPOOL: i32 = 4; // 2x2 stride-2 max pool: u8, the source's scale
const UPSAMPLE_ADD: i32 = 5; // upsample2x(source) + source2: u8

// The stage table: one record of i32 fields per stage, rebuilt by forward() (59 stages).
const MAX_STAGES = 64;
const FIELDS = 13;
const STAGES: usize = memory.data(MAX_STAGES * FIELDS * 4);
const KIND = 0, LAYER = 1, SOURCE = 2, SOURCE2 = 3, WIDTH = 4, HEIGHT = 5, CHANNELS = 6, RING = 7, RING_ROWS = 8, DONE = 9;
const SCALE = 10; // address of the output map's f32 scales, one per channel
const COARSE_RATIO = 11, FINE_RATIO = 12; // UPSAMPLE_ADD: addresses of its sources' scales / its own

// @ts-ignore: decorator
@inline function field(s: i32, f: i32): i32 {
  return load<i32>(STAGES + (<usize>(s * FIELDS + f) << 2));
}

// @ts-ignore: decorator
@inline function setField(s: i32, f: i32, v: i32): void {
  store<i32>(STAGES + (<usize>(s * FIELDS + f) << 2), v);
}

let stageCount = 0;
let ringTop: usize = 0;

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

/** Bytes of one row of stage s: 1 per value, 4 for the heads' f32 outputs. */
// @ts-ignore: decorator
@inline function rowBytes(s: i32): usize {
  const values = <usize>(field(s, WIDTH) * field(s, CHANNELS));
  return field(s, KIND) == DEPTHWISE ? values << 2 : values;
}

/** Address of stage s's output scales. */
// @ts-ignore: decorator
@inline function scalesOf(s: i32): usize {
  return <usize>field(s, SCALE);
}

/** The two upsample-adds' scale ratios: [coarse 64][fine 64] for the stride-16 one, then the stride-8 one. */
const NECK_RATIOS: usize = memory.data(2 * 2 * 64 * 4, 16);

/** ratios[c] = f32(source[c] / own[c]) for `channels` channels. */
function scaleRatios(source: usize, own: usize, channels: i32, ratios: usize): void {
  for (let c = 0; c < channels; c++) {
    const offset = <usize>c << 2;
    store<f32>(ratios + offset, load<f32>(source + offset) / load<f32>(own + offset));
  }
}

/** Address of row y of stage s (in its ring, or its whole map). */
function row(s: i32, y: i32): usize {
  return <usize>field(s, RING) + <usize>(y % field(s, RING_ROWS)) * rowBytes(s);
}

/**
 * Adds a stage of `kind` producing a stride-`stride` map of `channels`; it keeps `rows` rows at
 * `map`, or, when map is 0, in a new ring of `rows` rows from RINGS. Returns its id.
 */
function stage(kind: i32, layer: i32, source: i32, source2: i32, stride: i32, channels: i32, rows: i32, map: usize): i32 {
  const s = stageCount++;
  // @ts-ignore: static assertion, the graph is fixed
  assert(s < MAX_STAGES);
  setField(s, KIND, kind);
  setField(s, LAYER, layer);
  setField(s, SOURCE, source);
  setField(s, SOURCE2, source2);
  setField(s, WIDTH, mapWidth(stride));
  setField(s, HEIGHT, mapHeight(stride));
  setField(s, CHANNELS, channels);
  setField(s, RING_ROWS, rows);
  setField(s, DONE, 0);
  const scales = kind == MAXPOOL ? scalesOf(source) : kind == UPSAMPLE_ADD ? (layer == NECK_16 ? NECK16_ADD_SCALES : NECK8_ADD_SCALES) : outputScales(layer);
  setField(s, SCALE, <i32>scales);
  if (kind == UPSAMPLE_ADD) {
    const ratios = NECK_RATIOS + (layer == NECK_16 ? 0 : 2 * 64 * 4);
    scaleRatios(scalesOf(source), scales, channels, ratios);
    scaleRatios(scalesOf(source2), scales, channels, ratios + 64 * 4);
    setField(s, COARSE_RATIO, <i32>ratios);
    setField(s, FINE_RATIO, <i32>(ratios + 64 * 4));
  }
  if (map == 0) {
    map = ringTop;
    ringTop += (<usize>rows * rowBytes(s) + 15) & ~(<usize>15);
    // @ts-ignore: static assertion, sized in yunet-arena.ts for the widest input
    assert(ringTop <= RINGS + <usize>RINGS_CAPACITY);
  }
  setField(s, RING, <i32>map);
  return s;
}

/** Computes row y of stage s, pulling what it reads from its sources first. */
function compute(s: i32, y: i32): void {
  const kind = field(s, KIND);
  const layer = field(s, LAYER);
  const src = field(s, SOURCE);
  const width = field(s, WIDTH);
  const channels = field(s, CHANNELS);
  const out = row(s, y);
  if (kind == STEM_ROW) {
    qu8_conv3x3s2_relu_requant_u8(INPUT, inHeight, inWidth, y, layerWeights(layer), layerBias(layer), layerScale(layer), channels, width, out);
  } else if (kind == POINTWISE) {
    pull(src, y);
    const padded = (channels + 3) & ~3;
    qu8_conv1x1_requant_s8(row(src, y), width, field(src, CHANNELS), layerWeights(layer), layerBias(layer), padded, channels, layerScale(layer), out, ACC);
  } else if (kind == DEPTHWISE || kind == DEPTHWISE_RELU) {
    const height = field(s, HEIGHT);
    pull(src, min(y + 1, height - 1));
    const above = y > 0 ? row(src, y - 1) : 0;
    const below = y + 1 < height ? row(src, y + 1) : 0;
    if (kind == DEPTHWISE_RELU) qs8_dwconv3x3_relu_requant_u8(above, row(src, y), below, width, channels, layerWeights(layer), layerBias(layer), layerScale(layer), out);
    else qs8_dwconv3x3_f32(above, row(src, y), below, width, channels, layerWeights(layer), layerBias(layer), layerScale(layer), out);
  } else if (kind == MAXPOOL) {
    pull(src, 2 * y + 1);
    u8_maxpool2x2(row(src, 2 * y), row(src, 2 * y + 1), 2 * width, channels, out);
  } else {
    const fine = field(s, SOURCE2);
    pull(src, y >> 1);
    pull(fine, y);
    qu8_upsample2x_add_requant_u8(row(src, y >> 1), row(fine, y), width, channels, <usize>field(s, COARSE_RATIO), <usize>field(s, FINE_RATIO), out);
  }
}

/** Makes stage s compute its rows up to y, in order. */
function pull(s: i32, y: i32): void {
  for (let r = field(s, DONE); r <= y; r++) {
    compute(s, r);
    setField(s, DONE, r + 1);
  }
}

/** Pulls every row of stage s. */
function finish(s: i32): void {
  pull(s, field(s, HEIGHT) - 1);
}

/**
 * DP as two stages: the 1x1 conv into a 3-row ring (what the depthwise conv reads), the depthwise
 * conv + relu into a ring of `rows` rows (1 before a 1x1 conv, 2 before a pool), or into the
 * whole map at `map` when map != 0.
 */
function dp(layer: i32, source: i32, stride: i32, channels: i32, rows: i32, map: usize): i32 {
  const p = stage(POINTWISE, layer, source, -1, stride, channels, 3, 0);
  return stage(DEPTHWISE_RELU, layer + 1, p, -1, stride, channels, map == 0 ? rows : mapHeight(stride), map);
}

/** The four heads of level 0, 1, 2 (stride 8, 16, 32) on its neck output stage, into HEADS. */
function heads(level: i32, features: i32): void {
  const stride = 8 << level;
  const n = <usize>anchors(level) << 2;
  const base = headBase(level);
  head(HEAD_CLS + 2 * level, features, stride, 1, base);
  head(HEAD_OBJ + 2 * level, features, stride, 1, base + n);
  head(HEAD_BBOX + 2 * level, features, stride, 4, base + 2 * n);
  head(HEAD_KPS + 2 * level, features, stride, 10, base + 6 * n);
}

/** One head: 1x1 conv 64 → cout then 3x3 depthwise + bias, no relu, every row kept at `out`. */
function head(layer: i32, features: i32, stride: i32, cout: i32, out: usize): void {
  const p = stage(POINTWISE, layer, features, -1, stride, cout, 3, 0);
  finish(stage(DEPTHWISE, layer + 1, p, -1, stride, cout, mapHeight(stride), out));
}

/** Starts a new set of stages whose rings start at RINGS again (the previous ones are finished). */
function beginPhase(): void {
  ringTop = RINGS;
}

/** Runs the network on INPUT (inWidth x inHeight BGR) with verified weights; raw outputs in HEADS. */
export function forward(): void {
  // @ts-ignore: static assertion
  assert(CONV1X1_SCRATCH_BYTES <= ACC_BYTES);
  setConv1x1Scratch(ACC); // the simd128 1x1 convs' widened rows and weights (the scalar build's i32 row there instead)
  stageCount = 0;
  beginPhase();

  // Backbone, stride 2: stem 3x3/2 on the BGR image + relu (16 ch), DP 16 → 16, pool.
  let x = stage(STEM_ROW, STEM, -1, -1, 2, 16, 1, 0);
  x = dp(1, x, 2, 16, 2, 0);
  x = stage(MAXPOOL, -1, x, -1, 4, 16, 1, 0);
  // Stride 4: two units of two DPs, 16 → 16 → 32, 32 → 32 → 64, pool.
  x = dp(3, x, 4, 16, 1, 0);
  x = dp(5, x, 4, 32, 1, 0);
  x = dp(7, x, 4, 32, 1, 0);
  x = dp(9, x, 4, 64, 2, 0);
  x = stage(MAXPOOL, -1, x, -1, 8, 64, 1, 0);
  // Stride 8: one unit (64 ch) into FB1, kept whole for the neck.
  x = dp(11, x, 8, 64, 1, 0);
  const f8 = dp(13, x, 8, 64, 0, FB1);
  finish(f8);

  // Stride 16 and 32: pool, one unit each, into FB2 and FB3.
  beginPhase();
  x = stage(MAXPOOL, -1, f8, -1, 16, 64, 1, 0);
  x = dp(15, x, 16, 64, 1, 0);
  const f16 = dp(17, x, 16, 64, 0, FB2);
  finish(f16);
  beginPhase();
  x = stage(MAXPOOL, -1, f16, -1, 32, 64, 1, 0);
  x = dp(19, x, 32, 64, 1, 0);
  const f32 = dp(21, x, 32, 64, 0, FB3);
  finish(f32);

  // Neck, top-down, each level written over its own map, then that level's heads.
  beginPhase();
  const n32 = dp(NECK_32, f32, 32, 64, 0, FB3);                                              // stride 32
  finish(n32);
  heads(2, n32);
  beginPhase();
  const n16 = dp(NECK_16, stage(UPSAMPLE_ADD, NECK_16, n32, f16, 16, 64, 1, 0), 16, 64, 0, FB2);   // stride 16: + upsampled 32
  finish(n16);
  heads(1, n16);
  beginPhase();
  const n8 = dp(NECK_8, stage(UPSAMPLE_ADD, NECK_8, n16, f8, 8, 64, 1, 0), 8, 64, 0, FB1);        // stride 8: + upsampled 16
  finish(n8);
  heads(0, n8);
}
