// qu8_conv_acc: one output row of a KxK valid convolution (K = 1 or 3, stride 1, no padding),
// u8 NHWC activations x int8 "c4 pair" weights -> int32 accumulators with the bias added.
// No activation and no requantization here: the pool.ts epilogues consume the accumulator rows.
//
// Contract (the scalar kernel below is the spec; the simd128 kernel matches it bit for bit):
//   acc[x*Cp + o] = bias[o] + sum over ky<K, kx<K, c<Cin of in(ky, x+kx, c) * w(o, ky, kx, c)
//   for x in [0, outWidth), o in [0, Cp)        (Cp = outChannelsPadded)
//
// Layouts
// - input: u8 NHWC; `input` points at the first of the K input rows used by this output row;
//   in(ky, x, c) is at input + (ky*inWidth + x)*Cin + c.
// - weights ("c4 pair", produced offline by the converter):
//     cinPairs = (Cin + 1) >> 1
//     bytes ordered [ky][kx][pair p][block b = o/4][lane o%4][c = 2p, 2p+1]   (int8)
//   so w(o, ky, kx, c) is at weights + ((ky*K + kx)*cinPairs + (c >> 1))*Cp*2 + o*2 + (c & 1)
//   (block and lane collapse to o*2). Each 8-byte group (o0c0,o0c1,o1c0,o1c1,o2c0,o2c1,o3c0,o3c1)
//   is the i16x8 operand of i32x4.dot_i16x8_s after v128.load8x8_s. When Cin is odd the weight of
//   the padding channel c = Cin is 0. Total bytes = K*K*cinPairs*Cp*2.
// - bias: i32[Cp]. The converter folds -zp_in * sum(w) into it; kernels never see zero points.
// - acc: i32, row-major [x][o] with Cp per pixel. Written, never read (plain stores).
//
// Preconditions (not checked; validated once at the TS boundary / by the converter):
//   K in {1, 3}; Cin >= 1 with K*K*Cin*255*128 + |bias| < 2^31 (SSR-Net: K*K*Cin <= 288);
//   Cp % 4 == 0, Cp >= 4; outWidth >= 1; inWidth >= outWidth + K - 1; Cin <= 256 (simd128: K rows
//   of 2 pixels must fit its 3072-element scratch; the weights file stores Cin in a byte).
//   No pointer needs any alignment (the arena gives 16 anyway; unaligned v128 accesses are legal
//   and full speed on current engines).
//
// Accumulator bound: taps (K*K*Cin <= 288) * 255 * 128 = 9.4e6, plus |bias| (same order)
// << 2^31. Each dot_i16x8_s lane sums 2 products: 2 * 255 * 128 = 65280, fits i32 trivially.
//
// Readable slack (swar64 only): when Cin is odd the kernel loads channels (Cin-1, Cin) of each
// pixel as one pair, i.e. it reads 1 byte past the last channel of a pixel (the next pixel's c0,
// or 1 byte past the end of the input tensor for the last pixel of the last row). The product is
// multiplied by the zero padding weight, so the value does not matter, but the byte must be
// inside linear memory: callers keep >= 1 readable byte after every input tensor (the arena pads
// each tensor by 16 bytes). The simd128 kernel reads that pair from its widened copy instead.

/**
 * Scalar spec. Plain loops over the packed layout, one accumulator at a time; never tuned.
 * Reads exactly the Cin real channels of each pixel.
 */
export function qu8_conv_acc__scalar(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const cinPairs = (inChannels + 1) >> 1;
  const pairBytes = outChannelsPadded * 2; // weight bytes per (tap, pair)
  for (let x = 0; x < outWidth; x++) {
    for (let o = 0; o < outChannelsPadded; o++) {
      let sum = load<i32>(bias + (<usize>o << 2));
      for (let ky = 0; ky < kernelSize; ky++) {
        for (let kx = 0; kx < kernelSize; kx++) {
          const pixel = input + <usize>((ky * inWidth + x + kx) * inChannels);
          const tapWeights = weights + <usize>((ky * kernelSize + kx) * cinPairs * pairBytes);
          for (let c = 0; c < inChannels; c++) {
            const w = <i32>load<i8>(tapWeights + <usize>((c >> 1) * pairBytes + o * 2 + (c & 1)));
            sum += <i32>load<u8>(pixel + <usize>c) * w;
          }
        }
      }
      store<i32>(acc + (<usize>(x * outChannelsPadded + o) << 2), sum);
    }
  }
}

