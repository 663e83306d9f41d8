// Kernel matrix: every kernel of test/helpers/kernel-registry.ts (SSR-Net's and YuNet's int8
// kernels), every variant, against an independent TypeScript reference written from
// the formulas in the kernel headers.
//
//   scalar  == TS reference       exactly (u8 / i32 values; f32 bit patterns)
//   simd128 == scalar             raw bytes, bit for bit
//   nothing written past any output (canary after every buffer)
//
// Shapes: SSR-Net's real layer shapes + tile edges (channels <, =, > the SIMD tiles; odd widths;
// every pool size) + saturation / clamp / rounding-tie data. Data is seeded (mulberry32); a
// failure message names the case, the seed, (y, x, c) and the raw accumulator.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  KERNELS, VARIANTS, buildTestWasm, loadTestWasm,
  type ConvKernel, type ConvShape, type EpilogueKernel, type EpilogueShape, type YunetShape, type KernelModule, type Q8Kernel, type KernelName, type KernelSpec, type Variant,
} from './helpers/kernel-registry.js';
import { Rng } from './helpers/rng.js';

let mod: KernelModule;

beforeAll(async () => {
  buildTestWasm();
  mod = await loadTestWasm();
});

// ---- reference arithmetic ---------------------------------------------------------------------

const f32 = Math.fround;

/** Round half to even (JS Math.round is half-up). */
function roundHalfEven(v: number): number {
  const r = Math.floor(v);
  const d = v - r;
  if (d < 0.5) return r;
  if (d > 0.5) return r + 1;
  return r % 2 === 0 ? r : r + 1;
}

/** quant.ts requant: clamp to [qmin, qmax], round half to even, NaN -> 0 (trunc_sat). */
function requantRef(v: number, qmin: number, qmax: number): number {
  if (Number.isNaN(v)) return 0;
  return roundHalfEven(Math.min(Math.max(v, qmin), qmax));
}

// ---- scratch memory with canaries -------------------------------------------------------------

const CANARY = 0xa5;
const CANARY_BYTES = 32;
const UNWRITTEN = 0xcc; // output buffers start with this, so a missing store cannot pass by luck

type Typed = Uint8Array | Int8Array | Int32Array | Float32Array;

/** Bump allocator over the module's free memory; each buffer is 16-aligned and followed by a canary. */
class Scratch {
  private top: number;
  private readonly buffers: { name: string; ptr: number; bytes: number }[] = [];

  constructor(private readonly m: KernelModule) {
    this.top = m.scratchBase;
  }

  get u8(): Uint8Array {
    return new Uint8Array(this.m.memory.buffer);
  }

  /** `bytes` bytes filled with `fill`, canary right after the last byte (no alignment gap). */
  alloc(name: string, bytes: number, fill = UNWRITTEN): number {
    const ptr = (this.top + 15) & ~15;
    this.top = ptr + bytes + CANARY_BYTES;
    if (this.top > this.m.memory.buffer.byteLength) throw new Error(`scratch overflow allocating ${name}`);
    this.u8.fill(fill, ptr, ptr + bytes);
    this.u8.fill(CANARY, ptr + bytes, ptr + bytes + CANARY_BYTES);
    this.buffers.push({ name, ptr, bytes });
    return ptr;
  }

  put(name: string, data: Typed): number {
    const ptr = this.alloc(name, data.byteLength);
    this.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
    return ptr;
  }

  bytes(ptr: number, n: number): Uint8Array {
    return this.u8.slice(ptr, ptr + n);
  }

  checkCanaries(context: string): void {
    const u8 = this.u8;
    for (const b of this.buffers) {
      for (let i = 0; i < CANARY_BYTES; i++) {
        if (u8[b.ptr + b.bytes + i] !== CANARY) {
          throw new Error(`${context}: write past the end of ${b.name} (byte ${b.bytes + i} of a ${b.bytes}-byte buffer)`);
        }
      }
    }
  }
}

// ---- conv: qu8_conv_acc -----------------------------------------------------------------------

type ConvData = 'random' | 'sat-max' | 'sat-min' | 'sat-alternate' | 'zero-input';

/** A conv test: `calls` consecutive output rows of one layer-like tensor. */
interface ConvCase extends ConvShape {
  label: string;
  data: ConvData;
  seed: number;
}

/** Unpacked weights w[o][ky][kx][c] -> "c4 pair" bytes [ky][kx][pair][block][lane][2], written from the spec. */
function packC4Pair(w: Int8Array, Cp: number, K: number, Cin: number): Int8Array {
  const pairs = (Cin + 1) >> 1;
  const packed = new Int8Array(K * K * pairs * Cp * 2); // padding channel c = Cin stays 0
  let i = 0;
  for (let ky = 0; ky < K; ky++)
    for (let kx = 0; kx < K; kx++)
      for (let p = 0; p < pairs; p++)
        for (let b = 0; b < Cp / 4; b++)
          for (let lane = 0; lane < 4; lane++)
            for (let j = 0; j < 2; j++, i++) {
              const o = b * 4 + lane;
              const c = 2 * p + j;
              if (c < Cin) packed[i] = w[((o * K + ky) * K + kx) * Cin + c];
            }
  return packed;
}

function convData(c: ConvCase): { input: Uint8Array; w: Int8Array; bias: Int32Array } {
  const rng = new Rng(c.seed);
  const K = c.kernelSize;
  const nIn = (c.calls + K - 1) * c.inWidth * c.inChannels;
  const nW = c.outChannelsPadded * K * K * c.inChannels;
  switch (c.data) {
    case 'random':
      return { input: rng.u8(nIn), w: rng.i8(nW), bias: rng.i32(c.outChannelsPadded, -(1 << 20), 1 << 20) };
    case 'sat-max':
      return { input: new Uint8Array(nIn).fill(255), w: new Int8Array(nW).fill(127), bias: new Int32Array(c.outChannelsPadded).fill(1 << 24) };
    case 'sat-min':
      return { input: new Uint8Array(nIn).fill(255), w: new Int8Array(nW).fill(-128), bias: new Int32Array(c.outChannelsPadded).fill(-(1 << 24)) };
    case 'sat-alternate':
      return {
        input: new Uint8Array(nIn).fill(255),
        w: Int8Array.from({ length: nW }, (_, i) => (i % 3 === 0 ? -128 : 127)),
        bias: rng.i32(c.outChannelsPadded, -(1 << 24), 1 << 24),
      };
    case 'zero-input':
      return { input: new Uint8Array(nIn), w: rng.i8(nW), bias: rng.i32(c.outChannelsPadded, -(1 << 30), 1 << 30) };
  }
}

/** acc[x][o] = bias[o] + Σ in(y+ky, x+kx, c) * w(o, ky, kx, c), straight from the formula. */
function convRef(c: ConvCase, input: Uint8Array, w: Int8Array, bias: Int32Array, y: number): Int32Array {
  const { inWidth: W, inChannels: Cin, kernelSize: K, outWidth, outChannelsPadded: Cp } = c;
  const acc = new Int32Array(outWidth * Cp);
  for (let x = 0; x < outWidth; x++)
    for (let o = 0; o < Cp; o++) {
      let sum = bias[o];
      for (let ky = 0; ky < K; ky++)
        for (let kx = 0; kx < K; kx++)
          for (let ci = 0; ci < Cin; ci++)
            sum += input[((y + ky) * W + x + kx) * Cin + ci] * w[((o * K + ky) * K + kx) * Cin + ci];
      if (sum !== (sum | 0)) throw new Error(`test data overflows i32 at (y=${y}, x=${x}, c=${o})`);
      acc[x * Cp + o] = sum;
    }
  return acc;
}

