// Verifies a .yunf weights blob (weights/YUNET-FORMAT.md, version 1) in place, then quantizes it
// for the int8 kernels into QWEIGHTS. Every check the format lists is done before anything is
// trusted, so a host cannot make the engine read outside its weights region, whatever bytes it
// writes; the quantized layers and their addresses (LAYERS) live in memory the host does not own.
//
// Quantization at load, not offline: the file stays libfacedetection's float weights, byte for
// byte, and the int8 form is a function of it and of the activation scales compiled into the
// engine (yunet-scales.ts, calibrated by tools/calibrate-yunet.ts): one scale per channel of every
// map, real = code * s[c]. The input channel's scale is folded into each weight before the weights
// are quantized per output channel, so the accumulator counts in real units. Per layer, in f32
// (the TS int8 oracle, src/oracle/yunet-int8.ts, does exactly the same):
//   W'[o][j] = W[o][j] * s_in[ch(j)]  (ch: the input channel weight j reads: j for 1x1 convs, j % 3
//              for the stem's (ky, kx, c) taps, o for depthwise convs)
//   sw[o] = max_j |W'[o][j]| / 127 (1 when 0)       weights: requant(W' / sw, -127, 127), int8
//   bias: requant(b / sw, -2^30, 2^30), i32         scale[o] = sw[o] / s_out[o], or sw[o] for the
//                                                   heads' depthwise convs, whose output is f32
// Layouts written (assembly/kernels/README.md): 1x1 convs in qu8_conv_acc's "c4 pair" order with
// Cp = cout rounded up to 4 (padded channels: zero weights, bias and scale); depthwise [9][C]
// (the file's order); the stem [ky][kx][c][16] (the file's [16][27 taps + 5 zero pads], transposed).

import { CRC_TABLE, LAYERS, LAYER_COUNT, LAYER_RECORD_BYTES, QWEIGHTS, QWEIGHTS_CAPACITY, WEIGHTS_CAPACITY } from './yunet-arena';
import { LAYER_INPUT_SOURCE, LAYER_OUTPUT_SCALES, LAYER_SCALE_OFFSET, NECK16_ADD_SCALES, NECK8_ADD_SCALES } from './yunet-scales';
import { requant_f32__scalar } from './kernels/quant';
import { ERR_BOUNDS, ERR_NOT_FINITE, ERR_SHAPE, OK, allFinite, checkEnvelope, inData } from './blob';

export const FORMAT_VERSION: u16 = 1;
/** "YUNF" read as a little-endian u32. */
const MAGIC: u32 = 0x464e5559;
const HEADER_BYTES: usize = 16;
const RECORD_BYTES: usize = 16;
const DATA_START: u32 = (16 + 53 * 16 + 15) & ~15;

export const KIND_POINTWISE: u8 = 0;
export const KIND_DEPTHWISE: u8 = 1;
export const KIND_STEM: u8 = 2;
const FLAG_RELU: u8 = 1;

// The graph's layers in libfacedetection's table order (facedetectcnn-model.cpp): in, out, kind,
// relu. The engine checks the blob against this, never the other way round.
const P: u16 = 0, D: u16 = 1, S: u16 = 2;
const EXPECTED: usize = memory.data<u16>([
  32, 16, S, 1, //                     0  stem 3x3/2 (27 gathered taps + 5 zero pads)
  16, 16, P, 0, 16, 16, D, 1, //       1-2  conv0 DP
  16, 16, P, 0, 16, 16, D, 1, 16, 32, P, 0, 32, 32, D, 1, //   3-6  conv1 (stride 4)
  32, 32, P, 0, 32, 32, D, 1, 32, 64, P, 0, 64, 64, D, 1, //   7-10 conv2
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  11-14 conv3 (stride 8)
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  15-18 conv4 (stride 16)
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  19-22 conv5 (stride 32)
  64, 64, P, 0, 64, 64, D, 1, //      23-24 neck lateral 0 (stride 8)
  64, 64, P, 0, 64, 64, D, 1, //      25-26 neck lateral 1 (stride 16)
  64, 64, P, 0, 64, 64, D, 1, //      27-28 neck lateral 2 (stride 32)
  64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, //           29-34 cls x3
  64, 4, P, 0, 4, 4, D, 0, 64, 4, P, 0, 4, 4, D, 0, 64, 4, P, 0, 4, 4, D, 0, //           35-40 bbox x3
  64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, //           41-46 obj x3
  64, 10, P, 0, 10, 10, D, 0, 64, 10, P, 0, 10, 10, D, 0, 64, 10, P, 0, 10, 10, D, 0, //  47-52 kps x3
]);

