// Image → network input, in WebAssembly: the face crop of the age engine (64x64 BGR, bilinear,
// src/preprocess.ts cropFace) and the detector's area resize (src/detector.ts resizeToBgr), from a
// packed 8-bit image in any of four pixel formats. Both are plain f64 code written to give the
// TypeScript functions' bytes exactly (same operations in the same order, same rounding).
//
// Provisional (branch `gateway`): the photo-path work (branch `crop`) owns this file; it keeps
// these signatures. No allocation: the crop's sample taps live in a static scratch (memory.data).

/** Pixel formats of the source image: bytes per pixel 4, 3, 3, 1. */
export const PIXEL_RGBA: i32 = 0, PIXEL_RGB: i32 = 1, PIXEL_BGR: i32 = 2, PIXEL_GRAY: i32 = 3;

/** Side of the network input. */
const CROP: i32 = 64;

/** Sample taps per axis (src/preprocess.ts Taps): lo i32[64], hi i32[64], frac f64[64], for columns then rows. */
const TAPS: usize = memory.data(2 * CROP * (4 + 4 + 8), 16);
const COL_LO: usize = TAPS;
const COL_HI: usize = COL_LO + <usize>(CROP * 4);
const COL_FRAC: usize = COL_HI + <usize>(CROP * 4);
const ROW_LO: usize = COL_FRAC + <usize>(CROP * 8);
const ROW_HI: usize = ROW_LO + <usize>(CROP * 4);
const ROW_FRAC: usize = ROW_HI + <usize>(CROP * 4);

/** Bytes per pixel of `format`. */
export function pixelBytes(format: i32): i32 {
  return format == PIXEL_RGBA ? 4 : format == PIXEL_GRAY ? 1 : 3;
}

/** Byte offset of blue within a pixel of `format` (red is 2 - this for 3/4-byte formats, 0 for gray). */
function blueOffset(format: i32): usize {
  return format == PIXEL_BGR || format == PIXEL_GRAY ? 0 : 2;
}

/** Byte offset of red within a pixel of `format`. */
function redOffset(format: i32): usize {
  return format == PIXEL_BGR ? 2 : 0;
}

/** Byte offset of green within a pixel of `format`. */
function greenOffset(format: i32): usize {
  return format == PIXEL_GRAY ? 0 : 1;
}

/** sampleTaps of src/preprocess.ts: source indices and weights along one axis. */
function sampleTaps(start: f64, size: f64, limit: i32, lo: usize, hi: usize, frac: usize): void {
  const first = start;
  const last = Math.max(start, start + size - 1);
  for (let i = 0; i < CROP; i++) {
    const s = Math.min(Math.max(start + ((<f64>i + 0.5) * size) / <f64>CROP - 0.5, first), last);
    const l = Math.floor(s);
    store<f64>(frac + (<usize>i << 3), s - l);
    // BORDER_REPLICATE: neighbours outside the image read the edge pixel. The clamp is done in
    // f64 first so that a box far outside the image cannot overflow the i32 conversion.
    store<i32>(lo + (<usize>i << 2), <i32>Math.min(Math.max(l, 0), <f64>(limit - 1)));
    store<i32>(hi + (<usize>i << 2), <i32>Math.min(Math.max(l + 1, 0), <f64>(limit - 1)));
  }
}

/** Bilinear sample of the byte at offset `c` of four pixels, rounded as Math.round. */
// @ts-ignore: decorator
@inline
function blend(src: usize, p00: usize, p01: usize, p10: usize, p11: usize, c: usize, w00: f64, w01: f64, w10: f64, w11: f64): u8 {
  const v = w00 * <f64>load<u8>(src + p00 + c) + w01 * <f64>load<u8>(src + p01 + c) + w10 * <f64>load<u8>(src + p10 + c) + w11 * <f64>load<u8>(src + p11 + c);
  return <u8>Math.round(v);
}

