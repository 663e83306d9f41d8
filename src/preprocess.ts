/**
 * The SSR-Net input crop's geometry: face box + margin -> 64x64x3 u8 BGR. The pixels are made in
 * WebAssembly (assembly/crop.ts, through Engine.cropFace); this module holds the constants and the
 * box checks the host runs before calling it.
 *
 * The crop reproduces how the models were trained (OpenCV pipeline): the widened box
 * (x0 = box.x - margin * box.width, bw = box.width * (1 + 2 * margin), likewise for y) is resized
 * with cv2.resize INTER_LINEAR semantics: output pixel (u, v) samples the image at
 * sx = x0 + (u + 0.5) * bw / 64 - 0.5, sy = y0 + (v + 0.5) * bh / 64 - 0.5, clamped to the
 * region's first and last pixel centres, its 4 neighbours clamped to the image (BORDER_REPLICATE),
 * weighted bilinearly in float64 and rounded. No low-pass prefilter when shrinking, as in cv2 (a
 * prefilter would feed the model smoother faces than it was trained on). Output agrees with
 * cv2.resize of the replicate-padded region to within 1 level (test/preprocess.test.ts).
 */
import { invalidParameter } from './errors.js';
import type { Box, Rgba } from './types.js';
import { isFiniteNumber, isNumberInRange, isObject } from './validate.js';

/** Side of the square network input, in pixels. */
export const CROP_SIZE = 64;

/** Default margin: the box is widened by 40% of its size on each side (1.8x overall). */
export const DEFAULT_MARGIN = 0.4;

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
 * The box's numbers, read once, and the margin checked: BAD_INPUT unless the box is finite,
 * positive in size and overlapping the image, the margin is 0..2, and the widened box is finite.
 *
 * @param box face box in image pixels
 * @param margin widening per side as a fraction of the box size, 0..2
 * @param img the image's size
 * @returns a plain copy of the box's numbers
 * @throws SsrnetError `BAD_INPUT` naming the offending field
 */
export function checkCropBox(box: unknown, margin: unknown, img: Pick<Rgba, 'width' | 'height'>): Box {
  if (!isObject(box)) throw invalidParameter('box', 'an object {x, y, width, height}', box);
  const { x, y, width, height } = box;
  if (!isFiniteNumber(x)) throw invalidParameter('box.x', 'a finite number', x);
  if (!isFiniteNumber(y)) throw invalidParameter('box.y', 'a finite number', y);
  if (!isFiniteNumber(width) || width <= 0) throw invalidParameter('box.width', 'a finite number greater than 0', width);
  if (!isFiniteNumber(height) || height <= 0) throw invalidParameter('box.height', 'a finite number greater than 0', height);
  if (!(x < img.width && x + width > 0 && y < img.height && y + height > 0)) {
    throw invalidParameter('box', `a box overlapping the ${img.width}x${img.height} image`, { x, y, width, height });
  }
  if (!isNumberInRange(margin, 0, 2)) throw invalidParameter('margin', 'a finite number from 0 to 2', margin);
  // A finite box can overflow once widened (sizes near Number.MAX_VALUE).
  const grow = 1 + 2 * margin;
  if (![x - margin * width, y - margin * height, width * grow, height * grow].every(Number.isFinite)) {
    throw invalidParameter('box', 'a box whose widened size is finite', { x, y, width, height });
  }
  return { x, y, width, height };
}
