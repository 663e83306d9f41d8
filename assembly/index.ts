// The engine's whole WebAssembly ABI: integers, floats and pointers into linear memory only.
//
// Lifetime and ownership (TFLM MicroInterpreter style):
// - Instantiation builds the tanh and CRC tables; nothing else is ever initialised or allocated.
//   Memory starts at 4 pages (256 KiB) holding the fixed arena (layout in arena.ts, never
//   changes); the image region above it grows on demand, up to 16384 pages (1 GiB), never shrinks.
//
// Memory map (docs/embedding.md has the numbers):
//   [0, arenaStart)                  static data (constants, the crop's column taps)
//   [arenaStart, arenaEnd)           the fixed arena: INPUT, weights slots, activations, tables
//   [arenaEnd, 262144)               unused
//   [262144, +w*h*bpp)               IMAGE: the host's image, after reserveImage(w, h, format)
//   [align16(image end), +dw*dh*3)   RESIZED: BGR output of resizeImage / resizeRegion
//
// Image path (the host writes one decoded image, the engine does every pixel loop):
// - `reserveImage(width, height, format)` grows memory as needed and returns IMAGE, where the host
//   then writes width*height*bpp bytes (formats of crop.ts: 0 RGBA, 1 RGB, 2 BGR, 3 gray; rows not
//   padded). It returns 0 (and forgets any previous image) for an unknown format, a side outside
//   1..65535, or an image that does not fit below 1 GiB: at most 1 GiB - 256 KiB of pixels.
//   Growing memory detaches the host's views of it (JS hosts re-create them).
// - `cropFace(x, y, w, h, margin)` writes the 64x64x3 BGR crop of that box, widened by `margin`
//   per side, into INPUT (cv2 INTER_LINEAR + BORDER_REPLICATE, crop.ts); then `run(slot)` as for a
//   host-written crop. The box must be finite with w, h > 0, overlap the image, margin 0..2.
// - `resizeImage(dw, dh)` writes the whole image area-averaged to dw x dh x 3 BGR after the image
//   and returns its address (0 when no image is reserved, a side is outside 1..8192 or memory
//   cannot grow); the host copies it into the detector module's input.
// - `resizeRegion(x, y, w, h, dw, dh)` does the same for the integer region [x, x+w) x [y, y+h) of
//   the image (a detector tile; 0 also when the region is empty or leaves the image).
// - The host owns the contents of INPUT (`inputPtr()`, 64x64x3 u8, BGR, raw 0..255) and of the three
//   weights slots (`weightsPtr(slot)`, up to `weightsCapacity()` bytes each). Writing anywhere else
//   is undefined behaviour; nothing the host writes into those regions can make the engine read or
//   write outside the arena (loadWeights verifies every offset; run re-checks them).
// - `loadWeights(slot, length)` verifies the .ssrq blob in place and marks the slot usable; any
//   later write into that slot invalidates it until the next loadWeights.
// - `run(slot)` re-checks the slot's layout (weights.ts checkLayout: shapes and offsets, not the
//   checksum), so a write into a loaded slot can change the answer or fail the run (the slot is
//   then unloaded) but never make it read or write outside the arena. It reads INPUT and the
//   slot's weights, overwrites the activation buffers and stores the output, read with
//   `result()`. Calls are not re-entrant (one instance, one inference at a time); a host wanting
//   parallelism instantiates the module once per thread.
// - Every export that can fail returns a code: 0 OK, else the ERR_* codes of blob.ts,
//   ERR_ARGUMENT (10) for a box or margin out of range, ERR_NO_IMAGE (11) when no image is reserved.

import {
  ARENA_BASE, ARENA_END, CRC_TABLE, FEATURES, IMAGE, INPUT, INPUT_BYTES, MAX_IMAGE_SIDE, MAX_MEMORY_BYTES, MAX_RESIZED_SIDE,
  S1, S2, S3, S4, SLOT_KINDS, TANH_LUT, WEIGHT_SLOTS, WEIGHTS_CAPACITY, X1, X2, X3, X4, resizedAt, weightsSlot,
} from './arena';
import { bytesPerPixel, cropFaceBgr, resizeToBgr } from './crop';
import { buildTanhLut } from './kernels/tanh-lut';
import { forward } from './ssrnet';
import { ERR_ARGUMENT, ERR_NO_IMAGE, ERR_NOT_LOADED, ERR_SLOT, OK, initCrcTable } from './blob';
import { checkLayout, verifyWeights } from './weights';

