// One output row of a 3x3 depthwise convolution, stride 1, one zero pixel of padding on each
// side, + bias, with or without relu (libfacedetection's convolution_3x3depthwise):
// - f32_dwconv3x3_bias_relu: the backbone and neck (convolutionDP with relu);
// - f32_dwconv3x3_bias: the detection heads.
//
// Contract (the scalar kernels are the spec; the simd128 kernels match them bit for bit):
//   sum = Σ row_ky(ox + kx - 1, c) * w[ky*3 + kx][c]   over the taps inside the map only,
//         in f32 from 0, ky then kx ascending, one rounding per multiply and per add (no FMA);
//   out[ox*C + c] = sum + bias[c]  (then max(·, 0) for _relu)
//   where row_0, row_1, row_2 are the input rows oy - 1, oy, oy + 1. Padding taps are skipped,
//   never added as zeros, in both forms.
//
// Rows come as three pointers so a caller may keep them anywhere (a whole tensor or a ring of
// rows); `above` / `below` = 0 means that row is padding (top and bottom output rows).
// Layouts: each row f32 [width][C]; weights f32 [9][C] (tap-major, libfacedetection's order);
// bias f32[C]; out f32 [width][C].
// Preconditions: width >= 1, C >= 1 (C % 4 tail in the simd128 form); no alignment needed;
// `out` does not overlap the input rows.

/** Scalar spec of both kernels (`relu` is a compile-time constant at each call site). */
// @ts-ignore: decorator
@inline function dw__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize, relu: bool,
): void {
  for (let ox = 0; ox < width; ox++) {
    for (let c = 0; c < channels; c++) {
      let v = dwOne(above, row, below, width, channels, weights, ox, c) + load<f32>(bias + (<usize>c << 2));
      if (relu) v = max<f32>(v, 0);
      store<f32>(out + (<usize>(ox * channels + c) << 2), v);
    }
  }
}

/** The scalar sum of one output (also the simd128 kernels' channel tail). */
// @ts-ignore: decorator
@inline function dwOne(above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, ox: i32, c: i32): f32 {
  const kx0 = ox == 0 ? 1 : 0;
  const kx1 = ox == width - 1 ? 2 : 3;
  let sum: f32 = 0;
  for (let ky = 0; ky < 3; ky++) {
    const r = ky == 0 ? above : ky == 1 ? row : below;
    if (r == 0) continue;
    for (let kx = kx0; kx < kx1; kx++) {
      sum += load<f32>(r + (<usize>((ox + kx - 1) * channels + c) << 2)) *
        load<f32>(weights + (<usize>((ky * 3 + kx) * channels + c) << 2));
    }
  }
  return sum;
}

/**
 * simd128 form of both kernels. Per 4-channel block: when all three rows exist, the 9 weight
 * vectors stay in registers while the interior pixels (all taps inside) are walked two at a time
 * (two independent chains); edge pixels and padding rows take the generic per-pixel path, which
 * skips taps like the scalar. The C % 4 channels of interior pixels run 4 pixels per vector (lanes
 * = pixels), the rest of them with the scalar's code.
 * Relu is f32x4.pmax(v, 0) = (v < 0 ? 0 : v): one maxps in V8, where f32x4.max's NaN and
 * signed-zero rules cost ~8 instructions. Same bits as max(v, 0): v = sum + bias is never -0 (the
 * sum starts at +0, and round-to-nearest gives -0 only for -0 + -0), and a NaN stays a NaN.
 */
