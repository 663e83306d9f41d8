// qu8_requant_s8: the epilogue of YuNet's int8 1x1 convs (no relu): qu8_conv_acc (K = 1) writes
// one i32 accumulator row over `pixels` pixels, this turns it into the s8 map the depthwise conv
// reads.
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[x*channels + c] = i8(requant(f32(acc[x*Cp + c]) * scale[c], -128, 127))
//   one f32 convert, one f32 multiply, then quant.ts requant (clamp, nearest, trunc_sat).
// Layouts: acc i32 [pixels][Cp] (Cp = channelsPadded, a multiple of 4, as qu8_conv_acc writes
// it); scale f32 (as[o] / s_out), `channels` values used; out s8 [pixels][channels], no channel
// padding.
// Preconditions: pixels >= 1; 1 <= channels <= Cp; Cp % 4 == 0; no alignment needed.
// Reads: channel groups [0, ceil(channels/4)*4) of each accumulator pixel (inside Cp) and of
// scale (a scale array of exactly `channels` floats is read up to 12 bytes past its end, values
// unused: keep them readable, e.g. allocate Cp floats). Writes exactly pixels*channels bytes.

import { requant_f32__scalar, requant_s8x16__simd128, requant_s8x4__simd128 } from "./quant";

/** Scalar spec. */
export function qu8_requant_s8__scalar(acc: usize, pixels: i32, channelsPadded: i32, channels: i32, scale: usize, out: usize): void {
  for (let x = 0; x < pixels; x++) {
    for (let c = 0; c < channels; c++) {
      const a = load<i32>(acc + (<usize>(x * channelsPadded + c) << 2));
      store<i8>(out + <usize>(x * channels + c), requant_f32__scalar(<f32>a * load<f32>(scale + (<usize>c << 2)), <f32>-128, <f32>127));
    }
  }
}

/**
 * simd128 variant, same signature and result: 16 channels per step (quant.ts requant_s8x16: one
 * 16-byte store), then 4 channels per step with the partial last group stored lane by lane
 * (channels = 10 -> 4 + 4 + 2).
 */
export function qu8_requant_s8__simd128(acc: usize, pixels: i32, channelsPadded: i32, channels: i32, scale: usize, out: usize): void {
  const by16 = channels & ~15;
  for (let x = 0; x < pixels; x++) {
    const a = acc + (<usize>(x * channelsPadded) << 2);
    const dst = out + <usize>(x * channels);
    let c = 0;
    for (; c < by16; c += 16) {
      const ap = a + (<usize>c << 2);
      const sp = scale + (<usize>c << 2);
      v128.store(dst + <usize>c, requant_s8x16__simd128(
        f32x4.mul(f32x4.convert_i32x4_s(v128.load(ap)), v128.load(sp)),
        f32x4.mul(f32x4.convert_i32x4_s(v128.load(ap, 16)), v128.load(sp, 16)),
        f32x4.mul(f32x4.convert_i32x4_s(v128.load(ap, 32)), v128.load(sp, 32)),
        f32x4.mul(f32x4.convert_i32x4_s(v128.load(ap, 48)), v128.load(sp, 48))));
    }
    for (; c < channels; c += 4) {
      const bytes = requant_s8x4__simd128(f32x4.mul(f32x4.convert_i32x4_s(v128.load(a + (<usize>c << 2))), v128.load(scale + (<usize>c << 2))));
      const p = dst + <usize>c;
      const n = channels - c;
      if (n >= 4) {
        v128.store32_lane(p, bytes, 0);
      } else {
        v128.store8_lane(p, bytes, 0);
        if (n > 1) v128.store8_lane(p, bytes, 1, 1);
        if (n > 2) v128.store8_lane(p, bytes, 2, 2);
      }
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function qu8_requant_s8(acc: usize, pixels: i32, channelsPadded: i32, channels: i32, scale: usize, out: usize): void {
  if (ASC_FEATURE_SIMD) qu8_requant_s8__simd128(acc, pixels, channelsPadded, channels, scale, out);
  else qu8_requant_s8__scalar(acc, pixels, channelsPadded, channels, scale, out);
}
