// Pixel operations on a host image, shared by the engine module (assembly/index.ts) and the WASI
// build: the SSR-Net face crop and the detector's working-image resize. Both write BGR u8.
//
// Arithmetic is float64 in the same order as the reference (test/helpers/crop-reference.ts), so
// the bytes are identical on every host: wasm f64 is IEEE binary64 without fused multiply-add,
// and Math.round here rounds halves up exactly as JavaScript's does. The crop is 12288 outputs:
// ~0.06 ms scalar, ~0.04 ms through the simd128 build's RGBA path (the same f64 operations two
// pixels at a time; the host always writes RGBA), against ~0.55 ms per network run. The resize
// sums columns once per block row and takes each block's sum as a difference (resizeToBgr):
// ~3 ms from 1344x1008 or 1024x768 to 640x480, ~8 ms from 12 MP, ~0.15 ms to copy a 640x480
// frame kept at its size (simd build on a loaded 2-core machine: 4-4.7x faster than the
// per-block loops it replaced, 2-2.6x in the scalar build; bench/resize.bench.ts).
//
// Source layouts (row-major, no row padding): RGBA 4 bytes a pixel (alpha ignored), RGB and BGR
// 3 bytes, GRAY 1 byte (read as R = G = B).

export const PIXEL_RGBA: i32 = 0, PIXEL_RGB: i32 = 1, PIXEL_BGR: i32 = 2, PIXEL_GRAY: i32 = 3;

/** Side of the square network input. */
const CROP: i32 = 64;

/** Per crop column: source column of the left and right neighbour (i32 each), then the right one's weight (f64). */
const COLUMN_LO: usize = memory.data(CROP * 4, 16);
const COLUMN_HI: usize = memory.data(CROP * 4, 16);
const COLUMN_FRAC: usize = memory.data(CROP * 8, 16);

/** Bytes per pixel of `format`; 0 for an unknown format. */
export function bytesPerPixel(format: i32): i32 {
  if (format == PIXEL_RGBA) return 4;
  if (format == PIXEL_RGB || format == PIXEL_BGR) return 3;
  return format == PIXEL_GRAY ? 1 : 0;
}

/** Offset of red in a pixel of `format` (blue is `2 - red` for the 3- and 4-byte formats, 0 for gray). */
// @ts-ignore: decorator
@inline function redOffset(format: i32): usize {
  return format == PIXEL_BGR ? 2 : 0;
}

// @ts-ignore: decorator
@inline function blueOffset(format: i32): usize {
  return format == PIXEL_BGR || format == PIXEL_GRAY ? 0 : 2;
}

// @ts-ignore: decorator
@inline function greenOffset(format: i32): usize {
  return format == PIXEL_GRAY ? 0 : 1;
}

/**
 * Sample position `i` (0..63) along one axis of a region starting at `start`, `size` long, in an
 * image axis of `limit` pixels: cv2's half-pixel centre, clamped to the region's first and last
 * pixel centre. Returns the sample; the caller floors it.
 */
// @ts-ignore: decorator
@inline function samplePosition(i: i32, start: f64, size: f64): f64 {
  const last = Math.max(start, start + size - 1);
  return Math.min(Math.max(start + ((<f64>i + 0.5) * size) / <f64>CROP - 0.5, start), last);
}

/** A neighbour index clamped to the image (BORDER_REPLICATE), clamped in f64 so any finite value converts safely. */
// @ts-ignore: decorator
@inline function clampIndex(v: f64, limit: i32): i32 {
  return <i32>Math.min(Math.max(v, 0), <f64>(limit - 1));
}

/**
 * box (x,y,w,h in source pixels) widened by margin per side -> 64x64x3 BGR u8 at dst; cv2
 * INTER_LINEAR + BORDER_REPLICATE, f64 weights, same rounding as src/preprocess.ts.
 *
 * The caller validates: width, height >= 1, a known format, finite numbers with w, h > 0 and
 * finite widened box (x - margin * w, w * (1 + 2 * margin)). Nothing is read outside the
 * width x height image, whatever the box.
 */