// @ts-ignore: decorator
@inline function dw__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize, relu: bool,
): void {
  const pixel = <usize>(channels << 2);
  const zero = f32x4.splat(0);
  const by4 = <usize>(channels & ~3) << 2;
  const full = above != 0 && below != 0 && width >= 3;
  for (let c: usize = 0; c < by4; c += 16) {
    const w = weights + c;
    const b = v128.load(bias + c);
    if (!full) {
      for (let ox = 0; ox < width; ox++) dwPixel__simd128(above, row, below, width, pixel, w, b, out, ox, c, relu);
      continue;
    }
    dwPixel__simd128(above, row, below, width, pixel, w, b, out, 0, c, relu);
    dwPixel__simd128(above, row, below, width, pixel, w, b, out, width - 1, c, relu);
    const w00 = v128.load(w), w01 = v128.load(w + pixel), w02 = v128.load(w + 2 * pixel);
    const w10 = v128.load(w + 3 * pixel), w11 = v128.load(w + 4 * pixel), w12 = v128.load(w + 5 * pixel);
    const w20 = v128.load(w + 6 * pixel), w21 = v128.load(w + 7 * pixel), w22 = v128.load(w + 8 * pixel);
    // r0, r1, r2: tap kx = 0 of output pixel ox in each row.
    let r0 = above + c, r1 = row + c, r2 = below + c;
    let dst = out + pixel + c;
    let ox = 1;
    for (; ox + 1 < width - 1; ox += 2) {
      let a = f32x4.add(zero, f32x4.mul(v128.load(r0), w00));
      let e = f32x4.add(zero, f32x4.mul(v128.load(r0 + pixel), w00));
      a = f32x4.add(a, f32x4.mul(v128.load(r0 + pixel), w01));
      e = f32x4.add(e, f32x4.mul(v128.load(r0 + 2 * pixel), w01));
      a = f32x4.add(a, f32x4.mul(v128.load(r0 + 2 * pixel), w02));
      e = f32x4.add(e, f32x4.mul(v128.load(r0 + 3 * pixel), w02));
      a = f32x4.add(a, f32x4.mul(v128.load(r1), w10));
      e = f32x4.add(e, f32x4.mul(v128.load(r1 + pixel), w10));
      a = f32x4.add(a, f32x4.mul(v128.load(r1 + pixel), w11));
      e = f32x4.add(e, f32x4.mul(v128.load(r1 + 2 * pixel), w11));
      a = f32x4.add(a, f32x4.mul(v128.load(r1 + 2 * pixel), w12));
      e = f32x4.add(e, f32x4.mul(v128.load(r1 + 3 * pixel), w12));
      a = f32x4.add(a, f32x4.mul(v128.load(r2), w20));
      e = f32x4.add(e, f32x4.mul(v128.load(r2 + pixel), w20));
      a = f32x4.add(a, f32x4.mul(v128.load(r2 + pixel), w21));
      e = f32x4.add(e, f32x4.mul(v128.load(r2 + 2 * pixel), w21));
      a = f32x4.add(a, f32x4.mul(v128.load(r2 + 2 * pixel), w22));
      e = f32x4.add(e, f32x4.mul(v128.load(r2 + 3 * pixel), w22));
      a = f32x4.add(a, b);
      e = f32x4.add(e, b);
      if (relu) {
        a = f32x4.pmax(a, zero);
        e = f32x4.pmax(e, zero);
      }
      v128.store(dst, a);
      v128.store(dst + pixel, e);
      r0 += 2 * pixel;
      r1 += 2 * pixel;
      r2 += 2 * pixel;
      dst += 2 * pixel;
    }
    if (ox < width - 1) dwPixel__simd128(above, row, below, width, pixel, w, b, out, ox, c, relu);
  }
  for (let c = channels & ~3; c < channels; c++) {
    const cb = <usize>c << 2;
    let ox = 0;
    if (full) {
      // Interior pixels four at a time with lanes = pixels (the heads' C = 1 and the 2 of C = 10).
      for (ox = 1; ox + 3 < width - 1; ox += 4) {
        let acc = zero;
        for (let ky = 0; ky < 3; ky++) {
          const r = (ky == 0 ? above : ky == 1 ? row : below) + <usize>(ox - 1) * pixel + cb;
          const wk = weights + <usize>(ky * 3) * pixel + cb;
          acc = f32x4.add(acc, f32x4.mul(pixels4(r, pixel), v128.load32_splat(wk)));
          acc = f32x4.add(acc, f32x4.mul(pixels4(r + pixel, pixel), v128.load32_splat(wk + pixel)));
          acc = f32x4.add(acc, f32x4.mul(pixels4(r + 2 * pixel, pixel), v128.load32_splat(wk + 2 * pixel)));
        }
        acc = f32x4.add(acc, v128.load32_splat(bias + cb));
        if (relu) acc = f32x4.pmax(acc, zero);
        const dst = out + <usize>ox * pixel + cb;
        v128.store32_lane(dst, acc, 0);
        v128.store32_lane(dst + pixel, acc, 1);
        v128.store32_lane(dst + 2 * pixel, acc, 2);
        v128.store32_lane(dst + 3 * pixel, acc, 3);
      }
      dwTailPixel(above, row, below, width, channels, weights, bias, out, 0, c, relu);
    }
    for (; ox < width; ox++) dwTailPixel(above, row, below, width, channels, weights, bias, out, ox, c, relu);
  }
}

