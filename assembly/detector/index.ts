// The face detector's whole WebAssembly ABI (MediaPipe BlazeFace short-range, float32): integers,
// floats and pointers into linear memory only. A sibling of the SSR-Net engine (assembly/index.ts),
// built to build/blazeface-{simd,scalar}.wasm.
//
// Lifetime and ownership (TFLM MicroInterpreter style):
// - Instantiation builds the anchor and CRC tables; nothing else is ever initialised or allocated.
//   Memory is 25 fixed pages (1600 KiB); the arena layout is in arena.ts and never changes.
// - The host owns the contents of INPUT (`inputPtr()`, 128x128x3 u8 RGB, the letterboxed image)
//   and of the weights region (`weightsPtr()`, up to `weightsCapacity()` bytes). Writing anywhere
//   else is undefined behaviour; nothing the host writes into those regions can make the engine
//   read or write outside the arena (loadWeights verifies every offset).
// - `loadWeights(length)` verifies the .bf32 blob in place and marks it usable; any later write
//   into the weights region invalidates it until the next loadWeights.
// - The host may write INPUT itself or have the engine letterbox its image into it:
//   `letterboxBegin`, then per column segment `letterboxColumns` and per block of rows
//   `letterboxRows` (the host writes the rows' RGBA pixels at `letterboxRowPtr()`, up to
//   `letterboxRowCapacity()` pixels), then `letterboxEnd` (protocol in letterbox.ts). The letterbox borrows the activation buffers;
//   `run()` ends any letterbox in progress.
// - `run()` reads INPUT and the weights, overwrites the activation buffers and stores the raw
//   outputs (`tensorPtr(0)`, `tensorPtr(1)`). `detect(minScore)` decodes the raw outputs of the
//   last run and suppresses overlaps into the detection records (`detectionsPtr()`,
//   `detectionCount()` records of 17 f32: score, xmin, ymin, xmax, ymax, 6 keypoints (x, y),
//   coordinates normalized to the 128x128 input). Calls are not re-entrant (one instance, one
//   image at a time).
// - Every export that can fail returns a code: 0 OK, else the ERR_* codes of ../blob.ts, or
//   ERR_ARGUMENT (10) for letterbox numbers out of range or calls out of order.

import {
  ANCHORS, ARENA_BASE, ARENA_END, CRC_TABLE, DETECTIONS, INPUT, INPUT_BYTES, INPUT_SIDE, LB_ROW, LB_ROW_CAPACITY, RAW_BOXES,
  RAW_SCORES, WEIGHTS, WEIGHTS_CAPACITY,
} from './arena';
import { forward } from './blazeface';
import * as lb from './letterbox';
import { buildAnchors, postprocess } from './postprocess';
import { ERR_NOT_LOADED, OK, initCrcTable } from '../blob';
import { verifyWeights } from './weights';

/** ABI version: bumped whenever an export's meaning changes. */
const ABI_VERSION: i32 = 1;
/** Letterbox argument out of range, or a letterbox call out of order. */
const ERR_ARGUMENT: i32 = 10;

let loaded = false;
let ran = false;
let detections = 0;

buildAnchors();
initCrcTable(CRC_TABLE);

/** ABI version of this detector. */
export function version(): i32 {
  return ABI_VERSION;
}

/** 1 when this build uses simd128 kernels, 0 for the scalar build. */
export function simd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** Where the host writes the 128x128x3 RGB input. */
export function inputPtr(): usize {
  return INPUT;
}

/** Side of the square input in pixels (128). */
export function inputSide(): i32 {
  return INPUT_SIDE;
}

/** Size of the input in bytes (49152). */
export function inputSize(): i32 {
  return INPUT_BYTES;
}

/** Where the host writes the .bf32 weights blob. */
export function weightsPtr(): usize {
  return WEIGHTS;
}

/** Capacity of the weights region in bytes. */
export function weightsCapacity(): i32 {
  return WEIGHTS_CAPACITY;
}

/** Verifies the `length`-byte blob the host wrote at weightsPtr(); returns a code. */
export function loadWeights(length: i32): i32 {
  loaded = false;
  ran = false;
  const code = verifyWeights(WEIGHTS, length);
  loaded = code == OK;
  return code;
}

/** Runs the network on the input; returns a code. The raw outputs are tensorPtr(0) and (1). */
export function run(): i32 {
  if (!loaded) return ERR_NOT_LOADED;
  lb.abandon();
  forward(WEIGHTS);
  ran = true;
  return OK;
}

/** Where the host writes the RGBA pixels of the rows for letterboxRows. */
export function letterboxRowPtr(): usize {
  return LB_ROW;
}

/** Most pixels per letterboxRows call (16384). */
export function letterboxRowCapacity(): i32 {
  return LB_ROW_CAPACITY;
}

/**
 * Starts resampling the square image region with top-left corner (x, y) and side 128 / scale
 * into INPUT; returns a code.
 */
export function letterboxBegin(x: f32, y: f32, scale: f32): i32 {
  return lb.begin(x, y, scale) ? OK : ERR_ARGUMENT;
}

/** Selects image columns [x0, x0 + count) for the following rows; returns a code. */
export function letterboxColumns(x0: i32, count: i32): i32 {
  return lb.columns(x0, count) ? OK : ERR_ARGUMENT;
}

/** Adds image rows y .. y + rows - 1 of the selected columns, written at letterboxRowPtr(); returns a code. */
export function letterboxRows(y: i32, rows: i32): i32 {
  return lb.rows(y, rows) ? OK : ERR_ARGUMENT;
}

/** Writes the resampled region into INPUT; returns a code. */
export function letterboxEnd(): i32 {
  return lb.end() ? OK : ERR_ARGUMENT;
}

/**
 * Decodes the last run's outputs, keeping anchors that score at least `minScore`, and merges
 * overlapping ones (weighted NMS); returns a code. Read the result with detectionCount() and
 * detectionsPtr().
 */
export function detect(minScore: f32): i32 {
  if (!ran) return ERR_NOT_LOADED;
  detections = postprocess(minScore);
  return OK;
}

/** Number of detection records written by the last detect(). */
export function detectionCount(): i32 {
  return detections;
}

/** Address of the detection records (17 f32 each, by descending score). */
export function detectionsPtr(): usize {
  return DETECTIONS;
}

/**
 * Address of a tensor, for tests and hosts that debug: 0 the raw scores (896 f32 logits), 1 the
 * raw regressors (896 x 16 f32), 2 the anchor centres (896 x 2 f32); 0 for other ids.
 */
export function tensorPtr(id: i32): usize {
  switch (id) {
    case 0: return RAW_SCORES;
    case 1: return RAW_BOXES;
    case 2: return ANCHORS;
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
