// The int8 YuNet's depthwise convs (the contract: docs/detector.md), one output row each,
// stride 1, pad 1. Rows come as three pointers so a caller may keep them in a ring of rows;
// `above` / `below` = 0 means that row is padding (top and bottom output rows):
// - qs8_dwconv3x3_relu_requant_u8: backbone and neck (DP's 3x3), s8 in -> u8 out (relu);
// - qs8_dwconv3x3_f32: the heads, s8 in -> dequantized f32 out (channels 1, 4, 10).
//
// Contract (the scalar kernels are the spec; the simd128 kernels match them bit for bit):
//   acc = bias[c] + Σ row_ky(ox + kx - 1, c) * w[ky*3 + kx][c]   (i32, taps inside the map; a
//         padding tap contributes 0, so integer order never matters)
//   u8:  out[ox*C + c] = requant(f32(acc) * scale[c], 0, 255)   (relu folded into the clamp)
//   f32: out[ox*C + c] = f32(acc) * scale[c]
// Layouts: rows s8 [width][C]; weights i8 [9][C] tap-major (tap = ky*3 + kx); bias i32[C];
// scale f32[C]; out u8 or f32 [width][C]. No channel padding anywhere.
// Preconditions: width >= 1, C >= 1; weights in [-127, 127] (the contract's quantization clamps
// to ±127; the simd128 kernels add two i16 products before widening: |2 * 128 * 127| < 2^15);
// no alignment; reads exactly the row bytes, writes exactly width*C outputs.
// Bound: |acc| <= 9 * 128 * 127 + |bias| (bias < 2^30 by the contract) < 2^31.

import { requant_f32__scalar, requant_u8x4__simd128 } from "./quant";

/** i32 accumulator of output pixel ox, channel c (scalar spec; also the simd128 channel tail). */
// @ts-ignore: decorator
@inline function qdwAcc(above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, ox: i32, c: i32): i32 {
  const kx0 = ox == 0 ? 1 : 0;
  const kx1 = ox == width - 1 ? 2 : 3;
  let acc = load<i32>(bias + (<usize>c << 2));
  for (let ky = 0; ky < 3; ky++) {
    const r = ky == 0 ? above : ky == 1 ? row : below;
    if (r == 0) continue;
    for (let kx = kx0; kx < kx1; kx++) {
      acc += <i32>load<i8>(r + <usize>((ox + kx - 1) * channels + c)) * <i32>load<i8>(weights + <usize>((ky * 3 + kx) * channels + c));
    }
  }
  return acc;
}

/** Epilogue of one output (scalar): u8 requant or f32 dequantization. */
// @ts-ignore: decorator
@inline function qdwStore(out: usize, channels: i32, scale: usize, ox: i32, c: i32, acc: i32, f32out: bool): void {
  const v = <f32>acc * load<f32>(scale + (<usize>c << 2));
  const i = <usize>(ox * channels + c);
  if (f32out) store<f32>(out + (i << 2), v);
  else store<u8>(out + i, requant_f32__scalar(v, <f32>0, <f32>255));
}

/** Scalar spec of both kernels (`f32out` is a compile-time constant at each call site). */
// @ts-ignore: decorator
@inline function qdw__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize, f32out: bool,
): void {
  for (let ox = 0; ox < width; ox++) {
    for (let c = 0; c < channels; c++) {
      qdwStore(out, channels, scale, ox, c, qdwAcc(above, row, below, width, channels, weights, bias, ox, c), f32out);
    }
  }
}

/** Epilogue of 8 channels (simd128): acc lo = channels c..c+3, hi = c+4..c+7. */
// @ts-ignore: decorator
@inline function qdwStore8(dst: usize, lo: v128, hi: v128, s0: v128, s1: v128, f32out: bool): void {
  const v0 = f32x4.mul(f32x4.convert_i32x4_s(lo), s0);
  const v1 = f32x4.mul(f32x4.convert_i32x4_s(hi), s1);
  if (f32out) {
    v128.store(dst, v0);
    v128.store(dst, v1, 16);
  } else {
    v128.store64_lane(dst, requantU8x8(v0, v1), 0);
  }
}

