// The YuNet face detector's whole WebAssembly ABI: integers, floats and pointers into linear
// memory only. A sibling of the SSR-Net engine (assembly/index.ts), built to
// build/yunet-{simd,scalar}.wasm (asconfig targets detector-simd / detector-scalar).
//
// Lifetime and ownership (TFLM MicroInterpreter style):
// - Instantiation builds the CRC table; nothing else is ever initialised or allocated. Memory is
//   fixed (asconfig); the arena layout is in yunet-arena.ts and never changes.
// - The host owns the contents of INPUT (`inputPtr()`: the detector input, width x height x 3 u8,
//   B, G, R, rows of width*3 bytes, as set by setInputSize) and of the weights region
//   (`weightsPtr()`, up to `weightsCapacity()` bytes). Writing anywhere else is undefined
//   behaviour; nothing written into those regions can make the engine read or write outside the
//   arena.
// - `loadWeights(length)` verifies the float .yunf blob in place (envelope, CRC-32, every layer's
//   shape against the graph, offsets, finite values) and quantizes it into engine-owned memory
//   (int8 weights, i32 biases, f32 scales; yunet-weights.ts). The blob is left as written and is
//   not read again: a later write into the weights region changes nothing until the next
//   loadWeights.
// - `setInputSize(width, height)` fixes the input geometry (1..MAX_INPUT_SIDE each, padded to
//   multiples of 32, at most MAX_PADDED_PIXELS); it invalidates the last run.
// - `run()` reads INPUT and the weights, overwrites the row rings and feature maps and stores the raw
//   head outputs (`headsPtr(level)`). `detect(score, nms, maxFaces)` decodes the last run into
//   `resultsPtr()`, RECORD_FLOATS f32 per face (yunet-postprocess.ts), and returns the count, or
//   a negative code. Calls are not re-entrant (one instance, one image at a time).
// - Every export that can fail returns a code: 0 OK, else the ERR_* codes of blob.ts, or
//   ERR_ARGUMENT (10) for a size or threshold out of range.

import {
  ARENA_BASE, ARENA_END, CRC_TABLE, INPUT, MAX_FACES, MAX_INPUT_SIDE, MAX_PADDED_PIXELS, RECORD_FLOATS, RESULTS,
  WEIGHTS, WEIGHTS_CAPACITY,
} from './yunet-arena';
import { anchors, forward, headBase, setGeometry } from './yunet';
import { postprocess } from './yunet-postprocess';
import { loadYunet } from './yunet-weights';
import { ERR_NOT_LOADED, OK, initCrcTable } from './blob';

/** ABI version: bumped whenever an export's meaning changes. */
const ABI_VERSION: i32 = 2;
/** A size, threshold or count out of range. */
const ERR_ARGUMENT: i32 = 10;

let loaded = false;
let sized = false;
let ran = false;

initCrcTable(CRC_TABLE);

/** ABI version of this detector. */
export function version(): i32 {
  return ABI_VERSION;
}

/** 1 when this build uses simd128 kernels, 0 for the scalar build. */
export function simd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** Largest input side in pixels (640). */
export function maxInputSide(): i32 {
  return MAX_INPUT_SIDE;
}

/** Largest ceil32(width) * ceil32(height) (640 x 480). */
export function maxPaddedPixels(): i32 {
  return MAX_PADDED_PIXELS;
}

/** Sets the input size for the following runs; returns a code (ERR_ARGUMENT when out of range). */
export function setInputSize(width: i32, height: i32): i32 {
  ran = false;
  if (width < 1 || height < 1 || width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE) return ERR_ARGUMENT;
  if (((width + 31) & ~31) * ((height + 31) & ~31) > MAX_PADDED_PIXELS) return ERR_ARGUMENT;
  setGeometry(width, height);
  sized = true;
  return OK;
}

/** Where the host writes the width x height x 3 BGR input. */
export function inputPtr(): usize {
  return INPUT;
}

/** Where the host writes the .yunf weights blob. */
export function weightsPtr(): usize {
  return WEIGHTS;
}

/** Capacity of the weights region in bytes. */
export function weightsCapacity(): i32 {
  return WEIGHTS_CAPACITY;
}

/** Verifies the `length`-byte blob at weightsPtr() and quantizes it; returns a code. */
export function loadWeights(length: i32): i32 {
  loaded = false;
  ran = false;
  const code = loadYunet(WEIGHTS, length);
  loaded = code == OK;
  return code;
}

/** Runs the network on the input; returns a code. */
export function run(): i32 {
  if (!loaded || !sized) return ERR_NOT_LOADED;
  forward();
  ran = true;
  return OK;
}

/**
 * Decodes the last run: faces scoring >= scoreThreshold (0..1), greedy NMS at nmsThreshold
 * (0..1), at most maxFaces (1..MAX_FACES). Returns the number of records at resultsPtr(), or
 * -code on failure.
 */
export function detect(scoreThreshold: f32, nmsThreshold: f32, maxFaces: i32): i32 {
  if (!ran) return -ERR_NOT_LOADED;
  if (!(scoreThreshold >= 0 && scoreThreshold <= 1) || !(nmsThreshold >= 0 && nmsThreshold <= 1)) return -ERR_ARGUMENT;
  if (maxFaces < 1 || maxFaces > MAX_FACES) return -ERR_ARGUMENT;
  return postprocess(scoreThreshold, nmsThreshold, maxFaces);
}

/** Address of the result records (RECORD_FLOATS f32 each, by descending score). */
export function resultsPtr(): usize {
  return RESULTS;
}

/** f32 per result record (15). */
export function recordFloats(): i32 {
  return RECORD_FLOATS;
}

/** Largest maxFaces (512). */
export function maxFaces(): i32 {
  return MAX_FACES;
}

/** Raw outputs of head level 0, 1, 2 (stride 8, 16, 32): cls[n], obj[n], bbox[n][4], kps[n][10]. */
export function headsPtr(level: i32): usize {
  return level >= 0 && level < 3 && sized ? headBase(level) : 0;
}

/** Anchors of head level 0, 1, 2 at the current input size (0 for other levels). */
export function headAnchors(level: i32): i32 {
  return level >= 0 && level < 3 && sized ? anchors(level) : 0;
}

/** First byte of the arena. */
export function arenaStart(): usize {
  return ARENA_BASE;
}

/** One past the last byte of the arena (must be <= memory size). */
export function arenaEnd(): usize {
  return ARENA_END;
}