/** Largest Cp of the packed 3x3x3 path (the scratch holds 3 * 5 * Cp * 2 <= 1920 bytes: swar64's 15 pairs, simd128's 14). */
const CONV1_MAX_CP: i32 = 64;
/** Bytes the packed 3x3x3 path needs in its scratch. */
export const CONV1_SCRATCH_BYTES: i32 = 3 * 5 * CONV1_MAX_CP * 2;
/**
 * Where the simd128 and swar64 kernels repack 3x3x3 weights ([ky][pair q < 5][Cp*2 bytes],
 * rebuilt by every such call); 0 = no scratch, the unpacked path. The engine lends a buffer that
 * is free while its conv1 layers run (assembly/ssrnet.ts), so run() writes nothing outside its
 * arena's activation buffers.
 */
let conv1Packed: usize = 0;

/** Lends the kernels CONV1_SCRATCH_BYTES bytes at `ptr` for the packed 3x3x3 path (0: none). */
export function setConv1Scratch(ptr: usize): void {
  conv1Packed = ptr;
}

/**
 * Repacks 3x3 weights with Cin = 3 (c4 pair layout: per tap, pairs (c0, c1) and (c2, 0)) into
 * the conv1 scratch as the 14 pairs of im2colConv1__simd128's 28-element window (a row's 3
 * pixels x 3 channels are 9 input bytes e = kx*3 + c): per row ky, pairs 4ky..4ky+3 =
 * (e0,e1) (e2,e3) (e4,e5) (e6,e7), then pair 12 = (row 0 e8, row 1 e8) and 13 = (row 2 e8, 0).
 * Per block of 4 output channels: (e0,e1) = (kx0: c0,c1) and (e6,e7) = (kx2: c0,c1) are c4 pair
 * groups unchanged, (e2,e3) = (kx0 c2, kx1 c0), (e4,e5) = (kx1 c1, kx1 c2) and pair 12 one byte
 * shuffle each; pair 13 is row 2's (kx2: c2, 0) group unchanged.
 */
function packConv1Weights__simd128(weights: usize, outChannelsPadded: i32): void {
  const pairBytes = <usize>(outChannelsPadded * 2);
  const tap = pairBytes * 2; // c4 pair bytes per tap
  for (let b: usize = 0; b < pairBytes; b += 8) {
    for (let ky: usize = 0; ky < 3; ky++) {
      const src = weights + ky * 3 * tap + b; // tap (ky, 0), pair 0
      const dst = conv1Packed + ky * 4 * pairBytes + b;
      const g01 = v128.load64_zero(src + pairBytes);
      const g10 = v128.load64_zero(src + tap);
      const g11 = v128.load64_zero(src + tap + pairBytes);
      store<u64>(dst, load<u64>(src));
      v128.store64_lane(dst + pairBytes, i8x16.shuffle(g01, g10, 0, 16, 2, 18, 4, 20, 6, 22, 0, 0, 0, 0, 0, 0, 0, 0), 0);
      v128.store64_lane(dst + 2 * pairBytes, i8x16.shuffle(g10, g11, 1, 16, 3, 18, 5, 20, 7, 22, 0, 0, 0, 0, 0, 0, 0, 0), 0);
      store<u64>(dst + 3 * pairBytes, load<u64>(src + 2 * tap));
    }
    const e8 = weights + 2 * tap + pairBytes + b; // tap (0, 2), pair 1: (c2, 0)
    const r0 = v128.load64_zero(e8);
    const r1 = v128.load64_zero(e8 + 3 * tap);
    v128.store64_lane(conv1Packed + 12 * pairBytes + b, i8x16.shuffle(r0, r1, 0, 16, 2, 18, 4, 20, 6, 22, 0, 0, 0, 0, 0, 0, 0, 0), 0);
    store<u64>(conv1Packed + 13 * pairBytes + b, load<u64>(e8 + 6 * tap));
  }
}

/**
 * conv1's input window, widened: for each of `width` output pixels x, 28 i16 at wideInput + x*56:
 * the 3 input rows' first 8 window elements (e = kx*3 + c, e < 8) back to back, then the rows'
 * e8 and one 0, the order packConv1Weights__simd128 pairs them in. Reads input bytes
 * [3x, 3x + 9) of each row (rows `rowStride` bytes apart) only.
 */