export function cropFaceBgr(src: usize, width: i32, height: i32, format: i32, x: f64, y: f64, w: f64, h: f64, margin: f64, dst: usize): void {
  const bpp = <usize>bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  const stride = <usize>width * bpp;
  const startX = x - margin * w, sizeX = w * (1 + 2 * margin);
  const startY = y - margin * h, sizeY = h * (1 + 2 * margin);
  for (let u = 0; u < CROP; u++) {
    const s = samplePosition(u, startX, sizeX);
    const lo = Math.floor(s);
    store<f64>(COLUMN_FRAC + (<usize>u << 3), s - lo);
    store<i32>(COLUMN_LO + (<usize>u << 2), clampIndex(lo, width));
    store<i32>(COLUMN_HI + (<usize>u << 2), clampIndex(lo + 1, width));
  }
  if (ASC_FEATURE_SIMD && format == PIXEL_RGBA) {
    cropRowsRgba__simd128(src, stride, height, startY, sizeY, dst);
    return;
  }
  let o = dst;
  for (let v = 0; v < CROP; v++) {
    const s = samplePosition(v, startY, sizeY);
    const lo = Math.floor(s);
    const fy = s - lo;
    const top = src + <usize>clampIndex(lo, height) * stride;
    const bottom = src + <usize>clampIndex(lo + 1, height) * stride;
    for (let u = 0; u < CROP; u++) {
      const fx = load<f64>(COLUMN_FRAC + (<usize>u << 3));
      const left = <usize>load<i32>(COLUMN_LO + (<usize>u << 2)) * bpp;
      const right = <usize>load<i32>(COLUMN_HI + (<usize>u << 2)) * bpp;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = top + left, p01 = top + right, p10 = bottom + left, p11 = bottom + right;
      store<u8>(o, <u8>Math.round(w00 * <f64>load<u8>(p00 + bo) + w01 * <f64>load<u8>(p01 + bo) + w10 * <f64>load<u8>(p10 + bo) + w11 * <f64>load<u8>(p11 + bo)));
      store<u8>(o + 1, <u8>Math.round(w00 * <f64>load<u8>(p00 + go) + w01 * <f64>load<u8>(p01 + go) + w10 * <f64>load<u8>(p10 + go) + w11 * <f64>load<u8>(p11 + go)));
      store<u8>(o + 2, <u8>Math.round(w00 * <f64>load<u8>(p00 + ro) + w01 * <f64>load<u8>(p01 + ro) + w10 * <f64>load<u8>(p10 + ro) + w11 * <f64>load<u8>(p11 + ro)));
      o += 3;
    }
  }
}

/**
 * The rows of cropFaceBgr for an RGBA source, two crop pixels (u, u + 1) per step in f64x2 lanes:
 * the same IEEE operations in the same order as the scalar loop (weights (1 - fx) * (1 - fy) ...,
 * then w00 * p00 + w01 * p01 + w10 * p10 + w11 * p11 left to right, then round half up), so the
 * same bytes; no FMA, no relaxed SIMD. Each tap is one 32-bit load per pixel; a shuffle spreads a
 * channel of both pixels into i32 lanes 0 and 1 for f64x2.convert_low_i32x4_s. Measured: the
 * crop 1.6x faster (61 -> 38 us on Zen 5, Node 20).
 */
