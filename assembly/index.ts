// The engine's whole WebAssembly ABI: integers, floats and pointers into linear memory only.
//
// Lifetime and ownership (TFLM MicroInterpreter style):
// - Instantiation builds the tanh and CRC tables; nothing else is ever initialised or allocated.
//   Memory is 4 fixed pages (256 KiB); the arena layout is in arena.ts and never changes.
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
// - Every export that can fail returns a code: 0 OK, else the ERR_* codes of blob.ts.

import {
  ARENA_BASE, ARENA_END, CRC_TABLE, FEATURES, INPUT, INPUT_BYTES, S1, S2, S3, S4, SLOT_KINDS, TANH_LUT,
  WEIGHT_SLOTS, WEIGHTS_CAPACITY, X1, X2, X3, X4, weightsSlot,
} from './arena';
import { buildTanhLut } from './kernels/tanh-lut';
import { forward } from './ssrnet';
import { ERR_NOT_LOADED, ERR_SLOT, OK, initCrcTable } from './blob';
import { checkLayout, verifyWeights } from './weights';

/** ABI version: bumped whenever an export's meaning changes. */
const ABI_VERSION: i32 = 1;

let lastResult: f64 = 0;

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
 * 4..7 s1..s4 (u8 HWC), 8 the f32 fusion features, 9 the tanh table; 0 for other ids.
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