function runConvCase(name: KernelName, c: ConvCase): void {
  const { input, w, bias } = convData(c);
  const s = new Scratch(mod);
  // The input buffer ends exactly at the tensor's end: the canary after it is the "1 readable
  // byte" an odd Cin over-reads, and it is nonzero, so a nonzero padding weight would show.
  const pIn = s.put('input', input);
  const pW = s.put('weights', packC4Pair(w, c.outChannelsPadded, c.kernelSize, c.inChannels));
  const pBias = s.put('bias', bias);
  const accBytes = c.outWidth * c.outChannelsPadded * 4;
  const variants = kernelSpec(name).variants;
  const pAcc = Object.fromEntries(variants.map((v) => [v, s.alloc(`acc ${v}`, accBytes)])) as Record<Variant, number>;
  const ctx = `${name} ${c.label} seed=${c.seed}`;

  for (let y = 0; y < c.calls; y++) {
    for (const v of variants) {
      s.u8.fill(UNWRITTEN, pAcc[v], pAcc[v] + accBytes);
      mod.fn(name, v)(pIn + y * c.inWidth * c.inChannels, c.inWidth, c.inChannels, c.kernelSize,
        pW, pBias, c.outWidth, c.outChannelsPadded, pAcc[v]);
    }
    s.checkCanaries(ctx);
    const want = convRef(c, input, w, bias, y);
    const got = new Int32Array(s.bytes(pAcc.scalar, accBytes).buffer);
    const at = (i: number) => `(y=${y}, x=${Math.floor(i / c.outChannelsPadded)}, c=${i % c.outChannelsPadded})`;
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) throw new Error(`${ctx}: scalar != reference at ${at(i)}: acc expected ${want[i]}, got ${got[i]} (bias ${bias[i % c.outChannelsPadded]})`);
    }
    // Every other variant (swar64, simd128) against the scalar spec, bit for bit.
    for (const v of variants) {
      if (v === 'scalar') continue;
      const other = new Int32Array(s.bytes(pAcc[v], accBytes).buffer);
      for (let i = 0; i < want.length; i++) {
        if (other[i] !== got[i]) throw new Error(`${ctx}: ${v} != scalar at ${at(i)}: acc scalar ${got[i]}, ${v} ${other[i]}`);
      }
    }
  }
}

function convCases(kernel: ConvKernel): ConvCase[] {
  const cases: ConvCase[] = [];
  let seed = 1;
  // SSR-Net layers, every output row of the layer.
  for (const s of kernel.ssrnet) {
    cases.push({ ...s, label: `ssrnet ${s.layer} ${s.inWidth}x${s.inChannels} -> ${s.outWidth}x${s.outChannelsPadded} (${s.calls} rows)`, data: 'random', seed: seed++ });
  }
  // The full valid width of conv2 (29, odd: the simd128 last-pixel path) at SSR-Net's channels.
  cases.push({ layer: 'conv2 full', label: 'conv2 full valid width 31x32 -> 29x32 (29 rows)', inWidth: 31, inChannels: 32, kernelSize: 3, outWidth: 29, outChannelsPadded: 32, outChannels: 32, calls: 29, data: 'random', seed: seed++ });
  // simd128 input chunks: rows wider than its 3072-element scratch (Cin 32 at width 62 is done as
  // 30 + 30 + 2 pixels above); Cin 256, the largest, gives 2-pixel chunks and an odd last chunk.
  cases.push({ layer: 'chunks', label: 'chunks K3 Cin256 W7 Cp8 (2-pixel chunks, odd last)', inWidth: 9, inChannels: 256, kernelSize: 3, outWidth: 7, outChannelsPadded: 8, outChannels: 8, calls: 2, data: 'random', seed: seed++ });
  cases.push({ layer: 'chunks', label: 'chunks K3 Cin255 W5 Cp20 (odd Cin across chunks)', inWidth: 8, inChannels: 255, kernelSize: 3, outWidth: 5, outChannelsPadded: 20, outChannels: 20, calls: 2, data: 'random', seed: seed++ });
  // Tile edges: Cp below / at / above the 16-channel tile and the 4-channel block, odd Cin, odd widths.
  for (const K of [1, 3])
    for (const Cp of [4, 8, 12, 16, 32, 36])
      for (const Cin of [1, 2, 3, 5, 16, 32])
        for (const outWidth of [1, 3, 7, 62]) {
          const inWidth = outWidth + K - 1 + (seed % 3); // sometimes wider than needed (head1 uses 24 of 31)
          cases.push({ layer: 'tile', label: `K${K} Cin${Cin} W${outWidth} Cp${Cp} inW${inWidth}`, inWidth, inChannels: Cin, kernelSize: K, outWidth, outChannelsPadded: Cp, outChannels: Cp, calls: 2, data: 'random', seed: seed++ });
        }
  // Saturation: all-255 input with ±127 / -128 weights, largest SSR-Net tap count (288) and odd Cin.
  for (const data of ['sat-max', 'sat-min', 'sat-alternate', 'zero-input'] as const)
    for (const [Cin, Cp, outWidth] of [[32, 32, 29], [3, 16, 7], [16, 12, 5]])
      cases.push({ layer: 'saturation', label: `${data} K3 Cin${Cin} W${outWidth} Cp${Cp}`, inWidth: outWidth + 2, inChannels: Cin, kernelSize: 3, outWidth, outChannelsPadded: Cp, outChannels: Cp, calls: 1, data, seed: seed++ });
  for (const c of cases) {
    if (!kernel.accepts(c)) throw new Error(`case outside tile constraints: ${c.label}`);
  }
  return cases;
}

// ---- epilogues --------------------------------------------------------------------------------

type EpiData = 'random' | 'ties' | 'big' | 'saturate';

/** An epilogue test: `calls` consecutive pooled output rows. */
interface EpiCase extends EpilogueShape {
  label: string;
  data: EpiData;
  seed: number;
}

type Reduce = 'reluSum' | 'max';

interface EpilogueRef {
  reduce: Reduce;
  outBytes: 1 | 4;
  /** Output element from the reduced window value and scale[c]. */
  out: (r: number, scale: number, lut: Uint8Array) => number;
  /** A scale for channel c that makes the outputs interesting for this data mode. */
  scale: (data: EpiData, c: number, P: number, A: number, rng: Rng) => number;
  usesLut: boolean;
}

// The acc magnitude per data mode, and the SSR-Net bound it stands for.
const ACC_BOUND = 288 * 255 * 128; // conv.ts: largest tap count * max |in| * max |w|
// ties: small odd/even values so f32(S) * scale lands on k + 0.5 (scale = 0.5, 1.5, ... / P²), across
// the whole u8 range and beyond ±512 for the tanh index; big: sums past 2^24 (the convert rounds).
const accRange = (data: EpiData): number =>
  data === 'ties' ? 600 : data === 'big' || data === 'saturate' ? ACC_BOUND : 1 << 20;

const TIE_SCALES = [0.5, 0.25, 1.5, 2.5, -0.5, 0.75];

const EPILOGUES: Record<string, EpilogueRef> = {
  qu8_relu_avgpool_requant_u8: {
    reduce: 'reluSum', outBytes: 1, usesLut: false,
    out: (S, scale) => requantRef(f32(f32(S) * scale), 0, 255),
    // Mean of max(U[-A, A], 0) is A/4: aim the typical output near 255 (clamps above), with
    // every 5th channel negative (clamps at 0).
    scale: (data, c, P, A, rng) =>
      data === 'ties' ? TIE_SCALES[c % TIE_SCALES.length] / (P * P)
        : ((c % 5 === 4 ? -1 : 1) * (0.3 + 1.7 * rng.float()) * 255) / ((P * P * A) / 4),
  },
  qu8_maxpool_tanh_lut_u8: {
    reduce: 'max', outBytes: 1, usesLut: true,
    out: (M, scale, lut) => lut[requantRef(f32(f32(M) * scale), -512, 512) + 512],
    scale: (data, c, _P, A, rng) =>
      data === 'ties' ? TIE_SCALES[c % TIE_SCALES.length] : ((rng.float() * 3 - 1.5) * 512) / A,
  },
  qu8_relu_avgpool_f32: {
    reduce: 'reluSum', outBytes: 4, usesLut: false,
    out: (S, scale) => f32(f32(S) * scale),
    scale: (data, c, P, A, rng) => (data === 'ties' ? TIE_SCALES[c % TIE_SCALES.length] / (P * P) : rng.float() / (P * P * A)),
  },
  qu8_relu_maxpool_f32: {
    reduce: 'max', outBytes: 4, usesLut: false,
    out: (M, scale) => f32(f32(Math.max(M, 0)) * scale),
    scale: (data, c, _P, A, rng) => (data === 'ties' ? TIE_SCALES[c % TIE_SCALES.length] : (rng.float() * 10) / A),
  },
};

