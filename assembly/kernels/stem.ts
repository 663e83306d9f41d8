// The int8 YuNet's stem (the contract: docs/detector.md): output row y of a 3x3 stride-2
// conv with one pixel of zero padding, straight from the raw u8 BGR image (libfacedetection's
// setDataFrom3x3S2P1to1x1S1P0FromImage + a 1x1 conv over the 27 gathered values), i32
// accumulation, u8 out (relu in the clamp). Pixels are raw 0..255, no normalisation.
//
// Contract (the scalar kernel is the spec; the simd128 kernel matches it bit for bit):
//   acc = bias[o] + Σ img(2y + ky - 1, 2x + kx - 1, c) * w[((ky*3 + kx)*3 + c)*Cout + o]
//         (i32; pixels outside the image are 0, so any order gives the same sum)
//   out[x*Cout + o] = requant(f32(acc) * scale[o], 0, 255)
// Layouts: image u8 [inHeight][inWidth][3]; weights i8 [3][3][3][Cout] (27 x Cout); bias i32[Cout];
// scale f32[Cout]; out u8 [outWidth][Cout]. outWidth may exceed the image's half width.
// Preconditions: Cout % 4 == 0; outWidth >= 1; no alignment; writes exactly outWidth*Cout bytes.
// Bound: |acc| <= 27 * 255 * 128 + |bias| < 2^31.

import { requant_f32__scalar, requant_u8x16__simd128, requant_u8x4__simd128 } from "./quant";

/** Scalar spec: plain loops, one output at a time. */
export function qu8_conv3x3s2_relu_requant_u8__scalar(
  input: usize, inHeight: i32, inWidth: i32, y: i32, weights: usize, bias: usize, scale: usize, channels: i32, outWidth: i32, out: usize,
): void {
  const y0 = y * 2 - 1;
  const ky0 = max(0, -y0);
  const ky1 = max(0, min(3, inHeight - y0));
  for (let ox = 0; ox < outWidth; ox++) {
    const x0 = ox * 2 - 1;
    const kx0 = max(0, -x0);
    const kx1 = max(0, min(3, inWidth - x0));
    for (let o = 0; o < channels; o++) {
      let acc = load<i32>(bias + (<usize>o << 2));
      for (let ky = ky0; ky < ky1; ky++) {
        for (let kx = kx0; kx < kx1; kx++) {
          const px = input + <usize>(((y0 + ky) * inWidth + x0 + kx) * 3);
          const tap = weights + <usize>((ky * 3 + kx) * 3 * channels + o);
          for (let c = 0; c < 3; c++) acc += <i32>load<u8>(px + <usize>c) * <i32>load<i8>(tap + <usize>(c * channels));
        }
      }
      const q = requant_f32__scalar(<f32>acc * load<f32>(scale + (<usize>o << 2)), <f32>0, <f32>255);
      store<u8>(out + <usize>(ox * channels + o), q);
    }
  }
}

/** The simd128 stem's interleaved i16 weights of one 16-channel tile (14 pairs x 4 vectors), rebuilt per call. */
const STEM_PAIRS: usize = memory.data(14 * 64, 16);
/** The simd128 stem's zero-padded windows of two output pixels (3 rows x 15 bytes, stride 16) and a discarded output. */
const STEM_EDGE: usize = memory.data(48 + 16, 16);

/** Byte-interleave two 16-byte weight vectors: (a0, b0, a1, b1, ...) low and high halves. */
// @ts-ignore: decorator
@inline function zipLo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline function zipHi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/** Store the pair (wa, wb) of 16 channels as 4 vectors of (wa[o], wb[o]) i16 pairs at q. */
// @ts-ignore: decorator
@inline function storePair(q: usize, wa: v128, wb: v128): void {
  const zl = zipLo(wa, wb), zh = zipHi(wa, wb);
  v128.store(q, i16x8.extend_low_i8x16_s(zl));
  v128.store(q, i16x8.extend_high_i8x16_s(zl), 16);
  v128.store(q, i16x8.extend_low_i8x16_s(zh), 32);
  v128.store(q, i16x8.extend_high_i8x16_s(zh), 48);
}

/** 16 weights of kernel row ky's tap t from channel o, or zeros when that kernel row is padding. */
// @ts-ignore: decorator
@inline function tapWeights(weights: usize, C: usize, ky: usize, t: usize, o: usize, present: bool): v128 {
  return present ? v128.load(weights + (ky * 9 + t) * C + o) : i32x4.splat(0);
}

