// The one table of kernels of both networks: name, variants, tile constraints and the layer
// shapes at which SSR-Net and YuNet (both int8) call them. test/kernels.test.ts drives its
// describe.each matrix from KERNELS (and fails if the wasm exports a `__scalar` / `__simd128`
// function that is not listed here); bench/kernels.bench.ts times every entry at those shapes.
// Mirrors assembly/kernels/registry.ts (the test build).
//
// Also here: building and instantiating the test build, shared by the test and the bench.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `scalar` is the spec of every kernel, `simd128` its SIMD twin; `swar64` is an extra scalar
 * (no-SIMD) form tuned for interpreters, tested against the spec like the SIMD twin.
 */
export const ALL_VARIANTS = ['scalar', 'swar64', 'simd128'] as const;
export type Variant = (typeof ALL_VARIANTS)[number];
/** The variants every kernel has. */
export const VARIANTS = ['scalar', 'simd128'] as const satisfies readonly Variant[];

/** One call of qu8_conv_acc: one output row. `calls` = rows per inference (SSR-Net). */
export interface ConvShape {
  layer: string;
  inWidth: number;
  inChannels: number;
  kernelSize: number;
  outWidth: number;
  outChannelsPadded: number;
  /** Real output channels (<= outChannelsPadded), for MAC counts. */
  outChannels: number;
  calls: number;
}

/** One call of an epilogue: one pooled output row. */
export interface EpilogueShape {
  layer: string;
  poolSize: number;
  outWidth: number;
  channels: number;
  channelsPadded: number;
  /** i32 elements between accumulator rows (= conv output width * channelsPadded). */
  accRowStride: number;
  calls: number;
}

/** One call of the requant buffer helper (quant.ts exposed for the test). */
export interface RequantShape {
  layer: string;
  n: number;
  calls: number;
}

interface KernelBase<K extends string, S> {
  /** Export base name: the variants are `${name}__${variant}`. */
  name: string;
  kind: K;
  variants: readonly Variant[];
  /** Tile constraints in words (what the header comment promises). */
  tile: string;
  /** Machine form of the constraints; every test and bench shape must satisfy it. */
  accepts: (s: S) => boolean;
  /** Shapes at which SSR-Net calls the kernel (bench; also tested). */
  ssrnet: readonly S[];
  /** Shapes at which YuNet calls the kernel at 320x240 (bench; also tested). */
  yunet?: readonly S[];
}

export type ConvKernel = KernelBase<'conv', ConvShape>;
export type EpilogueKernel = KernelBase<'epilogue', EpilogueShape>;
export type RequantKernel = KernelBase<'requant', RequantShape>;
/**
 * One call of an int8 YuNet kernel (docs/detector.md) at a 640x480 frame (maps 320x240,
 * 160x120, 80x60, 40x30, 20x15): one output row of `width` pixels (maxpool: `width` input pixels;
 * stem: `width` output pixels; q8_requant: `width` pixels, `inChannels` = the 1x1 conv's Cin).
 * `calls` = rows per frame.
 */
export interface YunetShape {
  layer: string;
  width: number;
  inChannels: number;
  outChannels: number;
  calls: number;
}

export type Q8Kind = 'q8_requant' | 'q8_conv1x1' | 'q8_dw' | 'q8_stem' | 'q8_pool' | 'q8_upadd';
export type Q8Kernel = KernelBase<Q8Kind, YunetShape>;
export type KernelSpec = ConvKernel | EpilogueKernel | RequantKernel | Q8Kernel;

const POOL_SIZES = [1, 2, 4, 8];

const convAccepts = (s: ConvShape): boolean =>
  (s.kernelSize === 1 || s.kernelSize === 3) &&
  s.inChannels >= 1 && s.inChannels <= 256 &&
  s.outChannelsPadded >= 4 && s.outChannelsPadded % 4 === 0 &&
  s.outChannels <= s.outChannelsPadded &&
  s.outWidth >= 1 && s.inWidth >= s.outWidth + s.kernelSize - 1 &&
  s.kernelSize * s.kernelSize * s.inChannels * 255 * 128 < 2 ** 30;