function cropRowsRgba__simd128(src: usize, stride: usize, height: i32, startY: f64, sizeY: f64, dst: usize): void {
  const half = f64x2.splat(0.5);
  const one = f64x2.splat(1);
  let o = dst;
  for (let v = 0; v < CROP; v++) {
    const s = samplePosition(v, startY, sizeY);
    const lo = Math.floor(s);
    const fy = s - lo;
    const top = src + <usize>clampIndex(lo, height) * stride;
    const bottom = src + <usize>clampIndex(lo + 1, height) * stride;
    const upper = f64x2.splat(1 - fy);
    const lower = f64x2.splat(fy);
    for (let u = 0; u < CROP; u += 2) {
      const fx = v128.load(COLUMN_FRAC + (<usize>u << 3));
      const fxLeft = f64x2.sub(one, fx); // the scalar loop's 1 - fx, the same f64 subtraction
      const w00 = f64x2.mul(fxLeft, upper);
      const w01 = f64x2.mul(fx, upper);
      const w10 = f64x2.mul(fxLeft, lower);
      const w11 = f64x2.mul(fx, lower);
      const left0 = <usize>load<i32>(COLUMN_LO + (<usize>u << 2)) << 2;
      const left1 = <usize>load<i32>(COLUMN_LO + (<usize>u << 2), 4) << 2;
      const right0 = <usize>load<i32>(COLUMN_HI + (<usize>u << 2)) << 2;
      const right1 = <usize>load<i32>(COLUMN_HI + (<usize>u << 2), 4) << 2;
      // Each tap: the RGBA pixels of u and u + 1 in bytes 0-3 and 4-7.
      const t00 = v128.load32_lane(top + left1, v128.load32_zero(top + left0), 1);
      const t01 = v128.load32_lane(top + right1, v128.load32_zero(top + right0), 1);
      const t10 = v128.load32_lane(bottom + left1, v128.load32_zero(bottom + left0), 1);
      const t11 = v128.load32_lane(bottom + right1, v128.load32_zero(bottom + right0), 1);
      const b = roundHalfUp__simd128(bilinear__simd128(w00, w01, w10, w11, t00, t01, t10, t11, 2), half, one);
      const g = roundHalfUp__simd128(bilinear__simd128(w00, w01, w10, w11, t00, t01, t10, t11, 1), half, one);
      const r = roundHalfUp__simd128(bilinear__simd128(w00, w01, w10, w11, t00, t01, t10, t11, 0), half, one);
      // [b0, b1, g0, g1] and [r0, r1, 0, 0] (i32, each 0..255) -> bytes b0 g0 r0 b1 g1 r1.
      const bg = i32x4.shuffle(b, g, 0, 1, 4, 5);
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(bg, r), bg);
      const out = i8x16.shuffle(bytes, bytes, 0, 2, 4, 1, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      v128.store32_lane(o, out, 0);
      v128.store16_lane(o, out, 2, 4);
      o += 6;
    }
  }
}

/** Channel `c` (byte offset in RGBA) of both pixels of four taps, weighted and summed: f64x2. */
// @ts-ignore: decorator
@inline function bilinear__simd128(w00: v128, w01: v128, w10: v128, w11: v128, t00: v128, t01: v128, t10: v128, t11: v128, c: i32): v128 {
  return f64x2.add(f64x2.add(f64x2.add(
    f64x2.mul(w00, channelPair__simd128(t00, c)),
    f64x2.mul(w01, channelPair__simd128(t01, c))),
    f64x2.mul(w10, channelPair__simd128(t10, c))),
    f64x2.mul(w11, channelPair__simd128(t11, c)));
}

/** Byte c of pixels 0 and 1 (bytes 0-3, 4-7 of t) as f64x2. */
// @ts-ignore: decorator
@inline function channelPair__simd128(t: v128, c: i32): v128 {
  // Swizzle indices >= 16 give 0: lane 0 = byte c, lane 1 = byte 4 + c, zero-extended to i32.
  const index = i32x4(0xffffff00 | c, 0xffffff04 + c, -1, -1);
  return f64x2.convert_low_i32x4_s(i8x16.swizzle(t, index)); // 0..255: _s is exact and one cvtdq2pd
}

/** roundHalfUp on two f64 lanes, as i32 lanes 0 and 1 (lanes 2, 3 zero). */
// @ts-ignore: decorator
@inline function roundHalfUp__simd128(v: v128, half: v128, one: v128): v128 {
  const up = f64x2.ceil(v);
  // ceil - 1 where ceil - 0.5 > v: the 1 is selected by the all-ones compare mask.
  const down = v128.and(f64x2.gt(f64x2.sub(up, half), v), one);
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(up, down));
}

/** Widest block (source pixels) of the resize's fast path, and the widest source span of one column group. */
const RESIZE_SPAN: i32 = 64;
/** Tallest block of the fast path: it sums a column's rows in 16-bit lanes, 257 x 255 = 65535. */
const RESIZE_ROWS: i32 = 257;
/**
 * The fast path's running column sums over one span (1040 bytes of static data): entry u holds
 * u32 R, G, B (and A or unused) summed over the span's columns before u.
 */
const RESIZE_SUMS: usize = memory.data((RESIZE_SPAN + 1) * 16, 16);

/** First source column (row) of output column (row) `i`: floor(i * scale) in f64, at most size - 1. */
// @ts-ignore: decorator
@inline function blockStart(i: i32, scale: f64, size: i32): i32 {
  return min(size - 1, <i32>Math.floor(<f64>i * scale));
}

