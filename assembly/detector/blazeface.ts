// BlazeFace short-range forward pass, read top to bottom like the TFJS graph: the input scaled to
// [-1, 1], the 5x5 stride-2 stem, 16 BlazeBlocks (depthwise 3x3 → 1x1 conv → + residual → relu;
// the strided blocks max-pool their residual, the widening ones zero-pad its channels), and the
// two detection heads: on the 16x16 map after block 11 (2 anchors per cell) and on the 8x8 map
// after block 16 (6 anchors per cell). The heads' outputs are gathered into RAW_SCORES and
// RAW_BOXES in anchor order (16x16 map first), the layout MediaPipe's decoder reads.
//
// Every layer runs row by row, each block fused per output row: the depthwise row goes to DW_ROW,
// the pooled residual row (strided blocks) to SKIP_ROW, and the 1x1 conv reads both while they are
// in L1. Activations ping-pong between ACT_A and ACT_B.

import {
  ACT_A, ACT_B, COORDS, DW_ROW, HEAD_ROW, INPUT, INPUT_SIDE, RAW_BOXES, RAW_SCORES, SKIP_ROW,
} from './arena';
import { f32_conv5x5s2_bias_relu } from './kernels/conv5x5';
import { f32_dwconv3x3 } from './kernels/dwconv';
import { f32_normalize_u8 } from './kernels/input';
import { f32_maxpool2x2 } from './kernels/pool';
import { f32_pwconv_bias, f32_pwconv_bias_addpad_relu } from './kernels/pwconv';
import { layerRecord } from './weights';

// Layer record indices (weights/BLAZEFACE-FORMAT.md §2): the stem, then per block a depthwise and a
// pointwise record, with each head right after the block it reads.
const STEM = 0;
const BLOCK1 = 1;
const HEAD16 = 23;
const BLOCK12 = 24;
const HEAD8 = 34;

/** Weights and bias addresses and channel counts of layer record `i`. */
// @ts-ignore: decorator
@inline function weightsOf(blob: usize, i: i32): usize {
  return blob + <usize>load<u32>(layerRecord(blob, i), 8);
}

// @ts-ignore: decorator
@inline function biasOf(blob: usize, i: i32): usize {
  return blob + <usize>load<u32>(layerRecord(blob, i), 12);
}

// @ts-ignore: decorator
@inline function inChannelsOf(blob: usize, i: i32): i32 {
  return <i32>load<u16>(layerRecord(blob, i), 2);
}

// @ts-ignore: decorator
@inline function outChannelsOf(blob: usize, i: i32): i32 {
  return <i32>load<u16>(layerRecord(blob, i), 4);
}

/**
 * One BlazeBlock from the depthwise record `dw` (the pointwise record is dw + 1): `input` is
 * size x size x Cin, `output` (size / stride)^2 x Cout.
 */
function blazeBlock(blob: usize, dw: i32, input: usize, size: i32, output: usize): void {
  const cin = inChannelsOf(blob, dw);
  const cout = outChannelsOf(blob, dw + 1);
  const stride = <i32>load<u8>(layerRecord(blob, dw), 1);
  const outSize = size / stride;
  const inRow = <usize>(size * cin) << 2;
  const outRow = <usize>(outSize * cout) << 2;
  for (let oy = 0; oy < outSize; oy++) {
    f32_dwconv3x3(input, size, size, cin, stride, oy, weightsOf(blob, dw), DW_ROW);
    let skip = input + <usize>oy * inRow;
    if (stride == 2) {
      f32_maxpool2x2(input + <usize>(2 * oy) * inRow, size, cin, SKIP_ROW);
      skip = SKIP_ROW;
    }
    f32_pwconv_bias_addpad_relu(DW_ROW, outSize, cin, weightsOf(blob, dw + 1), biasOf(blob, dw + 1), cout,
      skip, cin, output + <usize>oy * outRow);
  }
}

/**
 * A detection head on a size x size map with `anchors` anchors per cell: one 1x1 conv whose
 * channels are the anchors' logits then their 16 regressors each; rows are gathered into
 * RAW_SCORES / RAW_BOXES from anchor index `first` on.
 */
