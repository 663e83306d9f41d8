// u8_maxpool2x2: one output row of a 2x2 stride-2 max pool of a u8 map (the int8 YuNet's max
// pools; the scale passes through unchanged).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[ox*C + c] = max(top(2ox, c), top(2ox+1, c), bottom(2ox, c), bottom(2ox+1, c))
// Layouts: top (input row 2oy) and bottom (row 2oy + 1), u8 [width][C]; out u8 [width/2][C].
// Preconditions: width even, >= 2; C >= 1; no alignment; writes exactly (width/2)*C bytes.

/** Scalar spec. */
export function u8_maxpool2x2__scalar(top: usize, bottom: usize, width: i32, channels: i32, out: usize): void {
  for (let ox = 0; ox < width >> 1; ox++) {
    for (let c = 0; c < channels; c++) {
      const i = <usize>(2 * ox * channels + c);
      const j = i + <usize>channels;
      const m = max(max(load<u8>(top + i), load<u8>(top + j)), max(load<u8>(bottom + i), load<u8>(bottom + j)));
      store<u8>(out + <usize>(ox * channels + c), m);
    }
  }
}

/** simd128 variant, same signature and result: 16 channels per i8x16.max_u step, then 8 (64-bit lanes), then the scalar's code. */
export function u8_maxpool2x2__simd128(top: usize, bottom: usize, width: i32, channels: i32, out: usize): void {
  const C = <usize>channels;
  const by16 = C & ~(<usize>15);
  for (let ox = 0; ox < width >> 1; ox++) {
    const t = top + <usize>(2 * ox) * C;
    const b = bottom + <usize>(2 * ox) * C;
    const dst = out + <usize>ox * C;
    let c: usize = 0;
    for (; c < by16; c += 16) {
      const m = i8x16.max_u(i8x16.max_u(v128.load(t + c), v128.load(t + C + c)), i8x16.max_u(v128.load(b + c), v128.load(b + C + c)));
      v128.store(dst + c, m);
    }
    if (c + 8 <= C) {
      const m = i8x16.max_u(
        i8x16.max_u(v128.load64_zero(t + c), v128.load64_zero(t + C + c)),
        i8x16.max_u(v128.load64_zero(b + c), v128.load64_zero(b + C + c)),
      );
      v128.store64_lane(dst + c, m, 0);
      c += 8;
    }
    for (; c < C; c++) {
      store<u8>(dst + c, max(max(load<u8>(t + c), load<u8>(t + C + c)), max(load<u8>(b + c), load<u8>(b + C + c))));
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function u8_maxpool2x2(top: usize, bottom: usize, width: i32, channels: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) u8_maxpool2x2__simd128(top, bottom, width, channels, out);
  else u8_maxpool2x2__scalar(top, bottom, width, channels, out);
}
