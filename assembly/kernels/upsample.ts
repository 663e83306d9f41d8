// f32_upsample2x_add: one row of YuNet's neck merge, nearest-neighbour 2x upsampling of the
// coarser map plus the finer map (libfacedetection's elementAdd(upsampleX2(coarse), fine)).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[x*C + c] = coarse[(x >> 1)*C + c] + fine[x*C + c]   (one f32 add)
// Layouts: coarse f32 [width/2][C] (its row oy >> 1), fine and out f32 [width][C].
// Preconditions: C % 4 == 0; width even; `out` may be `fine` (in place), not `coarse`.

/** Scalar spec. */
export function f32_upsample2x_add__scalar(coarse: usize, fine: usize, width: i32, channels: i32, out: usize): void {
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < channels; c++) {
      const i = <usize>(x * channels + c) << 2;
      store<f32>(out + i, load<f32>(coarse + (<usize>((x >> 1) * channels + c) << 2)) + load<f32>(fine + i));
    }
  }
}

/** simd128 variant, same signature and result: 4 channels per step. */
export function f32_upsample2x_add__simd128(coarse: usize, fine: usize, width: i32, channels: i32, out: usize): void {
  const pixel = <usize>channels << 2;
  for (let x = 0; x < width; x++) {
    const src = coarse + <usize>(x >> 1) * pixel;
    const i = <usize>x * pixel;
    for (let c: usize = 0; c < pixel; c += 16) {
      v128.store(out + i + c, f32x4.add(v128.load(src + c), v128.load(fine + i + c)));
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_upsample2x_add(coarse: usize, fine: usize, width: i32, channels: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) f32_upsample2x_add__simd128(coarse, fine, width, channels, out);
  else f32_upsample2x_add__scalar(coarse, fine, width, channels, out);
}
