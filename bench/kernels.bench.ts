// Per-kernel bench at SSR-Net's and YuNet's real layer shapes, scalar vs simd128 (same test build,
// same data).
//
//   npx tsx bench/kernels.bench.ts            (builds build/ssrnet-test.wasm first)
//
// For every entry of test/helpers/kernel-registry.ts and every SSR-Net shape it lists: ms per
// call (one output row) for each variant after a warm-up that lets V8 tier the function up to
// TurboFan, the scalar/simd128 ratio, and ms per inference (x calls per inference). Then the
// peak rate of a pure i32x4.dot_i16x8_s + add loop, which gives the int8 compute floor: the
// time the conv MACs would take if the machine did nothing but dot instructions.
// Numbers are single-threaded and machine-dependent; the header line names the machine.

import { cpus } from 'node:os';
import {
  KERNELS, VARIANTS, buildTestWasm, convMacs, loadTestWasm,
  type ConvShape, type EpilogueShape, type YunetShape, type KernelModule, type Q8Kind, type RequantShape, type Variant,
} from '../test/helpers/kernel-registry.js';
import { Rng } from '../test/helpers/rng.js';

const WARMUP_CALLS = 1000;
// Many short batches, keep the best: on a shared machine a short batch is more likely to run
// unpreempted, and preemption only ever makes a batch slower.
const BATCH_MS = 5;
const BATCHES = 31;

/** Bump allocator from the module's scratch base, reset per shape. */
function allocator(mod: KernelModule) {
  let top = mod.scratchBase;
  const u8 = () => new Uint8Array(mod.memory.buffer);
  return {
    put(data: Uint8Array | Int8Array | Int32Array | Float32Array): number {
      const ptr = (top + 15) & ~15;
      top = ptr + data.byteLength + 16; // 16 readable bytes after every tensor, like the arena
      if (top > mod.memory.buffer.byteLength) throw new Error('bench shape does not fit in memory');
      u8().set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), ptr);
      return ptr;
    },
  };
}

/** Warm up (V8 tiers the function up to TurboFan), then the best of BATCHES timed batches. */
function msPerCall(call: () => void): number {
  for (let i = 0; i < WARMUP_CALLS; i++) call();
  // Calls per batch so that one batch takes about BATCH_MS.
  let n = 1;
  for (let t = 0; t < BATCH_MS / 4; n *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) call();
    t = performance.now() - t0;
  }
  let best = Infinity;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) call();
    best = Math.min(best, (performance.now() - t0) / n);
  }
  return best;
}

type Setup = (variant: Variant) => () => void;

function convSetup(mod: KernelModule, name: string, s: ConvShape): Setup {
  const rng = new Rng(1);
  const a = allocator(mod);
  const K = s.kernelSize;
  const input = a.put(rng.u8(K * s.inWidth * s.inChannels));
  const weights = a.put(rng.i8(K * K * ((s.inChannels + 1) >> 1) * s.outChannelsPadded * 2));
  const bias = a.put(rng.i32(s.outChannelsPadded, -1000, 1000));
  const acc = a.put(new Int32Array(s.outWidth * s.outChannelsPadded));
  return (v) => {
    const f = mod.fn(name, v);
    return () => f(input, s.inWidth, s.inChannels, K, weights, bias, s.outWidth, s.outChannelsPadded, acc);
  };
}

function epilogueSetup(mod: KernelModule, name: string, s: EpilogueShape): Setup {
  const rng = new Rng(2);
  const a = allocator(mod);
  const acc = a.put(rng.i32(s.poolSize * s.accRowStride, -100000, 100000));
  const scale = a.put(Float32Array.from({ length: s.channelsPadded }, () => rng.float() * 1e-3));
  const lut = a.put(rng.u8(1025));
  const out = a.put(new Float32Array(s.outWidth * s.channels));
  const usesLut = name.includes('lut');
  return (v) => {
    const f = mod.fn(name, v);
    return usesLut
      ? () => f(acc, s.accRowStride, s.poolSize, s.outWidth, s.channels, s.channelsPadded, scale, lut, out)
      : () => f(acc, s.accRowStride, s.poolSize, s.outWidth, s.channels, s.channelsPadded, scale, out);
  };
}

