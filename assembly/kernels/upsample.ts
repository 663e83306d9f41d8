// The int8 YuNet's neck merge (the contract: docs/detector.md),
// libfacedetection's elementAdd(upsampleX2(coarse), fine): u8 coarse (scales a[C]) upsampled 2x
// nearest + u8 fine (scales b[C]) -> u8 out (scales s[C]).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   t1 = f32(coarse[(x >> 1)*C + ch]) * coarseScale[ch]     (coarseScale[ch] = a[ch] / s[ch])
//   t2 = f32(fine[x*C + ch]) * fineScale[ch]                (fineScale[ch] = b[ch] / s[ch])
//   out[x*C + ch] = requant(t1 + t2, 0, 255)                (each op one f32 rounding, this order)
// Layouts: coarse u8 [ceil(width/2)][C] (its row oy >> 1), fine and out u8 [width][C];
// coarseScale, fineScale f32[C].
// Preconditions: width >= 1 (the output width; YuNet's are even); C >= 1; `out` may be `fine`
// (in place), not `coarse`; no alignment; writes exactly width*C bytes.

import { requant_f32__scalar, requant_u8x16__simd128 } from "./quant";

/** One output value (the scalar spec's body; also the simd128 kernel's channel tail). */
// @ts-ignore: decorator
@inline function upaddOne(coarse: usize, fine: usize, coarseScale: usize, fineScale: usize, out: usize, C: usize, x: usize, c: usize): void {
  const i = x * C + c;
  const t1 = <f32>load<u8>(coarse + (x >> 1) * C + c) * load<f32>(coarseScale + (c << 2));
  const t2 = <f32>load<u8>(fine + i) * load<f32>(fineScale + (c << 2));
  store<u8>(out + i, requant_f32__scalar(t1 + t2, <f32>0, <f32>255));
}

/** Scalar spec. */
export function qu8_upsample2x_add_requant_u8__scalar(
  coarse: usize, fine: usize, width: i32, channels: i32, coarseScale: usize, fineScale: usize, out: usize,
): void {
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < channels; c++) upaddOne(coarse, fine, coarseScale, fineScale, out, <usize>channels, <usize>x, <usize>c);
  }
}

/** The 4 f32x4 of 16 u8 (exact conversions). */
// @ts-ignore: decorator
@inline function u8x16ToF32(v: v128, k: i32): v128 {
  const h = k < 2 ? i16x8.extend_low_i8x16_u(v) : i16x8.extend_high_i8x16_u(v);
  return f32x4.convert_i32x4_s((k & 1) == 0 ? i32x4.extend_low_i16x8_u(h) : i32x4.extend_high_i16x8_u(h));
}

/** t1 + t2 for one quarter (k) of 16 channels: t = the coarse term, f = the 16 fine bytes. */
// @ts-ignore: decorator
@inline function upaddQuarter(t: v128, f: v128, k: i32, kb: v128): v128 {
  return f32x4.add(t, f32x4.mul(u8x16ToF32(f, k), kb));
}

/**
 * simd128 variant, same signature and result: 16 channels per step, the block's 8 scale vectors
 * in registers across the row; t1 of a coarse pixel is computed once for its two output pixels.
 * The C % 16 channels with the scalar's code.
 */
export function qu8_upsample2x_add_requant_u8__simd128(
  coarse: usize, fine: usize, width: i32, channels: i32, coarseScale: usize, fineScale: usize, out: usize,
): void {
  const C = <usize>channels;
  const by16 = C & ~(<usize>15);
  const pairs = <usize>(width >> 1);
  for (let c: usize = 0; c < by16; c += 16) {
    const ka = coarseScale + (c << 2), kb = fineScale + (c << 2);
    const ka0 = v128.load(ka), ka1 = v128.load(ka, 16), ka2 = v128.load(ka, 32), ka3 = v128.load(ka, 48);
    const kb0 = v128.load(kb), kb1 = v128.load(kb, 16), kb2 = v128.load(kb, 32), kb3 = v128.load(kb, 48);
    for (let p: usize = 0; p < pairs; p++) {
      const cv = v128.load(coarse + p * C + c);
      const t0 = f32x4.mul(u8x16ToF32(cv, 0), ka0), t1 = f32x4.mul(u8x16ToF32(cv, 1), ka1);
      const t2 = f32x4.mul(u8x16ToF32(cv, 2), ka2), t3 = f32x4.mul(u8x16ToF32(cv, 3), ka3);
      const i = (p << 1) * C + c;
      let f = v128.load(fine + i);
      v128.store(out + i, requant_u8x16__simd128(
        upaddQuarter(t0, f, 0, kb0), upaddQuarter(t1, f, 1, kb1), upaddQuarter(t2, f, 2, kb2), upaddQuarter(t3, f, 3, kb3)));
      f = v128.load(fine + i + C);
      v128.store(out + i + C, requant_u8x16__simd128(
        upaddQuarter(t0, f, 0, kb0), upaddQuarter(t1, f, 1, kb1), upaddQuarter(t2, f, 2, kb2), upaddQuarter(t3, f, 3, kb3)));
    }
  }
  for (let x: usize = 0; x < <usize>width; x++) {
    // An odd width's last pixel takes every channel here; otherwise only the C % 16 ones.
    for (let c = x < 2 * pairs ? by16 : 0; c < C; c++) upaddOne(coarse, fine, coarseScale, fineScale, out, C, x, c);
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function qu8_upsample2x_add_requant_u8(
  coarse: usize, fine: usize, width: i32, channels: i32, coarseScale: usize, fineScale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) qu8_upsample2x_add_requant_u8__simd128(coarse, fine, width, channels, coarseScale, fineScale, out);
  else qu8_upsample2x_add_requant_u8__scalar(coarse, fine, width, channels, coarseScale, fineScale, out);
}