// @ts-ignore: decorator
@inline const MAGIC: f32 = 12582912; // 1.5 * 2^23
// @ts-ignore: decorator
@inline const MAGIC_BITS: i32 = 0x4b400000;

/**
 * requant(v, 0, 255) of 8 lanes as u8 in bytes 0..7: quant.ts requant_u8x8 without its upper
 * clamp. pmax(0, v) + 1.5*2^23 rounds half to even up to 255.5 (f32 spacing 1 in [2^23, 2^24));
 * above, to +inf, the bits grow monotonically, so the i32 lane is >= 255 and the saturating
 * narrows give 255, as the clamp would; NaN and -0 give 0 through pmax.
 */
// @ts-ignore: decorator
@inline function requantU8x8(v0: v128, v1: v128): v128 {
  const zero = f32x4.splat(0), magic = f32x4.splat(MAGIC), bits = i32x4.splat(MAGIC_BITS);
  const h = i16x8.narrow_i32x4_s(
    i32x4.sub(f32x4.add(f32x4.pmax(zero, v0), magic), bits),
    i32x4.sub(f32x4.add(f32x4.pmax(zero, v1), magic), bits));
  return i8x16.narrow_i16x8_u(h, h);
}

/** Epilogue of 4 channels (simd128). */
// @ts-ignore: decorator
@inline function qdwStore4(dst: usize, acc: v128, s: v128, f32out: bool): void {
  const v = f32x4.mul(f32x4.convert_i32x4_s(acc), s);
  if (f32out) {
    v128.store(dst, v);
  } else {
    v128.store32_lane(dst, requant_u8x4__simd128(v), 0);
  }
}

/** acc += widen(p): the i16 products of 8 channels into the two i32x4 halves. */
// @ts-ignore: decorator
@inline function widenAddLo(acc: v128, p: v128): v128 { return i32x4.add(acc, i32x4.extend_low_i16x8_s(p)); }
// @ts-ignore: decorator
@inline function widenAddHi(acc: v128, p: v128): v128 { return i32x4.add(acc, i32x4.extend_high_i16x8_s(p)); }

/** s8 x i8 of 8 channels as exact i16 products (|128 * 127| < 2^15). */
// @ts-ignore: decorator
@inline function mul8(x: usize, w: v128): v128 { return i16x8.mul(v128.load8x8_s(x), w); }

/** The 4-channel simd128 path (heads' C = 4 and the 10 = 8 + 2 tail's 4s): pixel ox, channels from byte c. */
// @ts-ignore: decorator
@inline function qdwPixel4(
  above: usize, row: usize, below: usize, width: i32, C: usize, weights: usize, b: v128, s: v128,
  dst: usize, ox: i32, c: usize, f32out: bool,
): void {
  const kx0 = ox == 0 ? 1 : 0;
  const kx1 = ox == width - 1 ? 2 : 3;
  let acc = b;
  for (let ky = 0; ky < 3; ky++) {
    const r = ky == 0 ? above : ky == 1 ? row : below;
    if (r == 0) continue;
    for (let kx = kx0; kx < kx1; kx++) {
      const x = i16x8.extend_low_i8x16_s(v128.load32_zero(r + <usize>(ox + kx - 1) * C + c));
      const w = i16x8.extend_low_i8x16_s(v128.load32_zero(weights + <usize>(ky * 3 + kx) * C + c));
      acc = i32x4.add(acc, i32x4.extmul_low_i16x8_s(x, w));
    }
  }
  qdwStore4(dst, acc, s, f32out);
}

/** 4 s8 values at p as i16 lanes 0..3 (lanes 4..7 zero). */
// @ts-ignore: decorator
@inline function wide4(p: usize): v128 { return i16x8.extend_low_i8x16_s(v128.load32_zero(p)); }

/** s8 x i8 of 4 channels as exact i16 products in lanes 0..3. */
// @ts-ignore: decorator
@inline function mul4(x: usize, w: v128): v128 { return i16x8.mul(wide4(x), w); }

