// Area resampling kernels for the letterbox (assembly/detector/letterbox.ts): every output pixel is
// the mean of the image area it covers, as the sum over image pixels of (overlap x value).
//
// - f32_area_row: one row segment of RGBA u8 image pixels -> horizontal sums in LINE (f32 RGBA per
//   output column u in [from, to)). Per column the table gives the image pixels lying wholly inside
//   it, [full0, full1), and up to two pixels it covers in part (left, right; index -1 for none)
//   with their overlaps wl, wr (in output pixels):
//     line[u] = ((f32(Σ_full pixel) * scale) + wl * f32(left)) + wr * f32(right)
//   the whole pixels summed exactly in u32 (each covers `scale` output pixels), the two products
//   added in that order. When enlarging (scale > 1) no pixel is whole and only the two parts count.
// - f32_area_accumulate: line -> one accumulator row: acc[u] += wy * line[u] for u in [from, to).
//
// Contract (the scalar kernels are the spec; the simd128 kernels match them bit for bit): the
// same f32 operations per channel in the same order; alpha is carried along (and ignored by the
// caller), so one pixel is one f32x4 (or u32x4) in the simd128 form.
// Layouts: row u8 RGBA; table 24 bytes per output column u (at table + 24u): i32 full0, i32 full1,
// i32 left, f32 wl, i32 right, f32 wr (pixel indices into the row); line and acc rows f32 [128][4].
// Bound: Σ_full < 2^32 per channel (255 x 16.8 M pixels). No alignment needed.

/** Byte size of one column entry of the table. */
export const AREA_COLUMN_BYTES: i32 = 24;

/** Scalar spec of the horizontal pass. */
export function f32_area_row__scalar(row: usize, table: usize, from: i32, to: i32, scale: f32, line: usize): void {
  for (let u = from; u < to; u++) {
    const entry = table + <usize>(u * AREA_COLUMN_BYTES);
    const full1 = load<i32>(entry, 4);
    const left = load<i32>(entry, 8);
    const right = load<i32>(entry, 16);
    for (let c: usize = 0; c < 4; c++) {
      let sum: u32 = 0;
      for (let i = load<i32>(entry); i < full1; i++) sum += <u32>load<u8>(row + (<usize>i << 2) + c);
      let v = <f32>sum * scale;
      if (left >= 0) v += load<f32>(entry, 12) * <f32>load<u8>(row + (<usize>left << 2) + c);
      if (right >= 0) v += load<f32>(entry, 20) * <f32>load<u8>(row + (<usize>right << 2) + c);
      store<f32>(line + (<usize>(u * 4) << 2) + (c << 2), v);
    }
  }
}

/** One RGBA u8 pixel as u32x4. */
// @ts-ignore: decorator
@inline function pixelU32(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/** simd128 variant of the horizontal pass, same signature and result: one pixel is one u32x4 / f32x4. */
export function f32_area_row__simd128(row: usize, table: usize, from: i32, to: i32, scale: f32, line: usize): void {
  const s = f32x4.splat(scale);
  for (let u = from; u < to; u++) {
    const entry = table + <usize>(u * AREA_COLUMN_BYTES);
    const full1 = load<i32>(entry, 4);
    const left = load<i32>(entry, 8);
    const right = load<i32>(entry, 16);
    let i = load<i32>(entry);
    let sum = i32x4.splat(0);
    // Two pixels per step: one 8-byte load, widened to u16 then u32.
    for (; i + 1 < full1; i += 2) {
      const two = i16x8.extend_low_i8x16_u(v128.load64_zero(row + (<usize>i << 2)));
      sum = i32x4.add(sum, i32x4.add(i32x4.extend_low_i16x8_u(two), i32x4.extend_high_i16x8_u(two)));
    }
    if (i < full1) sum = i32x4.add(sum, pixelU32(row + (<usize>i << 2)));
    let v = f32x4.mul(f32x4.convert_i32x4_u(sum), s);
    if (left >= 0) v = f32x4.add(v, f32x4.mul(v128.load32_splat(entry + 12), f32x4.convert_i32x4_u(pixelU32(row + (<usize>left << 2)))));
    if (right >= 0) v = f32x4.add(v, f32x4.mul(v128.load32_splat(entry + 20), f32x4.convert_i32x4_u(pixelU32(row + (<usize>right << 2)))));
    v128.store(line + (<usize>u << 4), v);
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_area_row(row: usize, table: usize, from: i32, to: i32, scale: f32, line: usize): void {
  if (ASC_FEATURE_SIMD) f32_area_row__simd128(row, table, from, to, scale, line);
  else f32_area_row__scalar(row, table, from, to, scale, line);
}

/** Scalar spec of the vertical pass. */
export function f32_area_accumulate__scalar(line: usize, from: i32, to: i32, wy: f32, acc: usize): void {
  for (let i = from << 2; i < to << 2; i++) {
    const p = acc + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + wy * load<f32>(line + (<usize>i << 2)));
  }
}

/** simd128 variant of the vertical pass, same signature and result. */
export function f32_area_accumulate__simd128(line: usize, from: i32, to: i32, wy: f32, acc: usize): void {
  const w = f32x4.splat(wy);
  for (let u = from; u < to; u++) {
    const p = acc + (<usize>u << 4);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(w, v128.load(line + (<usize>u << 4)))));
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_area_accumulate(line: usize, from: i32, to: i32, wy: f32, acc: usize): void {
  if (ASC_FEATURE_SIMD) f32_area_accumulate__simd128(line, from, to, wy, acc);
  else f32_area_accumulate__scalar(line, from, to, wy, acc);
}