function requantSetup(mod: KernelModule, name: string, s: RequantShape): Setup {
  const rng = new Rng(3);
  const a = allocator(mod);
  const src = a.put(Float32Array.from({ length: s.n }, () => rng.float() * 600 - 100));
  const dst = a.put(new Int32Array(s.n));
  return (v) => {
    const f = mod.fn(name, v);
    return () => f(src, s.n, 0, 255, dst);
  };
}

/**
 * One call of an int8 YuNet kernel at its 640x480 shape (q8_requant: the requant epilogue alone;
 * the bench adds qu8_conv_acc K = 1 for the two-pass 1x1 conv's total, the scalar build's form;
 * q8_conv1x1: the fused 1x1 conv + requant the simd128 build runs).
 */
function q8Setup(mod: KernelModule, kind: Q8Kind, name: string, s: YunetShape): Setup {
  const rng = new Rng(5);
  const a = allocator(mod);
  const W = s.width, C = s.inChannels, O = s.outChannels;
  const Cp = (O + 3) & ~3;
  const scales = (n: number, top = 2e-3) => a.put(Float32Array.from({ length: n }, () => rng.float() * top));
  const args: number[] = (() => {
    switch (kind) {
      case 'q8_requant': return [a.put(rng.i32(W * Cp, -100000, 100000)), W, Cp, O, scales(Cp), a.put(new Int8Array(W * O))];
      case 'q8_conv1x1': return [a.put(rng.u8(W * C)), W, C, a.put(rng.i8(((C + 1) >> 1) * Cp * 2)), a.put(rng.i32(Cp, -5000, 5000)), Cp, O,
        scales(Cp, 2e-4), a.put(new Int8Array(W * O))];
      case 'q8_dw': {
        const out = name.endsWith('_f32') ? a.put(new Float32Array(W * C)) : a.put(new Uint8Array(W * C));
        return [a.put(rng.i8(W * C)), a.put(rng.i8(W * C)), a.put(rng.i8(W * C)), W, C,
          a.put(rng.i8(9 * C).map((v) => Math.max(v, -127))), a.put(rng.i32(C, -5000, 5000)), scales(C), out];
      }
      case 'q8_stem': return [a.put(rng.u8(2 * W * 5 * 3)), 5, 2 * W, 1, a.put(rng.i8(27 * O)), a.put(rng.i32(O, -5000, 5000)), scales(O), O, W, a.put(new Uint8Array(W * O))];
      case 'q8_pool': return [a.put(rng.u8(W * C)), a.put(rng.u8(W * C)), W, C, a.put(new Uint8Array((W / 2) * C))];
      case 'q8_upadd': return [a.put(rng.u8((W / 2) * C)), a.put(rng.u8(W * C)), W, C, scales(C, 1), scales(C, 1), a.put(new Uint8Array(W * C))];
    }
  })();
  return (v) => {
    const f = mod.fn(name, v);
    return () => f(...args);
  };
}

function describeShape(kind: string, s: ConvShape | EpilogueShape | RequantShape): string {
  if (kind === 'conv') {
    const c = s as ConvShape;
    return `K${c.kernelSize} ${c.inWidth}x${c.inChannels} -> ${c.outWidth}x${c.outChannelsPadded}`;
  }
  if (kind === 'epilogue') {
    const e = s as EpilogueShape;
    return `P${e.poolSize} -> ${e.outWidth}x${e.channels}/${e.channelsPadded}`;
  }
  return `n=${(s as RequantShape).n}`;
}

const fmt = (ms: number) => ms.toFixed(4).padStart(8);
const fmtTotal = (ms: number) => ms.toFixed(3).padStart(7);

