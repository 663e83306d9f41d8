// qi16_conv_acc: one output row of a KxK valid convolution (K = 1 or 3, stride 1, no padding),
// i16 NHWC activations x int8 "c4 pair" weights -> int32 accumulators with the bias added.
// The twin of conv.ts's qu8_conv_acc for the few small maps SSR-Net keeps at 16 bits (the x
// stream's 6x6 and 4x4 maps, whose u8 rounding decided the stage-1 scale Δ₁: issue 12).
//
// Contract (the scalar kernel below is the spec; the simd128 kernel matches it bit for bit):
//   acc[x*Cp + o] = bias[o] + sum over ky<K, kx<K, c<Cin of in(ky, x+kx, c) * w(o, ky, kx, c)
//   for x in [0, outWidth), o in [0, Cp)
//
// Layouts: as qu8_conv_acc (conv.ts), except that in(ky, x, c) is an i16 at
// input + ((ky*inWidth + x)*Cin + c)*2.
//
// Preconditions (validated by the weights reader / the converter): K in {1, 3}; Cin even (two
// channels are one i32 lane pair of i32x4.dot_i16x8_s); inputs in [0, 32767];
// K*K*Cin*32767*128 + |bias| < 2^31 (SSR-Net: K*K*Cin <= 288 gives 1.21e9, and the converter
// checks every bias against the rest); Cp % 4 == 0; outWidth >= 1; inWidth >= outWidth + K - 1.
// No alignment needed; reads nothing outside the K input rows.

/** Scalar spec: plain loops over the packed layout, one accumulator at a time; never tuned. */
export function qi16_conv_acc__scalar(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const cinPairs = inChannels >> 1;
  const pairBytes = outChannelsPadded * 2;
  for (let x = 0; x < outWidth; x++) {
    for (let o = 0; o < outChannelsPadded; o++) {
      let sum = load<i32>(bias + (<usize>o << 2));
      for (let ky = 0; ky < kernelSize; ky++) {
        for (let kx = 0; kx < kernelSize; kx++) {
          const pixel = input + (<usize>((ky * inWidth + x + kx) * inChannels) << 1);
          const tapWeights = weights + <usize>((ky * kernelSize + kx) * cinPairs * pairBytes);
          for (let c = 0; c < inChannels; c++) {
            const w = <i32>load<i8>(tapWeights + <usize>((c >> 1) * pairBytes + o * 2 + (c & 1)));
            sum += <i32>load<i16>(pixel + (<usize>c << 1)) * w;
          }
        }
      }
      store<i32>(acc + (<usize>(x * outChannelsPadded + o) << 2), sum);
    }
  }
}

/**
 * simd128: one pixel x 4 output channels per tile; each (tap, pair) is one v128.load32_splat of
 * the two i16 inputs and one v128.load8x8_s of the 4 channels' weight pairs into
 * i32x4.dot_i16x8_s. With an even Cin the K taps of a kernel row are one contiguous run.
 * The maps are tiny (at most 6x6x32), so no register blocking.
 */
export function qi16_conv_acc__simd128(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const runPairs = (inChannels >> 1) * kernelSize;
  const pairBytes = <usize>(outChannelsPadded * 2);
  const pixelBytes = <usize>(inChannels << 1);
  const rowBytes = <usize>inWidth * pixelBytes;
  for (let x = 0; x < outWidth; x++) {
    const inPixel = input + <usize>x * pixelBytes;
    const out = acc + (<usize>(x * outChannelsPadded) << 2);
    for (let o = 0; o < outChannelsPadded; o += 4) {
      let sum = v128.load(bias + (<usize>o << 2));
      let w = weights + (<usize>o << 1);
      let row = inPixel;
      for (let ky = 0; ky < kernelSize; ky++) {
        let pair = row;
        for (let p = 0; p < runPairs; p++) {
          sum = i32x4.add(sum, i32x4.dot_i16x8_s(v128.load32_splat(pair), v128.load8x8_s(w)));
          pair += 4;
          w += pairBytes;
        }
        row += rowBytes;
      }
      v128.store(out + (<usize>o << 2), sum);
    }
  }
}

/** Dispatcher (compile-time): simd128 when the build has SIMD, else scalar. */
export function qi16_conv_acc(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qi16_conv_acc__simd128(input, inWidth, inChannels, kernelSize, weights, bias, outWidth, outChannelsPadded, acc);
  } else {
    qi16_conv_acc__scalar(input, inWidth, inChannels, kernelSize, weights, bias, outWidth, outChannelsPadded, acc);
  }
}
