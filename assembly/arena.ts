// The engine's whole working memory: one static arena laid out here, once, from the model's
// dimensions, in the 4 initial pages (256 KiB), then the image region above them. Nothing is
// allocated at run time; memory grows only when the host reserves a larger image than before
// (index.ts reserveImage) or asks for a larger resized image, and never shrinks.
//
// Every tensor is followed by TENSOR_SLACK readable bytes: the conv kernels read the padding
// channel of an odd channel count (its weight is zero) one byte past a pixel.
//
//   region            bytes    contents
//   INPUT             12288    64x64x3 u8, BGR, raw 0..255 — written by the host
//   WEIGHTS[0..2]     3x51712  .ssrq blobs written by the host, verified by loadWeights
//                              (two age models for 'auto' + one gender model; a file is 51556 bytes)
//   X1 / S1           30752 / 15376   31x31x32 u8 (relu, zp 0) / 31x31x16 u8 (tanh, zp 128)
//   X2 / S2           6272 / 3136     14x14
//   X3 / S3           2304 / 576      6x6 (X3, X4: i16 in [0, 32767], zp 0)
//   X4 / S4           1024 / 256      4x4
//   ACC               15872    int32 accumulators: up to 8 conv rows (2 rows x 62 x 32 is the max)
//   CONV_WIDE         6160     i16 copy of the input rows of one conv call (kernels/conv.ts simd128)
//   FEATURES          2720     f32 pooled 1x1 head features, per stage: s then x
//   TANH_LUT          1040     u8 tanh table (1025 used)
//   CRC_TABLE         1024     u32 CRC-32 table
//   HEAD_SCRATCH      768      f32 vectors of the float head (head.ts)
//   SLOT_KINDS        16       i32 per weights slot: -1 empty, 0 age, 1 gender
//   (free up to 256 KiB)
//   IMAGE             w*h*bpp  at 262144 (the end of the 4 initial pages; after the arena if it is
//                              longer, as in the WASI command): the host's image,
//                              reserved by reserveImage (RGBA, RGB, BGR or gray u8)
//   RESIZED           dw*dh*3  at the next 16-byte boundary after the image: resizeImage's BGR output

import { CONV_WIDE_SCRATCH_BYTES } from './kernels/conv';
import { TANH_LUT_SIZE } from './kernels/tanh-lut';

// @ts-ignore: decorator
@inline const TENSOR_SLACK: usize = 16;

/** Rounds up to a 16-byte boundary (v128 alignment). */
// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

export const INPUT_BYTES: i32 = 64 * 64 * 3;
/** A .ssrq file is 51556 bytes (SSR-Net(3,3,3), weights/FORMAT.md); the slot rounds that up to 256. */
export const WEIGHTS_CAPACITY: i32 = 51712;
export const WEIGHT_SLOTS: i32 = 3;

export const X1_BYTES: i32 = 31 * 31 * 32;
export const S1_BYTES: i32 = 31 * 31 * 16;
export const X2_BYTES: i32 = 14 * 14 * 32;
export const S2_BYTES: i32 = 14 * 14 * 16;
export const X3_BYTES: i32 = 6 * 6 * 32 * 2;
export const S3_BYTES: i32 = 6 * 6 * 16;
export const X4_BYTES: i32 = 4 * 4 * 32 * 2;
export const S4_BYTES: i32 = 4 * 4 * 16;
export const ACC_BYTES: i32 = 2 * 62 * 32 * 4;
/** Per stage, s features then x features: 160 + 160, 90 + 90, 90 + 90 floats. */
export const FEATURES_FLOATS: i32 = 2 * (160 + 90 + 90);
export const CRC_TABLE_BYTES: i32 = 256 * 4;

export const ARENA_BASE: usize = align16(__heap_base);
export const INPUT: usize = ARENA_BASE;
export const WEIGHTS: usize = align16(INPUT + <usize>INPUT_BYTES + TENSOR_SLACK);
export const X1: usize = WEIGHTS + <usize>(WEIGHT_SLOTS * WEIGHTS_CAPACITY);
export const S1: usize = align16(X1 + <usize>X1_BYTES + TENSOR_SLACK);
export const X2: usize = align16(S1 + <usize>S1_BYTES + TENSOR_SLACK);
export const S2: usize = align16(X2 + <usize>X2_BYTES + TENSOR_SLACK);
export const X3: usize = align16(S2 + <usize>S2_BYTES + TENSOR_SLACK);
export const S3: usize = align16(X3 + <usize>X3_BYTES + TENSOR_SLACK);
export const X4: usize = align16(S3 + <usize>S3_BYTES + TENSOR_SLACK);
export const S4: usize = align16(X4 + <usize>X4_BYTES + TENSOR_SLACK);
export const ACC: usize = align16(S4 + <usize>S4_BYTES + TENSOR_SLACK);
export const CONV_WIDE: usize = align16(ACC + <usize>ACC_BYTES);
export const FEATURES: usize = align16(CONV_WIDE + <usize>CONV_WIDE_SCRATCH_BYTES);
export const TANH_LUT: usize = align16(FEATURES + <usize>(FEATURES_FLOATS * 4));
export const CRC_TABLE: usize = align16(TANH_LUT + <usize>TANH_LUT_SIZE);
export const HEAD_SCRATCH: usize = align16(CRC_TABLE + <usize>CRC_TABLE_BYTES);
export const HEAD_SCRATCH_BYTES: i32 = 768;
export const SLOT_KINDS: usize = HEAD_SCRATCH + <usize>HEAD_SCRATCH_BYTES;
export const ARENA_END: usize = SLOT_KINDS + 16;

/** Start of weights slot `slot` (0 ≤ slot < WEIGHT_SLOTS). */
export function weightsSlot(slot: i32): usize {
  return WEIGHTS + <usize>(slot * WEIGHTS_CAPACITY);
}

/** Bytes of the fixed part: the 4 initial pages the arena lives in. */
export const FIXED_BYTES: usize = 4 << 16;
/**
 * The host's image starts right after the fixed part (262144 in the engine builds). A module that
 * embeds more static data (the WASI command's weights) pushes the arena past it: the image then
 * starts after the arena.
 */
export const IMAGE: usize = max(FIXED_BYTES, align16(ARENA_END));
/** Largest linear memory (asconfig maximumMemory: 16384 pages, 1 GiB): images and resized images must fit below it. */
export const MAX_MEMORY_BYTES: u64 = <u64>16384 << 16;
/** Longest image side the engine accepts. */
export const MAX_IMAGE_SIDE: i32 = 65535;
/** Longest resized-image side the engine accepts. */
export const MAX_RESIZED_SIDE: i32 = 8192;

/** Where resizeImage writes, for an image of `imageBytes` bytes. */
export function resizedAt(imageBytes: usize): usize {
  return align16(IMAGE + imageBytes);
}