/** Channels [c, c + 4) of the whole row: interior pixels with the 9 weight vectors in registers when all rows are present. */
// @ts-ignore: decorator
@inline function qdwBlock4__simd128(
  above: usize, row: usize, below: usize, width: i32, C: usize, weights: usize, bias: usize, scale: usize, out: usize, c: usize, full: bool, f32out: bool,
): void {
  const ob: usize = f32out ? 4 : 1;
  const b = v128.load(bias + (c << 2));
  const s = v128.load(scale + (c << 2));
  const o = out + c * ob;
  if (!full) {
    for (let ox = 0; ox < width; ox++) qdwPixel4(above, row, below, width, C, weights, b, s, o + <usize>ox * C * ob, ox, c, f32out);
    return;
  }
  qdwPixel4(above, row, below, width, C, weights, b, s, o, 0, c, f32out);
  qdwPixel4(above, row, below, width, C, weights, b, s, o + <usize>(width - 1) * C * ob, width - 1, c, f32out);
  const w = weights + c;
  const w00 = wide4(w), w01 = wide4(w + C), w02 = wide4(w + 2 * C);
  const w10 = wide4(w + 3 * C), w11 = wide4(w + 4 * C), w12 = wide4(w + 5 * C);
  const w20 = wide4(w + 6 * C), w21 = wide4(w + 7 * C), w22 = wide4(w + 8 * C);
  let r0 = above + c, r1 = row + c, r2 = below + c;
  let dst = o + C * ob;
  const end = below + c + <usize>(width - 2) * C;
  for (; r2 < end; r2 += C) {
    let p = i16x8.add(mul4(r0, w00), mul4(r0 + C, w01));
    let acc = widenAddLo(b, p);
    p = i16x8.add(mul4(r0 + 2 * C, w02), mul4(r1, w10));
    acc = widenAddLo(acc, p);
    p = i16x8.add(mul4(r1 + C, w11), mul4(r1 + 2 * C, w12));
    acc = widenAddLo(acc, p);
    p = i16x8.add(mul4(r2, w20), mul4(r2 + C, w21));
    acc = widenAddLo(acc, p);
    acc = widenAddLo(acc, mul4(r2 + 2 * C, w22));
    qdwStore4(dst, acc, s, f32out);
    r0 += C;
    r1 += C;
    dst += C * ob;
  }
}

/** A vector of 8 i16 lanes repeating the C (1, 2, 4) bytes at p, sign-extended. */
// @ts-ignore: decorator
@inline function periodic8(p: usize, C: usize): v128 {
  const v = C == 1 ? v128.load8_splat(p) : C == 2 ? v128.load16_splat(p) : v128.load32_splat(p);
  return i16x8.extend_low_i8x16_s(v);
}

/** A vector of 4 i32 / f32 lanes repeating the C (1, 2, 4) values at p. */
// @ts-ignore: decorator
@inline function periodic4(p: usize, C: usize): v128 {
  return C == 1 ? v128.load32_splat(p) : C == 2 ? v128.load64_splat(p) : v128.load(p);
}

/**
 * The heads' narrow maps (C = 1, 2, 4; all three rows present): a row is walked 8 bytes (8 / C
 * pixels x C channels) at a time with weight, bias and scale vectors repeating every C lanes,
 * so one 8-lane step (i16 products, two taps added in i16, then widened) serves 8 / C pixels. Bytes [C, (width - 1)*C)
 * are interior (all taps inside); the edge pixels and the < 8 bytes left over use the scalar's code.
 */