function im2colConv1__simd128(input: usize, rowStride: usize, width: i32): void {
  let src = input;
  let dst = wideInput;
  for (let x = 0; x < width; x++) {
    v128.store(dst, v128.load8x8_u(src));
    v128.store(dst, v128.load8x8_u(src + rowStride), 16);
    v128.store(dst, v128.load8x8_u(src + 2 * rowStride), 32);
    store<u64>(dst, i64.load8_u(src, 8) | (i64.load8_u(src + rowStride, 8) << 16) | (i64.load8_u(src + 2 * rowStride, 8) << 32), 48);
    src += 3;
    dst += 56;
  }
}

/**
 * The swar64 kernel's conv1 packing: one run of 5 pairs per kernel row, (e0,e1) (e2,e3) (e4,e5)
 * (e6,e7) (e8, 0) over the row's 9 contiguous input bytes, in byte moves.
 */
function packConv1Weights__scalar(weights: usize, outChannelsPadded: i32): void {
  const pairBytes = <usize>(outChannelsPadded * 2);
  for (let ky = 0; ky < 3; ky++) {
    const src = weights + <usize>(ky * 6) * pairBytes;
    const dst = conv1Packed + <usize>(ky * 5) * pairBytes;
    for (let b: usize = 0; b < pairBytes; b += 8) {
      store<u64>(dst + b, load<u64>(src + b));
      store<u64>(dst + 3 * pairBytes + b, load<u64>(src + 4 * pairBytes + b));
      store<u64>(dst + 4 * pairBytes + b, load<u64>(src + 5 * pairBytes + b));
    }
    for (let o: usize = 0; o < pairBytes; o += 2) {
      store<u8>(dst + pairBytes + o, load<u8>(src + pairBytes + o));          // (kx0, c2)
      store<u8>(dst + pairBytes + o + 1, load<u8>(src + 2 * pairBytes + o));  // (kx1, c0)
      store<u8>(dst + 2 * pairBytes + o, load<u8>(src + 2 * pairBytes + o + 1)); // (kx1, c1)
      store<u8>(dst + 2 * pairBytes + o + 1, load<u8>(src + 3 * pairBytes + o)); // (kx1, c2)
    }
  }
}

/**
 * Capacity of the simd128 kernel's widened-input scratch, in i16 elements: K rows x (chunk + K - 1)
 * pixels x Cin of one chunk of output pixels. 3072 holds every SSR-Net row in one chunk (conv2.x:
 * 3 x 30 x 32 = 2880; conv1: 3 x 64 x 3 = 576); wider rows are done in chunks.
 */
const WIDE_CAPACITY: i32 = 3072;
/** Bytes the simd128 kernel needs in its widened-input scratch (+ 16: the trailing zero element). */
export const CONV_WIDE_SCRATCH_BYTES: i32 = WIDE_CAPACITY * 2 + 16;
/**
 * Where the simd128 kernel widens its input rows (rewritten by every call). The engine lends an
 * arena region (CONV_WIDE in assembly/arena.ts) so run() writes only arena buffers; the test
 * build a static buffer (registry.ts). Required by qu8_conv_acc__simd128.
 */
let wideInput: usize = 0;

/** Lends qu8_conv_acc__simd128 CONV_WIDE_SCRATCH_BYTES bytes at `ptr` (16-byte aligned is best). */
export function setConvWideScratch(ptr: usize): void {
  wideInput = ptr;
}

/** Widens `elements` u8 values at src to i16 at dst (the 1x1 conv kernel widens its rows with it too). */
export function widenU8__simd128(dst: usize, src: usize, elements: i32): void {
  let i = 0;
  for (; i + 8 <= elements; i += 8) v128.store(dst + (<usize>i << 1), v128.load8x8_u(src + <usize>i));
  for (; i < elements; i++) store<u16>(dst + (<usize>i << 1), load<u8>(src + <usize>i));
}

/**
 * Widens `rows` rows of `rowElements` u8 values (source rows `srcStride` bytes apart) to i16 at
 * wideInput, rows back to back, then one zero element (the pair an odd Cin reads past the end).
 */
function widenRows__simd128(src: usize, srcStride: usize, rows: i32, rowElements: i32): void {
  let dst = wideInput;
  for (let r = 0; r < rows; r++) {
    widenU8__simd128(dst, src, rowElements);
    src += srcStride;
    dst += <usize>rowElements << 1;
  }
  store<u32>(dst, 0);
}

