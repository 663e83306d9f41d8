// Verifies a .bf32 weights blob (weights/BLAZEFACE-FORMAT.md, version 1) in place. After a
// successful verification the forward pass reads the arrays straight from the blob: no copies, no
// parsing at run time. Every check the format lists is done here, so a host cannot make the engine
// read outside its weights region, whatever bytes it writes.

import { CRC_TABLE, WEIGHTS_CAPACITY } from './arena';
import { ERR_BOUNDS, ERR_NOT_FINITE, ERR_SHAPE, OK, allFinite, checkEnvelope, inData } from '../blob';

export const FORMAT_VERSION: u16 = 1;
/** "BF32" read as a little-endian u32. */
const MAGIC: u32 = 0x32334642;
export const HEADER_BYTES: usize = 32;
export const RECORD_BYTES: usize = 16;
export const LAYER_COUNT: i32 = 35;
const DATA_START: u32 = 32 + 35 * 16;

/** Layer ops (record byte 0). */
export const OP_STEM: u8 = 0;
export const OP_DEPTHWISE: u8 = 1;
export const OP_POINTWISE_RESIDUAL: u8 = 2;
export const OP_HEAD: u8 = 3;

// Expected records: op, stride, cin, cout (both padded to a multiple of 4), real cout.
const LAYER_SHAPES: usize = memory.data<u16>([
  0, 2, 3, 24, 24, // stem 5x5/2
  1, 1, 24, 24, 24, 2, 1, 24, 24, 24, //  block 1
  1, 1, 24, 24, 24, 2, 1, 24, 28, 28, //  block 2
  1, 2, 28, 28, 28, 2, 1, 28, 32, 32, //  block 3 (stride 2)
  1, 1, 32, 32, 32, 2, 1, 32, 36, 36, //  block 4
  1, 1, 36, 36, 36, 2, 1, 36, 44, 42, //  block 5 (42 outputs padded to 44)
  1, 2, 44, 44, 42, 2, 1, 44, 48, 48, //  block 6 (stride 2)
  1, 1, 48, 48, 48, 2, 1, 48, 56, 56, //  block 7
  1, 1, 56, 56, 56, 2, 1, 56, 64, 64, //  block 8
  1, 1, 64, 64, 64, 2, 1, 64, 72, 72, //  block 9
  1, 1, 72, 72, 72, 2, 1, 72, 80, 80, //  block 10
  1, 1, 80, 80, 80, 2, 1, 80, 88, 88, //  block 11
  3, 1, 88, 36, 34, //                     head of the 16x16 map: 2 scores + 32 box values
  1, 2, 88, 88, 88, 2, 1, 88, 96, 96, //  block 12 (stride 2)
  1, 1, 96, 96, 96, 2, 1, 96, 96, 96, //  block 13
  1, 1, 96, 96, 96, 2, 1, 96, 96, 96, //  block 14
  1, 1, 96, 96, 96, 2, 1, 96, 96, 96, //  block 15
  1, 1, 96, 96, 96, 2, 1, 96, 96, 96, //  block 16
  3, 1, 96, 104, 102, //                   head of the 8x8 map: 6 scores + 96 box values
]);

/** Address of layer record i in a blob. */
// @ts-ignore: decorator
@inline export function layerRecord(blob: usize, i: i32): usize {
  return blob + HEADER_BYTES + <usize>i * RECORD_BYTES;
}

/** Number of weights of a layer: stem 5x5xCinxCout, depthwise 3x3xC, 1x1 CinxCout. */
function weightCount(op: u8, cin: u32, cout: u32): u32 {
  if (op == OP_STEM) return 25 * cin * cout;
  if (op == OP_DEPTHWISE) return 9 * cin;
  return cin * cout;
}

/** True when `count` f32 at `offset` lie in the data area (before the checksum), 16-byte aligned. */
function floatsInData(offset: u32, count: u32, length: u32): bool {
  return inData(offset, count * 4, length, DATA_START, 16);
}

/** True when the padding outputs of a layer (real cout..cout) have zero weights and bias. */
function paddingIsZero(r: usize, blob: usize): bool {
  const op = load<u8>(r);
  const cin = <u32>load<u16>(r, 2);
  const cout = <u32>load<u16>(r, 4);
  const real = <u32>load<u16>(r, 6);
  const weights = blob + <usize>load<u32>(r, 8);
  const bias = blob + <usize>load<u32>(r, 12);
  const taps: u32 = op == OP_STEM ? 25 * cin : op == OP_DEPTHWISE ? 9 : cin;
  const stride = op == OP_DEPTHWISE ? cin : cout;
  for (let t: u32 = 0; t < taps; t++) {
    for (let o = real; o < stride; o++) {
      if (load<u32>(weights + (<usize>(t * stride + o) << 2)) != 0) return false;
    }
  }
  if (op == OP_DEPTHWISE) return true;
  for (let o = real; o < cout; o++) {
    if (load<u32>(bias + (<usize>o << 2)) != 0) return false;
  }
  return true;
}

/** Checks the blob of `length` bytes at `blob`; returns OK or the first failing check's code. */
export function verifyWeights(blob: usize, length: i32): i32 {
  const envelope = checkEnvelope(blob, length, WEIGHTS_CAPACITY, DATA_START, MAGIC, FORMAT_VERSION, 12, CRC_TABLE);
  if (envelope != OK) return envelope;
  const len = <u32>length;
  if (load<u8>(blob, 6) != 0 || <i32>load<u8>(blob, 7) != LAYER_COUNT) return ERR_SHAPE;
  if (load<u16>(blob, 8) != 128 || load<u16>(blob, 10) != 896) return ERR_SHAPE;
  for (let i = 0; i < LAYER_COUNT; i++) {
    const r = layerRecord(blob, i);
    const expected = LAYER_SHAPES + (<usize>(i * 5) << 1);
    if (<u16>load<u8>(r) != load<u16>(expected) || <u16>load<u8>(r, 1) != load<u16>(expected, 2)) return ERR_SHAPE;
    for (let j = 1; j < 4; j++) {
      if (load<u16>(r + (<usize>j << 1)) != load<u16>(expected + (<usize>(j + 1) << 1))) return ERR_SHAPE;
    }
    const op = load<u8>(r);
    const count = weightCount(op, <u32>load<u16>(r, 2), <u32>load<u16>(r, 4));
    const bias = load<u32>(r, 12);
    if (!floatsInData(load<u32>(r, 8), count, len)) return ERR_BOUNDS;
    if (op == OP_DEPTHWISE ? bias != 0 : !floatsInData(bias, <u32>load<u16>(r, 4), len)) return ERR_BOUNDS;
    if (!allFinite(blob + <usize>load<u32>(r, 8), count)) return ERR_NOT_FINITE;
    if (op != OP_DEPTHWISE && !allFinite(blob + <usize>bias, <u32>load<u16>(r, 4))) return ERR_NOT_FINITE;
    // Padding channels must stay exactly zero through the network (the kernels never mask them).
    if (!paddingIsZero(r, blob)) return ERR_SHAPE;
  }
  return OK;
}
