// f32_normalize_u8: the network input, u8 RGB -> f32 in [-1, 1] as MediaPipe feeds BlazeFace
// (ImageToTensorCalculator, output range [-1, 1]):  out[i] = f32(in[i]) / 127.5 - 1.
//
// Both variants do the same two IEEE f32 operations per value (one correctly rounded division,
// one subtraction), so they agree bit for bit; 0 -> -1, 255 -> 1 exactly.
// Preconditions: count % 8 == 0 (the engine converts 128x128x3 = 49152 values); no alignment.

/** Scalar spec. */
export function f32_normalize_u8__scalar(input: usize, count: i32, out: usize): void {
  for (let i = 0; i < count; i++) {
    store<f32>(out + (<usize>i << 2), <f32>load<u8>(input + <usize>i) / <f32>127.5 - <f32>1);
  }
}

/** simd128 variant, same signature and result: 8 values per step (u8 -> u16 -> u32 -> f32). */
export function f32_normalize_u8__simd128(input: usize, count: i32, out: usize): void {
  const half = f32x4.splat(127.5);
  const one = f32x4.splat(1);
  for (let i = 0; i < count; i += 8) {
    const wide = v128.load8x8_u(input + <usize>i);
    const lo = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(wide));
    const hi = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(wide));
    const o = out + (<usize>i << 2);
    v128.store(o, f32x4.sub(f32x4.div(lo, half), one));
    v128.store(o, f32x4.sub(f32x4.div(hi, half), one), 16);
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_normalize_u8(input: usize, count: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) f32_normalize_u8__simd128(input, count, out);
  else f32_normalize_u8__scalar(input, count, out);
}
