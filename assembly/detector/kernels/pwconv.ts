// 1x1 convolutions of one row, f32:
// - f32_pwconv_bias_addpad_relu: the end of a BlazeBlock, relu(conv1x1(dw) + bias + residual),
//   where the residual (the block input, max-pooled when the block strides) has Cskip <= Cout
//   channels and is zero-padded to Cout (the graph's Pad on the channel axis).
// - f32_pwconv_bias: the detection heads, conv1x1 + bias.
//
// Contract (the scalar kernels are the spec; the simd128 kernels match them bit for bit):
//   sum = Σ_c in[x*Cin + c] * w[c*Cout + o]    in f32 from 0, c ascending, no FMA
//   head:     out[x*Cout + o] = sum + bias[o]
//   residual: out[x*Cout + o] = max((sum + bias[o]) + skip[x*Cskip + o], 0)  for o < Cskip,
//             out[x*Cout + o] = max(sum + bias[o], 0)                          for o >= Cskip
//   (the TF order: conv, BiasAdd, AddV2 with the padded residual, Relu).
//
// Layouts: in f32 [width][Cin]; weights f32 [Cin][Cout] (HWIO with H = W = 1); bias f32[Cout];
// skip f32 [width][Cskip]; out f32 [width][Cout].
// Preconditions: width % 4 == 0; Cout % 4 == 0; Cskip % 4 == 0; no alignment needed.

/** Scalar spec of both kernels (`residual` is a compile-time constant at each call site). */
// @ts-ignore: decorator
@inline function pwconv__scalar(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32,
  skip: usize, skipChannels: i32, out: usize, residual: bool,
): void {
  for (let x = 0; x < width; x++) {
    for (let o = 0; o < outChannels; o++) {
      let sum: f32 = 0;
      for (let c = 0; c < inChannels; c++) {
        sum += load<f32>(input + (<usize>(x * inChannels + c) << 2)) * load<f32>(weights + (<usize>(c * outChannels + o) << 2));
      }
      let v = sum + load<f32>(bias + (<usize>o << 2));
      if (residual) {
        if (o < skipChannels) v += load<f32>(skip + (<usize>(x * skipChannels + o) << 2));
        v = max<f32>(v, 0);
      }
      store<f32>(out + (<usize>(x * outChannels + o) << 2), v);
    }
  }
}

/** The epilogue of one f32x4 of outputs: bias, then (residual) the skip lanes and relu. */
// @ts-ignore: decorator
@inline function epilogue(acc: v128, bias: usize, skip: usize, useSkip: bool, residual: bool): v128 {
  let v = f32x4.add(acc, v128.load(bias));
  if (residual) {
    if (useSkip) v = f32x4.add(v, v128.load(skip));
    v = f32x4.max(v, f32x4.splat(0));
  }
  return v;
}

/**
 * simd128 form of both kernels. Tile: 4 pixels x 8 output channels, 8 f32x4 accumulators; per input
 * channel 2 weight loads and 4 splats feed 8 multiply-adds. A Cout % 8 == 4 tail runs 4 pixels x 4
 * channels. Each lane performs the scalar's exact operation sequence.
 */
// @ts-ignore: decorator
@inline function pwconv__simd128(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32,
  skip: usize, skipChannels: i32, out: usize, residual: bool,
): void {
  const inPixel = <usize>(inChannels << 2);
  const outPixel = <usize>(outChannels << 2);
  const skipPixel = <usize>(skipChannels << 2);
  const zero = f32x4.splat(0);
  const main = outChannels & ~7;
  for (let x = 0; x < width; x += 4) {
    const in0 = input + <usize>x * inPixel;
    const dst = out + <usize>x * outPixel;
    const sk = skip + <usize>x * skipPixel;
    for (let o = 0; o < main; o += 8) {
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
      const b = bias + (<usize>o << 2);
      const ob = <usize>o << 2;
      const s0 = o < skipChannels;
      const s1 = o + 4 < skipChannels;
      v128.store(dst + ob, epilogue(a00, b, sk + ob, s0, residual));
      v128.store(dst + ob + 16, epilogue(a01, b + 16, sk + ob + 16, s1, residual));
      v128.store(dst + outPixel + ob, epilogue(a10, b, sk + skipPixel + ob, s0, residual));
      v128.store(dst + outPixel + ob + 16, epilogue(a11, b + 16, sk + skipPixel + ob + 16, s1, residual));
      v128.store(dst + 2 * outPixel + ob, epilogue(a20, b, sk + 2 * skipPixel + ob, s0, residual));
      v128.store(dst + 2 * outPixel + ob + 16, epilogue(a21, b + 16, sk + 2 * skipPixel + ob + 16, s1, residual));
      v128.store(dst + 3 * outPixel + ob, epilogue(a30, b, sk + 3 * skipPixel + ob, s0, residual));
      v128.store(dst + 3 * outPixel + ob + 16, epilogue(a31, b + 16, sk + 3 * skipPixel + ob + 16, s1, residual));
    }
    if (main < outChannels) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let w = weights + (<usize>main << 2);
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
      const b = bias + (<usize>main << 2);
      const ob = <usize>main << 2;
      const s = main < skipChannels;
      v128.store(dst + ob, epilogue(a0, b, sk + ob, s, residual));
      v128.store(dst + outPixel + ob, epilogue(a1, b, sk + skipPixel + ob, s, residual));
      v128.store(dst + 2 * outPixel + ob, epilogue(a2, b, sk + 2 * skipPixel + ob, s, residual));
      v128.store(dst + 3 * outPixel + ob, epilogue(a3, b, sk + 3 * skipPixel + ob, s, residual));
    }
  }
}

/** Scalar spec of the block end: relu(conv1x1 + bias + zero-padded residual). */
export function f32_pwconv_bias_addpad_relu__scalar(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32,
  skip: usize, skipChannels: i32, out: usize,
): void {
  pwconv__scalar(input, width, inChannels, weights, bias, outChannels, skip, skipChannels, out, true);
}

/** simd128 variant of the block end, same signature and result. */
export function f32_pwconv_bias_addpad_relu__simd128(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32,
  skip: usize, skipChannels: i32, out: usize,
): void {
  pwconv__simd128(input, width, inChannels, weights, bias, outChannels, skip, skipChannels, out, true);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_pwconv_bias_addpad_relu(
  input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32,
  skip: usize, skipChannels: i32, out: usize,
): void {
  if (ASC_FEATURE_SIMD) f32_pwconv_bias_addpad_relu__simd128(input, width, inChannels, weights, bias, outChannels, skip, skipChannels, out);
  else f32_pwconv_bias_addpad_relu__scalar(input, width, inChannels, weights, bias, outChannels, skip, skipChannels, out);
}

/** Scalar spec of the head: conv1x1 + bias. */
export function f32_pwconv_bias__scalar(input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize): void {
  pwconv__scalar(input, width, inChannels, weights, bias, outChannels, 0, 0, out, false);
}

/** simd128 variant of the head, same signature and result. */
export function f32_pwconv_bias__simd128(input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize): void {
  pwconv__simd128(input, width, inChannels, weights, bias, outChannels, 0, 0, out, false);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_pwconv_bias(input: usize, width: i32, inChannels: i32, weights: usize, bias: usize, outChannels: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) f32_pwconv_bias__simd128(input, width, inChannels, weights, bias, outChannels, out);
  else f32_pwconv_bias__scalar(input, width, inChannels, weights, bias, outChannels, out);
}
