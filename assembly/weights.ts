// Verifies a .ssrq weights blob (weights/FORMAT.md, version 2) in place. After a successful
// verification the graph reads records and arrays straight from the blob: no copies, no parsing
// at run time. Every check the format lists is done here, so a host cannot make the engine read
// outside its slot, whatever bytes it writes.

import { CRC_TABLE, WEIGHTS_CAPACITY } from './arena';
import { ERR_BOUNDS, ERR_LENGTH, ERR_NOT_FINITE, ERR_SHAPE, OK, allFinite, checkEnvelope, inData } from './blob';

export const FORMAT_VERSION: u16 = 2;
/** "SSRQ" read as a little-endian u32. */
const MAGIC: u32 = 0x51525353;
export const HEADER_BYTES: usize = 64;
export const CONV_RECORD_BYTES: usize = 32;
export const DENSE_RECORD_BYTES: usize = 16;
export const CONV_COUNT: i32 = 14;
export const DENSE_COUNT: i32 = 18;
const DATA_START: u32 = 64 + 14 * 32 + 18 * 16;

// Expected conv records: k, cin, cout, coutPadded, epilogue, pool, input bytes — SSR-Net(3,3,3)
// on 64x64x3; the x stream's layer-3 and layer-4 maps are i16 (epilogue 4, input bytes 2).
const CONV_FIELDS: i32 = 7;
const CONV_SHAPES: usize = memory.data<u8>([
  3, 3, 32, 32, 0, 2, 1,   3, 32, 32, 32, 0, 2, 1,   3, 32, 32, 32, 4, 2, 1,   3, 32, 32, 32, 4, 1, 2, // x stream
  3, 3, 16, 16, 1, 2, 1,   3, 16, 16, 16, 1, 2, 1,   3, 16, 16, 16, 1, 2, 1,   3, 16, 16, 16, 1, 1, 1, // s stream
  1, 16, 10, 12, 3, 1, 1,  1, 32, 10, 12, 2, 1, 2, // stage 1 heads (layer 4)
  1, 16, 10, 12, 3, 4, 1,  1, 32, 10, 12, 2, 4, 1, // stage 2 heads (layer 2)
  1, 16, 10, 12, 3, 8, 1,  1, 32, 10, 12, 2, 8, 1, // stage 3 heads (layer 1)
]);

// Expected dense records per stage: mix_s, mix_x, delta, fc, pred, local as (inputs, outputs).
const DENSE_SHAPES: usize = memory.data<u16>([
  160, 3, 160, 3, 160, 1, 3, 6, 6, 3, 6, 3,
  90, 3, 90, 3, 90, 1, 3, 6, 6, 3, 6, 3,
  90, 3, 90, 3, 90, 1, 3, 6, 6, 3, 6, 3,
]);

/** Address of conv record i in a blob. */
// @ts-ignore: decorator
@inline export function convRecord(blob: usize, i: i32): usize {
  return blob + HEADER_BYTES + <usize>i * CONV_RECORD_BYTES;
}

/** Address of dense record i in a blob. */
// @ts-ignore: decorator
@inline export function denseRecord(blob: usize, i: i32): usize {
  return blob + HEADER_BYTES + <usize>CONV_COUNT * CONV_RECORD_BYTES + <usize>i * DENSE_RECORD_BYTES;
}

/**
 * Checks everything the graph computes addresses from: the stated length (at most a slot), the
 * record counts, every record's shape against SSR-Net(3,3,3), and every array inside the first
 * `length - 4` bytes, aligned; with `finite`, also that the records' f32 arrays are finite.
 * verifyWeights runs it at load and run() before every inference (without `finite`), so a host
 * writing into a loaded slot can change the answer but never make the engine read or write
 * outside the slot and its own buffers.
 */
export function checkLayout(blob: usize, finite: bool): i32 {
  const len = load<u32>(blob, 24);
  if (len < DATA_START + 4 || len > <u32>WEIGHTS_CAPACITY) return ERR_LENGTH;
  if (load<u8>(blob, 6) > 1 || <i32>load<u8>(blob, 7) != CONV_COUNT || <i32>load<u8>(blob, 15) != DENSE_COUNT) return ERR_SHAPE;
  if (load<u8>(blob, 12) != 3 || load<u8>(blob, 13) != 3 || load<u8>(blob, 14) != 3) return ERR_SHAPE;
  for (let i = 0; i < CONV_COUNT; i++) {
    const r = convRecord(blob, i);
    for (let j = 0; j < CONV_FIELDS; j++) {
      if (load<u8>(r + j) != load<u8>(CONV_SHAPES + <usize>(i * CONV_FIELDS + j))) return ERR_SHAPE;
    }
    const k = <u32>load<u8>(r);
    const cin = <u32>load<u8>(r, 1);
    const cp = <u32>load<u8>(r, 3);
    const weightBytes = k * k * ((cin + 1) >> 1) * cp * 2;
    if (load<u32>(r, 12) != weightBytes) return ERR_SHAPE;
    if (!inData(load<u32>(r, 8), weightBytes, len, DATA_START, 16)) return ERR_BOUNDS;
    if (!inData(load<u32>(r, 16), cp * 4, len, DATA_START, 4)) return ERR_BOUNDS;
    if (!inData(load<u32>(r, 20), cp * 4, len, DATA_START, 4)) return ERR_BOUNDS;
    if (finite && !allFinite(blob + <usize>load<u32>(r, 20), cp)) return ERR_NOT_FINITE;
  }
  for (let i = 0; i < DENSE_COUNT; i++) {
    const r = denseRecord(blob, i);
    const nIn = <u32>load<u16>(r);
    const nOut = <u32>load<u16>(r, 2);
    const expected = DENSE_SHAPES + (<usize>(i * 2) << 1);
    if (nIn != <u32>load<u16>(expected) || nOut != <u32>load<u16>(expected, 2)) return ERR_SHAPE;
    if (!inData(load<u32>(r, 4), nIn * nOut * 4, len, DATA_START, 4)) return ERR_BOUNDS;
    if (!inData(load<u32>(r, 8), nOut * 4, len, DATA_START, 4)) return ERR_BOUNDS;
    if (finite && (!allFinite(blob + <usize>load<u32>(r, 4), nIn * nOut) || !allFinite(blob + <usize>load<u32>(r, 8), nOut))) {
      return ERR_NOT_FINITE;
    }
  }
  return OK;
}

/** Checks the blob of `length` bytes at `blob`; returns OK or the first failing check's code. */
export function verifyWeights(blob: usize, length: i32): i32 {
  const envelope = checkEnvelope(blob, length, WEIGHTS_CAPACITY, DATA_START, MAGIC, FORMAT_VERSION, 24, CRC_TABLE);
  if (envelope != OK) return envelope;
  const layout = checkLayout(blob, true);
  if (layout != OK) return layout;
  for (let i = 16; i < 24; i += 4) {
    if (!isFinite<f32>(load<f32>(blob + <usize>i))) return ERR_NOT_FINITE;
  }
  if (!isFinite<f32>(load<f32>(blob, 8))) return ERR_NOT_FINITE;
  return OK;
}
