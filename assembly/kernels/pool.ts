// Fused epilogues: int32 conv accumulator rows -> activation + pooling + requantization -> one
// output row. Each has a scalar spec and a simd128 variant with the same signature and
// bit-identical output, plus a dispatcher without suffix.
//
// Common arguments
// - acc: i32, `poolSize` consecutive accumulator rows (as written by qu8_conv_acc); row r starts
//   at acc + r*accRowStride*4 bytes; element (x, o) is at x*channelsPadded + o within a row.
// - accRowStride: distance between rows in i32 elements (>= inWidth*channelsPadded).
// - poolSize: P in {1, 2, 4, 8}; window P x P, stride P, no padding. Keras 'valid' pooling drops
//   the leftover columns/rows: output x reads accumulator columns [x*P, x*P + P), so the caller
//   passes outWidth = floor(convWidth / P) and simply never hands over the leftover rows.
// - outWidth: pooled output width.
// - channels: real channels written per output pixel (<= channelsPadded).
// - channelsPadded: Cp, multiple of 4; accumulator pixel stride and length of `scale`.
// - scale: f32[Cp], per output channel; its meaning is per epilogue (below).
// - out: NHWC with `channels` (not Cp) values per pixel: element (x, c) at x*channels + c.
//   Exactly outWidth*channels elements are written, nothing past them (the simd128 variants
//   store the last partial group of 4 lane by lane, e.g. channels = 10 -> 4 + 4 + 2).
//
// Operation order (identical in both variants, which is what makes them bit-identical):
//   integer window reduction (exact; any order gives the same i32) -> one f32 convert
//   (f32.convert_i32_s / f32x4.convert_i32x4_s, round to nearest even) -> one f32 multiply by
//   scale[c] -> for quantized outputs: quant.ts requant (clamp, nearest, trunc_sat).
//
// Bound: a window sum is at most 64 * 9.4e6 = 6.0e8 < 2^31 (see conv.ts for the 9.4e6). Sums
// above 2^24 round in the convert, identically in both variants.
//
// Alignment: none required (all accesses are unaligned-safe wasm loads/stores). Reads: only
// channel groups [0, ceil(channels/4)*4) of each accumulator pixel, all inside Cp.

import { requant_f32__scalar, requant_f32__simd128, requant_u8x16__simd128, requant_u8x4__simd128 } from "./quant";

// ---- window reductions (shared by the epilogues) ----------------------------------------------

/** Σ over the P x P window of output pixel x of max(acc, 0), channel c. Row-major window order. */
// @ts-ignore: decorator
@inline
function windowReluSum__scalar(acc: usize, accRowStride: i32, poolSize: i32, x: i32, c: i32, channelsPadded: i32): i32 {
  let sum = 0;
  for (let r = 0; r < poolSize; r++) {
    const rowPtr = acc + <usize>(r * accRowStride) * 4;
    for (let dx = 0; dx < poolSize; dx++) {
      sum += max(load<i32>(rowPtr + <usize>((x * poolSize + dx) * channelsPadded + c) * 4), 0);
    }
  }
  return sum;
}

/** Max over the P x P window of output pixel x, channel c (no ReLU). */
// @ts-ignore: decorator
@inline
function windowMax__scalar(acc: usize, accRowStride: i32, poolSize: i32, x: i32, c: i32, channelsPadded: i32): i32 {
  let m = i32.MIN_VALUE;
  for (let r = 0; r < poolSize; r++) {
    const rowPtr = acc + <usize>(r * accRowStride) * 4;
    for (let dx = 0; dx < poolSize; dx++) {
      m = max(m, load<i32>(rowPtr + <usize>((x * poolSize + dx) * channelsPadded + c) * 4));
    }
  }
  return m;
}

/** windowReluSum__scalar for channels c..c+3 as i32x4. */
// @ts-ignore: decorator
@inline
function windowReluSum__simd128(acc: usize, accRowStride: i32, poolSize: i32, x: i32, c: i32, channelsPadded: i32): v128 {
  const zero = i32x4.splat(0);
  let sum = zero;
  for (let r = 0; r < poolSize; r++) {
    const rowPtr = acc + <usize>(r * accRowStride) * 4;
    for (let dx = 0; dx < poolSize; dx++) {
      sum = i32x4.add(sum, i32x4.max_s(v128.load(rowPtr + <usize>((x * poolSize + dx) * channelsPadded + c) * 4), zero));
    }
  }
  return sum;
}

/** windowMax__scalar for channels c..c+3 as i32x4. */
// @ts-ignore: decorator
@inline
function windowMax__simd128(acc: usize, accRowStride: i32, poolSize: i32, x: i32, c: i32, channelsPadded: i32): v128 {
  let m = i32x4.splat(i32.MIN_VALUE);
  for (let r = 0; r < poolSize; r++) {
    const rowPtr = acc + <usize>(r * accRowStride) * 4;
    for (let dx = 0; dx < poolSize; dx++) {
      m = i32x4.max_s(m, v128.load(rowPtr + <usize>((x * poolSize + dx) * channelsPadded + c) * 4));
    }
  }
  return m;
}