/**
 * simd128 variant, same signature and result as qu8_conv_acc__scalar.
 *
 * Input widened once per call: the K input rows the call reads (only the pixels it uses) are
 * first widened u8 -> i16 into the lent scratch (setConvWideScratch, widenRows__simd128), so a
 * channel pair (c, c+1) is 4 contiguous bytes and `v128.load32_splat` gives the i16x8 operand
 * [c0, c1, c0, c1, ...] of the dot directly: on x64 a vbroadcastss from memory, a load with no
 * ALU work, where the u8 form needed a broadcast and a widening shuffle for every pair of every
 * tile (each input pair is read by Cp/16 channel tiles and K output rows). Widening costs
 * K*W*Cin/8 instructions per call against W*Cp*K*K*Cin/8 dots. Measured against the u8-splat
 * form (Zen 5, 2 vCPUs, Node 20, interleaved, load ~2): conv1.x 1.12x, conv2.x 1.13x, conv2.s
 * 1.10x, conv3.x 1.13x, the engine's run 1.09x; with the other hyperthread busy (load ~6) the
 * shared multipliers bound both forms and the layers measure 0.93-1.09x.
 *
 * Tile: 2 output pixels x 16 output channels (4 blocks of 4) = 8 i32x4 accumulators in locals.
 * Per (tap, pair) step: 2 input splats, 4 weight loads shared by both pixels, 8 dot_i16x8_s.
 *   a  = v128.load32_splat(widened pixel + 2p)                    -> [c0, c1, c0, c1, ...] (i16)
 *   wb = v128.load8x8_s(weights + tap/pair offset + b*8)          -> [o0c0, o0c1, ..., o3c0, o3c1]
 *   acc_b += i32x4.dot_i16x8_s(a, wb)                              -> [o0, o1, o2, o3] partial sums
 * Live v128 values: 8 acc + 2 input + <= 4 weight = 14 <= the 15 allocatable xmm V8 has on x64.
 * (Weights pre-widened to i16 as well, v128.load instead of load8x8_s, measured no faster.)
 *
 * Loop order per tile: ky, then contiguous "runs" of input pairs. With an even Cin the K taps of a
 * kernel row are adjacent pixels, so the row is one run of K*cinPairs pairs (pair q at element 2q,
 * weights at q*Cp*2); with an odd Cin each tap is its own run of cinPairs pairs. Measured against
 * a plain kx/pair nest: 2-6% faster on the 3x3 layers.
 *
 * Tails:
 * - channels: Cp % 16 = 12 (the 1x1 heads' 10 channels, padded) in one 2-pixel x 12-channel tile
 *   (1.45-1.55x on the heads against three 4-channel tiles); 4 or 8 in 2-pixel x 4-channel tiles.
 * - pixels: tiles start at even x; the second pixel of a tile is min(x + 1, outWidth - 1), so an
 *   odd outWidth computes its last pixel twice and stores the same value twice (acc is written,
 *   not accumulated). Cost: one extra pixel per odd-width row, in exchange for a single loop
 *   body per channel tile; SSR-Net's widths as assembly/ssrnet.ts runs them (62, 28, 12, 4; heads
 *   24, 12, 4) are all even, so production never pays it.
 * - chunks: output pixels in chunks whose K input rows fit WIDE_CAPACITY (an even number of
 *   pixels, so tiles never straddle chunks); every SSR-Net row is one chunk.
 * Weight bytes per channel tile are read at stride Cp*2; all of a layer's weights (<= 9 KiB for
 * SSR-Net) stay in L1 across the ~30-60 calls per layer.
 *
 * 3x3 with Cin = 3 (SSR-Net's conv1, Cp <= 64), when a scratch is lent (setConv1Scratch): each
 * output pixel's 27-element window is widened into 28 contiguous i16 (im2colConv1__simd128, in
 * the widened-input scratch) and the weights repacked to match (packConv1Weights__simd128, into
 * the conv1 scratch; both rewritten by every such call), so the row runs as a 1x1 conv with 28
 * channels: 14 dot steps per pixel and channel block in one run, instead of 18 (3 runs of 2 pairs
 * per tap row, 1 product in 4 a zero padding weight) or 15 (3 runs of 5 pairs, one per kernel
 * row: conv1 1.11x slower, interleaved A/B of the test build). The integer sums are the same
 * products in another order: bit-identical.
 *
 * Reads: only the input bytes of the pixels used (no slack needed: the padding channel of an odd
 * Cin is read from the scratch, where it is the next pixel's or the trailing zero element).
 *
 * Measured (Zen 3, Node 20, bench/kernels.bench.ts, best runs, before the widened input): conv2.x
 * (31x32 -> 28x32) at ~32 GMAC/s, ~78% of the pure dot_i16x8_s + add peak (~41 GMAC/s); conv1.x
 * (Cin 3) at ~15 real GMAC/s, ~36%, before the conv1 packing.
 */