/** qi16_conv_acc: even Cin, and i16 inputs in [0, 32767] times int8 weights stay inside i32. */
const convI16Accepts = (s: ConvShape): boolean =>
  (s.kernelSize === 1 || s.kernelSize === 3) &&
  s.inChannels >= 2 && s.inChannels % 2 === 0 &&
  s.outChannelsPadded >= 4 && s.outChannelsPadded % 4 === 0 &&
  s.outChannels <= s.outChannelsPadded &&
  s.outWidth >= 1 && s.inWidth >= s.outWidth + s.kernelSize - 1 &&
  s.kernelSize * s.kernelSize * s.inChannels * 32767 * 128 < 2 ** 31;

const epilogueAccepts = (s: EpilogueShape): boolean =>
  POOL_SIZES.includes(s.poolSize) &&
  s.channelsPadded >= 4 && s.channelsPadded % 4 === 0 &&
  s.channels >= 1 && s.channels <= s.channelsPadded &&
  s.outWidth >= 1 && s.accRowStride >= s.outWidth * s.poolSize * s.channelsPadded;

// SSR-Net (64x64x3 input; x stream 32 channels ReLU + avg pool, s stream 16 channels tanh + max
// pool; three 1x1 heads of 10 channels padded to 12 per stream). As assembly/ssrnet.ts runs it:
// only the rows and columns the pooling keeps are computed (conv2: 28 of the 29 valid columns
// and rows; head1: 24 of 31), so every production width is even.
const conv = (layer: string, inWidth: number, inChannels: number, kernelSize: number, outWidth: number,
  outChannels: number, calls: number): ConvShape => ({
  layer, inWidth, inChannels, kernelSize, outWidth, outChannels,
  outChannelsPadded: (outChannels + 3) & ~3, calls,
});
const CONV_SHAPES: readonly ConvShape[] = [
  conv('conv1.x', 64, 3, 3, 62, 32, 62),
  conv('conv1.s', 64, 3, 3, 62, 16, 62),
  conv('conv2.x', 31, 32, 3, 28, 32, 28),
  conv('conv2.s', 31, 16, 3, 28, 16, 28),
  conv('conv3.x', 14, 32, 3, 12, 32, 12),
  conv('conv3.s', 14, 16, 3, 12, 16, 12),
  conv('conv4.x', 6, 32, 3, 4, 32, 4),
  conv('conv4.s', 6, 16, 3, 4, 16, 4),
  conv('head1.x', 31, 32, 1, 24, 10, 24),
  conv('head1.s', 31, 16, 1, 24, 10, 24),
  conv('head2.x', 14, 32, 1, 12, 10, 12),
  conv('head2.s', 14, 16, 1, 12, 10, 12),
  conv('head3.x', 4, 32, 1, 4, 10, 4),
  conv('head3.s', 4, 16, 1, 4, 10, 4),
];

/** The x stream's conv4 and the head on its output read the i16 maps (qi16_conv_acc). */
const readsI16 = (s: ConvShape): boolean => s.layer === 'conv4.x' || s.layer === 'head3.x';

const epi = (layer: string, convWidth: number, poolSize: number, channels: number, calls: number): EpilogueShape => {
  const channelsPadded = (channels + 3) & ~3;
  return {
    layer, poolSize, outWidth: Math.floor(convWidth / poolSize), channels, channelsPadded,
    accRowStride: convWidth * channelsPadded, calls,
  };
};
// x stream: conv -> ReLU -> 2x2 avg pool -> u8 (conv1, conv2) or i16 (conv3, conv4: no pool).
const X_STREAM: readonly EpilogueShape[] = [
  epi('conv1.x', 62, 2, 32, 31), epi('conv2.x', 28, 2, 32, 14), epi('conv3.x', 12, 2, 32, 6), epi('conv4.x', 4, 1, 32, 4),
];
const X_STREAM_U8 = X_STREAM.slice(0, 2);
// s stream: conv -> 2x2 max pool -> tanh -> u8 (conv4: no pool).
const S_STREAM: readonly EpilogueShape[] = [
  epi('conv1.s', 62, 2, 16, 31), epi('conv2.s', 28, 2, 16, 14), epi('conv3.s', 12, 2, 16, 6), epi('conv4.s', 4, 1, 16, 4),
];
// heads: 1x1 conv (24, 12, 4 columns) -> ReLU -> pool 8 / 4 / 1 -> f32 (3x3, 3x3, 4x4 features).
const HEADS = (stream: string): readonly EpilogueShape[] => [
  epi(`head1.${stream}`, 24, 8, 10, 3), epi(`head2.${stream}`, 12, 4, 10, 3), epi(`head3.${stream}`, 4, 1, 10, 4),
];