// ---- partial-group stores (simd128 tails) -----------------------------------------------------

/** Store the low `n` (>= 1; 4 or more means all 4) bytes of `bytes`. */
// @ts-ignore: decorator
@inline
function storeBytes4__simd128(ptr: usize, bytes: v128, n: i32): void {
  if (n >= 4) {
    v128.store32_lane(ptr, bytes, 0);
  } else {
    v128.store8_lane(ptr, bytes, 0);
    if (n > 1) v128.store8_lane(ptr, bytes, 1, 1);
    if (n > 2) v128.store8_lane(ptr, bytes, 2, 2);
  }
}

/** Store the low `n` (>= 1; 4 or more means all 4) f32 lanes of v. */
// @ts-ignore: decorator
@inline
function storeF32x4__simd128(ptr: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(ptr, v);
  } else if (n == 1) {
    v128.store32_lane(ptr, v, 0);
  } else {
    v128.store64_lane(ptr, v, 0);
    if (n == 3) v128.store32_lane(ptr, v, 2, 8);
  }
}

// ---- 1. ReLU + average pool -> u8 (x stream, zero point 0) -------------------------------------

/**
 * out[x, c] u8 = requant(f32(Σ_window max(acc, 0)) * scale[c], 0, 255).
 * scale[c] already includes 1/P² and the output scale.
 */
export function qu8_relu_avgpool_requant_u8__scalar(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c++) {
      const sum = windowReluSum__scalar(acc, accRowStride, poolSize, x, c, channelsPadded);
      const q = requant_f32__scalar(<f32>sum * load<f32>(scale + (<usize>c << 2)), <f32>0, <f32>255);
      store<u8>(out + <usize>(x * channels + c), q);
    }
  }
}

/**
 * simd128 variant of qu8_relu_avgpool_requant_u8__scalar: 16 channels per step through quant.ts
 * requant_u8x16 (the clamp-free magic-bias form, one 16-byte store), then 4 channels per step
 * (requant_u8x4), the partial last group stored lane by lane. Against 4 channels per step through
 * requant_f32__simd128 (f32x4.min/max and trunc_sat: ~23 V8 instructions per 4 lanes): 0.30x the
 * time per conv1.x / conv2.x row (AMD EPYC, Node 20, interleaved A/B of the test build).
 */
