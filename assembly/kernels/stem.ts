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
 * simd128 variant, same signature and result; every lane performs the scalar's exact sequence
 * (taps in ky, kx, c order from 0, then bias, then relu). Pixels whose 3x3 window lies inside the
 * image (all but the first column, the last when the image width is even or the map is wider,
 * and the top and bottom rows) run two at a time x 16 channels (8 f32x4 accumulators; each tap's
 * 4 weight vectors are loaded once for both pixels, each u8 converted once and splatted); a
 * Cout % 16 remainder runs 4 channels at a time. Edge pixels take the generic path: 1 px x 4 ch
 * over the taps inside the image.
 * Relu is f32x4.pmax(v, 0) = (v < 0 ? 0 : v): one maxps in V8, where f32x4.max's NaN and
 * signed-zero rules cost ~8 instructions. Same bits as max(v, 0): v = sum + bias is never -0 (the
 * sum starts at +0, and round-to-nearest gives -0 only for -0 + -0), and a NaN stays a NaN.
 */
export function f32_conv3x3s2_bias_relu__simd128(
  image: usize, inHeight: i32, inWidth: i32, oy: i32, weights: usize, bias: usize, outChannels: i32, outWidth: i32, out: usize,
): void {
  const y0 = oy * 2 - 1;
  const cout = <usize>outChannels << 2;
  // Interior columns [1, last): window x0 = 2ox - 1 .. 2ox + 1 inside the image.
  const fullRows = y0 >= 0 && y0 + 3 <= inHeight;
  const last = fullRows ? min(outWidth, inWidth / 2) : 0;
  const first = fullRows ? min(1, last) : 0;
  stemPixels__simd128(image, inHeight, inWidth, oy, weights, bias, cout, out, 0, first);
  stemPixels__simd128(image, inHeight, inWidth, oy, weights, bias, cout, out, max(first, last), outWidth);
  if (first >= last) return;
  const rowStride = <usize>inWidth * 3;
  const by16 = cout & ~(<usize>63);
  const zero = f32x4.splat(0);
  let ox = first;
  for (; ox + 1 < last; ox += 2) {
    const p0 = image + <usize>y0 * rowStride + <usize>(2 * ox - 1) * 3; // window origin of pixel ox
    const p1 = p0 + 6; // pixel ox + 1
    const d0 = out + <usize>ox * cout;
    const d1 = d0 + cout;
    for (let o: usize = 0; o < by16; o += 64) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
      let w = weights + o;
      for (let ky: usize = 0; ky < 3; ky++) {
        const r0 = p0 + ky * rowStride;
        const r1 = p1 + ky * rowStride;
        for (let t: usize = 0; t < 9; t++) { // kx, c
          const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
          const u = f32x4.splat(<f32>load<u8>(r0 + t));
          const v = f32x4.splat(<f32>load<u8>(r1 + t));
          a0 = f32x4.add(a0, f32x4.mul(u, w0));
          a1 = f32x4.add(a1, f32x4.mul(u, w1));
          a2 = f32x4.add(a2, f32x4.mul(u, w2));
          a3 = f32x4.add(a3, f32x4.mul(u, w3));
          b0 = f32x4.add(b0, f32x4.mul(v, w0));
          b1 = f32x4.add(b1, f32x4.mul(v, w1));
          b2 = f32x4.add(b2, f32x4.mul(v, w2));
          b3 = f32x4.add(b3, f32x4.mul(v, w3));
          w += cout;
        }
      }
      const q0 = v128.load(bias + o), q1 = v128.load(bias + o, 16), q2 = v128.load(bias + o, 32), q3 = v128.load(bias + o, 48);
      v128.store(d0 + o, f32x4.pmax(f32x4.add(a0, q0), zero));
      v128.store(d0 + o, f32x4.pmax(f32x4.add(a1, q1), zero), 16);
      v128.store(d0 + o, f32x4.pmax(f32x4.add(a2, q2), zero), 32);
      v128.store(d0 + o, f32x4.pmax(f32x4.add(a3, q3), zero), 48);
      v128.store(d1 + o, f32x4.pmax(f32x4.add(b0, q0), zero));
      v128.store(d1 + o, f32x4.pmax(f32x4.add(b1, q1), zero), 16);
      v128.store(d1 + o, f32x4.pmax(f32x4.add(b2, q2), zero), 32);
      v128.store(d1 + o, f32x4.pmax(f32x4.add(b3, q3), zero), 48);
    }
    if (by16 < cout) {
      stemBlocks__simd128(p0, rowStride, weights, bias, cout, d0, by16);
      stemBlocks__simd128(p1, rowStride, weights, bias, cout, d1, by16);
    }
  }
  if (ox < last) {
    const p0 = image + <usize>y0 * rowStride + <usize>(2 * ox - 1) * 3;
    stemBlocks__simd128(p0, rowStride, weights, bias, cout, out + <usize>ox * cout, 0);
  }
}

/** One interior pixel (window origin p), output channels [from, cout) bytes in 4-channel blocks. */
// @ts-ignore: decorator
@inline function stemBlocks__simd128(p: usize, rowStride: usize, weights: usize, bias: usize, cout: usize, dst: usize, from: usize): void {
  for (let o = from; o < cout; o += 16) {
    let acc = f32x4.splat(0);
    let w = weights + o;
    for (let ky: usize = 0; ky < 3; ky++) {
      const r = p + ky * rowStride;
      for (let t: usize = 0; t < 9; t++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(<f32>load<u8>(r + t)), v128.load(w)));
        w += cout;
      }
    }
    v128.store(dst + o, f32x4.pmax(f32x4.add(acc, v128.load(bias + o)), f32x4.splat(0)));
  }
}

/** The generic path for output pixels [from, to) of row oy: 1 px x 4 ch over the taps inside the image. */
// @ts-ignore: decorator
@inline function stemPixels__simd128(
  image: usize, inHeight: i32, inWidth: i32, oy: i32, weights: usize, bias: usize, cout: usize, out: usize, from: i32, to: i32,
): void {
  const y0 = oy * 2 - 1;
  const ky0 = max(0, -y0);
  const ky1 = max(0, min(3, inHeight - y0));
  const zero = f32x4.splat(0);
  for (let ox = from; ox < to; ox++) {
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
      v128.store(dst + o, f32x4.pmax(f32x4.add(acc, v128.load(bias + o)), zero));
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