// @ts-ignore: decorator
@inline function qdwNarrow__simd128(
  above: usize, row: usize, below: usize, width: i32, C: usize, weights: usize, bias: usize, scale: usize, out: usize, f32out: bool,
): void {
  const ob: usize = f32out ? 4 : 1;
  const w00 = periodic8(weights, C), w01 = periodic8(weights + C, C), w02 = periodic8(weights + 2 * C, C);
  const w10 = periodic8(weights + 3 * C, C), w11 = periodic8(weights + 4 * C, C), w12 = periodic8(weights + 5 * C, C);
  const w20 = periodic8(weights + 6 * C, C), w21 = periodic8(weights + 7 * C, C), w22 = periodic8(weights + 8 * C, C);
  const b = periodic4(bias, C), s = periodic4(scale, C);
  const end = <usize>(width - 1) * C; // first byte of the last pixel
  let i = C;
  for (; i + 8 <= end; i += 8) {
    // r0, r1, r2: tap kx = 0 of the first of the 8 / C output pixels.
    const r0 = above + i - C, r1 = row + i - C, r2 = below + i - C;
    let p = i16x8.add(mul8(r0, w00), mul8(r0 + C, w01));
    let lo = widenAddLo(b, p), hi = widenAddHi(b, p);
    p = i16x8.add(mul8(r0 + 2 * C, w02), mul8(r1, w10));
    lo = widenAddLo(lo, p); hi = widenAddHi(hi, p);
    p = i16x8.add(mul8(r1 + C, w11), mul8(r1 + 2 * C, w12));
    lo = widenAddLo(lo, p); hi = widenAddHi(hi, p);
    p = i16x8.add(mul8(r2, w20), mul8(r2 + C, w21));
    lo = widenAddLo(lo, p); hi = widenAddHi(hi, p);
    p = mul8(r2 + 2 * C, w22);
    lo = widenAddLo(lo, p); hi = widenAddHi(hi, p);
    qdwStore8(out + i * ob, lo, hi, s, s, f32out);
  }
  const channels = <i32>C;
  for (let c = 0; c < channels; c++) {
    qdwStore(out, channels, scale, 0, c, qdwAcc(above, row, below, width, channels, weights, bias, 0, c), f32out);
  }
  for (let ox = <i32>(i / C); ox < width; ox++) {
    for (let c = 0; c < channels; c++) {
      qdwStore(out, channels, scale, ox, c, qdwAcc(above, row, below, width, channels, weights, bias, ox, c), f32out);
    }
  }
}