export function qu8_relu_avgpool_requant_u8__simd128(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  const by16 = channels & ~15;
  const zero = i32x4.splat(0);
  for (let x = 0; x < outWidth; x++) {
    const dst = out + <usize>(x * channels);
    let c = 0;
    for (; c < by16; c += 16) {
      // windowReluSum__simd128 of 4 channel groups in one pass over the window.
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      for (let r = 0; r < poolSize; r++) {
        let p = acc + <usize>(r * accRowStride + x * poolSize * channelsPadded + c) * 4;
        for (let dx = 0; dx < poolSize; dx++) {
          s0 = i32x4.add(s0, i32x4.max_s(v128.load(p), zero));
          s1 = i32x4.add(s1, i32x4.max_s(v128.load(p, 16), zero));
          s2 = i32x4.add(s2, i32x4.max_s(v128.load(p, 32), zero));
          s3 = i32x4.add(s3, i32x4.max_s(v128.load(p, 48), zero));
          p += <usize>channelsPadded << 2;
        }
      }
      const sp = scale + (<usize>c << 2);
      v128.store(dst + <usize>c, requant_u8x16__simd128(
        f32x4.mul(f32x4.convert_i32x4_s(s0), v128.load(sp)), f32x4.mul(f32x4.convert_i32x4_s(s1), v128.load(sp, 16)),
        f32x4.mul(f32x4.convert_i32x4_s(s2), v128.load(sp, 32)), f32x4.mul(f32x4.convert_i32x4_s(s3), v128.load(sp, 48))));
    }
    for (; c < channels; c += 4) {
      const sum = windowReluSum__simd128(acc, accRowStride, poolSize, x, c, channelsPadded);
      const bytes = requant_u8x4__simd128(f32x4.mul(f32x4.convert_i32x4_s(sum), v128.load(scale + (<usize>c << 2))));
      storeBytes4__simd128(dst + <usize>c, bytes, channels - c);
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qu8_relu_avgpool_requant_u8(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_relu_avgpool_requant_u8__simd128(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  } else {
    qu8_relu_avgpool_requant_u8__scalar(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  }
}

// ---- 1b. ReLU + average pool -> i16 (the x stream's 16-bit maps, zero point 0) ----------------

/**
 * out[x, c] i16 = requant(f32(Σ_window max(acc, 0)) * scale[c], 0, 32767): epilogue 1 with a
 * 15-bit range, for the maps qi16_conv_acc (conv-i16.ts) reads. out holds i16 (2 bytes each).
 */
export function qi16_relu_avgpool_requant_i16__scalar(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c++) {
      const sum = windowReluSum__scalar(acc, accRowStride, poolSize, x, c, channelsPadded);
      const q = requant_f32__scalar(<f32>sum * load<f32>(scale + (<usize>c << 2)), <f32>0, <f32>32767);
      store<i16>(out + (<usize>(x * channels + c) << 1), q);
    }
  }
}

/** simd128 variant of qi16_relu_avgpool_requant_i16__scalar: 4 channels per step. */
export function qi16_relu_avgpool_requant_i16__simd128(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  const qmin = f32x4.splat(0);
  const qmax = f32x4.splat(32767);
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c += 4) {
      const sum = windowReluSum__simd128(acc, accRowStride, poolSize, x, c, channelsPadded);
      const q = requant_f32__simd128(f32x4.mul(f32x4.convert_i32x4_s(sum), v128.load(scale + (<usize>c << 2))), qmin, qmax);
      const halves = i16x8.narrow_i32x4_s(q, q); // lanes 0..3 = q0..q3, exact in [0, 32767]
      const ptr = out + (<usize>(x * channels + c) << 1);
      const n = channels - c;
      if (n >= 4) {
        v128.store64_lane(ptr, halves, 0);
      } else {
        v128.store16_lane(ptr, halves, 0);
        if (n > 1) v128.store16_lane(ptr, halves, 1, 2);
        if (n > 2) v128.store16_lane(ptr, halves, 2, 4);
      }
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qi16_relu_avgpool_requant_i16(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qi16_relu_avgpool_requant_i16__simd128(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  } else {
    qi16_relu_avgpool_requant_i16__scalar(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  }
}

// ---- 2. Max pool + tanh via LUT -> u8 (s stream, zero point 128) -------------------------------

/**
 * out[x, c] u8 = lut[requant(f32(max_window acc) * scale[c], -512, 512) + 512].
 * lut: the 1025-entry table of tanh-lut.ts; scale[c] includes TANH_LUT_STEPS_PER_UNIT (128), so
 * the index has 1/128 resolution in the pre-activation and saturates beyond ±4.
 * Max before tanh is exact because tanh (and the LUT) is monotonic.
 */
export function qu8_maxpool_tanh_lut_u8__scalar(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, lut: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c++) {
      const m = windowMax__scalar(acc, accRowStride, poolSize, x, c, channelsPadded);
      const idx = requant_f32__scalar(<f32>m * load<f32>(scale + (<usize>c << 2)), <f32>-512, <f32>512);
      store<u8>(out + <usize>(x * channels + c), load<u8>(lut + <usize>(idx + 512)));
    }
  }
}

/**
 * The LUT index of qu8_maxpool_tanh_lut_u8, 4 lanes: requant_f32__simd128(v, -512, 512) with the
 * clamp done on the integers. The bounds are integers and nearest / trunc_sat are monotonic, so
 * clamping after them gives the same lanes; NaN: trunc_sat 0 either way. Saves V8's
 * ~8-instruction f32x4.min and max.
 */
// @ts-ignore: decorator
@inline
function tanhIndex__simd128(m: v128, scale: usize): v128 {
  const v = f32x4.mul(f32x4.convert_i32x4_s(m), v128.load(scale));
  return i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(v)), i32x4.splat(-512)), i32x4.splat(512));
}

/** dst[i] = lutCenter[idx lane i] for the low `n` lanes (>= 1; 4 or more means all 4). */
// @ts-ignore: decorator
@inline
function lutStore4(dst: usize, lutCenter: usize, idx: v128, n: i32): void {
  store<u8>(dst, load<u8>(lutCenter + <usize>i32x4.extract_lane(idx, 0)));
  if (n > 1) store<u8>(dst, load<u8>(lutCenter + <usize>i32x4.extract_lane(idx, 1)), 1);
  if (n > 2) store<u8>(dst, load<u8>(lutCenter + <usize>i32x4.extract_lane(idx, 2)), 2);
  if (n > 3) store<u8>(dst, load<u8>(lutCenter + <usize>i32x4.extract_lane(idx, 3)), 3);
}

/**
 * simd128 variant of qu8_maxpool_tanh_lut_u8__scalar: index math on 4 lanes (tanhIndex), the
 * gather scalar. 16 channels per step with one pass over the window for the 4 groups, then 4
 * channels per step. Against 4 channels per step (a window pass per group) through
 * requant_f32__simd128: 0.84x the time per row with the integer clamp alone, 0.50x with both
 * (AMD EPYC, Node 20, interleaved A/B of the test build); +440 bytes of wasm.
 */