export function qu8_conv_acc__simd128(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const cinPairs = (inChannels + 1) >> 1;
  // Input pairs of one kernel row that are contiguous in memory: with an even Cin the K taps of
  // a row are one run of K*cinPairs pairs; with an odd Cin each tap is its own run.
  const odd = inChannels & 1;
  const runPairs = odd ? cinPairs : cinPairs * kernelSize;
  const runs = odd ? kernelSize : 1;
  const outPixelBytes = outChannelsPadded << 2;
  if (inChannels == 3 && kernelSize == 3 && outChannelsPadded <= CONV1_MAX_CP && conv1Packed != 0) {
    // conv1: each pixel's window as 28 contiguous elements, run as a 1x1 conv with 28 channels.
    packConv1Weights__simd128(weights, outChannelsPadded);
    const chunk1 = (WIDE_CAPACITY / 28) & ~1;
    for (let x0 = 0; x0 < outWidth; x0 += chunk1) {
      const width = min(chunk1, outWidth - x0);
      im2colConv1__simd128(input + <usize>(x0 * 3), <usize>(inWidth * 3), width);
      convWideChunk__simd128(28, 1, 14, 1, width * 28, conv1Packed, bias, width, outChannelsPadded,
        acc + <usize>(x0 * outPixelBytes));
    }
    return;
  }
  // Output pixels per chunk: even, and K rows of (chunk + K - 1) pixels fit the scratch.
  let chunk = WIDE_CAPACITY / (kernelSize * inChannels) - (kernelSize - 1);
  chunk = max(2, chunk & ~1);
  for (let x0 = 0; x0 < outWidth; x0 += chunk) {
    const width = min(chunk, outWidth - x0);
    const rowElements = (width + kernelSize - 1) * inChannels;
    widenRows__simd128(input + <usize>(x0 * inChannels), <usize>(inWidth * inChannels), kernelSize, rowElements);
    convWideChunk__simd128(inChannels, kernelSize, runPairs, runs, rowElements, weights, bias, width, outChannelsPadded,
      acc + <usize>(x0 * outPixelBytes));
  }
}

/**
 * qu8_conv_acc__simd128 on one chunk of `outWidth` pixels, its K input rows widened at wideInput;
 * `acc` at the chunk's first pixel.
 */
