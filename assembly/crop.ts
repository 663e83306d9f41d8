// Pixel operations on a host image, shared by the engine module (assembly/index.ts) and the WASI
// build: the SSR-Net face crop and the detector's working-image resize. Both write BGR u8.
//
// Arithmetic is float64 in the same order as the reference (test/helpers/crop-reference.ts), so
// the bytes are identical on every host: wasm f64 is IEEE binary64 without fused multiply-add,
// and Math.round here rounds halves up exactly as JavaScript's does. Both are scalar: the crop is
// 12288 outputs (~0.1 ms, against ~0.75 ms per network run), the resize one pass over the image
// (0.4 ms for a 640x480 frame kept at its size, ~10 ms from 1024x768 and ~30 ms from 12 MP down to
// 640x480, against ~50 ms for the detector network at 640x480; bench/resize.bench.ts).
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
 * whole source image -> dstWidth x dstHeight x 3 BGR at dst, area average exactly as
 * src/detector.ts resizeToBgr did: each output pixel averages the integer pixel range it covers
 * (the nearest pixel when enlarging), rounded half up.
 *
 * The caller validates: all sizes >= 1 and a known format.
 */
export function resizeToBgr(src: usize, width: i32, height: i32, format: i32, dst: usize, dstWidth: i32, dstHeight: i32): void {
  const bpp = <usize>bytesPerPixel(format);
  const ro = redOffset(format), go = greenOffset(format), bo = blueOffset(format);
  if (dstWidth == width && dstHeight == height) {
    // Same size: every block is one pixel, and the average of one value is that value.
    const n = <usize>width * <usize>height;
    for (let i: usize = 0; i < n; i++) {
      const p = src + i * bpp;
      const o = dst + i * 3;
      store<u8>(o, load<u8>(p + bo));
      store<u8>(o + 1, load<u8>(p + go));
      store<u8>(o + 2, load<u8>(p + ro));
    }
    return;
  }
  const stride = <usize>width * bpp;
  const sx = <f64>width / <f64>dstWidth;
  const sy = <f64>height / <f64>dstHeight;
  let o = dst;
  for (let y = 0; y < dstHeight; y++) {
    const y0 = min(height - 1, <i32>Math.floor(<f64>y * sy));
    const y1 = max(y0 + 1, <i32>Math.min(<f64>height, Math.round(<f64>(y + 1) * sy)));
    for (let x = 0; x < dstWidth; x++) {
      const x0 = min(width - 1, <i32>Math.floor(<f64>x * sx));
      const x1 = max(x0 + 1, <i32>Math.min(<f64>width, Math.round(<f64>(x + 1) * sx)));
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