export function qu8_maxpool_tanh_lut_u8__simd128(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, lut: usize, out: usize,
): void {
  const lutCenter = lut + 512;
  const by16 = channels & ~15;
  for (let x = 0; x < outWidth; x++) {
    const dst = out + <usize>(x * channels);
    let c = 0;
    for (; c < by16; c += 16) {
      let m0 = i32x4.splat(i32.MIN_VALUE), m1 = m0, m2 = m0, m3 = m0;
      for (let r = 0; r < poolSize; r++) {
        let p = acc + (<usize>(r * accRowStride + x * poolSize * channelsPadded + c) << 2);
        for (let dx = 0; dx < poolSize; dx++) {
          m0 = i32x4.max_s(m0, v128.load(p));
          m1 = i32x4.max_s(m1, v128.load(p, 16));
          m2 = i32x4.max_s(m2, v128.load(p, 32));
          m3 = i32x4.max_s(m3, v128.load(p, 48));
          p += <usize>channelsPadded << 2;
        }
      }
      // The 4 groups by a loop that shifts them down: one copy of the gather code.
      for (let g = 0; g < 16; g += 4) {
        lutStore4(dst + <usize>(c + g), lutCenter, tanhIndex__simd128(m0, scale + (<usize>(c + g) << 2)), 4);
        m0 = m1;
        m1 = m2;
        m2 = m3;
      }
    }
    for (; c < channels; c += 4) {
      const m = windowMax__simd128(acc, accRowStride, poolSize, x, c, channelsPadded);
      lutStore4(dst + <usize>c, lutCenter, tanhIndex__simd128(m, scale + (<usize>c << 2)), channels - c);
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qu8_maxpool_tanh_lut_u8(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, lut: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_maxpool_tanh_lut_u8__simd128(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, lut, out);
  } else {
    qu8_maxpool_tanh_lut_u8__scalar(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, lut, out);
  }
}

// ---- 3. ReLU + average pool -> f32 (x-stream heads, feed the float dense tail) ----------------

/** out[x, c] f32 = f32(Σ_window max(acc, 0)) * scale[c]. scale[c] includes 1/P² and dequantization. */
export function qu8_relu_avgpool_f32__scalar(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c++) {
      const sum = windowReluSum__scalar(acc, accRowStride, poolSize, x, c, channelsPadded);
      store<f32>(out + (<usize>(x * channels + c) << 2), <f32>sum * load<f32>(scale + (<usize>c << 2)));
    }
  }
}

/** simd128 variant of qu8_relu_avgpool_f32__scalar. */
export function qu8_relu_avgpool_f32__simd128(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c += 4) {
      const sum = windowReluSum__simd128(acc, accRowStride, poolSize, x, c, channelsPadded);
      const v = f32x4.mul(f32x4.convert_i32x4_s(sum), v128.load(scale + (<usize>c << 2)));
      storeF32x4__simd128(out + (<usize>(x * channels + c) << 2), v, channels - c);
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qu8_relu_avgpool_f32(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_relu_avgpool_f32__simd128(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  } else {
    qu8_relu_avgpool_f32__scalar(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  }
}

// ---- 4. ReLU + max pool -> f32 (s-stream heads) ------------------------------------------------

/** out[x, c] f32 = f32(max(max_window acc, 0)) * scale[c]. (ReLU after max == max after ReLU.) */
export function qu8_relu_maxpool_f32__scalar(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c++) {
      const m = max(windowMax__scalar(acc, accRowStride, poolSize, x, c, channelsPadded), 0);
      store<f32>(out + (<usize>(x * channels + c) << 2), <f32>m * load<f32>(scale + (<usize>c << 2)));
    }
  }
}

/** simd128 variant of qu8_relu_maxpool_f32__scalar. */
export function qu8_relu_maxpool_f32__simd128(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  const zero = i32x4.splat(0);
  for (let x = 0; x < outWidth; x++) {
    for (let c = 0; c < channels; c += 4) {
      const m = i32x4.max_s(windowMax__simd128(acc, accRowStride, poolSize, x, c, channelsPadded), zero);
      const v = f32x4.mul(f32x4.convert_i32x4_s(m), v128.load(scale + (<usize>c << 2)));
      storeF32x4__simd128(out + (<usize>(x * channels + c) << 2), v, channels - c);
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qu8_relu_maxpool_f32(
  acc: usize, accRowStride: i32, poolSize: i32, outWidth: i32,
  channels: i32, channelsPadded: i32, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_relu_maxpool_f32__simd128(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  } else {
    qu8_relu_maxpool_f32__scalar(acc, accRowStride, poolSize, outWidth, channels, channelsPadded, scale, out);
  }
}