function convWideChunk__simd128(
  inChannels: i32, kernelSize: i32, runPairs: i32, runs: i32, rowElements: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const pairBytes = <usize>(outChannelsPadded * 2);
  const pixelBytes = <usize>(inChannels * 2);
  const rowBytes = <usize>(rowElements * 2);
  const accPixelBytes = <usize>(outChannelsPadded * 4);
  const mainChannels = outChannelsPadded & ~15; // channels covered by 16-wide tiles
  // One loop over the K*runs runs of a tile (not a ky loop around a run loop): fewer loop
  // headers per tile, which matters for the short tiles of conv1 and the 1x1 convs.
  const segments = kernelSize * runs;
  const runBytes = <usize>runPairs << 2;

  for (let x = 0; x < outWidth; x += 2) {
    // Byte distance from pixel x to the tile's second pixel: 2*Cin, or 0 for the odd last pixel.
    const second = <usize>(min(x + 1, outWidth - 1) - x);
    const inPixel = wideInput + <usize>x * pixelBytes;
    const out0 = acc + <usize>x * accPixelBytes;
    const out1 = out0 + second * accPixelBytes;
    const inSecond = second * pixelBytes;

    // 16-channel tiles: 4 blocks x 2 pixels.
    for (let o = 0; o < mainChannels; o += 16) {
      let acc00 = v128.load(bias + (<usize>o << 2));
      let acc01 = v128.load(bias + (<usize>o << 2), 16);
      let acc02 = v128.load(bias + (<usize>o << 2), 32);
      let acc03 = v128.load(bias + (<usize>o << 2), 48);
      let acc10 = acc00;
      let acc11 = acc01;
      let acc12 = acc02;
      let acc13 = acc03;
      let w = weights + (<usize>o << 1);
      let row = inPixel;
      let pixel = row;
      let run = 0;
      for (let segment = 0; segment < segments; segment++) {
        let pair = pixel;
        const end = pair + runBytes;
        while (pair < end) {
          const a0 = v128.load32_splat(pair);
          const a1 = v128.load32_splat(pair + inSecond);
          const w0 = v128.load8x8_s(w);
          acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(a0, w0));
          acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(a1, w0));
          const w1 = v128.load8x8_s(w, 8);
          acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(a0, w1));
          acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(a1, w1));
          const w2 = v128.load8x8_s(w, 16);
          acc02 = i32x4.add(acc02, i32x4.dot_i16x8_s(a0, w2));
          acc12 = i32x4.add(acc12, i32x4.dot_i16x8_s(a1, w2));
          const w3 = v128.load8x8_s(w, 24);
          acc03 = i32x4.add(acc03, i32x4.dot_i16x8_s(a0, w3));
          acc13 = i32x4.add(acc13, i32x4.dot_i16x8_s(a1, w3));
          pair += 4;
          w += pairBytes;
        }
        if (++run == runs) {
          run = 0;
          row += rowBytes;
          pixel = row;
        } else {
          pixel += pixelBytes;
        }
      }
      // out1 is stored last: for the odd last pixel out1 == out0 and both hold the same sums.
      const o0 = out0 + (<usize>o << 2);
      v128.store(o0, acc00);
      v128.store(o0, acc01, 16);
      v128.store(o0, acc02, 32);
      v128.store(o0, acc03, 48);
      const o1 = out1 + (<usize>o << 2);
      v128.store(o1, acc10);
      v128.store(o1, acc11, 16);
      v128.store(o1, acc12, 32);
      v128.store(o1, acc13, 48);
    }

    // Channel tail of 12 (SSR-Net's 1x1 heads, Cp 12): one 3-block x 2-pixel tile, so each pair
    // step does 6 dots for its 2 input splats and 3 weight loads.
    let tail = mainChannels;
    if (outChannelsPadded - tail == 12) {
      let acc00 = v128.load(bias + (<usize>tail << 2));
      let acc01 = v128.load(bias + (<usize>tail << 2), 16);
      let acc02 = v128.load(bias + (<usize>tail << 2), 32);
      let acc10 = acc00;
      let acc11 = acc01;
      let acc12 = acc02;
      let w = weights + (<usize>tail << 1);
      let row = inPixel;
      let pixel = row;
      let run = 0;
      for (let segment = 0; segment < segments; segment++) {
        let pair = pixel;
        const end = pair + runBytes;
        while (pair < end) {
          const a0 = v128.load32_splat(pair);
          const a1 = v128.load32_splat(pair + inSecond);
          const w0 = v128.load8x8_s(w);
          acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(a0, w0));
          acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(a1, w0));
          const w1 = v128.load8x8_s(w, 8);
          acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(a0, w1));
          acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(a1, w1));
          const w2 = v128.load8x8_s(w, 16);
          acc02 = i32x4.add(acc02, i32x4.dot_i16x8_s(a0, w2));
          acc12 = i32x4.add(acc12, i32x4.dot_i16x8_s(a1, w2));
          pair += 4;
          w += pairBytes;
        }
        if (++run == runs) {
          run = 0;
          row += rowBytes;
          pixel = row;
        } else {
          pixel += pixelBytes;
        }
      }
      const o0 = out0 + (<usize>tail << 2);
      v128.store(o0, acc00);
      v128.store(o0, acc01, 16);
      v128.store(o0, acc02, 32);
      const o1 = out1 + (<usize>tail << 2);
      v128.store(o1, acc10);
      v128.store(o1, acc11, 16);
      v128.store(o1, acc12, 32);
      tail = outChannelsPadded;
    }

    // Other channel tails (Cp % 16 = 4 or 8): 4-channel tiles, 1 block x 2 pixels.
    for (let o = tail; o < outChannelsPadded; o += 4) {
      let acc0 = v128.load(bias + (<usize>o << 2));
      let acc1 = acc0;
      let w = weights + (<usize>o << 1);
      let row = inPixel;
      let pixel = row;
      let run = 0;
      for (let segment = 0; segment < segments; segment++) {
        let pair = pixel;
        const end = pair + runBytes;
        while (pair < end) {
          const w0 = v128.load8x8_s(w);
          acc0 = i32x4.add(acc0, i32x4.dot_i16x8_s(v128.load32_splat(pair), w0));
          acc1 = i32x4.add(acc1, i32x4.dot_i16x8_s(v128.load32_splat(pair + inSecond), w0));
          pair += 4;
          w += pairBytes;
        }
        if (++run == runs) {
          run = 0;
          row += rowBytes;
          pixel = row;
        } else {
          pixel += pixelBytes;
        }
      }
      v128.store(out0 + (<usize>o << 2), acc0);
      v128.store(out1 + (<usize>o << 2), acc1);
    }
  }
}