// YuNet's layers at 320x240 (padded 320x256, one call per map row), scaled to 640x480 by at640.
const yrow = (layer: string, width: number, inChannels: number, outChannels: number, calls: number): YunetShape =>
  ({ layer, width, inChannels, outChannels, calls });
const YUNET_PW: readonly YunetShape[] = [
  yrow('P1', 160, 16, 16, 128), yrow('P3', 80, 16, 16, 64), yrow('P5', 80, 16, 32, 64), yrow('P7', 80, 32, 32, 64),
  yrow('P9', 80, 32, 64, 64), yrow('P11-13', 40, 64, 64, 64), yrow('P15-17', 20, 64, 64, 32), yrow('P19-21', 10, 64, 64, 16),
  yrow('neck P', 40, 64, 64, 32), yrow('head kps', 40, 64, 10, 32), yrow('head bbox', 40, 64, 4, 32), yrow('head cls', 40, 64, 1, 64),
];
const YUNET_DW: readonly YunetShape[] = [
  yrow('D2', 160, 16, 16, 128), yrow('D4', 80, 16, 16, 64), yrow('D6-8', 80, 32, 32, 128), yrow('D10', 80, 64, 64, 64),
  yrow('D12-14', 40, 64, 64, 64), yrow('D16-18', 20, 64, 64, 32), yrow('D20-22', 10, 64, 64, 16), yrow('neck D', 40, 64, 64, 32),
];
// 640x480: widths doubled, rows x 15/8 (128 -> 240 map rows at the first level, and so on).
const at640 = (list: readonly YunetShape[]): YunetShape[] =>
  list.map((s) => ({ ...s, width: 2 * s.width, calls: (s.calls * 15) / 8 }));
const YUNET_HEAD_DW_640: readonly YunetShape[] = [80, 40, 20].flatMap((width) =>
  [10, 4, 1].map((c) => yrow(`head ${c === 10 ? 'kps' : c === 4 ? 'bbox' : 'cls'} /${640 / width}`, width, c, c, (width * 3) / 4)));
const dwAccepts = (s: YunetShape): boolean => s.width >= 1 && s.inChannels >= 1 && s.inChannels === s.outChannels;