async function main(): Promise<void> {
  buildTestWasm();
  const mod = await loadTestWasm();
  console.log(`# kernels bench: ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.version}, V8 ${process.versions.v8}`);
  console.log('# ms/call = one output row; ms/inf = ms/call x calls per inference\n');
  console.log(`${'kernel'.padEnd(28)} ${'layer'.padEnd(9)} ${'shape'.padEnd(24)} calls  scalar ms  simd ms   ratio | scalar ms/inf  simd ms/inf`);

  let convMacsTotal = 0;
  const totals = new Map<string, { scalar: number; simd128: number }>();
  for (const k of KERNELS) {
    const total = { scalar: 0, simd128: 0 };
    for (const s of k.ssrnet as readonly (ConvShape | EpilogueShape | RequantShape)[]) {
      const setup = k.kind === 'conv' ? convSetup(mod, k.name, s as ConvShape)
        : k.kind === 'epilogue' ? epilogueSetup(mod, k.name, s as EpilogueShape)
          : requantSetup(mod, k.name, s as RequantShape);
      const ms = { scalar: 0, simd128: 0 };
      for (const v of VARIANTS) ms[v] = msPerCall(setup(v));
      for (const v of VARIANTS) total[v] += ms[v] * s.calls;
      if (k.kind === 'conv') convMacsTotal += convMacs(s as ConvShape) * s.calls;
      console.log(`${k.name.padEnd(28)} ${s.layer.padEnd(9)} ${describeShape(k.kind, s).padEnd(24)} ${String(s.calls).padStart(5)} ` +
        `${fmt(ms.scalar)}  ${fmt(ms.simd128)}  ${(ms.scalar / ms.simd128).toFixed(2).padStart(5)}x | ` +
        `${fmtTotal(ms.scalar * s.calls)}        ${fmtTotal(ms.simd128 * s.calls)}`);
    }
    totals.set(k.name, total);
  }

  console.log('\n# per inference (sum over SSR-Net calls)');
  let inference = { scalar: 0, simd128: 0 };
  for (const k of KERNELS) {
    if (k.ssrnet.length === 0) continue; // YuNet's kernels: their own section below
    const t = totals.get(k.name)!;
    if (k.kind !== 'requant') inference = { scalar: inference.scalar + t.scalar, simd128: inference.simd128 + t.simd128 };
    console.log(`${k.name.padEnd(28)} scalar ${fmtTotal(t.scalar)} ms   simd128 ${fmtTotal(t.simd128)} ms   ${(t.scalar / t.simd128).toFixed(2)}x` +
      (k.kind === 'requant' ? '   (already inside the u8 epilogues; not added)' : ''));
  }
  console.log(`${'all layer kernels'.padEnd(28)} scalar ${fmtTotal(inference.scalar)} ms   simd128 ${fmtTotal(inference.simd128)} ms   ${(inference.scalar / inference.simd128).toFixed(2)}x`);

  // The int8 YuNet kernels at a 640x480 frame. q8_requant's rows are the whole int8 1x1 conv:
  // qu8_conv_acc (K = 1) + qu8_requant_s8.
  console.log('\n# YuNet int8 kernels, 640x480 frame (ms/call; ms/frame = ms/call x calls per frame)');
  console.log(`${'kernel'.padEnd(30)} ${'layer'.padEnd(13)} ${'shape'.padEnd(11)} calls  scalar ms  simd ms   ratio | scalar ms/fr  simd ms/fr`);
  const conv = KERNELS.find((k) => k.name === 'qu8_conv_acc')!;
  const q8frame = { scalar: 0, simd128: 0 };
  for (const k of KERNELS) {
    if (!k.kind.startsWith('q8_') || !('yunet' in k)) continue;
    const kind = k.kind as Q8Kind;
    for (const s of k.yunet as readonly YunetShape[]) {
      const q8 = { scalar: 0, simd128: 0 };
      const setup = q8Setup(mod, kind, k.name, s);
      for (const v of VARIANTS) q8[v] = msPerCall(setup(v));
      if (kind === 'q8_requant') {
        const cs: ConvShape = { layer: s.layer, inWidth: s.width, inChannels: s.inChannels, kernelSize: 1, outWidth: s.width,
          outChannels: s.outChannels, outChannelsPadded: (s.outChannels + 3) & ~3, calls: s.calls };
        const convSet = convSetup(mod, conv.name, cs);
        q8.scalar += msPerCall(convSet('scalar'));
        q8.simd128 += msPerCall(convSet('simd128'));
      }
      // The frame total counts the fused 1x1 (what the simd128 build runs), not the two-pass rows too.
      if (kind !== 'q8_requant') for (const v of VARIANTS) q8frame[v] += q8[v] * s.calls;
      const name = kind === 'q8_requant' ? 'qu8_conv_acc+qu8_requant_s8' : k.name;
      console.log(`${name.padEnd(30)} ${s.layer.padEnd(13)} ${`W${s.width} ${s.inChannels}->${s.outChannels}`.padEnd(11)} ${String(s.calls).padStart(5)} ` +
        `${fmt(q8.scalar)}  ${fmt(q8.simd128)}  ${(q8.scalar / q8.simd128).toFixed(2).padStart(5)}x | ` +
        `${fmtTotal(q8.scalar * s.calls)}       ${fmtTotal(q8.simd128 * s.calls)}`);
    }
  }
  console.log(`${'int8 kernels per frame'.padEnd(30)} scalar ${fmtTotal(q8frame.scalar)} ms   simd128 ${fmtTotal(q8frame.simd128)} ms   ${(q8frame.scalar / q8frame.simd128).toFixed(2)}x`);

  // The interpreter-oriented scalar conv (i64 SWAR) against the scalar spec, in V8.
  console.log('\n# qu8_conv_acc__swar64 (the scalar build\'s conv, tuned for interpreters) vs the scalar spec, V8');
  const swar = { scalar: 0, swar64: 0 };
  for (const s of conv.ssrnet as readonly ConvShape[]) {
    const setup = convSetup(mod, conv.name, s);
    for (const v of ['scalar', 'swar64'] as const) swar[v] += msPerCall(setup(v)) * s.calls;
  }
  console.log(`conv per inference: scalar ${fmtTotal(swar.scalar)} ms   swar64 ${fmtTotal(swar.swar64)} ms   ${(swar.scalar / swar.swar64).toFixed(2)}x`);

  // The int8 YuNet kernels' swar64 forms (the scalar build's) vs their scalar specs, V8 (run with
  // node --liftoff-only for a closer look at what an interpreter pays per instruction).
  console.log('\n# YuNet int8 swar64 (the scalar build\'s) vs the scalar spec, 640x480 frame, V8');
  for (const k of KERNELS) {
    if (!k.kind.startsWith('q8_') || !('yunet' in k) || !(k.variants as readonly Variant[]).includes('swar64')) continue;
    const t = { scalar: 0, swar64: 0 };
    for (const s of k.yunet as readonly YunetShape[]) {
      const setup = q8Setup(mod, k.kind as Q8Kind, k.name, s);
      for (const v of ['scalar', 'swar64'] as const) t[v] += msPerCall(setup(v)) * s.calls;
    }
    console.log(`${k.name.padEnd(30)} scalar ${fmtTotal(t.scalar)} ms/frame   swar64 ${fmtTotal(t.swar64)} ms/frame   ${(t.scalar / t.swar64).toFixed(2)}x`);
  }

  // Peak dot rate: 12 dot_i16x8_s (+ add) per iteration, 8 MACs each.
  const peak = mod.exports.benchDotI16x8Peak as (iterations: number) => number;
  const iterations = 1 << 16;
  const dotMs = msPerCall(() => peak(iterations));
  const peakMacsPerMs = (iterations * 12 * 8) / dotMs;
  const convMs = totals.get('qu8_conv_acc')!.simd128;
  console.log('\n# int8 compute floor');
  console.log(`conv MACs per inference (real channels): ${(convMacsTotal / 1e6).toFixed(2)}M`);
  console.log(`peak i32x4.dot_i16x8_s + add rate: ${(peakMacsPerMs / 1e6).toFixed(2)} GMAC/s (${((iterations * 12) / dotMs / 1e6).toFixed(2)} G dot/s)`);
  console.log(`int8 compute floor = ${(convMacsTotal / 1e6).toFixed(2)}M MACs / peak MAC rate = ${(convMacsTotal / peakMacsPerMs).toFixed(3)} ms`);
  console.log(`qu8_conv_acc__simd128 achieved: ${(convMacsTotal / convMs / 1e6).toFixed(2)} GMAC/s = ${((convMacsTotal / peakMacsPerMs / convMs) * 100).toFixed(0)}% of the dot peak`);
}

await main();
