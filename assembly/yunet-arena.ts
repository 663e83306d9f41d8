// The YuNet detector's whole working memory: one static arena laid out here, once. Nothing is
// allocated at run time and memory never grows (asconfig targets detector-simd / detector-scalar).
//
// The network runs on a map padded to multiples of 32 (libfacedetection's padDivisor), so a
// W x H input costs as much as Wp x Hp = ceil32(W) x ceil32(H) = P pixels. Buffers are sized for
// the largest input the engine accepts: each side at most MAX_INPUT_SIDE, P at most
// MAX_PADDED_PIXELS (640x480, 480x640, 544x544, ...). Maps are int8 NHWC (u8 after a relu, s8
// after a 1x1 conv, docs/detector.md); only the head outputs are f32.
//
// The graph streams rows (yunet.ts): only the neck's inputs and the head outputs are whole maps;
// every other layer keeps a few rows in RINGS, whose size depends on the width only.
//
//   region       bytes (P = 307200, Wp = 640)   contents
//   INPUT        921600   3P       the W x H x 3 u8 BGR image — written by the host
//   WEIGHTS      221184            the float .yunf blob, written by the host, verified and quantized by loadWeights
//   LAYERS       636               53 x (weights, bias, scale) addresses into QWEIGHTS, owned by the engine
//   QWEIGHTS     66560             the int8 weights, i32 biases and f32 requantization scales of every layer
//   RINGS        176896   276 Wp   + 256 alignment: the row rings of the stride 2-8 backbone (the
//                                  largest phase; later phases reuse the region)
//   ACC          40960    64 Wp    scalar build: one row of a 1x1 conv's i32 accumulators (the widest:
//                                  160 px x 64 ch); simd128 build: the 1x1 conv's scratch (its input
//                                  row and weights widened to i16, kernels/conv1x1-requant.ts)
//   FB1          307200   P        stride-8 features (64 ch u8): backbone output, then neck output
//   FB2          76800    P/4      stride-16 features
//   FB3          19200    P/16     stride-32 features
//   HEADS        403200            raw head outputs (f32), per stride 8, 16, 32: cls[n], obj[n],
//                                  bbox[n][4], kps[n][10] (n = that stride's anchors)
//   CANDIDATES   50400             anchors above the score threshold: score f32, anchor i32
//   ORDER, MERGE 25200 each        i32 candidate numbers and the merge sort's scratch
//   KEPT_BOXES   28728             the anchor NMS is looking at + the kept faces' boxes, 14 f32 each
//   RESULTS      30720             the kept faces, 15 f32 each (at most MAX_FACES)
//   CRC_TABLE    1024              u32 CRC-32 table
//   total        2.40 MB (37 pages with the static data), against 4.03 MB in float32. The input
//                alone is 0.88 MiB, so the 1 MiB target for a 640x480 frame needs the input streamed.

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Largest side of the detector input, in pixels. */
export const MAX_INPUT_SIDE: i32 = 640;
/** Largest ceil32(width) * ceil32(height) of the detector input (640x480). */
export const MAX_PADDED_PIXELS: i32 = 640 * 480;
/** Largest number of faces detect() returns (libfacedetection's keep_top_k). */
export const MAX_FACES: i32 = 512;
/** Most candidates NMS looks at, by score (libfacedetection's top_k). */
export const TOP_K: i32 = 1000;
/** Anchors of the three strides at MAX_PADDED_PIXELS: P/64 + P/256 + P/1024. */
export const MAX_ANCHORS: i32 = MAX_PADDED_PIXELS / 64 + MAX_PADDED_PIXELS / 256 + MAX_PADDED_PIXELS / 1024;
/** f32 per raw anchor output: cls, obj, 4 bbox, 10 kps. */
export const HEAD_FLOATS: i32 = 16;
/** f32 per candidate / result record: score, x, y, w, h, 5 landmarks (x, y). */
export const RECORD_FLOATS: i32 = 15;
export const RECORD_BYTES: i32 = RECORD_FLOATS * 4;
/** The .yunf file is 213892 bytes (53184 floats, fixed by the graph), plus room for alignment. */
export const WEIGHTS_CAPACITY: i32 = 216 * 1024;
export const LAYER_COUNT: i32 = 53;
/** Bytes of every layer's quantized weights, bias and scale, each array 16-aligned (66208, fixed by the graph). */
export const QWEIGHTS_CAPACITY: i32 = 65 * 1024;
/** Bytes per LAYERS record: weights, bias, scale addresses (u32 each). */
export const LAYER_RECORD_BYTES: i32 = 12;

const INPUT_BYTES: usize = <usize>MAX_PADDED_PIXELS * 3;
/** Row rings of the widest phase (yunet.ts forward: stem to the stride-8 unit), 16 rings 16-aligned. */
export const RINGS_CAPACITY: i32 = 276 * MAX_INPUT_SIDE + 16 * 16;
/** The widest 1x1 conv accumulator row: MAX_INPUT_SIDE / 4 pixels x 64 channels x 4 bytes; also holds CONV1X1_SCRATCH_BYTES. */
export const ACC_BYTES: i32 = 64 * MAX_INPUT_SIDE;

export const ARENA_BASE: usize = align16(__heap_base);
export const INPUT: usize = ARENA_BASE;
export const WEIGHTS: usize = align16(INPUT + INPUT_BYTES);
export const LAYERS: usize = WEIGHTS + <usize>WEIGHTS_CAPACITY;
export const QWEIGHTS: usize = align16(LAYERS + <usize>(LAYER_COUNT * LAYER_RECORD_BYTES));
export const RINGS: usize = QWEIGHTS + <usize>QWEIGHTS_CAPACITY;
export const ACC: usize = RINGS + <usize>RINGS_CAPACITY;
export const FB1: usize = ACC + <usize>ACC_BYTES;
export const FB2: usize = FB1 + <usize>MAX_PADDED_PIXELS;
export const FB3: usize = FB2 + <usize>(MAX_PADDED_PIXELS / 4);
export const HEADS: usize = FB3 + <usize>(MAX_PADDED_PIXELS / 16);
export const CANDIDATES: usize = HEADS + <usize>(MAX_ANCHORS * HEAD_FLOATS * 4);
export const ORDER: usize = CANDIDATES + <usize>(MAX_ANCHORS * 8);
export const MERGE: usize = ORDER + <usize>(MAX_ANCHORS * 4);
export const KEPT_BOXES: usize = MERGE + <usize>(MAX_ANCHORS * 4);
export const RESULTS: usize = KEPT_BOXES + <usize>((MAX_FACES + 1) * 56);
export const CRC_TABLE: usize = RESULTS + <usize>(MAX_FACES * RECORD_BYTES);
export const ARENA_END: usize = CRC_TABLE + 1024;