/**
 * Two output pixels x 16 channels: r0, r1, r2 are the windows' first bytes in the three kernel
 * rows for the first pixel (the second's are 6 bytes on); STEM_PAIRS holds the tile's weights.
 */
// @ts-ignore: decorator
@inline function stemPair16(r0: usize, r1: usize, r2: usize, bias: usize, s: usize, d0: usize, d1: usize): void {
  let a0 = v128.load(bias), a1 = v128.load(bias, 16), a2 = v128.load(bias, 32), a3 = v128.load(bias, 48);
  let e0 = a0, e1 = a1, e2 = a2, e3 = a3;
  let w = STEM_PAIRS;
  for (let ky = 0; ky < 3; ky++) {
    const r = ky == 0 ? r0 : ky == 1 ? r1 : r2;
    // Taps 0..7 of this kernel row for the first pixel (U) and the second (V), as i16: pair k is
    // i32 lane k; lane 0 is splat, then the lanes rotate. A runtime loop: unrolled, V8 loads all
    // 16 weight vectors first and spills them (0.9x).
    let U = i16x8.extend_low_i8x16_u(v128.load64_zero(r));
    let V = i16x8.extend_low_i8x16_u(v128.load64_zero(r + 6));
    for (let k = 0; k < 4; k++) {
      const u = i32x4.shuffle(U, U, 0, 0, 0, 0), v = i32x4.shuffle(V, V, 0, 0, 0, 0);
      U = i32x4.shuffle(U, U, 1, 2, 3, 0);
      V = i32x4.shuffle(V, V, 1, 2, 3, 0);
      const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(u, w0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(u, w1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(u, w2));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(u, w3));
      e0 = i32x4.add(e0, i32x4.dot_i16x8_s(v, w0));
      e1 = i32x4.add(e1, i32x4.dot_i16x8_s(v, w1));
      e2 = i32x4.add(e2, i32x4.dot_i16x8_s(v, w2));
      e3 = i32x4.add(e3, i32x4.dot_i16x8_s(v, w3));
      w += 64;
    }
  }
  // Taps 8: (row 0, row 1) then (row 2, 0), as i16 pairs in each i32 lane.
  {
    const u = i32x4.splat(<i32>load<u8>(r0, 8) | (<i32>load<u8>(r1, 8) << 16)), v = i32x4.splat(<i32>load<u8>(r0, 14) | (<i32>load<u8>(r1, 14) << 16));
    const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(u, w0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(u, w1));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(u, w2));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(u, w3));
    e0 = i32x4.add(e0, i32x4.dot_i16x8_s(v, w0));
    e1 = i32x4.add(e1, i32x4.dot_i16x8_s(v, w1));
    e2 = i32x4.add(e2, i32x4.dot_i16x8_s(v, w2));
    e3 = i32x4.add(e3, i32x4.dot_i16x8_s(v, w3));
    w += 64;
  }
  {
    const u = i32x4.splat(<i32>load<u8>(r2, 8)), v = i32x4.splat(<i32>load<u8>(r2, 14));
    const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(u, w0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(u, w1));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(u, w2));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(u, w3));
    e0 = i32x4.add(e0, i32x4.dot_i16x8_s(v, w0));
    e1 = i32x4.add(e1, i32x4.dot_i16x8_s(v, w1));
    e2 = i32x4.add(e2, i32x4.dot_i16x8_s(v, w2));
    e3 = i32x4.add(e3, i32x4.dot_i16x8_s(v, w3));
  }
  const s0 = v128.load(s), s1 = v128.load(s, 16), s2 = v128.load(s, 32), s3 = v128.load(s, 48);
  v128.store(d0, requantU8x16(a0, a1, a2, a3, s0, s1, s2, s3));
  v128.store(d1, requantU8x16(e0, e1, e2, e3, s0, s1, s2, s3));
}

