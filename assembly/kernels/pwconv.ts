// f32_pwconv_bias: a 1x1 (pointwise) convolution of `pixels` consecutive pixels, f32, + bias.
// YuNet's pointwise layers (libfacedetection's convolution_1x1pointwise) never end in a relu.
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[x*Cout + o] = sum + bias[o],   sum = Σ_c in[x*Cin + c] * w[c*Cout + o]
//   summed in f32 from 0, c ascending, one rounding per multiply and per add (no FMA); the bias
//   is added after the sum, as libfacedetection does.
//
// Layouts: in f32 [pixels][Cin]; weights f32 [Cin][Cout] (HWIO with H = W = 1); bias f32[Cout];
// out f32 [pixels][Cout]. A whole NHWC tensor is one call (pixels = rows * width).
// Preconditions: pixels >= 1, Cin >= 1, Cout >= 1 (any: tails below); no alignment needed;
// `out` does not overlap `input`.

/** Scalar spec: plain loops, one output at a time; never tuned. */
export function f32_pwconv_bias__scalar(
  input: usize, pixels: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize,
): void {
  for (let x = 0; x < pixels; x++) {
    for (let o = 0; o < outChannels; o++) {
      store<f32>(out + (<usize>(x * outChannels + o) << 2),
        pwOne(input + (<usize>(x * inChannels) << 2), inChannels, weights + (<usize>o << 2), outChannels, bias + (<usize>o << 2)));
    }
  }
}

/** One output of the scalar spec (also the simd128 kernel's channel tail). */
// @ts-ignore: decorator
@inline function pwOne(pixel: usize, inChannels: i32, w: usize, outChannels: i32, bias: usize): f32 {
  const step = <usize>outChannels << 2;
  let sum: f32 = 0;
  for (let c = 0; c < inChannels; c++) {
    sum += load<f32>(pixel + (<usize>c << 2)) * load<f32>(w);
    w += step;
  }
  return sum + load<f32>(bias);
}

/**
 * simd128 variant, same signature and result: each lane performs the scalar's exact sequence.
 * When Cout % 16 == 0 (every backbone and neck layer), pairs of pixels run as 2 px x 16 ch (see
 * below). Otherwise (the heads) the tile is 4 pixels x 8 output channels (8 f32x4 accumulators;
 * per input channel 2 weight loads and 4 splats feed 8 multiply-adds), then a 4-channel block,
 * then each of the Cout % 4 channels for the 4 pixels as one vector (pwTail4__simd128; the scalar
 * code when Cin % 4 != 0). Pixels left over run 1 pixel x 4 channels.
 */