/** Channel c of 4 consecutive pixels from a (a pixel is `pixel` bytes): one load when C = 1. */
// @ts-ignore: decorator
@inline function pixels4(a: usize, pixel: usize): v128 {
  if (pixel == 4) return v128.load(a);
  let v = v128.load32_zero(a);
  v = v128.load32_lane(a + pixel, v, 1);
  v = v128.load32_lane(a + 2 * pixel, v, 2);
  return v128.load32_lane(a + 3 * pixel, v, 3);
}

/** Output pixel ox, channel c, with the scalar's code. */
// @ts-ignore: decorator
@inline function dwTailPixel(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize, ox: i32, c: i32, relu: bool,
): void {
  let v = dwOne(above, row, below, width, channels, weights, ox, c) + load<f32>(bias + (<usize>c << 2));
  if (relu) v = max<f32>(v, 0);
  store<f32>(out + (<usize>(ox * channels + c) << 2), v);
}

/** The generic simd128 path: output pixel ox, channels [c, c + 4) (byte offset c), taps as the scalar. */
// @ts-ignore: decorator
@inline function dwPixel__simd128(
  above: usize, row: usize, below: usize, width: i32, pixel: usize, w: usize, b: v128, out: usize, ox: i32, c: usize, relu: bool,
): void {
  const kx0 = ox == 0 ? 1 : 0;
  const kx1 = ox == width - 1 ? 2 : 3;
  let acc = f32x4.splat(0);
  for (let ky = 0; ky < 3; ky++) {
    const r = ky == 0 ? above : ky == 1 ? row : below;
    if (r == 0) continue;
    for (let kx = kx0; kx < kx1; kx++) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(r + <usize>(ox + kx - 1) * pixel + c), v128.load(w + <usize>(ky * 3 + kx) * pixel)));
    }
  }
  acc = f32x4.add(acc, b);
  if (relu) acc = f32x4.pmax(acc, f32x4.splat(0));
  v128.store(out + <usize>ox * pixel + c, acc);
}

/** Scalar spec of the backbone / neck depthwise conv: relu(dw3x3 + bias). */
export function f32_dwconv3x3_bias_relu__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  dw__scalar(above, row, below, width, channels, weights, bias, out, true);
}

/** simd128 variant of f32_dwconv3x3_bias_relu, same signature and result. */
export function f32_dwconv3x3_bias_relu__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  dw__simd128(above, row, below, width, channels, weights, bias, out, true);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_dwconv3x3_bias_relu(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) f32_dwconv3x3_bias_relu__simd128(above, row, below, width, channels, weights, bias, out);
  else f32_dwconv3x3_bias_relu__scalar(above, row, below, width, channels, weights, bias, out);
}

/** Scalar spec of the head depthwise conv: dw3x3 + bias. */
export function f32_dwconv3x3_bias__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  dw__scalar(above, row, below, width, channels, weights, bias, out, false);
}

/** simd128 variant of f32_dwconv3x3_bias, same signature and result. */
export function f32_dwconv3x3_bias__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  dw__simd128(above, row, below, width, channels, weights, bias, out, false);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_dwconv3x3_bias(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) f32_dwconv3x3_bias__simd128(above, row, below, width, channels, weights, bias, out);
  else f32_dwconv3x3_bias__scalar(above, row, below, width, channels, weights, bias, out);
}
