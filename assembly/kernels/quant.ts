// The one requantization routine of the engine (scalar f32 form + simd128 f32x4 form).
//
// Every epilogue that turns an int32 accumulator into a quantized value does
//
//   q = requant(f32(acc) * scale[c], qmin, qmax)
//
// where the convert and the multiply are done by the caller (one rounding each, identical in the
// scalar and simd128 kernels) and `requant` is the function below.
//
// Rounding rule (the only one in the engine):
//   1. clamp to [qmin, qmax]      f32.max / f32.min        (qmin, qmax are integers held as f32)
//   2. round half to even          f32.nearest              (IEEE-754 roundTiesToEven: 2.5 -> 2, 3.5 -> 4, -0.5 -> -0)
//   3. convert to i32              i32.trunc_sat_f32_s      (exact: the value is already an integer in [qmin, qmax])
// Clamping before rounding gives the same result as rounding first, because the bounds are
// integers; doing it first keeps step 3 exact for any input, however large.
//
// Why f32 and not a fixed-point multiplier + shift (TFLM): wasm has f32x4.nearest and
// i32x4.trunc_sat_f32x4_s, so the f32 path is 4 wasm instructions per 4 lanes (max, min, nearest,
// trunc_sat) and bit-identical between the two forms (each lane op is exactly the IEEE op the
// scalar form performs). It is XNNPACK's wasm fp32 choice without the magic-bias rounding trick:
// f32.nearest / f32x4.nearest already round half to even in one instruction (roundss/roundps,
// frintn), and they exist in the scalar ISA too, so both forms share one rounding primitive.
//
// Bit-exactness rules for callers:
// - Keep every scalar value typed f32 (an unsuffixed literal in AS is f64: write <f32>255).
// - No relaxed-simd (relaxed_madd etc. may fuse or not depending on the engine).
// - NaN (only possible from a non-finite scale) propagates through min/max the same way in both
//   forms and trunc_sat maps it to 0 in both, so even garbage in gives identical garbage out.

/** Requantize one value: clamp to [qmin, qmax], round half to even, convert to i32. */
// @ts-ignore: decorator
@inline
export function requant_f32__scalar(value: f32, qmin: f32, qmax: f32): i32 {
  // <i32> on an f32 compiles to i32.trunc_sat_f32_s (nontrapping-f2i is on by default in asc 0.28).
  return <i32>f32.nearest(min<f32>(max<f32>(value, qmin), qmax));
}

/** Requantize four f32 lanes: the lane-wise form of requant_f32__scalar. qmin, qmax are splats. */
// @ts-ignore: decorator
@inline
export function requant_f32__simd128(value: v128, qmin: v128, qmax: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.min(f32x4.max(value, qmin), qmax)));
}

// Narrowing forms (simd128) for u8 / s8 outputs: the same function as requant_f32__simd128 with
// [qmin, qmax] = [0, 255] or [-128, 127], lane for lane, for every input, NaN included. V8 lowers
// f32x4.min / f32x4.max to ~8 instructions each (NaN and signed-zero rules) and
// i32x4.trunc_sat_f32x4_s to ~7; these forms avoid them.
//
// u8: round_u8(v) = bits(pmin(255, pmax(0, v)) + 1.5*2^23) - bits(1.5*2^23)
// - pmax(0, v) = (0 < v ? v : 0) and pmin(255, x) = (x < 255 ? x : 255) are one maxps / minps
//   each; together they are the clamp, and NaN and -0 give +0 (requant_f32: NaN -> trunc_sat 0);
// - for x in [0, 255], x + 1.5*2^23 lies in [2^23, 2^24), where f32 spacing is 1: the add rounds
//   x to an integer, half to even (1.5*2^23 is even), exactly f32.nearest; the low mantissa bits
//   minus those of 1.5*2^23 are that integer (XNNPACK's magic bias).
// s8: round_s8(v) = trunc_sat(nearest(v)), clamped by the saturating narrows below
// - v >= 127: nearest(v) >= 127 (rounding is monotonic, 127 an integer); trunc_sat and the narrows
//   are monotonic and saturate -> 127; v <= -128 likewise; in between nearest(v) is exact through
//   trunc_sat and the narrows; NaN: trunc_sat gives 0, as requant_f32 does.
// The narrows: i16x8.narrow_i32x4_s then i8x16.narrow_i16x8_u (u8) / _s (s8), one packssdw and
// one packuswb / packsswb each, needed to store bytes anyway.