/**
 * simd128 variant, same signature and result. Taps are taken in pairs, one `i32x4.dot_i16x8_s`
 * adding both products of 4 channels: the pair's pixel bytes as i16 (b0, b1, b0, b1, ...) against
 * its weights interleaved as (w_t[o], w_t'[o]) i16 pairs. Of a kernel row's 9 bytes (kx, c), taps
 * 0..7 make 4 pairs: one `load64_zero` widened to i16 holds them as its 4 i32 lanes (splat by
 * one `i32x4.shuffle` each); the rows' taps 8 make 2 more pairs, (row 0, row 1) and (row 2, zero
 * weight): 14 dots per 4 channels and pixel (27 taps in 28 slots; the former 5 pairs per row,
 * each a `load16_splat` + widen, took 15). 2 px x 16 ch per step (8 i32x4 accumulators); the
 * tile's interleaved i16 weights are built once per call into the module's STEM_PAIRS (896 bytes
 * of static data: the kernel is not reentrant, like everything in a wasm instance). A kernel row
 * outside the image gets zero weights and reads a row inside (0.07x the former scalar-gather
 * path for the top row); pixels whose window leaves the image on the left or right run the same
 * step on a zero-padded copy of their two windows (STEM_EDGE). A Cout % 16 remainder runs 1 px x
 * 4 ch with the pixel bytes gathered by scalar loads (0 outside the image).
 */
export function qu8_conv3x3s2_relu_requant_u8__simd128(
  input: usize, inHeight: i32, inWidth: i32, y: i32, weights: usize, bias: usize, scale: usize, channels: i32, outWidth: i32, out: usize,
): void {
  const y0 = y * 2 - 1;
  const C = <usize>channels;
  const rowStride = <usize>inWidth * 3;
  // The kernel rows' image rows, clamped into the image (a clamped one has zero weights).
  const has0 = y0 >= 0 && y0 < inHeight, has1 = y0 + 1 < inHeight, has2 = y0 + 2 < inHeight;
  const R0 = input + <usize>min(max(y0, 0), inHeight - 1) * rowStride;
  const R1 = input + <usize>min(y0 + 1, inHeight - 1) * rowStride;
  const R2 = input + <usize>min(y0 + 2, inHeight - 1) * rowStride;
  // Interior pixels [1, last): window x0 = 2ox - 1 .. 2ox + 1 inside the image.
  const last = min(outWidth, inWidth >> 1);
  const by16 = channels & ~15;
  const patch = STEM_EDGE, discard = STEM_EDGE + 48;
  for (let o: usize = 0; o < <usize>by16; o += 16) {
    // This 16-channel tile's weights: pairs ky * 4 + k = taps (2k, 2k + 1) of row ky, then
    // (row 0 tap 8, row 1 tap 8) and (row 2 tap 8, zero).
    let q = STEM_PAIRS;
    for (let ky: usize = 0; ky < 3; ky++) {
      const present = ky == 0 ? has0 : ky == 1 ? has1 : has2;
      for (let t: usize = 0; t < 8; t += 2) {
        storePair(q, tapWeights(weights, C, ky, t, o, present), tapWeights(weights, C, ky, t + 1, o, present));
        q += 64;
      }
    }
    storePair(q, tapWeights(weights, C, 0, 8, o, has0), tapWeights(weights, C, 1, 8, o, has1));
    storePair(q + 64, tapWeights(weights, C, 2, 8, o, has2), i32x4.splat(0));
    const b = bias + (o << 2), s = scale + (o << 2);
    let ox = 1;
    for (; ox + 1 < last; ox += 2) {
      const x = <usize>(2 * ox - 1) * 3;
      const d = out + <usize>ox * C + o;
      stemPair16(R0 + x, R1 + x, R2 + x, b, s, d, d + C);
    }
    // Pixel 0 and the pixels from ox on, two at a time through the zero-padded copy (the second
    // of the last pair may be past outWidth: its output is discarded).
    let edge = 0;
    while (edge < outWidth) {
      for (let ky = 0; ky < 3; ky++) {
        const r = ky == 0 ? R0 : ky == 1 ? R1 : R2;
        for (let j = 0; j < 5; j++) {
          const ix = 2 * edge - 1 + j;
          const inside = ix >= 0 && ix < inWidth;
          for (let c = 0; c < 3; c++) {
            store<u8>(patch + <usize>(ky * 16 + j * 3 + c), inside ? load<u8>(r + <usize>(ix * 3 + c)) : 0);
          }
        }
      }
      const d = out + <usize>edge * C + o;
      stemPair16(patch, patch + 16, patch + 32, b, s, d, edge + 1 < outWidth ? d + C : discard);
      edge = edge == 0 ? max(ox, 2) : edge + 2;
    }
  }
  // The Cout % 16 channels: 1 px x 4 ch.
  if (by16 < channels) {
    for (let x = 0; x < outWidth; x++) stemPixelQ4(input, inHeight, inWidth, y0, weights, bias, scale, C, out, x, <usize>by16);
  }
}