/** One past the last source column (row) of output `i`: round((i + 1) * scale) in f64, clamped to size, at least start + 1. */
// @ts-ignore: decorator
@inline function blockEnd(i: i32, start: i32, scale: f64, size: i32): i32 {
  return max(start + 1, <i32>Math.min(<f64>size, Math.round(<f64>(i + 1) * scale)));
}

/**
 * The region [rx, rx + rw) x [ry, ry + rh) of the source image -> dstWidth x dstHeight x 3 BGR at
 * dst, area average exactly as src/detector.ts resizeToBgr did: each output pixel averages the
 * integer pixel range of the region it covers (the nearest pixel when enlarging), rounded half up.
 * The ranges come from f64 floor / round of i * (size / dstSize), as in the reference, so they
 * are the same ranges, including where those f64 products fall just below an integer.
 *
 * Three paths, the same bytes: a copy at the same size; running column sums when every block is
 * at most RESIZE_SPAN x RESIZE_ROWS (resizeByColumns: any resize to the detector's working size
 * from below ~40000 px a side); else one sum per block (resizeBlocks). The column ranges are
 * computed once, into the output's last row (3 bytes a column: the row's own size), which its
 * own pixels overwrite last, each after its range is read.
 *
 * `width`: the source image's width (its row stride in pixels). The caller validates: all sizes
 * >= 1, the region inside the image, a known format; dst does not overlap the image (its last
 * row is written first).
 */
export function resizeToBgr(
  src: usize, width: i32, format: i32, rx: i32, ry: i32, rw: i32, rh: i32, dst: usize, dstWidth: i32, dstHeight: i32,
): void {
  const bpp = <usize>bytesPerPixel(format);
  const stride = <usize>width * bpp;
  src += <usize>ry * stride + <usize>rx * bpp;
  if (dstWidth == rw && dstHeight == rh) {
    // Same size: every block is one pixel, and the average of one value is that value.
    if (ASC_FEATURE_SIMD && format == PIXEL_RGBA) copyRgbaToBgr__simd128(src, stride, rw, rh, dst);
    else if (ASC_FEATURE_SIMD) copyPackedToBgr__simd128(src, stride, format, rw, rh, dst);
    else copyToBgr(src, stride, format, rw, rh, dst);
    return;
  }
  const sx = <f64>rw / <f64>dstWidth;
  const sy = <f64>rh / <f64>dstHeight;
  // Column x's range: u16 first column, u8 width (only read when at most RESIZE_SPAN).
  const ranges = dst + <usize>(dstHeight - 1) * <usize>dstWidth * 3;
  let widest = 0, tallest = 0;
  for (let x = 0; x < dstWidth; x++) {
    const x0 = blockStart(x, sx, rw), x1 = blockEnd(x, x0, sx, rw);
    store<u16>(ranges + <usize>x * 3, <u16>x0);
    store<u8>(ranges + <usize>x * 3, <u8>(x1 - x0), 2);
    widest = max(widest, x1 - x0);
  }
  for (let y = 0; y < dstHeight; y++) {
    const y0 = blockStart(y, sy, rh);
    tallest = max(tallest, blockEnd(y, y0, sy, rh) - y0);
  }
  if (widest <= RESIZE_SPAN && tallest <= RESIZE_ROWS) resizeByColumns(src, stride, format, rw, rh, sy, dst, dstWidth, dstHeight, ranges);
  else resizeBlocks(src, stride, format, rw, rh, sx, sy, dst, dstWidth, dstHeight);
}

/** Same-size resizeToBgr: each pixel's B, G, R (RGBA: one 4-byte load a pixel; BGR: the rows as they are). */
function copyToBgr(src: usize, stride: usize, format: i32, w: i32, h: i32, dst: usize): void {
  const bpp = <usize>bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  let o = dst;
  for (let y = 0; y < h; y++) {
    const row = src + <usize>y * stride;
    if (format == PIXEL_BGR) {
      memory.copy(o, row, <usize>w * 3);
      o += <usize>w * 3;
      continue;
    }
    if (format == PIXEL_RGBA) {
      for (let x = 0; x < w; x++) {
        const px = load<u32>(row + (<usize>x << 2));
        store<u16>(o, ((px >>> 16) & 0xff) | (px & 0xff00));
        store<u8>(o, <u8>px, 2);
        o += 3;
      }
      continue;
    }
    for (let x = 0; x < w; x++) {
      const p = row + <usize>x * bpp;
      store<u8>(o, load<u8>(p + bo));
      store<u8>(o + 1, load<u8>(p + go));
      store<u8>(o + 2, load<u8>(p + ro));
      o += 3;
    }
  }
}

