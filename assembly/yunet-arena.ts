// The YuNet detector's whole working memory: one static arena laid out here, once. Nothing is
// allocated at run time and memory never grows (asconfig targets detector-simd / detector-scalar).
//
// The network runs on a map padded to multiples of 32 (libfacedetection's padDivisor), so a
// W x H input costs as much as ceil32(W) x ceil32(H) = P pixels. Buffers are sized for the
// largest P the engine accepts, MAX_PADDED_PIXELS (640x480, or any input of at most that many
// padded pixels, each side at most MAX_INPUT_SIDE). Every map is f32 NHWC.
//
//   region       bytes (P = 307200)   contents
//   INPUT        921600   3P          the W x H x 3 u8 BGR image — written by the host
//   WEIGHTS      262144               the .yunf blob, written by the host, verified and repacked by loadWeights
//   LAYERS       424                  53 x (weights, bias) addresses, owned by the engine once verified
//   ACT_A, ACT_B 4915200  16P each    ping-pong maps: the largest are the stride-2 map (16 ch)
//                                     and the stride-4 map at 64 ch, both 16P bytes
//   FB1          1228800  4P          stride-8 features (64 ch): backbone output, then neck output
//   FB2          307200   P           stride-16 features
//   FB3          76800    P/4         stride-32 features
//   HEADS        403200               raw head outputs, per stride 8, 16, 32: cls[n], obj[n],
//                                     bbox[n][4], kps[n][10] (n = that stride's anchors)
//   CANDIDATES   378000               decoded anchors above the score threshold, 15 f32 each
//   ORDER, MERGE 25200 each           i32 candidate indices and the merge sort's scratch
//   RESULTS      61440                the kept faces, 15 f32 each (at most MAX_FACES)
//   CRC_TABLE    1024                 u32 CRC-32 table
//   total        13.3 MB at P = 307200 (203 pages) — see README: f32 full maps do not fit 1 MiB.

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Largest side of the detector input, in pixels. */
export const MAX_INPUT_SIDE: i32 = 640;
/** Largest ceil32(width) * ceil32(height) of the detector input (640x480). */
export const MAX_PADDED_PIXELS: i32 = 640 * 480;
/** Largest number of faces detect() returns. */
export const MAX_FACES: i32 = 1024;
/** Most candidates NMS looks at, by score (libfacedetection's top_k). */
export const TOP_K: i32 = 1000;
/** Anchors of the three strides at MAX_PADDED_PIXELS: P/64 + P/256 + P/1024. */
export const MAX_ANCHORS: i32 = MAX_PADDED_PIXELS / 64 + MAX_PADDED_PIXELS / 256 + MAX_PADDED_PIXELS / 1024;
/** f32 per raw anchor output: cls, obj, 4 bbox, 10 kps. */
export const HEAD_FLOATS: i32 = 16;
/** f32 per candidate / result record: score, x, y, w, h, 5 landmarks (x, y). */
export const RECORD_FLOATS: i32 = 15;
export const RECORD_BYTES: i32 = RECORD_FLOATS * 4;
export const WEIGHTS_CAPACITY: i32 = 256 * 1024;
export const LAYER_COUNT: i32 = 53;

const INPUT_BYTES: usize = <usize>MAX_PADDED_PIXELS * 3;
const ACT_BYTES: usize = <usize>MAX_PADDED_PIXELS * 16;

export const ARENA_BASE: usize = align16(__heap_base);
export const INPUT: usize = ARENA_BASE;
export const WEIGHTS: usize = align16(INPUT + INPUT_BYTES);
export const LAYERS: usize = WEIGHTS + <usize>WEIGHTS_CAPACITY;
export const ACT_A: usize = align16(LAYERS + <usize>(LAYER_COUNT * 8));
export const ACT_B: usize = ACT_A + ACT_BYTES;
export const FB1: usize = ACT_B + ACT_BYTES;
export const FB2: usize = FB1 + <usize>MAX_PADDED_PIXELS * 4;
export const FB3: usize = FB2 + <usize>MAX_PADDED_PIXELS;
export const HEADS: usize = FB3 + <usize>(MAX_PADDED_PIXELS / 4);
export const CANDIDATES: usize = HEADS + <usize>(MAX_ANCHORS * HEAD_FLOATS * 4);
export const ORDER: usize = CANDIDATES + <usize>(MAX_ANCHORS * RECORD_BYTES);
export const MERGE: usize = ORDER + <usize>(MAX_ANCHORS * 4);
export const RESULTS: usize = MERGE + <usize>(MAX_ANCHORS * 4);
export const CRC_TABLE: usize = RESULTS + <usize>(MAX_FACES * RECORD_BYTES);
export const ARENA_END: usize = CRC_TABLE + 1024;