export function f32_pwconv_bias__simd128(
  input: usize, pixels: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize,
): void {
  const inPixel = <usize>(inChannels << 2);
  const outPixel = <usize>(outChannels << 2);
  const zero = f32x4.splat(0);
  const by8 = outChannels & ~7;
  const by4 = outChannels & ~3;
  let x = 0;
  // 2 px x 16 ch tile (Cout % 16 == 0): per input channel 4 weight loads and 2 splats feed 8
  // multiply-adds, with fewer address computations per step than 4 px x 8 ch.
  if ((outChannels & 15) == 0) {
    for (; x + 2 <= pixels; x += 2) {
      const in0 = input + <usize>x * inPixel;
      const dst = out + <usize>x * outPixel;
      for (let o = 0; o < outChannels; o += 16) {
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
        let w = weights + (<usize>o << 2);
        let p = in0;
        const end = in0 + inPixel;
        for (; p < end; p += 4) {
          const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
          const u = v128.load32_splat(p);
          a0 = f32x4.add(a0, f32x4.mul(u, w0));
          a1 = f32x4.add(a1, f32x4.mul(u, w1));
          a2 = f32x4.add(a2, f32x4.mul(u, w2));
          a3 = f32x4.add(a3, f32x4.mul(u, w3));
          const v = v128.load32_splat(p + inPixel);
          b0 = f32x4.add(b0, f32x4.mul(v, w0));
          b1 = f32x4.add(b1, f32x4.mul(v, w1));
          b2 = f32x4.add(b2, f32x4.mul(v, w2));
          b3 = f32x4.add(b3, f32x4.mul(v, w3));
          w += outPixel;
        }
        const bo = bias + (<usize>o << 2);
        const q0 = v128.load(bo), q1 = v128.load(bo, 16), q2 = v128.load(bo, 32), q3 = v128.load(bo, 48);
        const d0 = dst + (<usize>o << 2), d1 = d0 + outPixel;
        v128.store(d0, f32x4.add(a0, q0));
        v128.store(d0, f32x4.add(a1, q1), 16);
        v128.store(d0, f32x4.add(a2, q2), 32);
        v128.store(d0, f32x4.add(a3, q3), 48);
        v128.store(d1, f32x4.add(b0, q0));
        v128.store(d1, f32x4.add(b1, q1), 16);
        v128.store(d1, f32x4.add(b2, q2), 32);
        v128.store(d1, f32x4.add(b3, q3), 48);
      }
    }
  }
  for (; x + 4 <= pixels; x += 4) {
    const in0 = input + <usize>x * inPixel;
    const dst = out + <usize>x * outPixel;
    for (let o = 0; o < by8; o += 8) {
      let a00 = zero, a01 = zero, a10 = zero, a11 = zero;
      let a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      let w = weights + (<usize>o << 2);
      let p = in0;
      for (let c = 0; c < inChannels; c++) {
        const w0 = v128.load(w);
        const w1 = v128.load(w, 16);
        const v0 = v128.load32_splat(p);
        a00 = f32x4.add(a00, f32x4.mul(v0, w0));
        a01 = f32x4.add(a01, f32x4.mul(v0, w1));
        const v1 = v128.load32_splat(p + inPixel);
        a10 = f32x4.add(a10, f32x4.mul(v1, w0));
        a11 = f32x4.add(a11, f32x4.mul(v1, w1));
        const v2 = v128.load32_splat(p + 2 * inPixel);
        a20 = f32x4.add(a20, f32x4.mul(v2, w0));
        a21 = f32x4.add(a21, f32x4.mul(v2, w1));
        const v3 = v128.load32_splat(p + 3 * inPixel);
        a30 = f32x4.add(a30, f32x4.mul(v3, w0));
        a31 = f32x4.add(a31, f32x4.mul(v3, w1));
        w += outPixel;
        p += 4;
      }
      const ob = <usize>o << 2;
      const b0 = v128.load(bias + ob);
      const b1 = v128.load(bias + ob, 16);
      v128.store(dst + ob, f32x4.add(a00, b0));
      v128.store(dst + ob, f32x4.add(a01, b1), 16);
      v128.store(dst + outPixel + ob, f32x4.add(a10, b0));
      v128.store(dst + outPixel + ob, f32x4.add(a11, b1), 16);
      v128.store(dst + 2 * outPixel + ob, f32x4.add(a20, b0));
      v128.store(dst + 2 * outPixel + ob, f32x4.add(a21, b1), 16);
      v128.store(dst + 3 * outPixel + ob, f32x4.add(a30, b0));
      v128.store(dst + 3 * outPixel + ob, f32x4.add(a31, b1), 16);
    }
    if (by8 < by4) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let w = weights + (<usize>by8 << 2);
      let p = in0;
      for (let c = 0; c < inChannels; c++) {
        const w0 = v128.load(w);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(p), w0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(p + inPixel), w0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(p + 2 * inPixel), w0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(p + 3 * inPixel), w0));
        w += outPixel;
        p += 4;
      }
      const ob = <usize>by8 << 2;
      const b = v128.load(bias + ob);
      v128.store(dst + ob, f32x4.add(a0, b));
      v128.store(dst + outPixel + ob, f32x4.add(a1, b));
      v128.store(dst + 2 * outPixel + ob, f32x4.add(a2, b));
      v128.store(dst + 3 * outPixel + ob, f32x4.add(a3, b));
    }
    if ((inChannels & 3) == 0) {
      for (let o = by4; o < outChannels; o++) pwTail4__simd128(in0, inPixel, inChannels, weights + (<usize>o << 2), outPixel, bias + (<usize>o << 2), dst + (<usize>o << 2));
    } else {
      for (let o = by4; o < outChannels; o++) {
        for (let i = 0; i < 4; i++) {
          store<f32>(dst + <usize>i * outPixel + (<usize>o << 2),
            pwOne(in0 + <usize>i * inPixel, inChannels, weights + (<usize>o << 2), outChannels, bias + (<usize>o << 2)));
        }
      }
    }
  }
  for (; x < pixels; x++) {
    const in0 = input + <usize>x * inPixel;
    const dst = out + <usize>x * outPixel;
    for (let o = 0; o < by4; o += 4) {
      let a = zero;
      let w = weights + (<usize>o << 2);
      for (let c = 0; c < inChannels; c++) {
        a = f32x4.add(a, f32x4.mul(v128.load32_splat(in0 + (<usize>c << 2)), v128.load(w)));
        w += outPixel;
      }
      v128.store(dst + (<usize>o << 2), f32x4.add(a, v128.load(bias + (<usize>o << 2))));
    }
    for (let o = by4; o < outChannels; o++) {
      store<f32>(dst + (<usize>o << 2), pwOne(in0, inChannels, weights + (<usize>o << 2), outChannels, bias + (<usize>o << 2)));
    }
  }
}

/**
 * One output channel (weight column w, bias b) of 4 pixels, lanes = pixels: the heads' Cout % 4
 * channels (Cout = 1, 10), which would otherwise run the scalar chain. Each step loads 4 channels
 * of the 4 pixels and transposes them (4x4) so that lane i sees pixel i's channels c ascending,
 * as the scalar does. Needs Cin % 4 == 0. Writes out + i * outPixel for pixel i.
 */
// @ts-ignore: decorator
@inline function pwTail4__simd128(in0: usize, inPixel: usize, inChannels: i32, w: usize, outPixel: usize, b: usize, out: usize): void {
  let acc = f32x4.splat(0);
  const end = in0 + (<usize>inChannels << 2);
  for (let p = in0; p < end; p += 16) {
    const r0 = v128.load(p), r1 = v128.load(p + inPixel), r2 = v128.load(p + 2 * inPixel), r3 = v128.load(p + 3 * inPixel);
    const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    acc = f32x4.add(acc, f32x4.mul(v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5), v128.load32_splat(w)));
    w += outPixel;
    acc = f32x4.add(acc, f32x4.mul(v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), v128.load32_splat(w)));
    w += outPixel;
    acc = f32x4.add(acc, f32x4.mul(v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), v128.load32_splat(w)));
    w += outPixel;
    acc = f32x4.add(acc, f32x4.mul(v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), v128.load32_splat(w)));
    w += outPixel;
  }
  acc = f32x4.add(acc, v128.load32_splat(b));
  v128.store32_lane(out, acc, 0);
  v128.store32_lane(out + outPixel, acc, 1);
  v128.store32_lane(out + 2 * outPixel, acc, 2);
  v128.store32_lane(out + 3 * outPixel, acc, 3);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_pwconv_bias(
  input: usize, pixels: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize,
): void {
  if (ASC_FEATURE_SIMD) f32_pwconv_bias__simd128(input, pixels, inChannels, weights, bias, outChannels, out);
  else f32_pwconv_bias__scalar(input, pixels, inChannels, weights, bias, outChannels, out);
}
