// The detector's whole working memory: one static arena laid out here, once, from BlazeFace
// short-range's dimensions. Nothing is allocated at run time and memory never grows (asconfig:
// targets detector-simd / detector-scalar, 25 pages = 1600 KiB fixed).
//
// Every float tensor is f32 NHWC with channels padded to a multiple of 4 (weights/BLAZEFACE-FORMAT.md).
//
//   region        bytes     contents
//   INPUT         49152     128x128x3 u8 RGB — written by the host
//   WEIGHTS       409600    the .bf32 blob written by the host, verified by loadWeights (404484 used)
//   ACT_A, ACT_B  2x458752  ping-pong activations; the largest is block 2's 64x64x28 output
//                           (the normalized input, 128x128x3, is 196608)
//   DW_ROW        7168      one depthwise output row (at most 64 x 28)
//   SKIP_ROW      3584      one max-pooled residual row (at most 32 x 28)
//   HEAD_ROW      3328      one head output row (at most 8 x 104)
//   RAW_SCORES    3584      896 logits, anchor order
//   RAW_BOXES     57344     896 x 16 regressors, anchor order
//   ANCHORS       7168      896 anchor centres (x, y), built at instantiation
//   CANDIDATES    60928     decoded anchors above the score threshold, 17 f32 each
//   ORDER         3584      i32 candidate indices, sorted by score
//   DETECTIONS    60928     the weighted-NMS output, 17 f32 each
//   CRC_TABLE     1024      u32 CRC-32 table
//
// The letterbox (letterbox.ts) runs before the network and borrows the activation buffers, so it
// costs no memory of its own; run() overwrites them (and so ends any letterbox in progress):
//   LB_ACC        262144    in ACT_A: 128x128 f32 RGBA area sums
//   LB_ROW        65536     in ACT_B: one image row segment, up to 16384 RGBA u8 pixels — written by the host
//   LB_COLUMNS    3072      in ACT_B: per output column, the segment's pixels it covers (resample.ts)
//   LB_LINE       2048      in ACT_B: 128 f32 RGBA horizontal sums of the current row

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

export const INPUT_SIDE: i32 = 128;
export const INPUT_BYTES: i32 = INPUT_SIDE * INPUT_SIDE * 3;
export const WEIGHTS_CAPACITY: i32 = 400 * 1024;
export const ACT_BYTES: i32 = 64 * 64 * 28 * 4;
export const DW_ROW_BYTES: i32 = 64 * 28 * 4;
export const SKIP_ROW_BYTES: i32 = 32 * 28 * 4;
export const HEAD_ROW_BYTES: i32 = 8 * 104 * 4;
export const ANCHOR_COUNT: i32 = 896;
/** Values per anchor in RAW_BOXES: box x, y, w, h, then 6 keypoints (x, y). */
export const COORDS: i32 = 16;
/** f32 per candidate / detection record: score, xmin, ymin, xmax, ymax, 6 keypoints (x, y). */
export const RECORD_FLOATS: i32 = 17;
export const RECORD_BYTES: i32 = RECORD_FLOATS * 4;
export const CRC_TABLE_BYTES: i32 = 256 * 4;
/** Most image pixels per letterbox row segment. */
export const LB_ROW_CAPACITY: i32 = 16384;

export const ARENA_BASE: usize = align16(__heap_base);
export const INPUT: usize = ARENA_BASE;
export const WEIGHTS: usize = align16(INPUT + <usize>INPUT_BYTES);
export const ACT_A: usize = align16(WEIGHTS + <usize>WEIGHTS_CAPACITY);
export const ACT_B: usize = ACT_A + <usize>ACT_BYTES;
export const DW_ROW: usize = ACT_B + <usize>ACT_BYTES;
export const SKIP_ROW: usize = DW_ROW + <usize>DW_ROW_BYTES;
export const HEAD_ROW: usize = SKIP_ROW + <usize>SKIP_ROW_BYTES;
export const RAW_SCORES: usize = HEAD_ROW + <usize>HEAD_ROW_BYTES;
export const RAW_BOXES: usize = RAW_SCORES + <usize>(ANCHOR_COUNT * 4);
export const ANCHORS: usize = RAW_BOXES + <usize>(ANCHOR_COUNT * COORDS * 4);
export const CANDIDATES: usize = ANCHORS + <usize>(ANCHOR_COUNT * 2 * 4);
export const ORDER: usize = CANDIDATES + <usize>(ANCHOR_COUNT * RECORD_BYTES);
export const DETECTIONS: usize = ORDER + <usize>(ANCHOR_COUNT * 4);
export const CRC_TABLE: usize = DETECTIONS + <usize>(ANCHOR_COUNT * RECORD_BYTES);
export const ARENA_END: usize = CRC_TABLE + <usize>CRC_TABLE_BYTES;

export const LB_ACC: usize = ACT_A;
export const LB_ROW: usize = ACT_B;
export const LB_COLUMNS: usize = LB_ROW + <usize>(LB_ROW_CAPACITY * 4);
export const LB_LINE: usize = LB_COLUMNS + <usize>(INPUT_SIDE * 24);
// The letterbox's borrowed regions fit their hosts (checked at instantiation).
// @ts-ignore: static assertion
assert(LB_LINE + 128 * 16 <= ACT_B + <usize>ACT_BYTES && 128 * 128 * 16 <= ACT_BYTES);
