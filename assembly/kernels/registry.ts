// Entry of the `test` build (asconfig target "test": SIMD on, stub runtime, 4 fixed pages,
// exported memory, no imports). Exports every kernel variant, scalar and simd128, so vitest can
// run them side by side and bench/kernels.bench.ts can time them. The matching TS table of
// kernels, variants and tile constraints is test/helpers/kernel-registry.ts; the test checks
// that every `__scalar` / `__simd128` export below is listed there (and so tested and benched).
//
// Production builds do not use this file: assembly/ssrnet.ts and assembly/yunet.ts call the
// suffix-less dispatchers.

export {
  qu8_conv_acc__scalar,
  qu8_conv_acc__swar64,
  qu8_conv_acc__simd128,
} from "./conv";

import { CONV1_SCRATCH_BYTES, CONV_WIDE_SCRATCH_BYTES, setConv1Scratch, setConvWideScratch } from "./conv";
// The test build lends conv1's packed path and the simd128 kernel's widened input static scratch,
// as assembly/ssrnet.ts lends FEATURES and CONV_WIDE.
setConv1Scratch(memory.data(CONV1_SCRATCH_BYTES, 16));
setConvWideScratch(memory.data(CONV_WIDE_SCRATCH_BYTES, 16));

export {
  qu8_relu_avgpool_requant_u8__scalar,
  qu8_relu_avgpool_requant_u8__simd128,
  qu8_maxpool_tanh_lut_u8__scalar,
  qu8_maxpool_tanh_lut_u8__simd128,
  qu8_relu_avgpool_f32__scalar,
  qu8_relu_avgpool_f32__simd128,
  qu8_relu_maxpool_f32__scalar,
  qu8_relu_maxpool_f32__simd128,
  qi16_relu_avgpool_requant_i16__scalar,
  qi16_relu_avgpool_requant_i16__simd128,
} from "./pool";

export { qi16_conv_acc__scalar, qi16_conv_acc__simd128 } from "./conv-i16";

export { buildTanhLut, TANH_LUT_SIZE, TANH_LUT_STEPS_PER_UNIT } from "./tanh-lut";

// The YuNet face detector's kernels (docs/detector.md).
export { qu8_requant_s8__scalar, qu8_requant_s8__simd128 } from "./requant";
export { qu8_conv1x1_requant_s8__scalar, qu8_conv1x1_requant_s8__simd128 } from "./conv1x1-requant";
import { CONV1X1_SCRATCH_BYTES, setConv1x1Scratch } from "./conv1x1-requant";
setConv1x1Scratch(memory.data(CONV1X1_SCRATCH_BYTES, 16));
export {
  qs8_dwconv3x3_relu_requant_u8__scalar,
  qs8_dwconv3x3_relu_requant_u8__swar64,
  qs8_dwconv3x3_relu_requant_u8__simd128,
  qs8_dwconv3x3_f32__scalar,
  qs8_dwconv3x3_f32__swar64,
  qs8_dwconv3x3_f32__simd128,
} from "./dwconv";
export {
  qu8_conv3x3s2_relu_requant_u8__scalar,
  qu8_conv3x3s2_relu_requant_u8__swar64,
  qu8_conv3x3s2_relu_requant_u8__simd128,
} from "./stem";
export { u8_maxpool2x2__scalar, u8_maxpool2x2__simd128 } from "./pool-u8";
export { qu8_upsample2x_add_requant_u8__scalar, qu8_upsample2x_add_requant_u8__simd128 } from "./upsample";

import {
  requant_f32__scalar, requant_f32__simd128, requant_s8x16__simd128, requant_s8x16_finite__simd128, requant_s8x4__simd128,
  requant_s8x4_finite__simd128, requant_u8x16__simd128, requant_u8x4__simd128, requant_u8x8__simd128,
} from "./quant";

// ---- test helpers ------------------------------------------------------------------------------

/** First 16-byte-aligned byte after the module's static data: tests and bench own [scratchBase, memory end). */
export function scratchBase(): usize {
  return (__heap_base + 15) & ~<usize>15;
}

/**
 * quant.ts requant over a buffer, scalar form: dst[i] i32 = requant(src[i] f32, qmin, qmax).
 * (The quant helpers are @inline; these loops expose them to the test with a pointer ABI.)
 */