/** bias[o] in both 32-bit lanes of an i64 (the two pixels' starting sums). */
// @ts-ignore: decorator
@inline
function biasLanes(bias: usize, o: i32): i64 {
  const b = <i64>load<i32>(bias + (<usize>o << 2));
  return b + (b << 32);
}

/**
 * Splits T = S0 + S1 * 2^32 (|S0|, |S1| < 2^31) into S0 (stored at out0 + offset) and S1 (at
 * out1 + offset). The low 32 bits of T are S0 in two's complement; T - S0 is exactly S1 * 2^32.
 */
// @ts-ignore: decorator
@inline
function storeLanes(out0: usize, out1: usize, offset: usize, t: i64): void {
  const s0 = <i32>t;
  store<i32>(out0 + offset, s0);
  store<i32>(out1 + offset, <i32>((t - <i64>s0) >> 32));
}

/**
 * Scalar variant for interpreters (wasm3, WAMR), same signature and result as
 * qu8_conv_acc__scalar: i64 SWAR over two output pixels plus register blocking over 8 output
 * channels. An interpreter pays per wasm instruction dispatched, so the kernel does as many
 * MACs per instruction as plain i32/i64 arithmetic allows.
 *
 * Packing: the same input channel of the tile's two pixels is packed as X = x0 + x1 * 2^32
 * (u8 values, `i64.load8_u`), and one `i64.mul` by a sign-extended weight (`i64.load8_s`) gives
 * both products: X * w = x0*w + (x1*w) * 2^32. The 8 i64 accumulators T = S0 + S1 * 2^32 start at
 * bias * (1 + 2^32) and stay exact: each lane sum is bounded by the conv bound (|S| < 2^31,
 * header), so |T| < 2^63 and nothing wraps; storeLanes splits them. Each (tap, pair) step of an
 * 8-channel tile: 4 input loads, 16 weight loads, 16 i64.mul, 16 + 8 adds for 32 MACs, versus
 * 2 loads, a mul, an add and the address arithmetic for every MAC in the spec.
 *
 * Loop order and tails as qu8_conv_acc__simd128: ky, then contiguous runs of input pairs (one run
 * of K*cinPairs pairs per kernel row when Cin is even; conv1, 3x3 with Cin 3, through the same
 * repacked weights as the simd128 kernel: one run of 5 pairs per row); channels Cp % 8 (= 4) in
 * a 4-channel tile; pixels two at a time, an odd last pixel computed as both lanes and stored twice.
 *
 * Readable slack: with an odd Cin the last pair reads channel Cin of each pixel (1 byte past the
 * pixel, times the zero padding weight), as the simd128 kernel does: >= 1 readable byte after
 * the input tensor.
 */
