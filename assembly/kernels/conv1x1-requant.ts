// qu8_conv1x1_requant_s8: YuNet's int8 1x1 conv (no relu) fused with its requantization: one row
// of `width` u8 NHWC pixels -> the s8 map the depthwise conv reads, without the i32 accumulator
// row in between.
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit): exactly
// qu8_conv_acc (conv.ts, K = 1) into an i32 row, then qu8_requant_s8 (requant.ts) of that row:
//   out[x*channels + c] = i8(requant(f32(acc(x, c)) * scale[c], -128, 127))
//   acc(x, c) = bias[c] + sum over ci < Cin of in(x, ci) * w(c, ci)
// Layouts: input u8 [width][Cin]; weights "c4 pair" for K = 1 (conv.ts), Cp = channelsPadded =
// channels rounded up to 4; bias i32[Cp]; scale f32, Cp floats readable (the converter pads
// them); out s8 [width][channels], no channel padding.
// Preconditions: as qu8_conv_acc with K = 1 (Cin <= 256, Cin*255*128 + |bias| < 2^31) and
// qu8_requant_s8 (1 <= channels <= Cp, Cp % 4 == 0, Cp - channels < 4); width >= 1. The simd128
// kernel needs the conv's widened-input scratch (conv.ts setConvWideScratch). Writes exactly
// width*channels bytes.

import { qu8_conv_acc__swar64, widenU8__simd128 } from "./conv";
import { requant_f32__scalar, requant_s8x16_finite__simd128, requant_s8x4_finite__simd128 } from "./quant";
import { qu8_requant_s8__scalar } from "./requant";

/** Scalar spec: plain loops, one output at a time; never tuned. */
export function qu8_conv1x1_requant_s8__scalar(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize,
  channelsPadded: i32, channels: i32, scale: usize, out: usize,
): void {
  const pairBytes = channelsPadded * 2;
  for (let x = 0; x < width; x++) {
    const pixel = input + <usize>(x * inChannels);
    for (let o = 0; o < channels; o++) {
      let sum = load<i32>(bias + (<usize>o << 2));
      for (let c = 0; c < inChannels; c++) {
        sum += <i32>load<u8>(pixel + <usize>c) * <i32>load<i8>(weights + <usize>((c >> 1) * pairBytes + o * 2 + (c & 1)));
      }
      store<i8>(out + <usize>(x * channels + o), requant_f32__scalar(<f32>sum * load<f32>(scale + (<usize>o << 2)), <f32>-128, <f32>127));
    }
  }
}

// ---- simd128 ------------------------------------------------------------------------------------

/** Input elements (i16) the simd128 kernel widens per chunk of pixels: YuNet's widest rows (320 x 16, 160 x 32, 80 x 64) in one. */
const WIDE_INPUT_ELEMENTS: i32 = 5120;
/** Bytes of one channel group's i16 weights: YuNet's largest layer (64 -> 64: 32 pairs x 64 channels x 4 bytes) in one group. */
const WIDE_WEIGHT_BYTES: i32 = 8192;
/** Most channels per group (room for its bias and sanitized scales). */
const GROUP_MAX: i32 = 64;
const WEIGHTS_OFFSET: usize = <usize>(WIDE_INPUT_ELEMENTS * 2 + 16);
const BIAS_OFFSET: usize = WEIGHTS_OFFSET + <usize>WIDE_WEIGHT_BYTES;
const SCALES_OFFSET: usize = BIAS_OFFSET + <usize>(GROUP_MAX * 4);
/** Bytes the simd128 kernel needs in its scratch (setConv1x1Scratch). */
export const CONV1X1_SCRATCH_BYTES: i32 = <i32>SCALES_OFFSET + GROUP_MAX * 4;

/** The simd128 kernel's scratch: the widened input chunk, then one channel group's widened weights, bias and sanitized scales. */
let scratch: usize = 0;

/** Lends qu8_conv1x1_requant_s8__simd128 CONV1X1_SCRATCH_BYTES bytes at `ptr` (16-aligned is best), rewritten by every call. */
export function setConv1x1Scratch(ptr: usize): void {
  scratch = ptr;
}