/** i16 lanes (a0, b0, a1, b1, a2, b2, a3, b3) and (a4, b4, ..., a7, b7): two 8-lane i16 vectors interleaved. */
// @ts-ignore: decorator
@inline function zip16Lo(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
// @ts-ignore: decorator
@inline function zip16Hi(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/** 8 s8 values at p as i16, or zeros when that kernel row is padding. */
// @ts-ignore: decorator
@inline function weights8(p: usize, present: bool): v128 { return present ? v128.load8x8_s(p) : i32x4.splat(0); }

/**
 * Channels [c, c + 8) of the whole row (simd128). Taps are paired so one i32x4.dot_i16x8_s adds
 * two exact products of 4 channels: a column x of `above` and `row` (taps (0, kx) and (1, kx))
 * gives one interleaved pair vector ZAR(x) that serves the three output pixels x + 1, x, x - 1
 * (kx = 0, 1, 2); `below` is paired along the row, ZB(x) = (b[x - 1], b[x]), which serves pixel
 * x as taps (2, 0), (2, 1) and pixel x - 1 as (2, 2) with a zero partner weight. So each input
 * column costs 3 loads and 4 shuffles, and each output pixel 10 dots and 10 adds. The loop walks
 * the input columns carrying two open outputs: column x completes pixel x - 1, adds to pixel x
 * and opens pixel x + 1. The padding columns -1 and `width` are zero vectors (b[-1]) or never
 * read (nothing past the last column is added), and a padding row reads `row` with zero weights,
 * so every pixel and row takes the same path. V8 keeps the 10 pair weights, bias, scale and the
 * requant constants partly on the stack (~18 reloads per pixel); measured and not kept: 16
 * channels per step 0.8x (more spills), 4 channels 0.85x, the pair weights read from static memory
 * 0.99x, bias and scale reloaded where used 0.97x.
 */
// @ts-ignore: decorator
@inline function qdwBlock8__simd128(
  above: usize, row: usize, below: usize, width: i32, C: usize, weights: usize, bias: usize, scale: usize, out: usize, c: usize, f32out: bool,
): void {
  const ob: usize = f32out ? 4 : 1;
  const b0 = v128.load(bias + (c << 2)), b1 = v128.load(bias + (c << 2), 16);
  const s0 = v128.load(scale + (c << 2)), s1 = v128.load(scale + (c << 2), 16);
  const hasA = above != 0, hasB = below != 0;
  const w = weights + c;
  const w0 = weights8(w, hasA), w1 = weights8(w + C, hasA), w2 = weights8(w + 2 * C, hasA);
  const w3 = v128.load8x8_s(w + 3 * C), w4 = v128.load8x8_s(w + 4 * C), w5 = v128.load8x8_s(w + 5 * C);
  const w6 = weights8(w + 6 * C, hasB), w7 = weights8(w + 7 * C, hasB), w8 = weights8(w + 8 * C, hasB);
  const zero = i32x4.splat(0);
  // Pair weights, low / high 4 channels: (w_(0,kx), w_(1,kx)) for kx = 0, 1, 2; (w_(2,0), w_(2,1)); (0, w_(2,2)).
  const k0l = zip16Lo(w0, w3), k0h = zip16Hi(w0, w3);
  const k1l = zip16Lo(w1, w4), k1h = zip16Hi(w1, w4);
  const k2l = zip16Lo(w2, w5), k2h = zip16Hi(w2, w5);
  const kbl = zip16Lo(w6, w7), kbh = zip16Hi(w6, w7);
  const kcl = zip16Lo(zero, w8), kch = zip16Hi(zero, w8);
  const ra = (hasA ? above : row) + c, rr = row + c, rb = (hasB ? below : row) + c;
  // Column 0: pixel 0 gets its kx = 1 taps and (b[-1] = 0, b[0]); pixel 1 opens with kx = 0.
  let bp = v128.load8x8_s(rb);
  const a0 = v128.load8x8_s(ra), r0 = v128.load8x8_s(rr);
  let zl = zip16Lo(a0, r0), zh = zip16Hi(a0, r0);
  let bl = zip16Lo(zero, bp), bh = zip16Hi(zero, bp);
  let curL = i32x4.add(i32x4.add(b0, i32x4.dot_i16x8_s(zl, k1l)), i32x4.dot_i16x8_s(bl, kbl));
  let curH = i32x4.add(i32x4.add(b1, i32x4.dot_i16x8_s(zh, k1h)), i32x4.dot_i16x8_s(bh, kbh));
  let nxtL = i32x4.add(b0, i32x4.dot_i16x8_s(zl, k0l));
  let nxtH = i32x4.add(b1, i32x4.dot_i16x8_s(zh, k0h));
  let dst = out + c * ob;
  const end = <usize>width * C;
  for (let i = C; i < end; i += C) {
    const a = v128.load8x8_s(ra + i), r = v128.load8x8_s(rr + i), bx = v128.load8x8_s(rb + i);
    zl = zip16Lo(a, r); zh = zip16Hi(a, r);
    bl = zip16Lo(bp, bx); bh = zip16Hi(bp, bx);
    bp = bx;
    // Pixel x - 1 is complete with kx = 2.
    curL = i32x4.add(curL, i32x4.add(i32x4.dot_i16x8_s(zl, k2l), i32x4.dot_i16x8_s(bl, kcl)));
    curH = i32x4.add(curH, i32x4.add(i32x4.dot_i16x8_s(zh, k2h), i32x4.dot_i16x8_s(bh, kch)));
    qdwStore8(dst, curL, curH, s0, s1, f32out);
    dst += C * ob;
    curL = i32x4.add(nxtL, i32x4.add(i32x4.dot_i16x8_s(zl, k1l), i32x4.dot_i16x8_s(bl, kbl)));
    curH = i32x4.add(nxtH, i32x4.add(i32x4.dot_i16x8_s(zh, k1h), i32x4.dot_i16x8_s(bh, kbh)));
    nxtL = i32x4.add(b0, i32x4.dot_i16x8_s(zl, k0l));
    nxtH = i32x4.add(b1, i32x4.dot_i16x8_s(zh, k0h));
  }
  // The last pixel: its kx = 2 column is padding, its b[x + 1] too.
  qdwStore8(dst, curL, curH, s0, s1, f32out);
}

/**
 * simd128 form of both kernels. 8-channel blocks through qdwBlock8__simd128 (tap pairs per
 * i32x4.dot_i16x8_s, every pixel and padding row on one path; 1.15-1.3x the former i16x8.mul +
 * widen form, which widened each pair of products to i32 by extend_low / extend_high). Then
 * 4-channel blocks for the remaining channels (load32_zero, i16 products; the last block overlaps
 * the previous one when C % 4 != 0); C < 4: the scalar's code, or with all rows present and
 * C = 1, 2, 4, qdwNarrow__simd128 (8 / C pixels per vector).
 */
// @ts-ignore: decorator
@inline function qdw__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize, f32out: bool,
): void {
  const C = <usize>channels;
  const full = above != 0 && below != 0 && width >= 3;
  if (full && (C == 1 || C == 2 || C == 4)) {
    qdwNarrow__simd128(above, row, below, width, C, weights, bias, scale, out, f32out);
    return;
  }
  let c: usize = 0;
  for (; c + 8 <= C; c += 8) qdwBlock8__simd128(above, row, below, width, C, weights, bias, scale, out, c, f32out);
  // The C % 8 channels in 4-channel blocks; the last block overlaps the previous one when C % 4 != 0
  // (C = 10: channels 6..9), recomputing the same integers, so the same bytes.
  if (C >= 4) {
    while (c < C) {
      c = min(c, C - 4);
      qdwBlock4__simd128(above, row, below, width, C, weights, bias, scale, out, c, full, f32out);
      c += 4;
    }
  }
  for (; c < C; c++) {
    for (let ox = 0; ox < width; ox++) {
      qdwStore(out, channels, scale, ox, <i32>c, qdwAcc(above, row, below, width, channels, weights, bias, ox, <i32>c), f32out);
    }
  }
}

// ---- swar64: the scalar build's depthwise (interpreters) ---------------------------------------
//
// One i64.mul does 3 MACs: an input value x = row_r(p, c) meets the three weights of its row,
// w[r][0..2], in three output pixels (p + 1, p, p - 1). With the weights packed in 21-bit lanes,
// W_r = w_r0 + w_r1*2^21 + w_r2*2^42, the products x*W_r of the three rows at column p add up to
// Y(p), whose lane 0 belongs to output p + 1, lane 1 to p, lane 2 to p - 1. Walking the row,
//   S(p) = (S(p - 1) << 21) + Y(p) + 2^20
// shifts each output up one lane per column: lane 2 of S(p) is output p - 1's complete sum (its
// three columns, padding columns -1 and width are 0), plus the 2^20 it got on entering lane 0.
// No borrows: every lane's value (2^20 + a partial sum, |sum| <= 9*128*128 < 2^18) stays in
// [0, 2^21), so as an integer mod 2^64 S is exactly its bitfields (what leaves lane 2 wraps away
// above bit 63). Then acc = bias + (lane 2 - 2^20): the spec's integer, the spec's epilogue.
// Per channel: 3 loads, 3 i64.mul, 5 adds / shifts and the extraction for 9 MACs (the spec: about
// 20 instructions per MAC). A padding row gets zero weights and reads `row` instead.

// @ts-ignore: decorator
@inline const LANE_OFFSET: i64 = 1 << 20;

/** The three weights of kernel row ky, channel c, packed in 21-bit lanes (kx = 0 in lane 0). */
// @ts-ignore: decorator
@inline function packRow(weights: usize, C: usize, ky: usize, c: usize): i64 {
  const w = weights + ky * 3 * C + c;
  return <i64>load<i8>(w) + (<i64>load<i8>(w + C) << 21) + (<i64>load<i8>(w + 2 * C) << 42);
}

/** One output from S: lane 2 (bits 42..62; bit 63 holds the previous column's) + b0 = bias - 2^20, then the spec's epilogue. */
// @ts-ignore: decorator
@inline function qdwEmit(S: i64, b0: i32, sc: f32, dst: usize, f32out: bool): void {
  const v = <f32>(<i32>((S >>> 42) & 0x1fffff) + b0) * sc;
  if (f32out) store<f32>(dst, v);
  else store<u8>(dst, requant_f32__scalar(v, <f32>0, <f32>255));
}

/** S shifted one lane on, plus column p's products (p: its byte in `row`; dA, dB: `above`, `below` minus `row`). */
// @ts-ignore: decorator
@inline function qdwColumn(S: i64, p: usize, dA: usize, dB: usize, wa: i64, wr: i64, wb: i64): i64 {
  return (S << 21) + <i64>load<i8>(p + dA) * wa + <i64>load<i8>(p) * wr + <i64>load<i8>(p + dB) * wb + LANE_OFFSET;
}

// @ts-ignore: decorator
@inline function qdw__swar64(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize, f32out: bool,
): void {
  const C = <usize>channels;
  const ob: usize = f32out ? 4 : 1;
  // Wasm instructions are what an interpreter pays for: one row pointer with the other rows at
  // fixed distances, an out pointer, a bottom-tested loop two columns per step.
  const dA = (above != 0 ? above : row) - row, dB = (below != 0 ? below : row) - row;
  const rowEnd = row + <usize>width * C;
  for (let c: usize = 0; c < C; c++) {
    const wa = above != 0 ? packRow(weights, C, 0, c) : 0;
    const wr = packRow(weights, C, 1, c);
    const wb = below != 0 ? packRow(weights, C, 2, c) : 0;
    const b0 = load<i32>(bias + (c << 2)) - <i32>LANE_OFFSET;
    const sc = load<f32>(scale + (c << 2));
    const end = rowEnd + c;
    let p = row + c;
    let dst = out + c * ob;
    // Output 0 enters lane 0 at the padding column -1.
    let S = qdwColumn(LANE_OFFSET, p, dA, dB, wa, wr, wb);
    p += C;
    while (p + C < end) {
      S = qdwColumn(S, p, dA, dB, wa, wr, wb);
      qdwEmit(S, b0, sc, dst, f32out);
      S = qdwColumn(S, p + C, dA, dB, wa, wr, wb);
      qdwEmit(S, b0, sc, dst + C * ob, f32out);
      p += C << 1;
      dst += (C << 1) * ob;
    }
    if (p < end) {
      S = qdwColumn(S, p, dA, dB, wa, wr, wb);
      qdwEmit(S, b0, sc, dst, f32out);
      dst += C * ob;
    }
    qdwEmit(S << 21, b0, sc, dst, f32out); // the padding column `width` adds nothing
  }
}

/** Scalar spec of the backbone / neck depthwise conv: s8 -> u8, relu folded into the clamp. */
export function qs8_dwconv3x3_relu_requant_u8__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__scalar(above, row, below, width, channels, weights, bias, scale, out, false);
}

