/**
 * The TypeScript crop and resize the engine replaced (assembly/crop.ts), kept as the test
 * reference: test/crop.test.ts checks the wasm against them byte for byte, and
 * test/preprocess.test.ts pins this crop to an independent cv2 reference. Tools that need crops
 * without an engine instance (the float oracle's inputs) use them too: they give the engine's bytes.
 */
import { CROP_SIZE, checkCropBox } from '../../src/preprocess.js';
import { invalidParameter } from '../../src/errors.js';
import type { Box, Rgba } from '../../src/types.js';

/** Channel order written by {@link cropFace}; the official models expect `'bgr'`. */
export type ChannelOrder = 'bgr' | 'rgb';

/**
 * Crop a face for the network: widen `box` by `margin`, resize that region to 64x64 bilinearly
 * and write it as interleaved u8 channels.
 *
 * Geometry, with (x0, y0, bw, bh) the widened box
 * (x0 = box.x - margin * box.width, bw = box.width * (1 + 2 * margin), likewise for y):
 * output pixel (u, v) samples the image at
 * sx = x0 + (u + 0.5) * bw / 64 - 0.5, sy = y0 + (v + 0.5) * bh / 64 - 0.5 (cv2's half-pixel
 * convention), clamped to the region's first and last pixel centres as cv2 clamps to its source
 * (this only matters when enlarging, bw or bh < 64). The 4 neighbours are clamped to the image
 * (BORDER_REPLICATE), weighted bilinearly in float64, and rounded to the nearest integer.
 * Output agrees with cv2.resize of the replicate-padded region to within 1 level (cv2 uses 11-bit
 * fixed-point weights).
 *
 * @param img decoded image (trusted: produced by `normalizeInput`)
 * @param box face box in image pixels; finite, positive size, overlapping the image
 * @param margin widening per side as a fraction of the box size, 0..2 (use {@link DEFAULT_MARGIN})
 * @param out destination, at least 64 * 64 * 3 bytes; pixel (u, v) channel c goes to
 *   `out[(v * 64 + u) * 3 + c]`
 * @param order `'bgr'` (default; blue first, as the models were trained) or `'rgb'`
 * @throws SsrnetError `BAD_INPUT` for an invalid box, margin or a too-short `out`
 */
export function cropFace(img: Rgba, box: Box, margin: number, out: Uint8Array, order: ChannelOrder = 'bgr'): void {
  const { x, y, width: boxWidth, height: boxHeight } = checkCropBox(box, margin, img);
  const outBytes = CROP_SIZE * CROP_SIZE * 3;
  if (!(out instanceof Uint8Array) || out.length < outBytes) {
    throw invalidParameter('out', `a Uint8Array of at least ${outBytes} bytes`, out);
  }

  const cols = sampleTaps(x - margin * boxWidth, boxWidth * (1 + 2 * margin), img.width);
  const rows = sampleTaps(y - margin * boxHeight, boxHeight * (1 + 2 * margin), img.height);
  const { data, width } = img;
  const stride = width * 4;
  // RGBA offsets of the first and last channel written: blue first for BGR.
  const [c0, c2] = order === 'bgr' ? [2, 0] : [0, 2];

  let o = 0;
  for (let v = 0; v < CROP_SIZE; v++) {
    const top = rows.lo[v] * stride;
    const bottom = rows.hi[v] * stride;
    const fy = rows.frac[v];
    for (let u = 0; u < CROP_SIZE; u++) {
      const left = cols.lo[u] * 4;
      const right = cols.hi[u] * 4;
      const fx = cols.frac[u];
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = top + left;
      const p01 = top + right;
      const p10 = bottom + left;
      const p11 = bottom + right;
      out[o] = Math.round(w00 * data[p00 + c0] + w01 * data[p01 + c0] + w10 * data[p10 + c0] + w11 * data[p11 + c0]);
      out[o + 1] = Math.round(w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1]);
      out[o + 2] = Math.round(w00 * data[p00 + c2] + w01 * data[p01 + c2] + w10 * data[p10 + c2] + w11 * data[p11 + c2]);
      o += 3;
    }
  }
}

/** Per output column (or row): the two source indices and the weight of the second one. */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

/**
 * Sample positions along one axis for a region starting at `start` of length `size`, in an image
 * axis of `limit` pixels.
 */
function sampleTaps(start: number, size: number, limit: number): Taps {
  const taps: Taps = { lo: new Int32Array(CROP_SIZE), hi: new Int32Array(CROP_SIZE), frac: new Float64Array(CROP_SIZE) };
  // cv2 clamps samples to the source's first/last pixel centre; here the source is the region.
  const first = start;
  const last = Math.max(start, start + size - 1);
  for (let i = 0; i < CROP_SIZE; i++) {
    const s = Math.min(Math.max(start + ((i + 0.5) * size) / CROP_SIZE - 0.5, first), last);
    const lo = Math.floor(s);
    taps.frac[i] = s - lo;
    // BORDER_REPLICATE: neighbours outside the image read the edge pixel.
    taps.lo[i] = Math.min(Math.max(lo, 0), limit - 1);
    taps.hi[i] = Math.min(Math.max(lo + 1, 0), limit - 1);
  }
  return taps;
}

/**
 * Area-average resize of a whole RGBA image to `width` x `height` x 3 BGR (the detector's working
 * image): each output pixel averages the integer pixel range it covers (the nearest pixel when
 * enlarging), rounded half up.
 */
export function resizeToBgr(image: Rgba, width: number, height: number, out: Uint8Array): void {
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.min(image.height - 1, Math.floor(y * sy));
    const y1 = Math.max(y0 + 1, Math.min(image.height, Math.round((y + 1) * sy)));
    for (let x = 0; x < width; x++) {
      const x0 = Math.min(image.width - 1, Math.floor(x * sx));
      const x1 = Math.max(x0 + 1, Math.min(image.width, Math.round((x + 1) * sx)));
      let r = 0, g = 0, b = 0;
      for (let v = y0; v < y1; v++) {
        for (let u = x0; u < x1; u++) {
          const i = (v * image.width + u) * 4;
          r += image.data[i];
          g += image.data[i + 1];
          b += image.data[i + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * width + x) * 3;
      out[o] = Math.round(b / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(r / n);
    }
  }
}