export function requant_f32_buffer__scalar(src: usize, n: i32, qmin: f32, qmax: f32, dst: usize): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<i32>(dst + off, requant_f32__scalar(load<f32>(src + off), qmin, qmax));
  }
}

/** simd128 form of requant_f32_buffer__scalar; n % 4 == 0. */
export function requant_f32_buffer__simd128(src: usize, n: i32, qmin: f32, qmax: f32, dst: usize): void {
  const lo = f32x4.splat(qmin);
  const hi = f32x4.splat(qmax);
  for (let i = 0; i < n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, requant_f32__simd128(v128.load(src + off), lo, hi));
  }
}

/**
 * quant.ts narrowing requant forms over a buffer of f32 (n % 16 == 0): dst = n bytes, u8 (qmin 0,
 * kind 0), s8 (qmin -128, kind 1) or s8 by the forms for non-NaN lanes (kind 2). Each 16 values go
 * through the x16 form, and again through the x8 (u8) or x4 forms into dst + n, so the test checks
 * every form against requant_f32.
 */
export function requantNarrowBuffer(src: usize, n: i32, kind: i32, dst: usize): void {
  for (let i = 0; i < n; i += 16) {
    const p = src + (<usize>i << 2);
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    const d = dst + <usize>i;
    const e = d + <usize>n;
    if (kind == 2) {
      v128.store(d, requant_s8x16_finite__simd128(v0, v1, v2, v3));
      v128.store32_lane(e, requant_s8x4_finite__simd128(v0), 0);
      v128.store32_lane(e, requant_s8x4_finite__simd128(v1), 0, 4);
      v128.store32_lane(e, requant_s8x4_finite__simd128(v2), 0, 8);
      v128.store32_lane(e, requant_s8x4_finite__simd128(v3), 0, 12);
    } else if (kind == 1) {
      v128.store(d, requant_s8x16__simd128(v0, v1, v2, v3));
      v128.store32_lane(e, requant_s8x4__simd128(v0), 0);
      v128.store32_lane(e, requant_s8x4__simd128(v1), 0, 4);
      v128.store32_lane(e, requant_s8x4__simd128(v2), 0, 8);
      v128.store32_lane(e, requant_s8x4__simd128(v3), 0, 12);
    } else {
      v128.store(d, requant_u8x16__simd128(v0, v1, v2, v3));
      v128.store64_lane(e, requant_u8x8__simd128(v0, v1), 0);
      v128.store32_lane(e, requant_u8x4__simd128(v2), 0, 8);
      v128.store32_lane(e, requant_u8x4__simd128(v3), 0, 12);
    }
  }
}

/**
 * Bench helper: peak rate of i32x4.dot_i16x8_s + i32x4.add, the MAC instruction pair of
 * qu8_conv_acc__simd128 (8 MACs per dot), with no loads. 12 independent accumulator chains
 * (latency ~5-6 cycles x throughput 2/cycle) keep the multiplier ports busy; each dot reads its
 * own accumulator so the engine cannot hoist it out of the loop. Runs `iterations` x 12 dots;
 * returns a lane of the folded accumulators so nothing is dead.
 */
export function benchDotI16x8Peak(iterations: i32): i32 {
  const w = i16x8.splat(3);
  let a0 = i32x4.splat(1);
  let a1 = i32x4.splat(2);
  let a2 = i32x4.splat(3);
  let a3 = i32x4.splat(4);
  let a4 = i32x4.splat(5);
  let a5 = i32x4.splat(6);
  let a6 = i32x4.splat(7);
  let a7 = i32x4.splat(8);
  let a8 = i32x4.splat(9);
  let a9 = i32x4.splat(10);
  let a10 = i32x4.splat(11);
  let a11 = i32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(a0, w));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(a1, w));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(a2, w));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(a3, w));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(a4, w));
    a5 = i32x4.add(a5, i32x4.dot_i16x8_s(a5, w));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(a6, w));
    a7 = i32x4.add(a7, i32x4.dot_i16x8_s(a7, w));
    a8 = i32x4.add(a8, i32x4.dot_i16x8_s(a8, w));
    a9 = i32x4.add(a9, i32x4.dot_i16x8_s(a9, w));
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(a10, w));
    a11 = i32x4.add(a11, i32x4.dot_i16x8_s(a11, w));
  }
  const s = i32x4.add(
    i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7))),
    i32x4.add(i32x4.add(a8, a9), i32x4.add(a10, a11)),
  );
  return i32x4.extract_lane(s, 0);
}