export const KERNELS = [
  {
    name: 'qu8_conv_acc', kind: 'conv', variants: ALL_VARIANTS,
    tile: 'K in {1,3}; Cin <= 256; Cp % 4 == 0 (simd128: input rows widened to i16 in chunks of <= 3072 elements, 2 px x 16 ch tiles, 12-ch or 4-ch tails; ' +
      'swar64: 2 px as i64 lanes x 8 ch, 4-ch tail; both: odd width recomputes last px); ' +
      'swar64: odd Cin reads 1 byte past each pixel (>= 1 readable byte after the input tensor)',
    accepts: convAccepts, ssrnet: CONV_SHAPES.filter((s) => !readsI16(s)),
  } satisfies ConvKernel,
  {
    name: 'qu8_relu_avgpool_requant_u8', kind: 'epilogue', variants: VARIANTS,
    tile: 'P in {1,2,4,8}; Cp % 4 == 0; 4 channels per step, partial last group stored lane by lane',
    accepts: epilogueAccepts, ssrnet: X_STREAM_U8,
  } satisfies EpilogueKernel,
  {
    name: 'qu8_maxpool_tanh_lut_u8', kind: 'epilogue', variants: VARIANTS,
    tile: 'P in {1,2,4,8}; Cp % 4 == 0; index on 4 lanes, scalar LUT gather',
    accepts: epilogueAccepts, ssrnet: S_STREAM,
  } satisfies EpilogueKernel,
  {
    name: 'qu8_relu_avgpool_f32', kind: 'epilogue', variants: VARIANTS,
    tile: 'P in {1,2,4,8}; Cp % 4 == 0; partial last group stored with store64/32_lane',
    accepts: epilogueAccepts, ssrnet: HEADS('x'),
  } satisfies EpilogueKernel,
  {
    name: 'qu8_relu_maxpool_f32', kind: 'epilogue', variants: VARIANTS,
    tile: 'P in {1,2,4,8}; Cp % 4 == 0; partial last group stored with store64/32_lane',
    accepts: epilogueAccepts, ssrnet: HEADS('s'),
  } satisfies EpilogueKernel,
  {
    name: 'qi16_conv_acc', kind: 'conv', variants: VARIANTS,
    tile: 'K in {1,3}; even Cin; Cp % 4 == 0 (simd128: 1 px x 4 ch tiles, one load32_splat i16 pair per dot)',
    accepts: convI16Accepts, ssrnet: CONV_SHAPES.filter(readsI16),
  } satisfies ConvKernel,
  {
    name: 'qi16_relu_avgpool_requant_i16', kind: 'epilogue', variants: VARIANTS,
    tile: 'P in {1,2,4,8}; Cp % 4 == 0; 4 channels per step, partial last group stored lane by lane',
    accepts: epilogueAccepts, ssrnet: X_STREAM.slice(2),
  } satisfies EpilogueKernel,
  {
    name: 'requant_f32_buffer', kind: 'requant', variants: VARIANTS,
    tile: 'test/bench wrapper of quant.ts; simd128: n % 4 == 0',
    accepts: (s: RequantShape) => s.n % 4 === 0,
    // Not a layer: the requant work of one conv1 output row of both streams (31 px x 48 ch).
    ssrnet: [{ layer: 'conv1 row', n: 31 * 48, calls: 31 }],
  } satisfies RequantKernel,
  {
    name: 'qu8_requant_s8', kind: 'q8_requant', variants: VARIANTS,
    tile: 'Cp % 4 == 0, channels <= Cp; simd128: 16 ch per step (one 16-byte store), then 4 ch, partial last group stored lane by lane',
    accepts: (s: YunetShape) => s.width >= 1 && s.outChannels >= 1, ssrnet: [], yunet: at640(YUNET_PW),
  } satisfies Q8Kernel,
  {
    name: 'qu8_conv1x1_requant_s8', kind: 'q8_conv1x1', variants: VARIANTS,
    tile: 'Cin <= 256; Cp = channels rounded up to 4; simd128: qu8_conv_acc__simd128\'s tiles (2 px x 16 ch, 12- or 4-ch tails), requantized in registers, partial channel groups stored 8/4/2/1 bytes',
    accepts: (s: YunetShape) => s.width >= 1 && s.inChannels >= 1 && s.inChannels <= 256 && s.outChannels >= 1, ssrnet: [], yunet: at640(YUNET_PW),
  } satisfies Q8Kernel,
  {
    name: 'qs8_dwconv3x3_relu_requant_u8', kind: 'q8_dw', variants: ALL_VARIANTS,
    tile: 'any width, C; weights in [-127, 127]; simd128: 8 ch, tap pairs per i32x4.dot_i16x8_s (above/row column pairs shared by 3 output pixels, below paired along the row), one path for edges and padding rows (zero weights); then one 4-ch block (load32_zero, i16 products), C % 4 scalar; ' +
      'swar64 (the scalar build\'s): per channel along the row, 3 MACs per i64.mul (a row\'s 3 weights in 21-bit lanes, outputs shifted one lane per column)',
    accepts: dwAccepts, ssrnet: [], yunet: at640(YUNET_DW),
  } satisfies Q8Kernel,
  {
    name: 'qs8_dwconv3x3_f32', kind: 'q8_dw', variants: ALL_VARIANTS,
    tile: 'as qs8_dwconv3x3_relu_requant_u8 (the heads: C = 1, 4, 10)',
    accepts: dwAccepts, ssrnet: [], yunet: YUNET_HEAD_DW_640,
  } satisfies Q8Kernel,
  {
    name: 'qu8_conv3x3s2_relu_requant_u8', kind: 'q8_stem', variants: ALL_VARIANTS,
    tile: 'Cin = 3 (u8 BGR); Cout % 4 == 0; simd128: tap pairs per dot_i16x8_s (each kernel row: taps 0..7 as 4 pairs from one load64_zero, the 3 taps 8 as 2 pairs: 14 dots per 4 ch), weights interleaved per call; 2 px x 16 ch everywhere (padding kernel rows: zero weights; windows leaving the image on the left or right: a zero-padded copy); Cout % 16 in 1 px x 4 ch (scalar gather); ' +
      'swar64 (the scalar build\'s, Cout <= 64): 3 channels per i64.mul (21-bit lanes), 27 taps unrolled, edge windows through a zero-padded copy',
    accepts: (s: YunetShape) => s.width >= 1 && s.inChannels === 3 && s.outChannels % 4 === 0 && s.outChannels >= 4 && s.outChannels <= 64, ssrnet: [],
    yunet: [yrow('stem', 320, 3, 16, 240)],
  } satisfies Q8Kernel,
  {
    name: 'u8_maxpool2x2', kind: 'q8_pool', variants: VARIANTS,
    tile: 'even input width; any C; simd128: 16 ch per i8x16.max_u, then 8 (64-bit lanes), then scalar',
    accepts: (s: YunetShape) => s.width >= 2 && s.width % 2 === 0 && s.inChannels >= 1 && s.inChannels === s.outChannels, ssrnet: [],
    yunet: [yrow('pool /2', 320, 16, 16, 120), yrow('pool /4', 160, 64, 64, 60), yrow('pool /8', 80, 64, 64, 30), yrow('pool /16', 40, 64, 64, 15)],
  } satisfies Q8Kernel,
  {
    name: 'qu8_upsample2x_add_requant_u8', kind: 'q8_upadd', variants: VARIANTS,
    tile: 'any width (output), C; per-channel scale arrays; simd128: 16 ch per step (the 8 scale vectors in registers along the row), the coarse term once per 2 output pixels; C % 16 and an odd last pixel scalar',
    accepts: (s: YunetShape) => s.width >= 1 && s.inChannels >= 1 && s.inChannels === s.outChannels, ssrnet: [],
    yunet: [yrow('neck /16', 40, 64, 64, 30), yrow('neck /8', 80, 64, 64, 60)],
  } satisfies Q8Kernel,
] as const;

