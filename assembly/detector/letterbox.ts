// The letterbox: a square region of the host's image, area-resampled into the 128x128x3 u8 RGB
// INPUT (MediaPipe scales the whole image to fit and pads with black; the host picks the region,
// which may extend past the image: those parts stay black). The image never enters linear memory
// whole: the host streams it in row segments of at most LB_ROW_CAPACITY pixels, so any image size
// works in fixed memory.
//
// Protocol (assembly/detector/index.ts exports it):
//   letterboxBegin(originX, originY, scale)      region origin in image pixels, 128 / region side
//   for each column segment [x0, x0 + count) of the region's columns inside the image:
//     letterboxColumns(x0, count)
//     for each block of rows y .. y + rows - 1 of the region inside the image (rows * count <=
//     LB_ROW_CAPACITY): write their RGBA pixels (x0 .. x0 + count - 1), row after row, at LB_ROW;
//     letterboxRows(y, rows)
//   letterboxEnd()                               rounds the sums into INPUT
//
// Output pixel (u, v) covers image x in [originX + u / scale, originX + (u + 1) / scale), likewise
// y; its value is the area-weighted mean of the image pixels there (black outside the image),
// rounded half to even. Tap positions are computed in f32 from the image coordinates, so they do
// not drift along a row.

import { INPUT, INPUT_SIDE, LB_ACC, LB_COLUMNS, LB_LINE, LB_ROW, LB_ROW_CAPACITY } from './arena';
import { AREA_COLUMN_BYTES, f32_area_accumulate, f32_area_row } from './kernels/resample';

let originX: f32 = 0;
let originY: f32 = 0;
let scale: f32 = 0;
let active = false;
let segmentCount = 0;
/** Output columns [lineFrom, lineTo) that the current column segment touches. */
let lineFrom = 0;
let lineTo = 0;

/** Starts a letterbox of the region at (x, y) with `scaleToInput` = 128 / side; false for invalid numbers. */
export function begin(x: f32, y: f32, scaleToInput: f32): bool {
  if (!isFinite<f32>(x) || !isFinite<f32>(y) || !(scaleToInput > 0) || !isFinite<f32>(scaleToInput)) return false;
  originX = x;
  originY = y;
  scale = scaleToInput;
  active = true;
  segmentCount = 0;
  memory.fill(LB_ACC, 0, <usize>(INPUT_SIDE * INPUT_SIDE * 16));
  return true;
}

/**
 * Builds the column table of image columns [x0, x0 + count) (kernels/resample.ts): for each
 * output column, the pixels of the segment wholly inside it and the (at most two) it covers in
 * part, with their overlaps in output pixels. False outside a letterbox or for a count outside
 * 1..LB_ROW_CAPACITY.
 */
export function columns(x0: i32, count: i32): bool {
  if (!active || count < 1 || count > LB_ROW_CAPACITY) return false;
  for (let u = 0; u < INPUT_SIDE; u++) {
    const entry = LB_COLUMNS + <usize>(u * AREA_COLUMN_BYTES);
    store<i32>(entry, 0);
    store<i32>(entry, 0, 4);
    store<i32>(entry, -1, 8);
    store<i32>(entry, -1, 16);
  }
  lineFrom = INPUT_SIDE;
  lineTo = 0;
  for (let k = 0; k < count; k++) {
    // Pixel x0 + k spans [a, b) in output pixels.
    const a = (<f32>(x0 + k) - originX) * scale;
    const b = (<f32>(x0 + k + 1) - originX) * scale;
    for (let u = max(0, <i32>Mathf.floor(a)); u < INPUT_SIDE && <f32>u < b; u++) {
      const cover = min<f32>(<f32>(u + 1), b) - max<f32>(<f32>u, a);
      if (!(cover > 0)) continue;
      const entry = LB_COLUMNS + <usize>(u * AREA_COLUMN_BYTES);
      if (a >= <f32>u && b <= <f32>(u + 1)) {
        // Wholly inside u: whole pixels of a column are consecutive.
        if (load<i32>(entry, 4) == load<i32>(entry)) store<i32>(entry, k);
        store<i32>(entry, k + 1, 4);
      } else if (load<i32>(entry, 8) < 0 && load<i32>(entry, 4) == load<i32>(entry)) {
        store<i32>(entry, k, 8); // the part before any whole pixel
        store<f32>(entry, cover, 12);
      } else {
        store<i32>(entry, k, 16);
        store<f32>(entry, cover, 20);
      }
      lineFrom = min(lineFrom, u);
      lineTo = max(lineTo, u + 1);
    }
  }
  segmentCount = count;
  return true;
}

/**
 * Adds image rows y .. y + rows - 1 of the current column segment (written one after the other at
 * LB_ROW); false without a segment or for more pixels than LB_ROW holds.
 */
export function rows(y: i32, count: i32): bool {
  if (segmentCount == 0 || count < 1 || count > LB_ROW_CAPACITY / segmentCount) return false;
  if (lineTo <= lineFrom) return true; // the segment lies outside the region
  for (let r = 0; r < count; r++) {
    f32_area_row(LB_ROW + (<usize>(r * segmentCount) << 2), LB_COLUMNS, lineFrom, lineTo, scale, LB_LINE);
    const a = (<f32>(y + r) - originY) * scale;
    const b = (<f32>(y + r + 1) - originY) * scale;
    for (let v = max(0, <i32>Mathf.floor(a)); v < INPUT_SIDE && <f32>v < b; v++) {
      const cover = min<f32>(<f32>(v + 1), b) - max<f32>(<f32>v, a);
      if (cover > 0) f32_area_accumulate(LB_LINE, lineFrom, lineTo, cover, LB_ACC + (<usize>(v * INPUT_SIDE) << 4));
    }
  }
  return true;
}

/** Rounds the sums into INPUT (RGB u8, half to even, clamped to 0..255) and ends the letterbox; false outside one. */
export function end(): bool {
  if (!active) return false;
  for (let p = 0; p < INPUT_SIDE * INPUT_SIDE; p++) {
    for (let c = 0; c < 3; c++) {
      const v = load<f32>(LB_ACC + (<usize>(p * 4 + c) << 2));
      store<u8>(INPUT + <usize>(p * 3 + c), <u8><i32>f32.nearest(min<f32>(max<f32>(v, 0), 255)));
    }
  }
  active = false;
  segmentCount = 0;
  return true;
}

/** Ends any letterbox in progress: a network run overwrites the borrowed buffers. */
export function abandon(): void {
  active = false;
  segmentCount = 0;
}