export function qu8_conv_acc__swar64(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  const cinPairs = (inChannels + 1) >> 1;
  const pairBytes = <usize>(outChannelsPadded * 2);
  const odd = inChannels & 1;
  let runPairs = odd ? cinPairs : cinPairs * kernelSize;
  let runs = odd ? kernelSize : 1;
  if (inChannels == 3 && kernelSize == 3 && outChannelsPadded <= CONV1_MAX_CP && conv1Packed != 0) {
    // conv1: one run of 5 pairs per kernel row over repacked weights, as the simd128 kernel.
    packConv1Weights__scalar(weights, outChannelsPadded);
    weights = conv1Packed;
    runPairs = 5;
    runs = 1;
  }
  const pixelBytes = <usize>inChannels;
  const rowBytes = <usize>(inWidth * inChannels);
  const accPixelBytes = <usize>(outChannelsPadded * 4);
  const mainChannels = outChannelsPadded & ~7; // channels covered by 8-wide tiles

  for (let x = 0; x < outWidth; x += 2) {
    const second = <usize>(min(x + 1, outWidth - 1) - x);
    const inPixel = input + <usize>x * pixelBytes;
    const inSecond = second * pixelBytes;
    const out0 = acc + <usize>x * accPixelBytes;
    const out1 = out0 + second * accPixelBytes;

    for (let o = 0; o < mainChannels; o += 8) {
      let a0 = biasLanes(bias, o + 0);
      let a1 = biasLanes(bias, o + 1);
      let a2 = biasLanes(bias, o + 2);
      let a3 = biasLanes(bias, o + 3);
      let a4 = biasLanes(bias, o + 4);
      let a5 = biasLanes(bias, o + 5);
      let a6 = biasLanes(bias, o + 6);
      let a7 = biasLanes(bias, o + 7);
      let w = weights + (<usize>o << 1);
      let row = inPixel;
      for (let ky = 0; ky < kernelSize; ky++) {
        let pixel = row;
        for (let run = 0; run < runs; run++) {
          let pair = pixel;
          const end = pair + (<usize>runPairs << 1);
          while (pair < end) {
              const x0 = i64.load8_u(pair) | (i64.load8_u(pair + inSecond) << 32);
              const x1 = i64.load8_u(pair, 1) | (i64.load8_u(pair + inSecond, 1) << 32);
              a0 += x0 * i64.load8_s(w, 0) + x1 * i64.load8_s(w, 1);
              a1 += x0 * i64.load8_s(w, 2) + x1 * i64.load8_s(w, 3);
              a2 += x0 * i64.load8_s(w, 4) + x1 * i64.load8_s(w, 5);
              a3 += x0 * i64.load8_s(w, 6) + x1 * i64.load8_s(w, 7);
              a4 += x0 * i64.load8_s(w, 8) + x1 * i64.load8_s(w, 9);
              a5 += x0 * i64.load8_s(w, 10) + x1 * i64.load8_s(w, 11);
              a6 += x0 * i64.load8_s(w, 12) + x1 * i64.load8_s(w, 13);
              a7 += x0 * i64.load8_s(w, 14) + x1 * i64.load8_s(w, 15);
              pair += 2;
              w += pairBytes;
            }
            pixel += pixelBytes;
          }
          row += rowBytes;
      }
      const o0 = out0 + (<usize>o << 2);
      const o1 = out1 + (<usize>o << 2);
      storeLanes(o0, o1, 0, a0);
      storeLanes(o0, o1, 4, a1);
      storeLanes(o0, o1, 8, a2);
      storeLanes(o0, o1, 12, a3);
      storeLanes(o0, o1, 16, a4);
      storeLanes(o0, o1, 20, a5);
      storeLanes(o0, o1, 24, a6);
      storeLanes(o0, o1, 28, a7);
    }

    // Channel tail (Cp % 8 = 4): one 4-channel tile.
    for (let o = mainChannels; o < outChannelsPadded; o += 4) {
      let a0 = biasLanes(bias, o + 0);
      let a1 = biasLanes(bias, o + 1);
      let a2 = biasLanes(bias, o + 2);
      let a3 = biasLanes(bias, o + 3);
      let w = weights + (<usize>o << 1);
      let row = inPixel;
      for (let ky = 0; ky < kernelSize; ky++) {
          let pixel = row;
          for (let run = 0; run < runs; run++) {
            let pair = pixel;
            const end = pair + (<usize>runPairs << 1);
          while (pair < end) {
              const x0 = i64.load8_u(pair) | (i64.load8_u(pair + inSecond) << 32);
              const x1 = i64.load8_u(pair, 1) | (i64.load8_u(pair + inSecond, 1) << 32);
              a0 += x0 * i64.load8_s(w, 0) + x1 * i64.load8_s(w, 1);
              a1 += x0 * i64.load8_s(w, 2) + x1 * i64.load8_s(w, 3);
              a2 += x0 * i64.load8_s(w, 4) + x1 * i64.load8_s(w, 5);
              a3 += x0 * i64.load8_s(w, 6) + x1 * i64.load8_s(w, 7);
              pair += 2;
              w += pairBytes;
            }
            pixel += pixelBytes;
          }
          row += rowBytes;
      }
      const o0 = out0 + (<usize>o << 2);
      const o1 = out1 + (<usize>o << 2);
      storeLanes(o0, o1, 0, a0);
      storeLanes(o0, o1, 4, a1);
      storeLanes(o0, o1, 8, a2);
      storeLanes(o0, o1, 12, a3);
    }
  }
}

/**
 * Dispatcher: the simd128 kernel when the build has SIMD, else the i64 SWAR kernel (the fast
 * scalar form for interpreters; the plain scalar spec stays the reference). Compile-time.
 */
export function qu8_conv_acc(
  input: usize, inWidth: i32, inChannels: i32, kernelSize: i32,
  weights: usize, bias: usize, outWidth: i32, outChannelsPadded: i32, acc: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    qu8_conv_acc__simd128(input, inWidth, inChannels, kernelSize, weights, bias, outWidth, outChannelsPadded, acc);
  } else {
    qu8_conv_acc__swar64(input, inWidth, inChannels, kernelSize, weights, bias, outWidth, outChannelsPadded, acc);
  }
}