/** copyToBgr of RGBA, 4 pixels a step: one load, one swizzle, one 16-byte store (12 bytes of it kept). */
function copyRgbaToBgr__simd128(src: usize, stride: usize, w: i32, h: i32, dst: usize): void {
  const order = i8x16(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const end = dst + <usize>w * <usize>h * 3;
  let o = dst;
  for (let y = 0; y < h; y++) {
    const row = src + <usize>y * stride;
    let x = 0;
    for (; x + 4 <= w; x += 4) {
      const bgr = i8x16.swizzle(v128.load(row + (<usize>x << 2)), order);
      if (o + 16 <= end) {
        v128.store(o, bgr); // the 4 bytes past these pixels are overwritten by the next ones
      } else {
        v128.store64_lane(o, bgr, 0);
        v128.store32_lane(o, bgr, 2, 8);
      }
      o += 12;
    }
    for (; x < w; x++) {
      const px = load<u32>(row + (<usize>x << 2));
      store<u16>(o, ((px >>> 16) & 0xff) | (px & 0xff00));
      store<u8>(o, <u8>px, 2);
      o += 3;
    }
  }
}

/**
 * copyToBgr of RGB, BGR and gray: BGR rows are copied as they are; RGB 5 pixels a step (one
 * 16-byte load, its 15 bytes reordered), gray 16 pixels a step (one load, three 16-byte stores).
 * Loads stay inside the row; the rest of a row goes one pixel at a time.
 */
function copyPackedToBgr__simd128(src: usize, stride: usize, format: i32, w: i32, h: i32, dst: usize): void {
  const rowBytes = <usize>w * 3;
  let o = dst;
  for (let y = 0; y < h; y++) {
    const row = src + <usize>y * stride;
    let x = 0;
    if (format == PIXEL_BGR) {
      memory.copy(o, row, rowBytes);
      o += rowBytes;
      continue;
    }
    if (format == PIXEL_RGB) {
      for (; x * 3 + 16 <= w * 3; x += 5) {
        const px = v128.load(row + <usize>(x * 3));
        const bgr = i8x16.shuffle(px, px, 2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15);
        // Output rows are as long as input rows: the store stays in the row as the load did; its
        // 16th byte is the next pixel's first, written next.
        v128.store(o, bgr);
        o += 15;
      }
      for (; x < w; x++) {
        const p = row + <usize>(x * 3);
        store<u8>(o, load<u8>(p, 2));
        store<u8>(o, load<u8>(p, 1), 1);
        store<u8>(o, load<u8>(p), 2);
        o += 3;
      }
      continue;
    }
    for (; x + 16 <= w; x += 16) {
      const px = v128.load(row + <usize>x);
      v128.store(o, i8x16.shuffle(px, px, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5));
      v128.store(o, i8x16.shuffle(px, px, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10), 16);
      v128.store(o, i8x16.shuffle(px, px, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15), 32);
      o += 48;
    }
    for (; x < w; x++) {
      const v = load<u8>(row + <usize>x);
      store<u8>(o, v);
      store<u8>(o, v, 1);
      store<u8>(o, v, 2);
      o += 3;
    }
  }
}

/**
 * resizeToBgr when every block is at most RESIZE_SPAN wide and RESIZE_ROWS tall; `ranges`: the
 * column ranges resizeToBgr wrote. Per output row, the columns go in groups whose blocks lie in
 * one span of RESIZE_SPAN source columns starting at the group's first block; columnSums writes
 * the running sums of the span's columns over the row's block rows, so a block's sum is the
 * difference of two entries: no per-block loops, no branches on block shapes. Exact: a block is
 * at most 64 x 257 pixels, a channel's sum below 2^23 (running sums below 2^23 too, u32).
 * Row-major, so the image is read in the order it lies in memory.
 */
function resizeByColumns(src: usize, stride: usize, format: i32, rw: i32, rh: i32, sy: f64, dst: usize, dw: i32, dh: i32, ranges: usize): void {
  const bpp = <usize>bytesPerPixel(format);
  let o = dst;
  for (let y = 0; y < dh; y++) {
    const y0 = blockStart(y, sy, rh);
    const rows = blockEnd(y, y0, sy, rh) - y0;
    const top = src + <usize>y0 * stride;
    for (let x = 0; x < dw;) {
      const base = <i32>load<u16>(ranges + <usize>x * 3);
      const span = min(RESIZE_SPAN, rw - base);
      if (ASC_FEATURE_SIMD && format == PIXEL_RGBA) columnSumsRgba__simd128(top + <usize>base * bpp, stride, rows, span);
      else if (ASC_FEATURE_SIMD) columnSumsPacked__simd128(top + <usize>base * bpp, stride, format, rows, span);
      else columnSums(top + <usize>base * bpp, stride, format, rows, span);
      const done = ASC_FEATURE_SIMD
        ? averageBlocks__simd128(o, ranges + <usize>x * 3, dw - x, base, rows)
        : averageBlocks(o, ranges + <usize>x * 3, dw - x, base, rows);
      o += <usize>done * 3;
      x += done;
    }
  }
}

/**
 * RESIZE_SUMS entry u (0..span): R, G, B summed over `rows` rows from `top` and over the span's
 * columns before u. RGBA: two columns a step, one u64 load a row, summed in 16-bit lanes
 * (R0 B0 R1 B1 and G0 A0 G1 A1; at most 257 x 255 = 65535 each).
 */
function columnSums(top: usize, stride: usize, format: i32, rows: i32, span: i32): void {
  const bpp = <usize>bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  let r: u32 = 0, g: u32 = 0, b: u32 = 0;
  let q = RESIZE_SUMS;
  store<u32>(q, 0);
  store<u32>(q, 0, 4);
  store<u32>(q, 0, 8);
  let u = 0;
  if (format == PIXEL_RGBA) {
    for (; u + 2 <= span; u += 2) {
      let rb: u64 = 0, ga: u64 = 0;
      let p = top + (<usize>u << 2);
      for (let v = 0; v < rows; v++) {
        const px = load<u64>(p);
        rb += px & 0x00ff00ff00ff00ff;
        ga += (px >>> 8) & 0x00ff00ff00ff00ff;
        p += stride;
      }
      r += <u32>rb & 0xffff;
      g += <u32>ga & 0xffff;
      b += <u32>(rb >>> 16) & 0xffff;
      store<u32>(q, r, 16);
      store<u32>(q, g, 20);
      store<u32>(q, b, 24);
      r += <u32>(rb >>> 32) & 0xffff;
      g += <u32>(ga >>> 32) & 0xffff;
      b += <u32>(rb >>> 48);
      store<u32>(q, r, 32);
      store<u32>(q, g, 36);
      store<u32>(q, b, 40);
      q += 32;
    }
  }
  for (; u < span; u++) {
    let p = top + <usize>u * bpp;
    for (let v = 0; v < rows; v++) {
      r += <u32>load<u8>(p + ro);
      g += <u32>load<u8>(p + go);
      b += <u32>load<u8>(p + bo);
      p += stride;
    }
    q += 16;
    store<u32>(q, r);
    store<u32>(q, g, 4);
    store<u32>(q, b, 8);
  }
}

/**
 * Appends 4 pixels' column sums (lo: pixels 0 and 1, hi: 2 and 3, one i16 lane per channel) to
 * the running sums, stored at q + 16 .. q + 79; returns the last running sum.
 */
// @ts-ignore: decorator
@inline function appendRunningSums4__simd128(run: v128, lo: v128, hi: v128, q: usize): v128 {
  run = i32x4.add(run, i32x4.extend_low_i16x8_u(lo));
  v128.store(q, run, 16);
  run = i32x4.add(run, i32x4.extend_high_i16x8_u(lo));
  v128.store(q, run, 32);
  run = i32x4.add(run, i32x4.extend_low_i16x8_u(hi));
  v128.store(q, run, 48);
  run = i32x4.add(run, i32x4.extend_high_i16x8_u(hi));
  v128.store(q, run, 64);
  return run;
}
/**
 * columnSums of RGBA: 4 columns a step, one 16-byte load a row widened to two u16x8 sums, then
 * four running i32x4 (R, G, B, A) sums; the last span % 4 columns one 4-byte load at a time.
 */
function columnSumsRgba__simd128(top: usize, stride: usize, rows: i32, span: i32): void {
  let run = i32x4.splat(0);
  let q = RESIZE_SUMS;
  v128.store(q, run);
  let u = 0;
  for (; u + 4 <= span; u += 4) {
    let lo = i16x8.splat(0), hi = i16x8.splat(0);
    let p = top + (<usize>u << 2);
    for (let v = 0; v < rows; v++) {
      const px = v128.load(p);
      lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(px));
      hi = i16x8.add(hi, i16x8.extend_high_i8x16_u(px));
      p += stride;
    }
    run = appendRunningSums4__simd128(run, lo, hi, q);
    q += 64;
  }
  for (; u < span; u++) {
    let lo = i16x8.splat(0);
    let p = top + (<usize>u << 2);
    for (let v = 0; v < rows; v++) {
      lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
      p += stride;
    }
    run = i32x4.add(run, i32x4.extend_low_i16x8_u(lo));
    q += 16;
    v128.store(q, run);
  }
}

