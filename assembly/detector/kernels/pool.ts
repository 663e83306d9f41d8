// f32_maxpool2x2: one output row of a 2x2 stride-2 max pooling (the residual path of BlazeFace's
// strided blocks: MaxPool 2x2/2, 'SAME' on an even size, so no padding).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[ox*C + c] = max(max(in(2oy, 2ox, c), in(2oy, 2ox+1, c)), max(in(2oy+1, 2ox, c), in(2oy+1, 2ox+1, c)))
//   with wasm's f32.max / f32x4.max (same IEEE semantics lane by lane).
// Layouts: input f32 HWC (inWidth x C per row), `input` points at row 2*oy; out f32 [inWidth/2][C].
// Preconditions: C % 4 == 0; inWidth even; no alignment needed.

/** Scalar spec. */
export function f32_maxpool2x2__scalar(input: usize, inWidth: i32, channels: i32, out: usize): void {
  const row = <usize>(inWidth * channels) << 2;
  for (let ox = 0; ox < inWidth >> 1; ox++) {
    for (let c = 0; c < channels; c++) {
      const p = input + (<usize>(2 * ox * channels + c) << 2);
      const q = p + (<usize>channels << 2);
      const top = max<f32>(load<f32>(p), load<f32>(q));
      const bottom = max<f32>(load<f32>(p + row), load<f32>(q + row));
      store<f32>(out + (<usize>(ox * channels + c) << 2), max<f32>(top, bottom));
    }
  }
}

/** simd128 variant, same signature and result: 4 channels per step. */
export function f32_maxpool2x2__simd128(input: usize, inWidth: i32, channels: i32, out: usize): void {
  const row = <usize>(inWidth * channels) << 2;
  const pixel = <usize>channels << 2;
  for (let ox = 0; ox < inWidth >> 1; ox++) {
    const p = input + <usize>(2 * ox) * pixel;
    const dst = out + <usize>ox * pixel;
    for (let c: usize = 0; c < pixel; c += 16) {
      const top = f32x4.max(v128.load(p + c), v128.load(p + pixel + c));
      const bottom = f32x4.max(v128.load(p + row + c), v128.load(p + row + pixel + c));
      v128.store(dst + c, f32x4.max(top, bottom));
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_maxpool2x2(input: usize, inWidth: i32, channels: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) f32_maxpool2x2__simd128(input, inWidth, channels, out);
  else f32_maxpool2x2__scalar(input, inWidth, channels, out);
}
