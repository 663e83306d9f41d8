// f32_conv3x3s2_bias_relu: one output row of YuNet's stem, a 3x3 stride-2 convolution with one
// pixel of zero padding, straight from the u8 BGR image, + bias, relu (libfacedetection's
// setDataFrom3x3S2P1to1x1S1P0FromImage + the 1x1 conv over its 27 gathered values).
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   out[ox*Cout + o] = max(sum + bias[o], 0),
//   sum = Σ f32(img(2*oy + ky - 1, 2*ox + kx - 1, c)) * w[((ky*3 + kx)*3 + c)*Cout + o]
//   over the taps inside the image only (padding and anything past the image contribute
//   nothing), in f32 from 0, in the order ky, kx, c (libfacedetection's gather order), one
//   rounding per multiply and per add (no FMA). Pixels are raw 0..255, no normalisation.
//
// Layouts: image u8 [inHeight][inWidth][3] (B, G, R), rows of inWidth*3 bytes; weights f32
// [3][3][3][Cout]; bias f32[Cout]; out f32 [outWidth][Cout]. outWidth may exceed the image's
// half width (the graph pads the map to a multiple of 16; those pixels see only padding).
// Preconditions: Cout % 4 == 0; outWidth >= 1; no alignment needed.

/** Scalar spec: plain loops, one output at a time; never tuned. */
export function f32_conv3x3s2_bias_relu__scalar(
  image: usize, inHeight: i32, inWidth: i32, oy: i32, weights: usize, bias: usize, outChannels: i32, outWidth: i32, out: usize,
): void {
  const y0 = oy * 2 - 1;
  const ky0 = max(0, -y0);
  const ky1 = max(0, min(3, inHeight - y0));
  for (let ox = 0; ox < outWidth; ox++) {
    const x0 = ox * 2 - 1;
    const kx0 = max(0, -x0);
    const kx1 = max(0, min(3, inWidth - x0));
    for (let o = 0; o < outChannels; o++) {
      let sum: f32 = 0;
      for (let ky = ky0; ky < ky1; ky++) {
        for (let kx = kx0; kx < kx1; kx++) {
          const px = image + <usize>(((y0 + ky) * inWidth + x0 + kx) * 3);
          const tap = weights + (<usize>((ky * 3 + kx) * 3 * outChannels + o) << 2);
          for (let c = 0; c < 3; c++) {
            sum += <f32>load<u8>(px + <usize>c) * load<f32>(tap + (<usize>(c * outChannels) << 2));
          }
        }
      }
      store<f32>(out + (<usize>(ox * outChannels + o) << 2), max<f32>(sum + load<f32>(bias + (<usize>o << 2)), 0));
    }
  }
}

/**
 * simd128 variant, same signature and result: 1 pixel x 4 output channels per accumulator, each
 * tap value converted once and splatted; every lane performs the scalar's exact sequence.
 */
export function f32_conv3x3s2_bias_relu__simd128(
  image: usize, inHeight: i32, inWidth: i32, oy: i32, weights: usize, bias: usize, outChannels: i32, outWidth: i32, out: usize,
): void {
  const y0 = oy * 2 - 1;
  const ky0 = max(0, -y0);
  const ky1 = max(0, min(3, inHeight - y0));
  const zero = f32x4.splat(0);
  const cout = <usize>outChannels << 2;
  for (let ox = 0; ox < outWidth; ox++) {
    const x0 = ox * 2 - 1;
    const kx0 = max(0, -x0);
    const kx1 = max(0, min(3, inWidth - x0));
    const dst = out + <usize>ox * cout;
    for (let o: usize = 0; o < cout; o += 16) {
      let acc = zero;
      for (let ky = ky0; ky < ky1; ky++) {
        for (let kx = kx0; kx < kx1; kx++) {
          const px = image + <usize>(((y0 + ky) * inWidth + x0 + kx) * 3);
          const tap = weights + <usize>((ky * 3 + kx) * 3) * cout + o;
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(<f32>load<u8>(px)), v128.load(tap)));
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(<f32>load<u8>(px, 1)), v128.load(tap + cout)));
          acc = f32x4.add(acc, f32x4.mul(f32x4.splat(<f32>load<u8>(px, 2)), v128.load(tap + 2 * cout)));
        }
      }
      v128.store(dst + o, f32x4.max(f32x4.add(acc, v128.load(bias + o)), zero));
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the scalar spec (compile-time). */
export function f32_conv3x3s2_bias_relu(
  image: usize, inHeight: i32, inWidth: i32, oy: i32, weights: usize, bias: usize, outChannels: i32, outWidth: i32, out: usize,
): void {
  if (ASC_FEATURE_SIMD) f32_conv3x3s2_bias_relu__simd128(image, inHeight, inWidth, oy, weights, bias, outChannels, outWidth, out);
  else f32_conv3x3s2_bias_relu__scalar(image, inHeight, inWidth, oy, weights, bias, outChannels, outWidth, out);
}