/** simd128 variant of qs8_dwconv3x3_relu_requant_u8, same signature and result. */
export function qs8_dwconv3x3_relu_requant_u8__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__simd128(above, row, below, width, channels, weights, bias, scale, out, false);
}

/** swar64 variant of qs8_dwconv3x3_relu_requant_u8 (the scalar build's), same signature and result. */
export function qs8_dwconv3x3_relu_requant_u8__swar64(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__swar64(above, row, below, width, channels, weights, bias, scale, out, false);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the swar64 form (compile-time). */
export function qs8_dwconv3x3_relu_requant_u8(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) qs8_dwconv3x3_relu_requant_u8__simd128(above, row, below, width, channels, weights, bias, scale, out);
  else qs8_dwconv3x3_relu_requant_u8__swar64(above, row, below, width, channels, weights, bias, scale, out);
}

/** Scalar spec of the head depthwise conv: s8 -> f32. */
export function qs8_dwconv3x3_f32__scalar(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__scalar(above, row, below, width, channels, weights, bias, scale, out, true);
}

/** simd128 variant of qs8_dwconv3x3_f32, same signature and result. */
export function qs8_dwconv3x3_f32__simd128(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__simd128(above, row, below, width, channels, weights, bias, scale, out, true);
}

/** swar64 variant of qs8_dwconv3x3_f32 (the scalar build's), same signature and result. */
export function qs8_dwconv3x3_f32__swar64(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  qdw__swar64(above, row, below, width, channels, weights, bias, scale, out, true);
}

/** Dispatcher: the simd128 kernel when the build has SIMD, else the swar64 form (compile-time). */
export function qs8_dwconv3x3_f32(
  above: usize, row: usize, below: usize, width: i32, channels: i32, weights: usize, bias: usize, scale: usize, out: usize,
): void {
  if (ASC_FEATURE_SIMD) qs8_dwconv3x3_f32__simd128(above, row, below, width, channels, weights, bias, scale, out);
  else qs8_dwconv3x3_f32__swar64(above, row, below, width, channels, weights, bias, scale, out);
}