/**
 * columnSums of RGB, BGR and gray: 4 columns a step like columnSumsRgba__simd128, each row's
 * 16-byte load shuffled into R, G, B, 0 pixels; a load reads up to 16 bytes from the step's
 * first column, so steps run while those lie in the span (4 of 64 columns left for RGB / BGR,
 * 16 for gray), then one column at a time from bytes.
 */
function columnSumsPacked__simd128(top: usize, stride: usize, format: i32, rows: i32, span: i32): void {
  const bpp = bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  const order = format == PIXEL_RGB
    ? i8x16(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1)
    : format == PIXEL_BGR
      ? i8x16(2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1)
      : i8x16(0, 0, 0, -1, 1, 1, 1, -1, 2, 2, 2, -1, 3, 3, 3, -1);
  let run = i32x4.splat(0);
  let q = RESIZE_SUMS;
  v128.store(q, run);
  let u = 0;
  for (; u * bpp + 16 <= span * bpp; u += 4) {
    let lo = i16x8.splat(0), hi = i16x8.splat(0);
    let p = top + <usize>(u * bpp);
    for (let v = 0; v < rows; v++) {
      const px = i8x16.swizzle(v128.load(p), order);
      lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(px));
      hi = i16x8.add(hi, i16x8.extend_high_i8x16_u(px));
      p += stride;
    }
    run = appendRunningSums4__simd128(run, lo, hi, q);
    q += 64;
  }
  for (; u < span; u++) {
    let r: i32 = 0, g: i32 = 0, b: i32 = 0;
    let p = top + <usize>(u * bpp);
    for (let v = 0; v < rows; v++) {
      r += <i32>load<u8>(p + ro);
      g += <i32>load<u8>(p + go);
      b += <i32>load<u8>(p + bo);
      p += stride;
    }
    run = i32x4.add(run, i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(r), 1, g), 2, b));
    q += 16;
    v128.store(q, run);
  }
}