/** Address of layer i's int8 weights (after a successful loadWeights). */
// @ts-ignore: decorator
@inline export function layerWeights(i: i32): usize {
  return <usize>load<u32>(LAYERS + <usize>(i * LAYER_RECORD_BYTES));
}

/** Address of layer i's i32 bias (accumulator units). */
// @ts-ignore: decorator
@inline export function layerBias(i: i32): usize {
  return <usize>load<u32>(LAYERS + <usize>(i * LAYER_RECORD_BYTES), 4);
}

/** Address of layer i's f32 requantization (or dequantization) scales. */
// @ts-ignore: decorator
@inline export function layerScale(i: i32): usize {
  return <usize>load<u32>(LAYERS + <usize>(i * LAYER_RECORD_BYTES), 8);
}

/** Address of the f32 scales of layer i's output map, one per channel (real = code * scale). */
// @ts-ignore: decorator
@inline export function outputScales(i: i32): usize {
  return LAYER_OUTPUT_SCALES + (<usize>load<i32>(LAYER_SCALE_OFFSET + (<usize>i << 2)) << 2);
}

/** LAYER_INPUT_SOURCE values other than a layer index (yunet-scales.ts). */
const SOURCE_NECK16: i32 = -2;
const SOURCE_NECK8: i32 = -3;
/** The stem reads raw 0..255 pixels: scale 1 for B, G, R. */
const PIXEL_SCALES: usize = memory.data<f32>([1, 1, 1]);

/** Address of the f32 scales of layer i's input map, one per channel: those of the map it reads. */
function inputScales(i: i32): usize {
  const source = load<i32>(LAYER_INPUT_SOURCE + (<usize>i << 2));
  if (source >= 0) return outputScales(source);
  return source == SOURCE_NECK16 ? NECK16_ADD_SCALES : source == SOURCE_NECK8 ? NECK8_ADD_SCALES : PIXEL_SCALES;
}

/** Number of weights of a layer: 9 x C depthwise, in x out otherwise. */
function weightCount(kind: u8, cin: u32, cout: u32): u32 {
  return kind == KIND_DEPTHWISE ? 9 * cin : cin * cout;
}

/**
 * Checks the blob of `length` bytes at `blob`; returns OK or the first failing check's code. On
 * OK every layer is quantized into QWEIGHTS and LAYERS points at it.
 */
export function loadYunet(blob: usize, length: i32): i32 {
  const envelope = checkEnvelope(blob, length, WEIGHTS_CAPACITY, DATA_START, MAGIC, FORMAT_VERSION, 8, CRC_TABLE);
  if (envelope != OK) return envelope;
  const len = <u32>length;
  if (<i32>load<u16>(blob, 6) != LAYER_COUNT || load<u32>(blob, 12) != 0) return ERR_SHAPE;
  for (let i = 0; i < LAYER_COUNT; i++) {
    const r = blob + HEADER_BYTES + <usize>i * RECORD_BYTES;
    const e = EXPECTED + (<usize>i << 3);
    const cin = <u32>load<u16>(r);
    const cout = <u32>load<u16>(r, 2);
    const kind = load<u8>(r, 4);
    if (cin != <u32>load<u16>(e) || cout != <u32>load<u16>(e, 2) || <u16>kind != load<u16>(e, 4)) return ERR_SHAPE;
    if (<u16>(load<u8>(r, 5) & FLAG_RELU) != load<u16>(e, 6) || (load<u8>(r, 5) & ~FLAG_RELU) != 0 || load<u16>(r, 6) != 0) return ERR_SHAPE;
    const count = weightCount(kind, cin, cout);
    const w = load<u32>(r, 8);
    const b = load<u32>(r, 12);
    if (!inData(w, count * 4, len, DATA_START, 16) || !inData(b, cout * 4, len, DATA_START, 16)) return ERR_BOUNDS;
    if (!allFinite(blob + <usize>w, count) || !allFinite(blob + <usize>b, cout)) return ERR_NOT_FINITE;
  }
  let q = QWEIGHTS;
  for (let i = 0; i < LAYER_COUNT; i++) {
    const r = blob + HEADER_BYTES + <usize>i * RECORD_BYTES;
    q = quantizeLayer(i, load<u8>(r, 4), <i32>load<u16>(r), <i32>load<u16>(r, 2), (load<u8>(r, 5) & FLAG_RELU) != 0,
      blob + <usize>load<u32>(r, 8), blob + <usize>load<u32>(r, 12), q);
  }
  // @ts-ignore: static assertion, QWEIGHTS_CAPACITY is fixed by the graph
  assert(q <= QWEIGHTS + <usize>QWEIGHTS_CAPACITY);
  return OK;
}

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Address of W[o][j] in the file's f32 arrays (j: the output channel's taps x inputs). */
function sourceWeight(kind: u8, cin: i32, cout: i32, w: usize, o: i32, j: i32): usize {
  if (kind == KIND_DEPTHWISE) return w + (<usize>(j * cout + o) << 2); // [9][C]
  return w + (<usize>(o * cin + j) << 2); // [out][in] (the stem's in = 27 taps + 5 zero pads)
}