/** ABI version: bumped whenever an export's meaning changes. */
const ABI_VERSION: i32 = 2;

let lastResult: f64 = 0;
/** The reserved image: sides and format; width 0 when none. */
let imageWidth: i32 = 0;
let imageHeight: i32 = 0;
let imageFormat: i32 = 0;

buildTanhLut(TANH_LUT);
initCrcTable(CRC_TABLE);
for (let slot = 0; slot < WEIGHT_SLOTS; slot++) setSlotKind(slot, -1);

/** ABI version of this engine. */
export function version(): i32 {
  return ABI_VERSION;
}

/** 1 when this build uses simd128 kernels, 0 for the scalar build. */
export function simd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** Where the host writes the 64x64x3 BGR input. */
export function inputPtr(): usize {
  return INPUT;
}

/** Size of the input in bytes (12288). */
export function inputSize(): i32 {
  return INPUT_BYTES;
}

/** Number of weights slots (3: two age models and a gender model can be loaded at once). */
export function weightSlots(): i32 {
  return WEIGHT_SLOTS;
}

/** Where the host writes the weights blob of `slot` (0 ≤ slot < weightSlots()); 0 for an invalid slot. */
export function weightsPtr(slot: i32): usize {
  return slot >= 0 && slot < WEIGHT_SLOTS ? weightsSlot(slot) : 0;
}

/** Capacity of one weights slot in bytes. */
export function weightsCapacity(): i32 {
  return WEIGHTS_CAPACITY;
}

function setSlotKind(slot: i32, kind: i32): void {
  store<i32>(SLOT_KINDS + (<usize>slot << 2), kind);
}

/** Model kind loaded in `slot`: -1 none (or invalid slot), 0 age, 1 gender. */
export function slotKind(slot: i32): i32 {
  return slot >= 0 && slot < WEIGHT_SLOTS ? load<i32>(SLOT_KINDS + (<usize>slot << 2)) : -1;
}

/** Verifies the `length`-byte blob the host wrote at weightsPtr(slot); returns a code. */
export function loadWeights(slot: i32, length: i32): i32 {
  if (slot < 0 || slot >= WEIGHT_SLOTS) return ERR_SLOT;
  setSlotKind(slot, -1);
  const code = verifyWeights(weightsSlot(slot), length);
  if (code == OK) setSlotKind(slot, <i32>load<u8>(weightsSlot(slot), 6));
  return code;
}

/** Runs the model of `slot` on the input; returns a code, the output is read with result(). */
export function run(slot: i32): i32 {
  if (slot < 0 || slot >= WEIGHT_SLOTS) return ERR_SLOT;
  if (slotKind(slot) < 0) return ERR_NOT_LOADED;
  const layout = checkLayout(weightsSlot(slot), false);
  if (layout != OK) {
    setSlotKind(slot, -1);
    return layout;
  }
  lastResult = forward(weightsSlot(slot));
  return OK;
}

/** Output of the last successful run: age in years, or the gender score (see the model's polarity). */
export function result(): f64 {
  return lastResult;
}

/**
 * Address of an intermediate tensor, for per-layer tests and C hosts that debug: 0..3 x1..x4,
 * 4..7 s1..s4 (HWC: u8, x3 and x4 i16), 8 the f32 fusion features, 9 the tanh table; 0 for other ids.
 */
export function tensorPtr(id: i32): usize {
  switch (id) {
    case 0: return X1;
    case 1: return X2;
    case 2: return X3;
    case 3: return X4;
    case 4: return S1;
    case 5: return S2;
    case 6: return S3;
    case 7: return S4;
    case 8: return FEATURES;
    case 9: return TANH_LUT;
    default: return 0;
  }
}