/**
 * Output pixels at o from the running sums of columnSums, for the columns whose ranges (at `range`,
 * up to `count` of them) lie in the span starting at `base`; returns how many. Each channel's
 * block sum is a difference of two entries, then round(sum / n) half up in integers,
 * (2 sum + n) / (2 n); n = rows x block width. A pixel is written after its range is read
 * (resizeToBgr keeps the ranges in the output's last row).
 */
function averageBlocks(o: usize, range: usize, count: i32, base: i32, rows: i32): i32 {
  let k = 0;
  for (; k < count; k++) {
    const first = <i32>load<u16>(range) - base, width = <i32>load<u8>(range, 2);
    if (first + width > RESIZE_SPAN) break;
    const a = RESIZE_SUMS + (<usize>first << 4);
    const z = a + (<usize>width << 4);
    const n = <u32>(rows * width);
    const r = load<u32>(z) - load<u32>(a);
    const g = load<u32>(z, 4) - load<u32>(a, 4);
    const b = load<u32>(z, 8) - load<u32>(a, 8);
    store<u8>(o, <u8>((2 * b + n) / (2 * n)));
    store<u8>(o, <u8>((2 * g + n) / (2 * n)), 1);
    store<u8>(o, <u8>((2 * r + n) / (2 * n)), 2);
    o += 3;
    range += 3;
  }
  return k;
}