// @ts-ignore: decorator
@inline const MAGIC: f32 = 12582912; // 1.5 * 2^23
// @ts-ignore: decorator
@inline const MAGIC_BITS: i32 = 0x4b400000;

/** requant_f32__simd128(v, 0, 255) as i32 lanes, without f32x4.min/max or trunc_sat. */
// @ts-ignore: decorator
@inline
function round_u8__simd128(v: v128): v128 {
  const x = f32x4.pmin(f32x4.splat(255), f32x4.pmax(f32x4.splat(0), v));
  return i32x4.sub(f32x4.add(x, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
}

/**
 * requant_f32__simd128(v, -128, 127) as i32 lanes for any v but NaN, in 3 instructions:
 * pmax(v, -128) + 1.5*2^23 lies in [2^23, 2^24) up to 127.5, where the add rounds as f32.nearest
 * and its bits minus those of 1.5*2^23 are that integer; above (to +inf) the bits grow
 * monotonically, so the saturating narrows give 127. A NaN lane would give garbage: for callers
 * whose scales cannot make one (conv1x1-requant.ts sanitizes them).
 */
// @ts-ignore: decorator
@inline
function round_s8_finite__simd128(v: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.pmax(v, f32x4.splat(-128)), f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
}

/** nearest + trunc_sat of four lanes (no clamp: the caller's saturating narrow clamps). */
// @ts-ignore: decorator
@inline
function round_s8__simd128(v: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(v));
}

/** requant_f32__simd128(v, 0, 255) of 16 lanes (v0 = lanes 0..3, ...), as 16 u8. */
// @ts-ignore: decorator
@inline
export function requant_u8x16__simd128(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return i8x16.narrow_i16x8_u(
    i16x8.narrow_i32x4_s(round_u8__simd128(v0), round_u8__simd128(v1)),
    i16x8.narrow_i32x4_s(round_u8__simd128(v2), round_u8__simd128(v3)),
  );
}

/** requant_f32__simd128(v, -128, 127) of 16 lanes, as 16 s8. */
// @ts-ignore: decorator
@inline
export function requant_s8x16__simd128(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(round_s8__simd128(v0), round_s8__simd128(v1)),
    i16x8.narrow_i32x4_s(round_s8__simd128(v2), round_s8__simd128(v3)),
  );
}

/** requant_s8x16__simd128 for lanes that are never NaN (round_s8_finite__simd128: ~3x fewer instructions). */
// @ts-ignore: decorator
@inline
export function requant_s8x16_finite__simd128(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(round_s8_finite__simd128(v0), round_s8_finite__simd128(v1)),
    i16x8.narrow_i32x4_s(round_s8_finite__simd128(v2), round_s8_finite__simd128(v3)),
  );
}

/** requant_f32__simd128(v, 0, 255) of 8 lanes, as u8 in bytes 0..7 (bytes 8..15 repeat them). */
// @ts-ignore: decorator
@inline
export function requant_u8x8__simd128(v0: v128, v1: v128): v128 {
  const h = i16x8.narrow_i32x4_s(round_u8__simd128(v0), round_u8__simd128(v1));
  return i8x16.narrow_i16x8_u(h, h);
}

/** requant_f32__simd128(v, 0, 255) of 4 lanes, as u8 in bytes 0..3. */
// @ts-ignore: decorator
@inline
export function requant_u8x4__simd128(v: v128): v128 {
  const r = round_u8__simd128(v);
  const h = i16x8.narrow_i32x4_s(r, r);
  return i8x16.narrow_i16x8_u(h, h);
}

/** requant_f32__simd128(v, -128, 127) of 4 lanes, as s8 in bytes 0..3. */
// @ts-ignore: decorator
@inline
export function requant_s8x4__simd128(v: v128): v128 {
  const r = round_s8__simd128(v);
  const h = i16x8.narrow_i32x4_s(r, r);
  return i8x16.narrow_i16x8_s(h, h);
}

/** requant_s8x4__simd128 for lanes that are never NaN. */
// @ts-ignore: decorator
@inline
export function requant_s8x4_finite__simd128(v: v128): v128 {
  const r = round_s8_finite__simd128(v);
  const h = i16x8.narrow_i32x4_s(r, r);
  return i8x16.narrow_i16x8_s(h, h);
}