/** f32(acc) * scale[4 lanes at sp + offset]. */
// @ts-ignore: decorator
@inline function scaled(acc: v128, sp: usize, offset: usize): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(sp + offset));
}

/** Stores the low `n` (1..16) bytes of `bytes` at ptr. */
function storeBytes__simd128(ptr: usize, bytes: v128, n: i32): void {
  if (n >= 16) {
    v128.store(ptr, bytes);
    return;
  }
  let b = bytes;
  if (n & 8) {
    v128.store64_lane(ptr, b, 0);
    b = i8x16.shuffle(b, b, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
    ptr += 8;
  }
  if (n & 4) {
    v128.store32_lane(ptr, b, 0);
    b = i8x16.shuffle(b, b, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7);
    ptr += 4;
  }
  if (n & 2) {
    v128.store16_lane(ptr, b, 0);
    b = i8x16.shuffle(b, b, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
    ptr += 2;
  }
  if (n & 1) v128.store8_lane(ptr, b, 0);
}

/**
 * simd128 variant, same signature and result. Each call first widens u8 -> i16 into its lent
 * scratch (setConv1x1Scratch): the input row, in chunks of WIDE_INPUT_ELEMENTS (YuNet's rows are
 * one), and the weights, in groups of output channels that fit WIDE_WEIGHT_BYTES (YuNet's layers
 * are one); so the inner loop is loads and dots only:
 *   a  = v128.load32_splat(widened pixel + 4p)     -> [c0, c1, c0, c1, ...] (i16)
 *   wb = v128.load(widened weights + p*G*4 + 16b)  -> [o0c0, o0c1, ..., o3c0, o3c1] (i16)
 *   acc_b += i32x4.dot_i16x8_s(a, wb)
 * (i16 weights: v128.load, where load8x8_s costs a widening per load; 1.13x on a pure 2 px x
 * 16 ch dot loop; the widening costs cinPairs*Cp/8 instructions per call against width*cinPairs*Cp/8 dots.)
 * Tiles: 2 pixels x 16 channels (8 accumulators; 2 splats and 4 weight loads per 8 dots); a group
 * of 12 mod 16 channels (the 10-channel landmark head) is padded to 16 with zero weights, bias
 * and scales; 4 or 8 mod 16 in 2 px x 4 ch tiles. The second pixel of a tile is
 * min(x + 1, width - 1): an odd last pixel is computed twice and stored twice, the same bytes.
 * Measured against 4 px x 8 ch tiles: 1.00-1.03x; 3 px x 16 ch spills.
 *
 * Epilogue (quant.ts requant_s8x16_finite, 5 instructions per 4 outputs with the convert and multiply, ~10 before):
 * the group's scales are copied sanitized, NaN -> 0 and +-inf -> +-f32 max, which gives every
 * integer accumulator the same requant(f32(acc) * scale) as the original scale (a NaN product
 * only comes from a NaN scale, or an infinite one times 0, and requantizes to 0, as 0 does; an
 * infinite scale's nonzero products saturate, as f32 max's do), so the finite form never sees a NaN.
 *
 * Reads exactly the input row, the weights and Cp bias and scale values.
 */
export function qu8_conv1x1_requant_s8__simd128(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize,
  channelsPadded: i32, channels: i32, scale: usize, out: usize,
): void {
  const cinPairs = (inChannels + 1) >> 1;
  // Channels per group: all of them (rounded up to 16 when 12 mod 16) when they fit, else a
  // multiple of 16 (>= 16, as Cin <= 256).
  let group = min(channelsPadded, GROUP_MAX);
  if (cinPairs * ((group & 15) == 12 ? group + 4 : group) * 4 > WIDE_WEIGHT_BYTES) group = (WIDE_WEIGHT_BYTES / (cinPairs * 4)) & ~15;
  const chunk = (WIDE_INPUT_ELEMENTS / inChannels) & ~1;
  for (let x0 = 0; x0 < width; x0 += chunk) {
    const pixels = min(chunk, width - x0);
    widenInput(input + <usize>(x0 * inChannels), pixels * inChannels);
    for (let g0 = 0; g0 < channelsPadded; g0 += group) {
      const g = min(group, channelsPadded - g0);
      const padded = (g & 15) == 12 ? g + 4 : g;
      // Once per call when there is one chunk and one group.
      if (x0 == 0 || group < channelsPadded) widenGroup(weights, bias, scale, cinPairs, channelsPadded, g0, g, padded);
      conv1x1Chunk(inChannels, cinPairs, pixels, padded, channels - g0, out + <usize>(x0 * channels + g0), channels);
    }
  }
}

/** Widens `elements` u8 at src to i16 at the scratch's start, then one zero element pair (an odd Cin's last pair reads it). */
function widenInput(src: usize, elements: i32): void {
  widenU8__simd128(scratch, src, elements);
  store<u32>(scratch + (<usize>elements << 1), 0);
}

/**
 * Output channels [g0, g0 + g) into the scratch, `padded` (g, or g + 4) channels each: weights
 * widened to i16 ([pair][padded][2]), bias, and scales sanitized (NaN -> 0, +-inf -> +-f32 max);
 * the padding channels get zeros.
 */
function widenGroup(weights: usize, bias: usize, scale: usize, cinPairs: i32, channelsPadded: i32, g0: i32, g: i32, padded: i32): void {
  const wideWeights = scratch + WEIGHTS_OFFSET;
  const bytes = <usize>(g * 2);
  for (let p = 0; p < cinPairs; p++) {
    const src = weights + <usize>(p * channelsPadded * 2 + g0 * 2);
    const dst = wideWeights + (<usize>(p * padded) << 2);
    for (let i: usize = 0; i < bytes; i += 8) v128.store(dst + (i << 1), v128.load8x8_s(src + i));
    if (padded > g) v128.store(dst + (bytes << 1), i32x4.splat(0));
  }
  const b = scratch + BIAS_OFFSET, s = scratch + SCALES_OFFSET;
  for (let c = 0; c < padded; c += 4) {
    const offset = <usize>c << 2;
    if (c < g) {
      const v = v128.load(scale + (<usize>g0 << 2) + offset);
      const finite = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-f32.MAX_VALUE)), f32x4.splat(f32.MAX_VALUE));
      v128.store(s + offset, v128.and(finite, f32x4.eq(v, v)));
      v128.store(b + offset, v128.load(bias + (<usize>g0 << 2) + offset));
    } else {
      v128.store(s + offset, i32x4.splat(0));
      v128.store(b + offset, i32x4.splat(0));
    }
  }
}