/**
 * averageBlocks with the four channels of a pixel in lanes: (2 sum + n) / (2 n) as an f32x4
 * division, truncated. Exact: both operands are integers below 2^24, so exact in f32, and the
 * quotient q is below 256; if it is not an integer it lies at least 1 / (2 n) > 2^-16 below the
 * next integer, more than the half ulp (2^-17 at most below 256) of the correctly rounded
 * division, so truncating it gives floor(q) as the integer division does.
 */
function averageBlocks__simd128(o: usize, range: usize, count: i32, base: i32, rows: i32): i32 {
  let first = <i32>load<u16>(range) - base, width = <i32>load<u8>(range, 2); // the span's first block: it fits
  for (let k = 1; ; k++) {
    const a = RESIZE_SUMS + (<usize>first << 4);
    const n = rows * width;
    const sum = i32x4.sub(v128.load(a + (<usize>width << 4)), v128.load(a));
    // Below 2^24 and not negative: the signed conversion is exact and cheaper than the unsigned one.
    const num = f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(sum, 1), i32x4.splat(n)));
    // Truncated, then + 2^23: an integer q < 256 is then exact with q in the low byte of its bits.
    const q = f32x4.add(f32x4.trunc(f32x4.div(num, f32x4.splat(<f32>(n << 1)))), f32x4.splat(8388608));
    const bgr = i8x16.shuffle(q, q, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    range += 3;
    if (k < count) {
      // Read the next range before this pixel's fourth byte can overwrite it (the output's last row).
      first = <i32>load<u16>(range) - base;
      width = <i32>load<u8>(range, 2);
      if (first + width <= RESIZE_SPAN) {
        v128.store32_lane(o, bgr, 0); // its fourth byte: the next pixel's first, written next
        o += 3;
        continue;
      }
    }
    v128.store16_lane(o, bgr, 0);
    v128.store8_lane(o, bgr, 2, 2);
    return k;
  }
}

/** resizeToBgr for any block size: one sum per block (blocks up to the whole region). */
function resizeBlocks(src: usize, stride: usize, format: i32, rw: i32, rh: i32, sx: f64, sy: f64, dst: usize, dw: i32, dh: i32): void {
  const bpp = <usize>bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  let o = dst;
  for (let y = 0; y < dh; y++) {
    const y0 = blockStart(y, sy, rh);
    const y1 = blockEnd(y, y0, sy, rh);
    for (let x = 0; x < dw; x++) {
      const x0 = blockStart(x, sx, rw);
      const x1 = blockEnd(x, x0, sx, rw);
      // Exact integer sums: u32 per block row (at most 65535 x 255), u64 over rows (a block can
      // be the whole image, up to 2^30 bytes of pixels).
      let r: u64 = 0, g: u64 = 0, b: u64 = 0;
      for (let v = y0; v < y1; v++) {
        const row = src + <usize>v * stride;
        const end = row + <usize>x1 * bpp;
        let rr: u32 = 0, gg: u32 = 0, bb: u32 = 0;
        if (format == PIXEL_RGBA) {
          // One load a pixel: R, G, B are bytes 0, 1, 2 (little-endian).
          for (let p = row + <usize>x0 * 4; p < end; p += 4) {
            const px = load<u32>(p);
            rr += px & 0xff;
            gg += (px >>> 8) & 0xff;
            bb += (px >>> 16) & 0xff;
          }
        } else {
          for (let p = row + <usize>x0 * bpp; p < end; p += bpp) {
            rr += <u32>load<u8>(p + ro);
            gg += <u32>load<u8>(p + go);
            bb += <u32>load<u8>(p + bo);
          }
        }
        r += <u64>rr;
        g += <u64>gg;
        b += <u64>bb;
      }
      // round(b / n) in integers: (2b + n) / 2n. Equal to Math.round of the f64 quotient for
      // every sum below 2^52 (ours are below 2^38): a quotient that is not exactly k + 0.5 lies
      // at least 1/(2n) from it, more than the f64 division's error of (b / n) * 2^-53.
      const n = <u64>(y1 - y0) * <u64>(x1 - x0);
      store<u8>(o, <u8>((2 * b + n) / (2 * n)));
      store<u8>(o + 1, <u8>((2 * g + n) / (2 * n)));
      store<u8>(o + 2, <u8>((2 * r + n) / (2 * n)));
      o += 3;
    }
  }
}
