// f32_maxpool2x2: one output row of a 2x2 stride-2 max pooling of an f32 map with an even width
// (libfacedetection's maxpooling2x2S2 on its even, 32-padded maps).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[ox*C + c] = max(max(max(r0(2ox, c), r0(2ox+1, c)), r1(2ox, c)), r1(2ox+1, c))
//   in libfacedetection's element order, with wasm's f32.max / f32x4.max (same IEEE semantics
//   lane by lane).
// Layouts: rows r0 (input row 2oy) and r1 (row 2oy + 1), f32 [inWidth][C]; out f32 [inWidth/2][C].
// Preconditions: C % 4 == 0; inWidth even; no alignment needed.

/** Scalar spec. */
export function f32_maxpool2x2__scalar(row0: usize, row1: usize, inWidth: i32, channels: i32, out: usize): void {
  for (let ox = 0; ox < inWidth >> 1; ox++) {
    for (let c = 0; c < channels; c++) {
      const i = <usize>(2 * ox * channels + c) << 2;
      const j = i + (<usize>channels << 2);
      const m = max<f32>(max<f32>(max<f32>(load<f32>(row0 + i), load<f32>(row0 + j)), load<f32>(row1 + i)), load<f32>(row1 + j));
      store<f32>(out + (<usize>(ox * channels + c) << 2), m);
    }
  }
}

/** simd128 variant, same signature and result: 4 channels per step. */
export function f32_maxpool2x2__simd128(row0: usize, row1: usize, inWidth: i32, channels: i32, out: usize): void {
  const pixel = <usize>channels << 2;
  for (let ox = 0; ox < inWidth >> 1; ox++) {
    const i = <usize>(2 * ox) * pixel;
    const dst = out + <usize>ox * pixel;
    for (let c: usize = 0; c < pixel; c += 16) {
      const top = f32x4.max(v128.load(row0 + i + c), v128.load(row0 + i + pixel + c));
      v128.store(dst + c, f32x4.max(f32x4.max(top, v128.load(row1 + i + c)), v128.load(row1 + i + pixel + c)));
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_maxpool2x2(row0: usize, row1: usize, inWidth: i32, channels: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) f32_maxpool2x2__simd128(row0, row1, inWidth, channels, out);
  else f32_maxpool2x2__scalar(row0, row1, inWidth, channels, out);
}