/**
 * The 64x64 BGR network input of the face box (x, y, w, h) widened by `margin` per side, from a
 * `width` x `height` image in `format` at `src`, into `dst` (12288 bytes): src/preprocess.ts
 * cropFace byte for byte (bilinear, replicated edges). The caller checks the box (finite, w and
 * h > 0, overlapping the image) and the margin (0..2).
 */
export function cropFaceBgr(src: usize, width: i32, height: i32, format: i32, x: f64, y: f64, w: f64, h: f64, margin: f64, dst: usize): void {
  sampleTaps(x - margin * w, w * (1 + 2 * margin), width, COL_LO, COL_HI, COL_FRAC);
  sampleTaps(y - margin * h, h * (1 + 2 * margin), height, ROW_LO, ROW_HI, ROW_FRAC);
  const bpp = <usize>pixelBytes(format);
  const stride = <usize>width * bpp;
  const blue = blueOffset(format);
  const green = greenOffset(format);
  const red = redOffset(format);
  let o = dst;
  for (let v = 0; v < CROP; v++) {
    const top = <usize>load<i32>(ROW_LO + (<usize>v << 2)) * stride;
    const bottom = <usize>load<i32>(ROW_HI + (<usize>v << 2)) * stride;
    const fy = load<f64>(ROW_FRAC + (<usize>v << 3));
    for (let u = 0; u < CROP; u++) {
      const left = <usize>load<i32>(COL_LO + (<usize>u << 2)) * bpp;
      const right = <usize>load<i32>(COL_HI + (<usize>u << 2)) * bpp;
      const fx = load<f64>(COL_FRAC + (<usize>u << 3));
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = top + left;
      const p01 = top + right;
      const p10 = bottom + left;
      const p11 = bottom + right;
      store<u8>(o, blend(src, p00, p01, p10, p11, blue, w00, w01, w10, w11));
      store<u8>(o + 1, blend(src, p00, p01, p10, p11, green, w00, w01, w10, w11));
      store<u8>(o + 2, blend(src, p00, p01, p10, p11, red, w00, w01, w10, w11));
      o += 3;
    }
  }
}

/**
 * Resizes a `width` x `height` image in `format` at `src` to `dstWidth` x `dstHeight` BGR at
 * `dst`: each output pixel is the mean of the integer pixel range it covers (the nearest pixel
 * when enlarging), rounded as Math.round — src/detector.ts resizeToBgr byte for byte.
 */
export function resizeToBgr(src: usize, width: i32, height: i32, format: i32, dst: usize, dstWidth: i32, dstHeight: i32): void {
  const sx = <f64>width / <f64>dstWidth;
  const sy = <f64>height / <f64>dstHeight;
  const bpp = <usize>pixelBytes(format);
  const blue = blueOffset(format);
  const green = greenOffset(format);
  const red = redOffset(format);
  let o = dst;
  for (let y = 0; y < dstHeight; y++) {
    const y0 = <i32>Math.min(<f64>(height - 1), Math.floor(<f64>y * sy));
    const y1 = max(y0 + 1, <i32>Math.min(<f64>height, Math.round(<f64>(y + 1) * sy)));
    for (let x = 0; x < dstWidth; x++) {
      const x0 = <i32>Math.min(<f64>(width - 1), Math.floor(<f64>x * sx));
      const x1 = max(x0 + 1, <i32>Math.min(<f64>width, Math.round(<f64>(x + 1) * sx)));
      let r: u32 = 0, g: u32 = 0, b: u32 = 0;
      for (let v = y0; v < y1; v++) {
        let p = src + (<usize>v * <usize>width + <usize>x0) * bpp;
        for (let u = x0; u < x1; u++) {
          r += <u32>load<u8>(p + red);
          g += <u32>load<u8>(p + green);
          b += <u32>load<u8>(p + blue);
          p += bpp;
        }
      }
      const n = <f64>((y1 - y0) * (x1 - x0));
      store<u8>(o, <u8>Math.round(<f64>b / n));
      store<u8>(o + 1, <u8>Math.round(<f64>g / n));
      store<u8>(o + 2, <u8>Math.round(<f64>r / n));
      o += 3;
    }
  }
}