export type KernelName = (typeof KERNELS)[number]['name'];

/** Real MACs of one conv call (padded channels excluded). */
export const convMacs = (s: ConvShape): number =>
  s.outWidth * s.kernelSize * s.kernelSize * s.inChannels * s.outChannels;

// ---- the test build ---------------------------------------------------------------------------

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEST_WASM = join(ROOT, 'build', 'ssrnet-test.wasm');

/** Compile assembly/kernels/registry.ts with the asconfig `test` target (throws with asc's output). */
export function buildTestWasm(): void {
  const r = spawnSync('npx', ['asc', 'assembly/kernels/registry.ts', '--config', 'asconfig.json', '--target', 'test'], {
    cwd: ROOT, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`asc failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** A kernel export: all arguments are i32 pointers/sizes or f32, no return value used. */
export type KernelFn = (...args: number[]) => number | void;

export interface KernelModule {
  memory: WebAssembly.Memory;
  exports: Record<string, unknown>;
  /** `${name}__${variant}` as a callable. */
  fn: (name: string, variant: Variant) => KernelFn;
  /** First 16-aligned free byte after static data. */
  scratchBase: number;
}

/** Instantiate build/ssrnet-test.wasm (no imports). */
export async function loadTestWasm(): Promise<KernelModule> {
  const { instance } = await WebAssembly.instantiate(readFileSync(TEST_WASM), {});
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const fn = (name: string, variant: Variant): KernelFn => {
    const f = exports[`${name}__${variant}`];
    if (typeof f !== 'function') throw new Error(`missing export ${name}__${variant}`);
    return f as KernelFn;
  };
  return { memory, exports, fn, scratchBase: (exports.scratchBase as () => number)() };
}