/**
 * One chunk of `outWidth` pixels (widened at the scratch's start) x one widened group of
 * `groupChannels` channels, of which the first `live` (may exceed the group) are stored; `out`
 * at the chunk's first pixel and the group's first channel, `outPixelBytes` apart.
 */
function conv1x1Chunk(
  inChannels: i32, cinPairs: i32, outWidth: i32, groupChannels: i32, live: i32, out: usize, outPixelBytes: i32,
): void {
  const wideWeights = scratch + WEIGHTS_OFFSET, bias = scratch + BIAS_OFFSET, scales = scratch + SCALES_OFFSET;
  const pairBytes = <usize>(groupChannels * 4);
  const pixelBytes = <usize>(inChannels * 2);
  const runBytes = <usize>cinPairs << 2;
  const mainChannels = groupChannels & ~15;
  const stride = <usize>outPixelBytes;

  for (let x = 0; x < outWidth; x += 2) {
    const second = <usize>(min(x + 1, outWidth - 1) - x);
    const inPixel = scratch + <usize>x * pixelBytes;
    const end = inPixel + runBytes;
    const out0 = out + <usize>x * stride;
    const out1 = out0 + second * stride;
    const inSecond = second * pixelBytes;

    for (let o = 0; o < mainChannels; o += 16) {
      let acc00 = v128.load(bias + (<usize>o << 2));
      let acc01 = v128.load(bias + (<usize>o << 2), 16);
      let acc02 = v128.load(bias + (<usize>o << 2), 32);
      let acc03 = v128.load(bias + (<usize>o << 2), 48);
      let acc10 = acc00;
      let acc11 = acc01;
      let acc12 = acc02;
      let acc13 = acc03;
      let w = wideWeights + (<usize>o << 2);
      let pair = inPixel;
      while (pair < end) {
        const a0 = v128.load32_splat(pair);
        const a1 = v128.load32_splat(pair + inSecond);
        const w0 = v128.load(w);
        acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(a0, w0));
        acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(a1, w0));
        const w1 = v128.load(w, 16);
        acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(a0, w1));
        acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(a1, w1));
        const w2 = v128.load(w, 32);
        acc02 = i32x4.add(acc02, i32x4.dot_i16x8_s(a0, w2));
        acc12 = i32x4.add(acc12, i32x4.dot_i16x8_s(a1, w2));
        const w3 = v128.load(w, 48);
        acc03 = i32x4.add(acc03, i32x4.dot_i16x8_s(a0, w3));
        acc13 = i32x4.add(acc13, i32x4.dot_i16x8_s(a1, w3));
        pair += 4;
        w += pairBytes;
      }
      // out1 is stored last: for the odd last pixel out1 == out0 and both hold the same sums.
      const sp = scales + (<usize>o << 2);
      const n = min(16, live - o);
      storeBytes__simd128(out0 + <usize>o, requantS8x16(acc00, acc01, acc02, acc03, sp), n);
      storeBytes__simd128(out1 + <usize>o, requantS8x16(acc10, acc11, acc12, acc13, sp), n);
    }

    // The group's 4 or 8 mod 16 channels: 4-channel tiles, 1 block x 2 pixels.
    for (let o = mainChannels; o < groupChannels; o += 4) {
      let acc0 = v128.load(bias + (<usize>o << 2));
      let acc1 = acc0;
      let w = wideWeights + (<usize>o << 2);
      let pair = inPixel;
      while (pair < end) {
        const w0 = v128.load(w);
        acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.load32_splat(pair), w0));
        acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.load32_splat(pair + inSecond), w0));
        pair += 4;
        w += pairBytes;
      }
      const sp = scales + (<usize>o << 2);
      const n = min(4, live - o);
      storeBytes__simd128(out0 + <usize>o, requantS8x4(acc0, sp), n);
      storeBytes__simd128(out1 + <usize>o, requantS8x4(acc1, sp), n);
    }
  }
}