/** The 1025-entry table from the formula in tanh-lut.ts (JS Math.tanh). */
function tanhLutRef(): Uint8Array {
  return Uint8Array.from({ length: 1025 }, (_, i) => 128 + roundHalfEven(127 * Math.tanh((i - 512) / 128)));
}

function epiAcc(c: EpiCase, rng: Rng): Int32Array {
  const n = c.calls * c.poolSize * c.accRowStride;
  const A = accRange(c.data);
  if (c.data !== 'saturate') return rng.i32(n, -A, A);
  // Saturate: every value at +bound on even channels, -bound on odd channels.
  return Int32Array.from({ length: n }, (_, i) => ((i % c.channelsPadded) % 2 === 0 ? A : -A));
}

function runEpilogueCase(name: KernelName, c: EpiCase): void {
  const ref = EPILOGUES[name];
  const rng = new Rng(c.seed);
  const P = c.poolSize;
  const acc = epiAcc(c, rng);
  const scale = Float32Array.from({ length: c.channelsPadded }, (_, ch) => ref.scale(c.data, ch, P, accRange(c.data), rng));
  // A random table (not tanh): every index maps to an unrelated byte, so an off-by-one index
  // cannot hide in tanh's flat tails.
  const lut = rng.u8(1025);

  const s = new Scratch(mod);
  const pAcc = s.put('acc', acc);
  const pScale = s.put('scale', scale);
  const pLut = s.put('lut', lut);
  const outBytes = c.outWidth * c.channels * ref.outBytes;
  const pOut = { scalar: s.alloc('out scalar', outBytes), simd128: s.alloc('out simd128', outBytes) };
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const rowBytes = P * c.accRowStride * 4;

  for (let y = 0; y < c.calls; y++) {
    for (const v of VARIANTS) {
      s.u8.fill(UNWRITTEN, pOut[v], pOut[v] + outBytes);
      const args = [pAcc + y * rowBytes, c.accRowStride, P, c.outWidth, c.channels, c.channelsPadded, pScale];
      if (ref.usesLut) mod.fn(name, v)(...args, pLut, pOut[v]);
      else mod.fn(name, v)(...args, pOut[v]);
    }
    s.checkCanaries(ctx);

    const got = s.bytes(pOut.scalar, outBytes);
    const simd = s.bytes(pOut.simd128, outBytes);
    const gotVals = ref.outBytes === 1 ? got : new Float32Array(got.buffer);
    for (let x = 0; x < c.outWidth; x++)
      for (let ch = 0; ch < c.channels; ch++) {
        const window: number[] = [];
        for (let r = 0; r < P; r++)
          for (let dx = 0; dx < P; dx++)
            window.push(acc[(y * P + r) * c.accRowStride + (x * P + dx) * c.channelsPadded + ch]);
        const reduced = ref.reduce === 'reluSum' ? window.reduce((a, b) => a + Math.max(b, 0), 0) : Math.max(...window);
        const want = ref.out(reduced, scale[ch], lut);
        const i = x * c.channels + ch;
        const where = `(y=${y}, x=${x}, c=${ch})`;
        const raw = `${ref.reduce}=${reduced} scale=${scale[ch]} window acc=[${window.join(', ')}]`;
        if (!Object.is(gotVals[i], want)) {
          throw new Error(`${ctx}: scalar != reference at ${where}: expected ${want}, got ${gotVals[i]}; ${raw}`);
        }
        for (let b = i * ref.outBytes; b < (i + 1) * ref.outBytes; b++) {
          if (simd[b] !== got[b]) {
            const simdVal = ref.outBytes === 1 ? simd[i] : new Float32Array(simd.buffer)[i];
            throw new Error(`${ctx}: simd128 != scalar at ${where}: scalar ${gotVals[i]}, simd128 ${simdVal}; ${raw}`);
          }
        }
      }
  }
}

function epilogueCases(kernel: EpilogueKernel): EpiCase[] {
  const cases: EpiCase[] = [];
  let seed = 1000;
  for (const s of kernel.ssrnet)
    for (const data of ['random', 'ties', 'big'] as const)
      cases.push({ ...s, label: `ssrnet ${s.layer} P${s.poolSize} W${s.outWidth} C${s.channels}/${s.channelsPadded} ${data}`, calls: 2, data, seed: seed++ });
  // Tile edges: channels <, =, > a multiple of 4 (the SIMD group), 10 of 12 (the heads), every P,
  // odd widths, a leftover column dropped by 'valid' pooling, a padded row stride.
  const channelPairs = [[1, 4], [3, 4], [4, 4], [5, 8], [8, 8], [10, 12], [12, 12], [13, 16], [16, 16], [30, 32], [32, 32], [33, 36], [36, 36]];
  for (const P of [1, 2, 4, 8])
    for (const [channels, channelsPadded] of channelPairs)
      for (const outWidth of [1, 3, 7]) {
        const data = (['random', 'ties', 'big', 'saturate'] as const)[seed % 4];
        const convWidth = outWidth * P + (P > 1 ? 1 : 0);
        const accRowStride = convWidth * channelsPadded + (seed % 2) * 4;
        cases.push({ layer: 'tile', label: `P${P} W${outWidth} C${channels}/${channelsPadded} stride${accRowStride} ${data}`, poolSize: P, outWidth, channels, channelsPadded, accRowStride, calls: 2, data, seed: seed++ });
      }
  for (const c of cases) {
    if (!kernel.accepts(c)) throw new Error(`case outside tile constraints: ${c.label}`);
  }
  return cases;
}

// ---- 16-bit x maps: qi16_conv_acc, qi16_relu_avgpool_requant_i16 ------------------------------

/** qi16_conv_acc cases: SSR-Net's two layers, tile edges (even Cin), and the i32 bound at full scale. */
function convI16Cases(kernel: ConvKernel): ConvCase[] {
  const cases: ConvCase[] = [];
  let seed = 500;
  for (const s of kernel.ssrnet) {
    cases.push({ ...s, label: `ssrnet ${s.layer} ${s.inWidth}x${s.inChannels} -> ${s.outWidth}x${s.outChannelsPadded} (${s.calls} rows)`, data: 'random', seed: seed++ });
  }
  for (const K of [1, 3])
    for (const Cp of [4, 12, 32, 36])
      for (const Cin of [2, 4, 16, 32])
        for (const outWidth of [1, 3, 6]) {
          const inWidth = outWidth + K - 1 + (seed % 3);
          cases.push({ layer: 'tile', label: `K${K} Cin${Cin} W${outWidth} Cp${Cp} inW${inWidth}`, inWidth, inChannels: Cin, kernelSize: K, outWidth, outChannelsPadded: Cp, outChannels: Cp, calls: 2, data: 'random', seed: seed++ });
        }
  for (const data of ['sat-max', 'sat-min', 'sat-alternate', 'zero-input'] as const)
    cases.push({ layer: 'saturation', label: `${data} K3 Cin32 W4 Cp32`, inWidth: 6, inChannels: 32, kernelSize: 3, outWidth: 4, outChannelsPadded: 32, outChannels: 32, calls: 1, data, seed: seed++ });
  for (const c of cases) {
    if (!kernel.accepts(c)) throw new Error(`case outside tile constraints: ${c.label}`);
  }
  return cases;
}

