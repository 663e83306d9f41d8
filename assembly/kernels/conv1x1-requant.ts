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

import { convRows__simd128, qu8_conv_acc__swar64 } from "./conv";
import { requant_f32__scalar } from "./quant";
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

/**
 * simd128 variant, same signature and result: qu8_conv_acc__simd128's loops and tiles (2 pixels x
 * 16 channels, 12- and 4-channel tails) with each tile's accumulators scaled and requantized in
 * registers (quant.ts requant_s8x16 / s8x4: the same lanes as qu8_requant_s8__simd128) and
 * stored as bytes, instead of stored as i32 and read back by a second pass.
 */
export function qu8_conv1x1_requant_s8__simd128(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize,
  channelsPadded: i32, channels: i32, scale: usize, out: usize,
): void {
  convRows__simd128<i8>(input, width, inChannels, 1, weights, bias, width, channelsPadded, out, channels, scale);
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