/** 16 channels of one pixel, 4 i32x4 accumulators, sanitized scales at sp: 16 s8 bytes. */
// @ts-ignore: decorator
@inline function requantS8x16(a0: v128, a1: v128, a2: v128, a3: v128, sp: usize): v128 {
  return requant_s8x16_finite__simd128(scaled(a0, sp, 0), scaled(a1, sp, 16), scaled(a2, sp, 32), scaled(a3, sp, 48));
}

/** 4 channels of one pixel: 4 s8 bytes in lanes 0..3. */
// @ts-ignore: decorator
@inline function requantS8x4(a: v128, sp: usize): v128 {
  return requant_s8x4_finite__simd128(scaled(a, sp, 0));
}

/**
 * Dispatcher (compile-time): the fused simd128 kernel when the build has SIMD; else the two passes
 * the scalar build's interpreters run fastest, qu8_conv_acc__swar64 into the i32 row at `acc`
 * (width*Cp*4 bytes) then qu8_requant_s8__scalar. The simd128 build does not touch `acc`.
 */
export function qu8_conv1x1_requant_s8(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize,
  channelsPadded: i32, channels: i32, scale: usize, out: usize, acc: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_conv1x1_requant_s8__simd128(input, width, inChannels, weights, bias, channelsPadded, channels, scale, out);
  } else {
    qu8_conv_acc__swar64(input, width, inChannels, 1, weights, bias, width, channelsPadded, acc);
    qu8_requant_s8__scalar(acc, width, channelsPadded, channels, scale, out);
  }
}