/** Inputs in [0, 32767] (saturation: all 32767, with biases that keep the sum inside i32). */
function convI16Data(c: ConvCase): { input: Int16Array; w: Int8Array; bias: Int32Array } {
  const rng = new Rng(c.seed);
  const K = c.kernelSize;
  const nIn = (c.calls + K - 1) * c.inWidth * c.inChannels;
  const nW = c.outChannelsPadded * K * K * c.inChannels;
  const full = () => new Int16Array(nIn).fill(32767);
  switch (c.data) {
    case 'random':
      return { input: Int16Array.from(rng.i32(nIn, 0, 32767)), w: rng.i8(nW), bias: rng.i32(c.outChannelsPadded, -(1 << 28), 1 << 28) };
    case 'sat-max':
      return { input: full(), w: new Int8Array(nW).fill(127), bias: new Int32Array(c.outChannelsPadded).fill(1 << 29) };
    case 'sat-min':
      return { input: full(), w: new Int8Array(nW).fill(-128), bias: new Int32Array(c.outChannelsPadded).fill(-(1 << 29)) };
    case 'sat-alternate':
      return { input: full(), w: Int8Array.from({ length: nW }, (_, i) => (i % 3 === 0 ? -128 : 127)), bias: rng.i32(c.outChannelsPadded, -(1 << 28), 1 << 28) };
    case 'zero-input':
      return { input: new Int16Array(nIn), w: rng.i8(nW), bias: rng.i32(c.outChannelsPadded, -(1 << 30), 1 << 30) };
  }
}

function runConvI16Case(c: ConvCase): void {
  const name = 'qi16_conv_acc';
  const { input, w, bias } = convI16Data(c);
  const { inWidth: W, inChannels: Cin, kernelSize: K, outWidth, outChannelsPadded: Cp } = c;
  const s = new Scratch(mod);
  const pIn = s.put('input', new Uint8Array(input.buffer));
  const pW = s.put('weights', packC4Pair(w, Cp, K, Cin));
  const pBias = s.put('bias', bias);
  const accBytes = outWidth * Cp * 4;
  const pAcc = { scalar: s.alloc('acc scalar', accBytes), simd128: s.alloc('acc simd128', accBytes) };
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  for (let y = 0; y < c.calls; y++) {
    for (const v of VARIANTS) mod.fn(name, v)(pIn + y * W * Cin * 2, W, Cin, K, pW, pBias, outWidth, Cp, pAcc[v]);
    s.checkCanaries(ctx);
    const got = new Int32Array(s.bytes(pAcc.scalar, accBytes).buffer);
    const simd = new Int32Array(s.bytes(pAcc.simd128, accBytes).buffer);
    for (let x = 0; x < outWidth; x++)
      for (let o = 0; o < Cp; o++) {
        let want = bias[o];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++)
            for (let ci = 0; ci < Cin; ci++) want += input[((y + ky) * W + x + kx) * Cin + ci] * w[((o * K + ky) * K + kx) * Cin + ci];
        if (want !== (want | 0)) throw new Error(`${ctx}: test data overflows i32`);
        const i = x * Cp + o;
        if (got[i] !== want) throw new Error(`${ctx}: scalar != reference at (y=${y}, x=${x}, c=${o}): expected ${want}, got ${got[i]}`);
        if (simd[i] !== got[i]) throw new Error(`${ctx}: simd128 != scalar at (y=${y}, x=${x}, c=${o}): scalar ${got[i]}, simd128 ${simd[i]}`);
      }
  }
}

/** qi16_relu_avgpool_requant_i16: out = requant(f32(f32(Σ relu) · scale), 0, 32767) as i16. */
function runEpilogueI16Case(c: EpiCase): void {
  const name = 'qi16_relu_avgpool_requant_i16';
  const rng = new Rng(c.seed);
  const P = c.poolSize;
  const acc = epiAcc(c, rng);
  const A = accRange(c.data);
  // Typical outputs near the top of the range (clamps above), every 5th channel negative (clamps at 0).
  const scale = Float32Array.from({ length: c.channelsPadded }, (_, ch) =>
    c.data === 'ties' ? TIE_SCALES[ch % TIE_SCALES.length] * (ch % 2 ? 64 : 1) / (P * P)
      : ((ch % 5 === 4 ? -1 : 1) * (0.3 + 1.7 * rng.float()) * 32767) / ((P * P * A) / 4));
  const s = new Scratch(mod);
  const pAcc = s.put('acc', acc);
  const pScale = s.put('scale', scale);
  const outBytes = c.outWidth * c.channels * 2;
  const pOut = { scalar: s.alloc('out scalar', outBytes), simd128: s.alloc('out simd128', outBytes) };
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const rowBytes = P * c.accRowStride * 4;
  for (let y = 0; y < c.calls; y++) {
    for (const v of VARIANTS) {
      s.u8.fill(UNWRITTEN, pOut[v], pOut[v] + outBytes);
      mod.fn(name, v)(pAcc + y * rowBytes, c.accRowStride, P, c.outWidth, c.channels, c.channelsPadded, pScale, pOut[v]);
    }
    s.checkCanaries(ctx);
    const got = new Int16Array(s.bytes(pOut.scalar, outBytes).buffer);
    const simd = new Int16Array(s.bytes(pOut.simd128, outBytes).buffer);
    for (let x = 0; x < c.outWidth; x++)
      for (let ch = 0; ch < c.channels; ch++) {
        let sum = 0;
        for (let r = 0; r < P; r++)
          for (let dx = 0; dx < P; dx++) sum += Math.max(acc[(y * P + r) * c.accRowStride + (x * P + dx) * c.channelsPadded + ch], 0);
        const want = requantRef(f32(f32(sum) * scale[ch]), 0, 32767);
        const i = x * c.channels + ch;
        if (got[i] !== want) throw new Error(`${ctx}: scalar != reference at (y=${y}, x=${x}, c=${ch}): expected ${want}, got ${got[i]} (sum ${sum}, scale ${scale[ch]})`);
        if (simd[i] !== got[i]) throw new Error(`${ctx}: simd128 != scalar at (y=${y}, x=${x}, c=${ch}): scalar ${got[i]}, simd128 ${simd[i]}`);
      }
  }
}

// ---- requant (quant.ts) -----------------------------------------------------------------------

function requantValues(): Float32Array {
  const edge = [
    0, -0, 0.5, -0.5, 1.5, 2.5, -1.5, -2.5, 0.49999997, 0.50000006, 127.5, 128.5, 254.5, 255.5, 256, -1,
    511.5, 512.5, -511.5, -512.5, 1e-40, -1e-40, 1e30, -1e30, Infinity, -Infinity, NaN, 2 ** 24 + 2, 3e9, -3e9,
  ];
  const rng = new Rng(77);
  const values = [...edge];
  for (let i = 0; i < 2000; i++) values.push((rng.float() - 0.3) * 1500);
  for (let i = 0; i < 200; i++) values.push(rng.int(-600, 600) + 0.5); // exact ties across both ranges
  while (values.length % 4 !== 0) values.push(0);
  return Float32Array.from(values);
}

function runRequantCase(name: KernelName, qmin: number, qmax: number): void {
  const values = requantValues();
  const s = new Scratch(mod);
  const pSrc = s.put('src', values);
  const bytes = values.length * 4;
  const pOut = { scalar: s.alloc('out scalar', bytes), simd128: s.alloc('out simd128', bytes) };
  for (const v of VARIANTS) mod.fn(name, v)(pSrc, values.length, qmin, qmax, pOut[v]);
  s.checkCanaries(name);
  const got = new Int32Array(s.bytes(pOut.scalar, bytes).buffer);
  const simd = new Int32Array(s.bytes(pOut.simd128, bytes).buffer);
  for (let i = 0; i < values.length; i++) {
    const want = requantRef(values[i], qmin, qmax);
    if (got[i] !== want) throw new Error(`${name}[${qmin}, ${qmax}] scalar != reference for ${values[i]}: expected ${want}, got ${got[i]}`);
    if (simd[i] !== got[i]) throw new Error(`${name}[${qmin}, ${qmax}] simd128 != scalar for ${values[i]}: scalar ${got[i]}, simd128 ${simd[i]}`);
  }
}