/** requant of 16 channels (4 i32x4 accumulators) to 16 u8 bytes. */
// @ts-ignore: decorator
@inline function requantU8x16(a0: v128, a1: v128, a2: v128, a3: v128, s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  return requant_u8x16__simd128(
    f32x4.mul(f32x4.convert_i32x4_s(a0), s0), f32x4.mul(f32x4.convert_i32x4_s(a1), s1),
    f32x4.mul(f32x4.convert_i32x4_s(a2), s2), f32x4.mul(f32x4.convert_i32x4_s(a3), s3));
}

/** Image byte (iy, ix, c), 0 outside the image. */
// @ts-ignore: decorator
@inline function pixelOrZero(input: usize, inHeight: i32, inWidth: i32, iy: i32, ix: i32, c: i32): i32 {
  if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) return 0;
  return <i32>load<u8>(input + <usize>((iy * inWidth + ix) * 3 + c));
}

/** The generic simd128 path: output pixel ox, channels [from, C) in 4-channel blocks, tap pairs gathered by scalar loads. */
// @ts-ignore: decorator
@inline function stemPixelQ4(
  input: usize, inHeight: i32, inWidth: i32, y0: i32, weights: usize, bias: usize, scale: usize, C: usize, out: usize, ox: i32, from: usize,
): void {
  const x0 = ox * 2 - 1;
  for (let o = from; o < C; o += 4) {
    let acc = v128.load(bias + (o << 2));
    for (let ky = 0; ky < 3; ky++) {
      const wr = weights + <usize>(ky * 9) * C + o;
      for (let t = 0; t < 9; t += 2) {
        // Tap t = kx*3 + c of this kernel row: pixel x0 + t / 3, channel t % 3.
        const b0 = pixelOrZero(input, inHeight, inWidth, y0 + ky, x0 + t / 3, t % 3);
        const b1 = t < 8 ? pixelOrZero(input, inHeight, inWidth, y0 + ky, x0 + (t + 1) / 3, (t + 1) % 3) : 0;
        const wa = v128.load32_zero(wr + <usize>t * C);
        const wb = t < 8 ? v128.load32_zero(wr + <usize>(t + 1) * C) : i32x4.splat(0);
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(i32x4.splat(b0 | (b1 << 16)), i16x8.extend_low_i8x16_s(zipLo(wa, wb))));
      }
    }
    const v = f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(scale + (o << 2)));
    v128.store32_lane(out + <usize>ox * C + o, requant_u8x4__simd128(v), 0);
  }
}

// ---- swar64: the scalar build's stem (interpreters) ---------------------------------------------
//
// One i64.mul does 3 MACs: a pixel byte x times the weights of 3 output channels packed in 21-bit
// lanes, W = w[o] + w[o+1]*2^21 + w[o+2]*2^42 (built once per call into STEM_SWAR, group-major:
// [o / 3][27 taps] i64). Each lane starts at 2^20, and |Σ 27 products| <= 27*255*128 < 2^20, so
// every lane stays in [0, 2^21): no borrows, the lanes are plain bitfields of the i64 sum.
// acc = bias + (lane - 2^20) is the spec's integer, then the spec's epilogue. The 27 taps are
// unrolled (immediate offsets: 4 instructions per 3 MACs); a pixel whose window leaves the image
// reads a zero-padded copy of its 27 bytes (STEM_PATCH) instead of the image.
// Precondition (swar64 only): Cout <= 64 (STEM_SWAR holds 22 groups).

/** Packed weights of the swar64 stem: 22 groups of 3 channels x 27 taps, i64. */
const STEM_SWAR: usize = memory.data(22 * 27 * 8, 8);
/** A 3x9-byte window with the pixels outside the image as 0. */
const STEM_PATCH: usize = memory.data(32, 8);

// @ts-ignore: decorator
@inline const STEM_LANE_OFFSETS: i64 = 0x4000020000100000; // 2^20 in each lane (bits 0, 21, 42)