function head(blob: usize, record: i32, input: usize, size: i32, anchors: i32, first: i32): void {
  const cin = inChannelsOf(blob, record);
  const cout = outChannelsOf(blob, record);
  for (let y = 0; y < size; y++) {
    f32_pwconv_bias(input + (<usize>(y * size * cin) << 2), size, cin, weightsOf(blob, record), biasOf(blob, record), cout, HEAD_ROW);
    for (let x = 0; x < size; x++) {
      const cell = HEAD_ROW + (<usize>(x * cout) << 2);
      for (let a = 0; a < anchors; a++) {
        const anchor = first + (y * size + x) * anchors + a;
        store<f32>(RAW_SCORES + (<usize>anchor << 2), load<f32>(cell + (<usize>a << 2)));
        memory.copy(RAW_BOXES + (<usize>(anchor * COORDS) << 2), cell + (<usize>(anchors + a * COORDS) << 2), <usize>COORDS << 2);
      }
    }
  }
}

/** Runs the network on INPUT with a verified blob; fills RAW_SCORES and RAW_BOXES. */
export function forward(blob: usize): void {
  // Input: 128x128x3 u8 → f32 in [-1, 1], into ACT_B.
  f32_normalize_u8(INPUT, INPUT_SIDE * INPUT_SIDE * 3, ACT_B);

  // Stem: 5x5/2 conv + relu, 128x128x3 → 64x64x24 in ACT_A.
  const stemOut = outChannelsOf(blob, STEM);
  for (let oy = 0; oy < 64; oy++) {
    f32_conv5x5s2_bias_relu(ACT_B, INPUT_SIDE, INPUT_SIDE, 3, oy, weightsOf(blob, STEM), biasOf(blob, STEM), stemOut,
      ACT_A + (<usize>(oy * 64 * stemOut) << 2));
  }

  // Blocks 1-11: 64x64 (1, 2) → 32x32 (3-5) → 16x16 (6-11). Block b's records are BLOCK1 + 2(b-1).
  blazeBlock(blob, BLOCK1, ACT_A, 64, ACT_B);
  blazeBlock(blob, BLOCK1 + 2, ACT_B, 64, ACT_A);
  blazeBlock(blob, BLOCK1 + 4, ACT_A, 64, ACT_B); // stride 2 → 32x32
  blazeBlock(blob, BLOCK1 + 6, ACT_B, 32, ACT_A);
  blazeBlock(blob, BLOCK1 + 8, ACT_A, 32, ACT_B);
  blazeBlock(blob, BLOCK1 + 10, ACT_B, 32, ACT_A); // stride 2 → 16x16
  blazeBlock(blob, BLOCK1 + 12, ACT_A, 16, ACT_B);
  blazeBlock(blob, BLOCK1 + 14, ACT_B, 16, ACT_A);
  blazeBlock(blob, BLOCK1 + 16, ACT_A, 16, ACT_B);
  blazeBlock(blob, BLOCK1 + 18, ACT_B, 16, ACT_A);
  blazeBlock(blob, BLOCK1 + 20, ACT_A, 16, ACT_B);

  // Head on the 16x16x88 map: anchors 0..511.
  head(blob, HEAD16, ACT_B, 16, 2, 0);

  // Blocks 12-16: 16x16 → 8x8 (12, stride 2), then 8x8.
  blazeBlock(blob, BLOCK12, ACT_B, 16, ACT_A);
  blazeBlock(blob, BLOCK12 + 2, ACT_A, 8, ACT_B);
  blazeBlock(blob, BLOCK12 + 4, ACT_B, 8, ACT_A);
  blazeBlock(blob, BLOCK12 + 6, ACT_A, 8, ACT_B);
  blazeBlock(blob, BLOCK12 + 8, ACT_B, 8, ACT_A);

  // Head on the 8x8x96 map: anchors 512..895.
  head(blob, HEAD8, ACT_A, 8, 6, 512);
}
