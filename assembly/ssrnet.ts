// SSR-Net(3,3,3) forward pass, read top to bottom like Figure 1 of the paper: two streams of four
// 3x3 conv blocks (x: relu + average pooling, s: tanh + max pooling), three fusion blocks that
// read the streams at depths 4, 2 and 1 through 1x1 convs, and the soft stagewise head.
//
// Every conv runs row by row: each output row is one call of the accumulator kernel, and each
// pooled row one call of the epilogue kernel, so V8 tiers the hot kernels up within the first
// inference instead of running one long baseline-compiled loop.

import {
  ACC, CONV_WIDE, FEATURES, FEATURES_FLOATS, INPUT, S1, S2, S3, S4, TANH_LUT, X1, X2, X3, X4,
} from './arena';
import { stagewiseHead } from './head';
import { CONV1_SCRATCH_BYTES, qu8_conv_acc, qu8_conv_acc__swar64, setConv1Scratch, setConvWideScratch } from './kernels/conv';
import { qi16_conv_acc } from './kernels/conv-i16';
import {
  qi16_relu_avgpool_requant_i16, qu8_maxpool_tanh_lut_u8, qu8_relu_avgpool_f32, qu8_relu_avgpool_requant_u8,
  qu8_relu_maxpool_f32,
} from './kernels/pool';
import { convRecord } from './weights';

// Conv record indices in the weights file (weights/FORMAT.md §2).
const X_CONV1 = 0;
const S_CONV1 = 4;
const STAGE1_HEAD_S = 8;

// Epilogue codes of a conv record.
const RELU_AVGPOOL_U8: u8 = 0;
const MAXPOOL_TANH_U8: u8 = 1;
const RELU_AVGPOOL_F32: u8 = 2;
const RELU_MAXPOOL_F32: u8 = 3;
const RELU_AVGPOOL_I16: u8 = 4;

/**
 * Kernel selection: the scalar SWAR conv instead of the build's dispatcher (simd128 in the simd
 * build). For interpreters that emulate v128 instructions one by one (WAMR's fast interpreter),
 * where the i64 SWAR kernel does more MACs per dispatched instruction; bit-identical either way.
 */
let swarConv = false;

// conv1's packed-weight scratch: FEATURES is free until the fusion blocks, which run after both
// conv1 layers (forward below), and it is large enough (2720 >= CONV1_SCRATCH_BYTES bytes).
assert(FEATURES_FLOATS * 4 >= CONV1_SCRATCH_BYTES);
setConv1Scratch(FEATURES);
setConvWideScratch(CONV_WIDE); // the simd128 conv's widened input rows (arena.ts)

/** Selects the conv kernel for the following runs: true = qu8_conv_acc__swar64, false = the build's. */
export function useSwarConv(on: bool): void {
  swarConv = on;
}

/**
 * One conv block: valid KxK conv of a `size`x`size` map with `record`'s weights, fused activation
 * and pooling into `output`. Only the rows and columns the pooling keeps are computed (Keras
 * 'valid' pooling drops the remainder, e.g. 29 → 14 uses 28).
 */