/** s + the 9 taps of one kernel row: p = its 9 pixel bytes, w = their 9 packed weights. */
// @ts-ignore: decorator
@inline function stemRow(s: i64, p: usize, w: usize): i64 {
  s += <i64>load<u8>(p, 0) * load<i64>(w, 0);
  s += <i64>load<u8>(p, 1) * load<i64>(w, 8);
  s += <i64>load<u8>(p, 2) * load<i64>(w, 16);
  s += <i64>load<u8>(p, 3) * load<i64>(w, 24);
  s += <i64>load<u8>(p, 4) * load<i64>(w, 32);
  s += <i64>load<u8>(p, 5) * load<i64>(w, 40);
  s += <i64>load<u8>(p, 6) * load<i64>(w, 48);
  s += <i64>load<u8>(p, 7) * load<i64>(w, 56);
  s += <i64>load<u8>(p, 8) * load<i64>(w, 64);
  return s;
}

/** Lane l of S as the output channel o's accumulator, then the spec's epilogue. */
// @ts-ignore: decorator
@inline function stemEmit(S: i64, l: i64, bias: usize, scale: usize, dst: usize, o: usize): void {
  const acc = load<i32>(bias + (o << 2)) + (<i32>((S >>> (21 * l)) & 0x1fffff) - (1 << 20));
  store<u8>(dst + o, requant_f32__scalar(<f32>acc * load<f32>(scale + (o << 2)), <f32>0, <f32>255));
}

/** swar64 variant (the scalar build's), same signature and result; Cout <= 64. */
export function qu8_conv3x3s2_relu_requant_u8__swar64(
  input: usize, inHeight: i32, inWidth: i32, y: i32, weights: usize, bias: usize, scale: usize, channels: i32, outWidth: i32, out: usize,
): void {
  const C = <usize>channels;
  const groups = (C + 2) / 3;
  for (let g: usize = 0; g < groups; g++) {
    for (let t: usize = 0; t < 27; t++) {
      let v: i64 = 0;
      for (let l: usize = 0; l < 3; l++) {
        const o = g * 3 + l;
        if (o < C) v += <i64>load<i8>(weights + t * C + o) << (21 * <i64>l);
      }
      store<i64>(STEM_SWAR + (g * 27 + t) * 8, v);
    }
  }
  const y0 = y * 2 - 1;
  const rowsInside = y0 >= 0 && y0 + 3 <= inHeight;
  for (let ox = 0; ox < outWidth; ox++) {
    const x0 = ox * 2 - 1;
    let p0: usize, p1: usize, p2: usize;
    if (rowsInside && x0 >= 0 && x0 + 3 <= inWidth) {
      p0 = input + <usize>((y0 * inWidth + x0) * 3);
      p1 = p0 + <usize>inWidth * 3;
      p2 = p1 + <usize>inWidth * 3;
    } else {
      for (let ky = 0; ky < 3; ky++) {
        for (let t = 0; t < 9; t++) {
          const iy = y0 + ky, ix = x0 + t / 3;
          const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
          store<u8>(STEM_PATCH + <usize>(ky * 9 + t), inside ? load<u8>(input + <usize>((iy * inWidth + ix) * 3 + t % 3)) : 0);
        }
      }
      p0 = STEM_PATCH;
      p1 = STEM_PATCH + 9;
      p2 = STEM_PATCH + 18;
    }
    const dst = out + <usize>ox * C;
    let w = STEM_SWAR;
    for (let o: usize = 0; o < C; o += 3) {
      const S = stemRow(stemRow(stemRow(STEM_LANE_OFFSETS, p0, w), p1, w + 72), p2, w + 144);
      stemEmit(S, 0, bias, scale, dst, o);
      if (o + 1 < C) stemEmit(S, 1, bias, scale, dst, o + 1);
      if (o + 2 < C) stemEmit(S, 2, bias, scale, dst, o + 2);
      w += 27 * 8;
    }
  }
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the swar64 form (compile-time). */
export function qu8_conv3x3s2_relu_requant_u8(
  input: usize, inHeight: i32, inWidth: i32, y: i32, weights: usize, bias: usize, scale: usize, channels: i32, outWidth: i32, out: usize,
): void {
  if (ASC_FEATURE_SIMD) qu8_conv3x3s2_relu_requant_u8__simd128(input, inHeight, inWidth, y, weights, bias, scale, channels, outWidth, out);
  else qu8_conv3x3s2_relu_requant_u8__swar64(input, inHeight, inWidth, y, weights, bias, scale, channels, outWidth, out);
}