/** W'[o][j]: the file's weight times the scale of the input channel it reads. */
// @ts-ignore: decorator
@inline function foldedWeight(kind: u8, cin: i32, cout: i32, w: usize, sIn: usize, o: i32, j: i32): f32 {
  return load<f32>(sourceWeight(kind, cin, cout, w, o, j)) * load<f32>(sIn + (<usize>inputChannel(kind, o, j) << 2));
}

/** Offset of the int8 weight (o, j) in the kernels' layout (see the header). */
function targetWeight(kind: u8, cout: i32, channelsPadded: i32, o: i32, j: i32): usize {
  if (kind == KIND_POINTWISE) return <usize>((j >> 1) * channelsPadded * 2 + o * 2 + (j & 1));
  return <usize>(j * cout + o); // depthwise [9][C], stem [27][C]
}

/** The input channel that weight j of output channel o reads. */
// @ts-ignore: decorator
@inline function inputChannel(kind: u8, o: i32, j: i32): i32 {
  return kind == KIND_DEPTHWISE ? o : kind == KIND_STEM ? j % 3 : j;
}

/** Quantizes layer i into QWEIGHTS at q (weights, bias, scale, each 16-aligned); returns the next q. */
function quantizeLayer(i: i32, kind: u8, cin: i32, cout: i32, relu: bool, w: usize, b: usize, q: usize): usize {
  const taps = kind == KIND_DEPTHWISE ? 9 : kind == KIND_STEM ? 27 : cin;
  const padded = kind == KIND_POINTWISE ? (cout + 3) & ~3 : cout;
  const weights = q;
  const weightBytes = <usize>(kind == KIND_POINTWISE ? cin * padded : taps * cout);
  const bias = align16(weights + weightBytes);
  const scale = align16(bias + (<usize>padded << 2));
  memory.fill(weights, 0, scale + (<usize>padded << 2) - weights);
  const sIn = inputScales(i);
  const sOut = outputScales(i);
  // The heads' depthwise convs (no relu after a depthwise) write f32 outputs: dequantize only.
  const dequantize = kind == KIND_DEPTHWISE && !relu;
  for (let o = 0; o < cout; o++) {
    let amax: f32 = 0;
    for (let j = 0; j < taps; j++) amax = max<f32>(amax, abs<f32>(foldedWeight(kind, cin, cout, w, sIn, o, j)));
    const sw: f32 = amax > 0 ? amax / <f32>127 : <f32>1;
    for (let j = 0; j < taps; j++) {
      const v = foldedWeight(kind, cin, cout, w, sIn, o, j) / sw;
      store<i8>(weights + targetWeight(kind, cout, padded, o, j), <i8>requant_f32__scalar(v, <f32>-127, <f32>127));
    }
    store<i32>(bias + (<usize>o << 2), requant_f32__scalar(load<f32>(b + (<usize>o << 2)) / sw, <f32>-1073741824, <f32>1073741824));
    store<f32>(scale + (<usize>o << 2), dequantize ? sw : sw / load<f32>(sOut + (<usize>o << 2)));
  }
  const record = LAYERS + <usize>(i * LAYER_RECORD_BYTES);
  store<u32>(record, <u32>weights);
  store<u32>(record, <u32>bias, 4);
  store<u32>(record, <u32>scale, 8);
  return align16(scale + (<usize>padded << 2));
}