function convBlock(blob: usize, record: i32, input: usize, size: i32, output: usize): void {
  const r = convRecord(blob, record);
  const k = <i32>load<u8>(r);
  const cin = <i32>load<u8>(r, 1);
  const cout = <i32>load<u8>(r, 2);
  const cp = <i32>load<u8>(r, 3);
  const epilogue = load<u8>(r, 4);
  const pool = <i32>load<u8>(r, 5);
  const inputI16 = load<u8>(r, 6) == 2;
  const weights = blob + <usize>load<u32>(r, 8);
  const bias = blob + <usize>load<u32>(r, 16);
  const scale = blob + <usize>load<u32>(r, 20);
  const pooled = (size - k + 1) / pool;
  const convWidth = pooled * pool;
  const accRowStride = convWidth * cp;
  const inRowBytes = <usize>(size * cin) << (inputI16 ? 1 : 0);
  const outValueShift: usize = epilogue == RELU_AVGPOOL_I16 ? 1 : epilogue >= RELU_AVGPOOL_F32 ? 2 : 0;
  const outRowBytes = <usize>(pooled * cout) << outValueShift;
  for (let py = 0; py < pooled; py++) {
    for (let dy = 0; dy < pool; dy++) {
      const y = py * pool + dy;
      const rowIn = input + <usize>y * inRowBytes;
      const rowAcc = ACC + (<usize>(dy * accRowStride) << 2);
      if (inputI16) qi16_conv_acc(rowIn, size, cin, k, weights, bias, convWidth, cp, rowAcc);
      else if (swarConv) qu8_conv_acc__swar64(rowIn, size, cin, k, weights, bias, convWidth, cp, rowAcc);
      else qu8_conv_acc(rowIn, size, cin, k, weights, bias, convWidth, cp, rowAcc);
    }
    const out = output + <usize>py * outRowBytes;
    if (epilogue == RELU_AVGPOOL_U8) {
      qu8_relu_avgpool_requant_u8(ACC, accRowStride, pool, pooled, cout, cp, scale, out);
    } else if (epilogue == MAXPOOL_TANH_U8) {
      qu8_maxpool_tanh_lut_u8(ACC, accRowStride, pool, pooled, cout, cp, scale, TANH_LUT, out);
    } else if (epilogue == RELU_AVGPOOL_F32) {
      qu8_relu_avgpool_f32(ACC, accRowStride, pool, pooled, cout, cp, scale, out);
    } else if (epilogue == RELU_MAXPOOL_F32) {
      qu8_relu_maxpool_f32(ACC, accRowStride, pool, pooled, cout, cp, scale, out);
    } else {
      qi16_relu_avgpool_requant_i16(ACC, accRowStride, pool, pooled, cout, cp, scale, out);
    }
  }
}

/**
 * Fusion block k: 1x1 conv + relu on each stream's map, pooled to features (s: max, x: average),
 * written as f32 at `features` (s first, then x).
 */
function fusionFeatures(blob: usize, k: i32, sMap: usize, xMap: usize, size: i32, features: usize, n: i32): void {
  convBlock(blob, STAGE1_HEAD_S + 2 * k, sMap, size, features);
  convBlock(blob, STAGE1_HEAD_S + 2 * k + 1, xMap, size, features + (<usize>n << 2));
}

/** Runs the network on INPUT with a verified blob; returns age in years (or the gender score). */
export function forward(blob: usize): f64 {
  // x stream: conv3x3 → BN → relu → avg-pool 2 (BN folded into the conv by the converter)
  convBlock(blob, X_CONV1, INPUT, 64, X1);     // 64 → 62 → 31, 32 ch
  convBlock(blob, X_CONV1 + 1, X1, 31, X2);    // 31 → 29 → 14
  convBlock(blob, X_CONV1 + 2, X2, 14, X3);    // 14 → 12 → 6, i16 out
  convBlock(blob, X_CONV1 + 3, X3, 6, X4);     //  6 → 4, no pooling, i16 in and out

  // s stream: conv3x3 → BN → tanh → max-pool 2 (pooled before the tanh: both are monotonic)
  convBlock(blob, S_CONV1, INPUT, 64, S1);     // 64 → 62 → 31, 16 ch
  convBlock(blob, S_CONV1 + 1, S1, 31, S2);
  convBlock(blob, S_CONV1 + 2, S2, 14, S3);
  convBlock(blob, S_CONV1 + 3, S3, 6, S4);

  // Fusion blocks: stage 1 from layer 4 (4x4, no pool), stage 2 from layer 2 (14x14, pool 4),
  // stage 3 from layer 1 (31x31, pool 8): 160, 90 and 90 features per stream.
  fusionFeatures(blob, 0, S4, X4, 4, FEATURES, 160);
  fusionFeatures(blob, 1, S2, X2, 14, FEATURES + 320 * 4, 90);
  fusionFeatures(blob, 2, S1, X1, 31, FEATURES + 500 * 4, 90);

  return stagewiseHead(blob, FEATURES);
}