// ---- f32 output checks (the int8 heads' depthwise) -----------------------------------------

/** Compares scalar with the reference (Object.is: -0 and NaN count) and simd128 with scalar byte for byte. */
function checkF32(ctx: string, want: Float32Array, scalar: Uint8Array, simd: Uint8Array, where: (i: number) => string): void {
  const got = new Float32Array(scalar.buffer, scalar.byteOffset, want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${ctx}: scalar != reference at ${where(i)}: expected ${want[i]}, got ${got[i]}`);
  }
  for (let b = 0; b < scalar.length; b++) {
    if (simd[b] !== scalar[b]) {
      const i = b >> 2;
      throw new Error(`${ctx}: simd128 != scalar at ${where(i)}: scalar ${got[i]}, simd128 ${new Float32Array(simd.buffer, simd.byteOffset)[i]}`);
    }
  }
}

/** Runs both variants with `args(out)` into fresh outputs of `n` f32; returns their bytes. */
function runBoth(s: Scratch, name: KernelName, n: number, args: (out: number) => number[], ctx: string): { scalar: Uint8Array; simd: Uint8Array } {
  const out = { scalar: s.alloc('out scalar', n * 4), simd128: s.alloc('out simd128', n * 4) };
  for (const v of VARIANTS) mod.fn(name, v)(...args(out[v]));
  s.checkCanaries(ctx);
  return { scalar: s.bytes(out.scalar, n * 4), simd: s.bytes(out.simd128, n * 4) };
}

// ---- int8 kernels (YuNet) ---------------------------------------------------------------------
// References written from docs/detector.md: integer sums (exact in JS numbers), then the
// f32 epilogue with Math.fround after every convert, multiply and add, then requantRef.

type Q8Case = { label: string; seed: number };

/** Runs both variants with `args(out)` into fresh `bytes`-byte outputs; returns their bytes (canaries checked). */
function runBothBytes(s: Scratch, name: KernelName, bytes: number, args: (out: number) => number[], ctx: string): { scalar: Uint8Array; simd: Uint8Array } {
  const out = { scalar: s.alloc('out scalar', bytes), simd128: s.alloc('out simd128', bytes) };
  for (const v of VARIANTS) mod.fn(name, v)(...args(out[v]));
  s.checkCanaries(ctx);
  return { scalar: s.bytes(out.scalar, bytes), simd: s.bytes(out.simd128, bytes) };
}

/** Compares scalar u8/s8 outputs with the reference and simd128 with scalar. */
function checkBytes(ctx: string, want: ArrayLike<number>, r: { scalar: Uint8Array; simd: Uint8Array }, signed: boolean,
  where: (i: number) => string, raw: (i: number) => string = () => ''): void {
  const got = signed ? new Int8Array(r.scalar.buffer, r.scalar.byteOffset, r.scalar.length) : r.scalar;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) throw new Error(`${ctx}: scalar != reference at ${where(i)}: expected ${want[i]}, got ${got[i]} ${raw(i)}`);
  }
  for (let i = 0; i < r.scalar.length; i++) {
    if (r.simd[i] !== r.scalar[i]) throw new Error(`${ctx}: simd128 != scalar at ${where(i)}: scalar byte ${r.scalar[i]}, simd128 ${r.simd[i]} ${raw(i)}`);
  }
}

/** Per-channel scales aiming a typical |acc| of `A` near the top of the output range, with ties and negatives mixed in. */
function q8Scales(rng: Rng, n: number, A: number, top: number): Float32Array {
  return Float32Array.from({ length: n }, (_, c) =>
    c % 4 === 3 ? TIE_SCALES[c % TIE_SCALES.length] : f32(((c % 5 === 4 ? -1 : 1) * (0.3 + 1.7 * rng.float()) * top) / A));
}

function q8RequantCase(name: KernelName, c: Q8Case & { pixels: number; channels: number; channelsPadded: number }): void {
  const rng = new Rng(c.seed);
  const { pixels, channels: C, channelsPadded: Cp } = c;
  const edges = [0, 1, -1, 127, 128, -128, -129, 255, -256, 2 ** 24 + 1, -(2 ** 24 + 1), 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)];
  const acc = Int32Array.from({ length: pixels * Cp }, (_, i) =>
    i % 7 === 2 ? edges[(i >> 3) % edges.length] : i % 3 === 0 ? rng.int(-600, 600) : rng.int(-(1 << 20), 1 << 20));
  const scale = q8Scales(rng, Cp, 1 << 19, 128);
  const want = new Int8Array(pixels * C);
  for (let x = 0; x < pixels; x++)
    for (let ch = 0; ch < C; ch++) want[x * C + ch] = requantRef(f32(f32(acc[x * Cp + ch]) * scale[ch]), -128, 127);
  const s = new Scratch(mod);
  const pAcc = s.put('acc', acc), pS = s.put('scale', scale);
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const r = runBothBytes(s, name, want.length, (out) => [pAcc, pixels, Cp, C, pS, out], ctx);
  checkBytes(ctx, want, r, true, (i) => `(x=${Math.floor(i / C)}, c=${i % C})`,
    (i) => `(acc ${acc[Math.floor(i / C) * Cp + (i % C)]}, scale ${scale[i % C]})`);
}

/**
 * qu8_conv1x1_requant_s8: reference = the 1x1 conv sum (convRef's formula) then the s8 requant.
 * 'extreme': every input 255 and weights ±128/127, so the sums reach ±Cin*255*128 and saturate.
 */
/** Non-finite and signed-zero scales, cycled over the channels ('nonfinite' cases): requant gives NaN -> 0, +-inf saturated, inf * 0 = NaN -> 0. */
const ODD_SCALES = [NaN, Infinity, -Infinity, 0, -0, 3.4e38, -3.4e38, 1e-45];

function q8Conv1x1Case(name: KernelName, c: Q8Case & { width: number; inChannels: number; channels: number; extreme: boolean; nonfinite?: boolean }): void {
  const rng = new Rng(c.seed);
  const { width: W, inChannels: Cin, channels: C } = c;
  const Cp = (C + 3) & ~3;
  const input = c.extreme ? new Uint8Array(W * Cin).fill(255) : rng.u8(W * Cin);
  const w = c.extreme ? Int8Array.from({ length: Cp * Cin }, (_, i) => (i % 3 === 0 ? -128 : 127)) : rng.i8(Cp * Cin);
  const bias = rng.i32(Cp, -(1 << 16), 1 << 16);
  // nonfinite: a zero input pixel and zero biases give accumulators of 0 (inf * 0 = NaN).
  if (c.nonfinite) { bias.fill(0, 0, Cp >> 1); input.fill(0, 0, Cin); }
  const scale = q8Scales(rng, Cp, c.extreme ? 1 << 22 : 1 << 18, 128);
  if (c.nonfinite) scale.forEach((_, i) => { if (i % 2 === 0) scale[i] = ODD_SCALES[(i >> 1) % ODD_SCALES.length]; });
  const acc = new Int32Array(W * Cp);
  const want = new Int8Array(W * C);
  for (let x = 0; x < W; x++)
    for (let o = 0; o < C; o++) {
      let sum = bias[o];
      for (let ci = 0; ci < Cin; ci++) sum += input[x * Cin + ci] * w[o * Cin + ci];
      acc[x * Cp + o] = sum;
      want[x * C + o] = requantRef(f32(f32(sum) * scale[o]), -128, 127);
    }
  const s = new Scratch(mod);
  const pIn = s.put('input', input), pW = s.put('weights', packC4Pair(w, Cp, 1, Cin)), pB = s.put('bias', bias), pS = s.put('scale', scale);
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const r = runBothBytes(s, name, want.length, (out) => [pIn, W, Cin, pW, pB, Cp, C, pS, out], ctx);
  checkBytes(ctx, want, r, true, (i) => `(x=${Math.floor(i / C)}, c=${i % C})`,
    (i) => `(acc ${acc[Math.floor(i / C) * Cp + (i % C)]}, scale ${scale[i % C]})`);
}

type Q8DwData = 'random' | 'extreme';

function q8DwCase(name: KernelName, c: Q8Case & { width: number; channels: number; rows: [boolean, boolean]; data: Q8DwData; nonfinite?: boolean }): void {
  const f32out = name === 'qs8_dwconv3x3_f32';
  const rng = new Rng(c.seed);
  const { width: W, channels: C } = c;
  // extreme: every input -128 or 127 and every weight ±127, signs per channel, so sums reach ±9*128*127.
  const rows = [0, 1, 2].map(() => c.data === 'random' ? rng.i8(W * C)
    : Int8Array.from({ length: W * C }, (_, i) => ((i % C) % 2 === 0 ? -128 : 127)));
  const present = [c.rows[0], true, c.rows[1]];
  const w = c.data === 'random' ? rng.i8(9 * C).map((v) => Math.max(v, -127))
    : Int8Array.from({ length: 9 * C }, (_, i) => ((i % C) % 3 === 0 ? 127 : -127));
  const bias = rng.i32(C, -(1 << 14), 1 << 14);
  const scale = f32out ? Float32Array.from({ length: C }, () => f32((rng.float() - 0.5) / 1000)) : q8Scales(rng, C, 40000, 255);
  if (c.nonfinite) scale.forEach((_, i) => { if (i % 2 === 0) scale[i] = ODD_SCALES[(i >> 1) % ODD_SCALES.length]; });
  const acc = new Int32Array(W * C);
  for (let x = 0; x < W; x++)
    for (let ch = 0; ch < C; ch++) {
      let sum = bias[ch];
      for (let ky = 0; ky < 3; ky++) {
        if (!present[ky]) continue;
        for (let kx = 0; kx < 3; kx++) {
          const xx = x + kx - 1;
          if (xx >= 0 && xx < W) sum += rows[ky][xx * C + ch] * w[(ky * 3 + kx) * C + ch];
        }
      }
      acc[x * C + ch] = sum;
    }
  const s = new Scratch(mod);
  // Absent rows are still allocated (and filled): a kernel that read them would change the result.
  const p = rows.map((r, i) => s.put(`row ${i}`, r));
  const pW = s.put('weights', w), pB = s.put('bias', bias), pS = s.put('scale', scale);
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const args = (out: number) => [present[0] ? p[0] : 0, p[1], present[2] ? p[2] : 0, W, C, pW, pB, pS, out];
  const where = (i: number) => `(x=${Math.floor(i / C)}, c=${i % C})`;
  const bytes = W * C * (f32out ? 4 : 1);
  let scalar: Uint8Array;
  if (f32out) {
    const want = Float32Array.from(acc, (a, i) => f32(f32(a) * scale[i % C]));
    const r = runBoth(s, name, want.length, args, ctx);
    checkF32(ctx, want, r.scalar, r.simd, where);
    scalar = r.scalar;
  } else {
    const want = Uint8Array.from(acc, (a, i) => requantRef(f32(f32(a) * scale[i % C]), 0, 255));
    const r = runBothBytes(s, name, want.length, args, ctx);
    checkBytes(ctx, want, r, false, where, (i) => `(acc ${acc[i]}, scale ${scale[i % C]})`);
    scalar = r.scalar;
  }
  // The scalar build's swar64 form against the spec, byte for byte.
  const pOut = s.alloc('out swar64', bytes);
  mod.fn(name, 'swar64')(...args(pOut));
  s.checkCanaries(`${ctx} swar64`);
  const got = s.bytes(pOut, bytes);
  for (let b = 0; b < bytes; b++) {
    const i = f32out ? b >> 2 : b;
    if (got[b] !== scalar[b]) throw new Error(`${ctx}: swar64 != scalar at ${where(i)} (acc ${acc[i]})`);
  }
}

function q8StemCase(name: KernelName, c: Q8Case & { inWidth: number; inHeight: number; outWidth: number; cout: number; extreme?: boolean }): void {
  const rng = new Rng(c.seed);
  const { inWidth: W, inHeight: H, outWidth, cout } = c;
  const image = c.extreme ? new Uint8Array(W * H * 3).fill(255) : rng.u8(W * H * 3);
  const w = c.extreme ? Int8Array.from({ length: 27 * cout }, (_, i) => ((i % cout) % 2 === 0 ? -128 : 127)) : rng.i8(27 * cout);
  const bias = rng.i32(cout, -(1 << 16), 1 << 16);
  const scale = q8Scales(rng, cout, 60000, 255);
  const s = new Scratch(mod);
  const pImg = s.put('image', image), pW = s.put('weights', w), pB = s.put('bias', bias), pS = s.put('scale', scale);
  const outRows = Math.ceil(H / 2) + 1; // one row past the image's: only padding (and the image's last row)
  for (let oy = 0; oy < outRows; oy++) {
    const acc = new Int32Array(outWidth * cout);
    for (let ox = 0; ox < outWidth; ox++)
      for (let o = 0; o < cout; o++) {
        let sum = bias[o];
        for (let ky = 0; ky < 3; ky++) {
          const y = 2 * oy + ky - 1;
          if (y < 0 || y >= H) continue;
          for (let kx = 0; kx < 3; kx++) {
            const x = 2 * ox + kx - 1;
            if (x < 0 || x >= W) continue;
            for (let k = 0; k < 3; k++) sum += image[(y * W + x) * 3 + k] * w[((ky * 3 + kx) * 3 + k) * cout + o];
          }
        }
        acc[ox * cout + o] = sum;
      }
    const want = Uint8Array.from(acc, (a, i) => requantRef(f32(f32(a) * scale[i % cout]), 0, 255));
    const ctx = `${name} ${c.label} seed=${c.seed} oy=${oy}`;
    const args = (out: number) => [pImg, H, W, oy, pW, pB, pS, cout, outWidth, out];
    const r = runBothBytes(s, name, want.length, args, ctx);
    const where = (i: number) => `(oy=${oy}, x=${Math.floor(i / cout)}, o=${i % cout})`;
    checkBytes(ctx, want, r, false, where, (i) => `(acc ${acc[i]}, scale ${scale[i % cout]})`);
    // The scalar build's swar64 form against the spec, byte for byte.
    const pOut = s.alloc('out swar64', want.length);
    mod.fn(name, 'swar64')(...args(pOut));
    s.checkCanaries(`${ctx} swar64`);
    const got = s.bytes(pOut, want.length);
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== r.scalar[i]) throw new Error(`${ctx}: swar64 != scalar at ${where(i)}: ${r.scalar[i]} vs ${got[i]} (acc ${acc[i]})`);
    }
  }
}

function q8PoolCase(name: KernelName, c: Q8Case & { width: number; channels: number }): void {
  const rng = new Rng(c.seed);
  const { width: W, channels: C } = c;
  const r0 = rng.u8(W * C), r1 = rng.u8(W * C);
  const want = new Uint8Array((W / 2) * C);
  for (let x = 0; x < W / 2; x++)
    for (let ch = 0; ch < C; ch++) {
      const i = 2 * x * C + ch;
      want[x * C + ch] = Math.max(r0[i], r0[i + C], r1[i], r1[i + C]);
    }
  const s = new Scratch(mod);
  const p0 = s.put('row 0', r0), p1 = s.put('row 1', r1);
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  checkBytes(ctx, want, runBothBytes(s, name, want.length, (out) => [p0, p1, W, C, out], ctx), false, (i) => `(x=${Math.floor(i / C)}, c=${i % C})`);
}

function q8UpaddCase(name: KernelName, c: Q8Case & { width: number; channels: number }): void {
  const rng = new Rng(c.seed);
  const { width: W, channels: C } = c;
  const coarse = rng.u8(Math.ceil(W / 2) * C), fine = rng.u8(W * C);
  // Per-channel scales: seeds alternate between random ones (some past 1, so the clamp at 255 is
  // reached) and ones that make exact ties (k + 0.5) common, different per channel.
  const TIE_PAIRS = [[0.5, 1.5], [0.25, 0.5], [1.5, 0.5], [0.75, 0.25], [0.5, 0.5]];
  const pairs = Array.from({ length: C }, (_, ch) =>
    c.seed % 2 ? [f32(0.2 + rng.float() * 1.5), f32(0.05 + rng.float() * 0.9)] : TIE_PAIRS[(ch * 3 + c.seed) % TIE_PAIRS.length]);
  const ka = Float32Array.from(pairs, (p) => p[0]), kb = Float32Array.from(pairs, (p) => p[1]);
  const want = Uint8Array.from({ length: W * C }, (_, i) => {
    const ch = i % C;
    const t1 = f32(coarse[(Math.floor(i / C) >> 1) * C + ch] * ka[ch]);
    const t2 = f32(fine[i] * kb[ch]);
    return requantRef(f32(t1 + t2), 0, 255);
  });
  const s = new Scratch(mod);
  const pc = s.put('coarse', coarse), pf = s.put('fine', fine), pka = s.put('coarseScale', ka), pkb = s.put('fineScale', kb);
  const ctx = `${name} ${c.label} seed=${c.seed}`;
  const where = (i: number) => `(x=${Math.floor(i / C)}, c=${i % C}, ka=${ka[i % C]}, kb=${kb[i % C]})`;
  checkBytes(ctx, want, runBothBytes(s, name, want.length, (out) => [pc, pf, W, C, pka, pkb, out], ctx), false, where);
  // In place (out = fine), as the header allows.
  for (const v of VARIANTS) {
    const pIn = s.put(`fine in place ${v}`, fine);
    mod.fn(name, v)(pc, pIn, W, C, pka, pkb, pIn);
    s.checkCanaries(`${ctx} in place`);
    const got = s.bytes(pIn, want.length);
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) throw new Error(`${ctx} in place ${v}: at ${where(i)} expected ${want[i]}, got ${got[i]}`);
    }
  }
}

/** The YuNet 640x480 shapes of an int8 kernel (one row each) plus the tile edges. */
function q8Runner(name: KernelName): { label: string; run: () => void }[] {
  const k = kernelSpec(name) as Q8Kernel;
  const out: { label: string; run: () => void }[] = [];
  let seed = 9000;
  const yunet = (k.yunet ?? []).map((sh) => ({ sh, label: `yunet640 ${sh.layer} W${sh.width} ${sh.inChannels}->${sh.outChannels}` }));
  const add = <T extends object>(label: string, shape: YunetShape, run: (c: T & Q8Case) => void, c: T): void => {
    if (!k.accepts(shape)) throw new Error(`case outside tile constraints: ${label}`);
    const cs = { ...c, label, seed: seed++ };
    out.push({ label, run: () => run(cs) });
  };
  const shape = (width: number, inChannels: number, outChannels: number): YunetShape => ({ layer: '', width, inChannels, outChannels, calls: 1 });
  switch (k.kind) {
    case 'q8_requant': {
      for (const { sh, label } of yunet) {
        add(label, sh, (c) => q8RequantCase(name, c), { pixels: sh.width, channels: sh.outChannels, channelsPadded: (sh.outChannels + 3) & ~3 });
      }
      for (const pixels of [1, 2, 5])
        for (const [channels, channelsPadded] of [[1, 4], [3, 4], [4, 4], [10, 12], [15, 16], [16, 16], [17, 20], [20, 24], [31, 32], [33, 36], [64, 64]])
          add(`tile px${pixels} C${channels}/${channelsPadded}`, shape(pixels, 1, channels), (c) => q8RequantCase(name, c), { pixels, channels, channelsPadded });
      break;
    }
    case 'q8_conv1x1': {
      // The 640x480 rows (widths past the widened-input chunk), then the tile edges: widths 1..5
      // (odd last pixel), channels <, =, > 16 and the 12 / 4 tails with partial groups.
      for (const { sh, label } of yunet)
        add(label, sh, (c) => q8Conv1x1Case(name, c), { width: sh.width, inChannels: sh.inChannels, channels: sh.outChannels, extreme: false });
      for (const width of [1, 2, 3, 5])
        for (const inChannels of [1, 2, 3, 16, 33])
          for (const channels of [1, 3, 4, 10, 12, 15, 16, 17, 20, 29, 31, 32, 64])
            add(`tile W${width} Cin${inChannels} C${channels}`, shape(width, inChannels, channels), (c) => q8Conv1x1Case(name, c), { width, inChannels, channels, extreme: false });
      for (const channels of [4, 10, 16, 64])
        add(`extreme W7 Cin64 C${channels}`, shape(7, 64, channels), (c) => q8Conv1x1Case(name, c), { width: 7, inChannels: 64, channels, extreme: true });
      // simd128: rows past its widened-input chunk and layers past one group of widened weights
      // (Cin 200, 255, 256: 16-channel groups, a 12-channel last group padded to 16).
      for (const [width, inChannels, channels] of [[50, 200, 28], [45, 256, 64], [41, 255, 20], [3, 256, 10]])
        add(`groups W${width} Cin${inChannels} C${channels}`, shape(width, inChannels, channels), (c) => q8Conv1x1Case(name, c), { width, inChannels, channels, extreme: false });
      for (const channels of [4, 10, 16, 29, 64])
        add(`nonfinite scales W5 Cin16 C${channels}`, shape(5, 16, channels), (c) => q8Conv1x1Case(name, c), { width: 5, inChannels: 16, channels, extreme: false, nonfinite: true });
      break;
    }
    case 'q8_dw': {
      const rowsets = [[true, true], [false, true], [true, false], [false, false]] as [boolean, boolean][];
      const rl = (rows: [boolean, boolean]) => `rows ${rows.map(Number).join('1')}`;
      for (const { sh, label } of yunet)
        for (const rows of rowsets.slice(0, 3))
          add(`${label} ${rl(rows)}`, sh, (c) => q8DwCase(name, c), { width: sh.width, channels: sh.inChannels, rows, data: 'random' as Q8DwData });
      for (const width of [1, 2, 3, 4, 5, 9])
        for (const channels of [1, 2, 3, 4, 5, 8, 10, 12, 16, 20, 64])
          for (const rows of rowsets)
            add(`tile W${width} C${channels} ${rl(rows)}`, shape(width, channels, channels), (c) => q8DwCase(name, c), { width, channels, rows, data: 'random' as Q8DwData });
      for (const channels of [1, 4, 10, 16, 24])
        add(`extreme W7 C${channels}`, shape(7, channels, channels), (c) => q8DwCase(name, c), { width: 7, channels, rows: [true, true] as [boolean, boolean], data: 'extreme' as Q8DwData });
      for (const channels of [8, 16, 32])
        add(`nonfinite scales W6 C${channels}`, shape(6, channels, channels), (c) => q8DwCase(name, c), { width: 6, channels, rows: [true, true] as [boolean, boolean], data: 'random' as Q8DwData, nonfinite: true });
      break;
    }
    case 'q8_stem': {
      // The first rows of a 640-wide image (row 0 is the padded top edge); then tile edges: heights
      // >= 4 reach the simd128 interior path, widths give odd and even interior counts, Cout 20 = 16 + 4.
      for (const { sh, label } of yunet)
        add(`${label} (image 640x5)`, sh, (c) => q8StemCase(name, c), { inWidth: 2 * sh.width, inHeight: 5, outWidth: sh.width, cout: sh.outChannels });
      for (const [inWidth, outWidth] of [[1, 1], [2, 1], [3, 2], [5, 3], [7, 5], [8, 4], [9, 8], [10, 5], [12, 8]])
        for (const inHeight of [1, 2, 3, 5, 6])
          for (const cout of [4, 8, 16, 20, 32])
            add(`tile image ${inWidth}x${inHeight} outW${outWidth} Cout${cout}`, shape(outWidth, 3, cout), (c) => q8StemCase(name, c), { inWidth, inHeight, outWidth, cout });
      // The accumulator bounds: a white image with every weight -128 or 127 (27 * 255 * ±128).
      for (const cout of [4, 16, 64])
        add(`extreme image 9x6 outW5 Cout${cout}`, shape(5, 3, cout), (c) => q8StemCase(name, c), { inWidth: 9, inHeight: 6, outWidth: 5, cout, extreme: true });
      break;
    }
    case 'q8_pool': {
      for (const { sh, label } of yunet) add(label, sh, (c) => q8PoolCase(name, c), { width: sh.width, channels: sh.inChannels });
      for (const width of [2, 4, 6, 10]) for (const channels of [1, 3, 4, 8, 10, 16, 17, 24, 25, 64])
        add(`tile W${width} C${channels}`, shape(width, channels, channels), (c) => q8PoolCase(name, c), { width, channels });
      break;
    }
    case 'q8_upadd': {
      for (const { sh, label } of yunet) add(label, sh, (c) => q8UpaddCase(name, c), { width: sh.width, channels: sh.inChannels });
      for (const width of [1, 2, 3, 4, 7, 10]) for (const channels of [1, 3, 4, 10, 16, 17, 31, 32, 48, 64])
        add(`tile W${width} C${channels}`, shape(width, channels, channels), (c) => q8UpaddCase(name, c), { width, channels });
      break;
    }
  }
  return out;
}

// ---- the matrix -------------------------------------------------------------------------------

/** How each kernel is tested. Typed over KernelName: a kernel added to the table without a runner does not compile. */
const RUNNERS: Record<KernelName, () => { label: string; run: () => void }[]> = {
  qu8_conv_acc: () => convCases(kernelSpec('qu8_conv_acc') as ConvKernel).map((c) => ({ label: c.label, run: () => runConvCase('qu8_conv_acc', c) })),
  qu8_relu_avgpool_requant_u8: () => epilogueRunner('qu8_relu_avgpool_requant_u8'),
  qu8_maxpool_tanh_lut_u8: () => epilogueRunner('qu8_maxpool_tanh_lut_u8'),
  qu8_relu_avgpool_f32: () => epilogueRunner('qu8_relu_avgpool_f32'),
  qu8_relu_maxpool_f32: () => epilogueRunner('qu8_relu_maxpool_f32'),
  qi16_conv_acc: () => convI16Cases(kernelSpec('qi16_conv_acc') as ConvKernel).map((c) => ({ label: c.label, run: () => runConvI16Case(c) })),
  qi16_relu_avgpool_requant_i16: () =>
    epilogueCases(kernelSpec('qi16_relu_avgpool_requant_i16') as EpilogueKernel).map((c) => ({ label: c.label, run: () => runEpilogueI16Case(c) })),
  requant_f32_buffer: () => [
    { label: 'u8 range [0, 255]', run: () => runRequantCase('requant_f32_buffer', 0, 255) },
    { label: 'tanh index range [-512, 512]', run: () => runRequantCase('requant_f32_buffer', -512, 512) },
  ],
  qu8_requant_s8: () => q8Runner('qu8_requant_s8'),
  qu8_conv1x1_requant_s8: () => q8Runner('qu8_conv1x1_requant_s8'),
  qs8_dwconv3x3_relu_requant_u8: () => q8Runner('qs8_dwconv3x3_relu_requant_u8'),
  qs8_dwconv3x3_f32: () => q8Runner('qs8_dwconv3x3_f32'),
  qu8_conv3x3s2_relu_requant_u8: () => q8Runner('qu8_conv3x3s2_relu_requant_u8'),
  u8_maxpool2x2: () => q8Runner('u8_maxpool2x2'),
  qu8_upsample2x_add_requant_u8: () => q8Runner('qu8_upsample2x_add_requant_u8'),
};

function kernelSpec(name: KernelName): KernelSpec {
  return KERNELS.find((k) => k.name === name)!;
}

function epilogueRunner(name: KernelName): { label: string; run: () => void }[] {
  return epilogueCases(kernelSpec(name) as EpilogueKernel).map((c) => ({ label: c.label, run: () => runEpilogueCase(name, c) }));
}

describe('kernel registry', () => {
  it('lists every kernel export of the test build, and every listed variant exists', () => {
    const helpers = new Set(['memory', 'scratchBase', 'benchDotI16x8Peak', 'requantNarrowBuffer', 'buildTanhLut', 'TANH_LUT_SIZE', 'TANH_LUT_STEPS_PER_UNIT']);
    const listed = new Set(KERNELS.flatMap((k) => k.variants.map((v) => `${k.name}__${v}`)));
    for (const name of Object.keys(mod.exports)) {
      if (helpers.has(name)) continue;
      expect(listed.has(name), `export ${name} is not in test/helpers/kernel-registry.ts`).toBe(true);
    }
    for (const name of listed) expect(typeof mod.exports[name], `${name} listed but not exported`).toBe('function');
  });

  it('has a test runner for every kernel', () => {
    for (const k of KERNELS) expect(RUNNERS[k.name as KernelName], k.name).toBeTypeOf('function');
  });
});

describe.each(KERNELS.map((k) => [k.name, k] as const))('%s', (name) => {
  const cases = RUNNERS[name as KernelName]();
  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    c.run();
  });
});

describe('quant.ts narrowing requant forms (u8x16, u8x8, u8x4, s8x16, s8x4, s8x16_finite, s8x4_finite)', () => {
  it.each([[0, 255, 0], [-128, 127, 1], [-128, 127, 2]] as const)('equal requant_f32 on [%i, %i] for every value (ties, huge, inf; NaN but for the finite forms, kind %i)', (qmin, qmax, kind) => {
    const all = requantValues();
    // The finite forms are for lanes that are never NaN (their callers sanitize the scales).
    const values = Float32Array.from({ length: all.length & ~15 }, (_, i) => (kind === 2 && Number.isNaN(all[i]) ? 0 : all[i]));
    const s = new Scratch(mod);
    const pSrc = s.put('src', values);
    const pOut = s.alloc('out', 2 * values.length);
    (mod.exports.requantNarrowBuffer as (src: number, n: number, kind: number, dst: number) => void)(pSrc, values.length, kind, pOut);
    s.checkCanaries('requantNarrowBuffer');
    const bytes = s.bytes(pOut, 2 * values.length);
    const got = qmin < 0 ? new Int8Array(bytes.buffer) : bytes;
    for (let i = 0; i < 2 * values.length; i++) {
      const v = values[i % values.length];
      const form = i < values.length ? 'x16' : 'x8/x4';
      if (got[i] !== requantRef(v, qmin, qmax)) throw new Error(`${form} [${qmin}, ${qmax}] for ${v}: expected ${requantRef(v, qmin, qmax)}, got ${got[i]}`);
    }
  });
});

describe('buildTanhLut', () => {
  it('matches 128 + nearest(127 tanh((i - 512) / 128)), 1..255, monotonic', () => {
    const size = (mod.exports.TANH_LUT_SIZE as WebAssembly.Global).value as number;
    const steps = (mod.exports.TANH_LUT_STEPS_PER_UNIT as WebAssembly.Global).value as number;
    expect(size).toBe(1025);
    expect(steps).toBe(128);
    const s = new Scratch(mod);
    const p = s.alloc('lut', size);
    (mod.exports.buildTanhLut as (p: number) => void)(p);
    s.checkCanaries('buildTanhLut');
    const lut = s.bytes(p, size);
    const want = tanhLutRef();
    for (let i = 0; i < size; i++) {
      if (lut[i] !== want[i]) throw new Error(`lut[${i}] (pre-activation ${(i - 512) / 128}): expected ${want[i]}, got ${lut[i]}`);
    }
    expect(lut[0]).toBe(1);
    expect(lut[512]).toBe(128);
    expect(lut[1024]).toBe(255);
    for (let i = 1; i < size; i++) expect(lut[i] >= lut[i - 1]).toBe(true);
  });
});