/** First byte of the arena. */
export function arenaStart(): usize {
  return ARENA_BASE;
}

/** One past the last byte of the arena (must be ≤ memory size). */
export function arenaEnd(): usize {
  return ARENA_END;
}

/** Grows memory so that [0, end) is addressable; false when it would pass the 1 GiB maximum. */
function ensureMemory(end: u64): bool {
  if (end > MAX_MEMORY_BYTES) return false;
  const pages = <i32>((end + 0xffff) >> 16);
  const have = memory.size();
  return pages <= have || memory.grow(pages - have) >= 0;
}

/**
 * Reserves the image region for a `width` x `height` image of `format` (0 RGBA, 1 RGB, 2 BGR,
 * 3 gray), growing memory as needed; returns where the host writes its pixels, or 0 (no image
 * reserved) for an unknown format, a side outside 1..65535 or more than 1 GiB - 256 KiB of pixels.
 */
export function reserveImage(width: i32, height: i32, format: i32): usize {
  imageWidth = 0;
  const bpp = bytesPerPixel(format);
  if (bpp == 0 || width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) return 0;
  if (!ensureMemory(<u64>IMAGE + <u64>width * <u64>height * <u64>bpp)) return 0;
  imageWidth = width;
  imageHeight = height;
  imageFormat = format;
  return IMAGE;
}

/**
 * Crops the reserved image for the network: the box (x, y, w, h in image pixels) widened by
 * `margin` per side, resized to 64x64x3 BGR into the input; returns a code (ERR_NO_IMAGE, or
 * ERR_ARGUMENT unless the box is finite, w and h > 0, it overlaps the image and 0 <= margin <= 2).
 */
export function cropFace(x: f64, y: f64, w: f64, h: f64, margin: f64): i32 {
  if (imageWidth == 0) return ERR_NO_IMAGE;
  if (!(margin >= 0 && margin <= 2 && w > 0 && h > 0)) return ERR_ARGUMENT;
  // The widened box must be finite too (a finite box can overflow when widened); NaN fails here.
  if (!isFinite(x - margin * w) || !isFinite(y - margin * h) || !isFinite(w * (1 + 2 * margin)) || !isFinite(h * (1 + 2 * margin))) return ERR_ARGUMENT;
  if (!(x < <f64>imageWidth && x + w > 0 && y < <f64>imageHeight && y + h > 0)) return ERR_ARGUMENT;
  cropFaceBgr(IMAGE, imageWidth, imageHeight, imageFormat, x, y, w, h, margin, INPUT);
  return OK;
}

/**
 * Resizes the reserved image to `dstWidth` x `dstHeight` x 3 BGR (area average) after the image
 * and returns its address; 0 when no image is reserved, a side is outside 1..8192 or memory cannot grow.
 */
export function resizeImage(dstWidth: i32, dstHeight: i32): usize {
  return resizeRegion(0, 0, imageWidth, imageHeight, dstWidth, dstHeight);
}

/**
 * resizeImage of the region [x, x + w) x [y, y + h) of the reserved image (a detector tile); 0
 * also when the region is empty or not inside the image.
 */
export function resizeRegion(x: i32, y: i32, w: i32, h: i32, dstWidth: i32, dstHeight: i32): usize {
  if (imageWidth == 0 || dstWidth < 1 || dstHeight < 1 || dstWidth > MAX_RESIZED_SIDE || dstHeight > MAX_RESIZED_SIDE) return 0;
  if (x < 0 || y < 0 || w < 1 || h < 1 || w > imageWidth - x || h > imageHeight - y) return 0;
  const at = resizedAt(<usize>imageWidth * <usize>imageHeight * <usize>bytesPerPixel(imageFormat));
  if (!ensureMemory(<u64>at + <u64>dstWidth * <u64>dstHeight * 3)) return 0;
  resizeToBgr(IMAGE, imageWidth, imageFormat, x, y, w, h, at, dstWidth, dstHeight);
  return at;
}
