/**
 * The SSR-Net input crop: face box + margin -> 64x64x3 u8, BGR by default.
 *
 * It reproduces how the models were trained (OpenCV pipeline): the widened box region is resized
 * with cv2.resize INTER_LINEAR semantics, with BORDER_REPLICATE wherever the widened box leaves
 * the image. OpenCV's INTER_LINEAR does not low-pass filter when shrinking, and neither does this
 * (a prefilter would feed the model smoother faces than it was trained on).
 */
import { invalidParameter } from './errors.js';
import type { Box, Rgba } from './types.js';
import { isFiniteNumber, isNumberInRange, isObject } from './validate.js';

/** Side of the square network input, in pixels. */
export const CROP_SIZE = 64;

/** Default margin: the box is widened by 40% of its size on each side (1.8x overall). */
export const DEFAULT_MARGIN = 0.4;

/** Channel order written by {@link cropFace}; the official models expect `'bgr'`. */
export type ChannelOrder = 'bgr' | 'rgb';

/**
 * The box covering a whole image, for input that is already a face crop.
 *
 * @example
 * ```ts
 * wholeImageBox({ width: 200, height: 200 }) // { x: 0, y: 0, width: 200, height: 200 }
 * ```
 */
export function wholeImageBox(img: Pick<Rgba, 'width' | 'height'>): Box {
  return { x: 0, y: 0, width: img.width, height: img.height };
}

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
  const { x, y, width: boxWidth, height: boxHeight } = checkBox(box, img);
  if (!isNumberInRange(margin, 0, 2)) throw invalidParameter('margin', 'a finite number from 0 to 2', margin);
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

/** The box's numbers, read once; BAD_INPUT unless finite, positive in size and overlapping the image. */
function checkBox(box: unknown, img: Rgba): Box {
  if (!isObject(box)) throw invalidParameter('box', 'an object {x, y, width, height}', box);
  const { x, y, width, height } = box;
  if (!isFiniteNumber(x)) throw invalidParameter('box.x', 'a finite number', x);
  if (!isFiniteNumber(y)) throw invalidParameter('box.y', 'a finite number', y);
  if (!isFiniteNumber(width) || width <= 0) throw invalidParameter('box.width', 'a finite number greater than 0', width);
  if (!isFiniteNumber(height) || height <= 0) throw invalidParameter('box.height', 'a finite number greater than 0', height);
  if (!(x < img.width && x + width > 0 && y < img.height && y + height > 0)) {
    throw invalidParameter('box', `a box overlapping the ${img.width}x${img.height} image`, { x, y, width, height });
  }
  return { x, y, width, height };
}
