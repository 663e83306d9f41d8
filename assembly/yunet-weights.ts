// Verifies a .yunf weights blob (weights/YUNET-FORMAT.md, version 1) in place, then repacks its
// 1x1 layers for the kernels. Every check the format lists is done before anything is trusted, so
// a host cannot make the engine read outside its weights region, whatever bytes it writes; the
// verified addresses are copied into LAYERS, which the host does not own.
//
// Why a repack: the format keeps libfacedetection's order for 1x1 weights, [out][in], while
// f32_pwconv_bias and the stem read [in][out] so simd128 lanes run along output channels. The
// transpose happens once, in place, at load (not per inference). The stem's [16][32] over the 27
// gathered taps (ky, kx, c) + 5 zero pads becomes [32][16], whose first 27 rows are exactly the
// kernel's [3][3][3][16].

import { CRC_TABLE, LAYERS, LAYER_COUNT, WEIGHTS_CAPACITY } from './yunet-arena';
import { ERR_BOUNDS, ERR_NOT_FINITE, ERR_SHAPE, OK, allFinite, checkEnvelope, inData } from './blob';

export const FORMAT_VERSION: u16 = 1;
/** "YUNF" read as a little-endian u32. */
const MAGIC: u32 = 0x464e5559;
const HEADER_BYTES: usize = 16;
const RECORD_BYTES: usize = 16;
const DATA_START: u32 = (16 + 53 * 16 + 15) & ~15;

export const KIND_POINTWISE: u8 = 0;
export const KIND_DEPTHWISE: u8 = 1;
export const KIND_STEM: u8 = 2;
const FLAG_RELU: u8 = 1;

// The graph's layers in libfacedetection's table order (facedetectcnn-model.cpp): in, out, kind,
// relu. The engine checks the blob against this, never the other way round.
const P: u16 = 0, D: u16 = 1, S: u16 = 2;
const EXPECTED: usize = memory.data<u16>([
  32, 16, S, 1, //                     0  stem 3x3/2 (27 gathered taps + 5 zero pads)
  16, 16, P, 0, 16, 16, D, 1, //       1-2  conv0 DP
  16, 16, P, 0, 16, 16, D, 1, 16, 32, P, 0, 32, 32, D, 1, //   3-6  conv1 (stride 4)
  32, 32, P, 0, 32, 32, D, 1, 32, 64, P, 0, 64, 64, D, 1, //   7-10 conv2
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  11-14 conv3 (stride 8)
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  15-18 conv4 (stride 16)
  64, 64, P, 0, 64, 64, D, 1, 64, 64, P, 0, 64, 64, D, 1, //  19-22 conv5 (stride 32)
  64, 64, P, 0, 64, 64, D, 1, //      23-24 neck lateral 0 (stride 8)
  64, 64, P, 0, 64, 64, D, 1, //      25-26 neck lateral 1 (stride 16)
  64, 64, P, 0, 64, 64, D, 1, //      27-28 neck lateral 2 (stride 32)
  64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, //           29-34 cls x3
  64, 4, P, 0, 4, 4, D, 0, 64, 4, P, 0, 4, 4, D, 0, 64, 4, P, 0, 4, 4, D, 0, //           35-40 bbox x3
  64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, 64, 1, P, 0, 1, 1, D, 0, //           41-46 obj x3
  64, 10, P, 0, 10, 10, D, 0, 64, 10, P, 0, 10, 10, D, 0, 64, 10, P, 0, 10, 10, D, 0, //  47-52 kps x3
]);

/** Address of layer i's weights (after a successful loadWeights: repacked for the kernels). */
// @ts-ignore: decorator
@inline export function layerWeights(i: i32): usize {
  return <usize>load<u32>(LAYERS + (<usize>i << 3));
}

/** Address of layer i's bias. */
// @ts-ignore: decorator
@inline export function layerBias(i: i32): usize {
  return <usize>load<u32>(LAYERS + (<usize>i << 3), 4);
}

/** Number of weights of a layer: 9 x C depthwise, in x out otherwise. */
function weightCount(kind: u8, cin: u32, cout: u32): u32 {
  return kind == KIND_DEPTHWISE ? 9 * cin : cin * cout;
}

/**
 * Checks the blob of `length` bytes at `blob`; returns OK or the first failing check's code. On
 * OK the layer table LAYERS is filled and the 1x1 weights are transposed to [in][out] in place,
 * using `scratch` (at least 64 x 64 x 4 bytes, not inside the blob).
 */
export function loadYunet(blob: usize, length: i32, scratch: usize): i32 {
  const envelope = checkEnvelope(blob, length, WEIGHTS_CAPACITY, DATA_START, MAGIC, FORMAT_VERSION, 8, CRC_TABLE);
  if (envelope != OK) return envelope;
  const len = <u32>length;
  if (<i32>load<u16>(blob, 6) != LAYER_COUNT || load<u32>(blob, 12) != 0) return ERR_SHAPE;
  for (let i = 0; i < LAYER_COUNT; i++) {
    const r = blob + HEADER_BYTES + <usize>i * RECORD_BYTES;
    const e = EXPECTED + (<usize>i << 3);
    const cin = <u32>load<u16>(r);
    const cout = <u32>load<u16>(r, 2);
    const kind = load<u8>(r, 4);
    if (cin != <u32>load<u16>(e) || cout != <u32>load<u16>(e, 2) || <u16>kind != load<u16>(e, 4)) return ERR_SHAPE;
    if (<u16>(load<u8>(r, 5) & FLAG_RELU) != load<u16>(e, 6) || (load<u8>(r, 5) & ~FLAG_RELU) != 0 || load<u16>(r, 6) != 0) return ERR_SHAPE;
    const count = weightCount(kind, cin, cout);
    const w = load<u32>(r, 8);
    const b = load<u32>(r, 12);
    if (!inData(w, count * 4, len, DATA_START, 16) || !inData(b, cout * 4, len, DATA_START, 16)) return ERR_BOUNDS;
    if (!allFinite(blob + <usize>w, count) || !allFinite(blob + <usize>b, cout)) return ERR_NOT_FINITE;
  }
  for (let i = 0; i < LAYER_COUNT; i++) {
    const r = blob + HEADER_BYTES + <usize>i * RECORD_BYTES;
    const w = blob + <usize>load<u32>(r, 8);
    store<u32>(LAYERS + (<usize>i << 3), <u32>w);
    store<u32>(LAYERS + (<usize>i << 3), <u32>(blob + <usize>load<u32>(r, 12)), 4);
    if (load<u8>(r, 4) != KIND_DEPTHWISE) transpose(w, <i32>load<u16>(r, 2), <i32>load<u16>(r), scratch);
  }
  return OK;
}

/** In place: [rows][cols] f32 at `m` becomes [cols][rows], through `scratch`. */
function transpose(m: usize, rows: i32, cols: i32, scratch: usize): void {
  const n = <usize>(rows * cols) << 2;
  memory.copy(scratch, m, n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      store<f32>(m + (<usize>(j * rows + i) << 2), load<f32>(scratch + (<usize>(i * cols + j) << 2)));
    }
  }
}
