/**
 * Int8 reference of YuNet: the spec the int8 detector engine must match bit for bit (head maps
 * equal), written from the contract (docs/detector.md, int8 inference: per-channel activation scales):
 * - activations: u8 (ReLU'd layers, max pools, neck adds) or s8 (1x1 convs), zero point 0, one
 *   scale per channel, from the generated table (src/oracle/yunet-scales.ts, tools/calibrate-yunet.ts);
 * - weights quantized at load, per output channel, symmetric int8, after folding the input scales
 *   into them (W' = W * s_in[channel read]), so the accumulator is in real units (quantizeYunet).
 *   f32 arithmetic: every op is rounded to f32 (Math.fround), nearest = round half to even;
 * - integer accumulation, then ONE f32 epilogue per value: f32(acc) * m[o], then requant (clamp,
 *   round half to even) to u8 or s8, or kept as f32 for the heads' depthwise convs.
 *
 * The graph is the float oracle's (yunetGraph) and so are the convolution loops: they sum in double,
 * which is exact for integer codes and weights, and store f32(acc) in their Float32Array output,
 * which is the engine's i32 -> f32 conversion. Maps hold their integer codes in Float32Arrays (exact)
 * with the per-channel scales they are in.
 */
import { KIND_DEPTHWISE, KIND_POINTWISE, KIND_STEM, FLAG_RELU, type YunetLayer } from './yunet-weights.js';
import { checkRelu, depthwise, maxPool, pointwise, stem, yunetGraph, type BgrImage, type ConvLayer, type HeadLevel, type Tensor, type YunetOps } from './yunet-f32.js';
import { requantize, roundHalfEven } from './ssrnet-int8.js';
import {
  YUNET_LAYER_INPUT_SOURCE,
  YUNET_LAYER_OUTPUT_SCALES,
  YUNET_LAYER_SCALE_OFFSET,
  YUNET_NECK16_ADD_SCALES,
  YUNET_NECK8_ADD_SCALES,
} from './yunet-scales.js';

const f = Math.fround;

/** Bias bound in accumulator units: |bq| <= 2^30 keeps bq + 64 taps * 127 * 255 inside i32. */
export const BIAS_LIMIT = 2 ** 30;

/** LAYER_INPUT_SOURCE values other than a layer index: the BGR pixels, the two neck adds. */
export const SOURCE_PIXELS = -1;
export const SOURCE_NECK16 = -2;
export const SOURCE_NECK8 = -3;

/**
 * The per-channel activation scales (53 layers, table order): each layer's output scales [cout]
 * (heads' depthwise: 1, unused), the map each layer reads (`sources`: a layer index or a SOURCE_*)
 * and hence its input scales [cin] (the stem's: 1, 1, 1 for B, G, R), and the two neck adds'
 * output scales [64].
 */
export interface YunetScales {
  outputs: Float32Array[];
  sources: Int32Array;
  inputs: Float32Array[];
  neck16: Float32Array;
  neck8: Float32Array;
}

/** The scales with each layer's input scales looked up from its source. */
export function withInputs(outputs: Float32Array[], sources: Int32Array, neck16: Float32Array, neck8: Float32Array): YunetScales {
  const of = (s: number): Float32Array =>
    s >= 0 ? outputs[s] : s === SOURCE_NECK16 ? neck16 : s === SOURCE_NECK8 ? neck8 : Float32Array.of(1, 1, 1);
  return { outputs, sources, inputs: Array.from(sources, of), neck16, neck8 };
}

/** Per-layer views of a generated table: layer i's values start at offsets[i] and end where the next layer's start. */
export function splitTable(values: Float32Array, offsets: Int32Array): Float32Array[] {
  return Array.from(offsets, (o, i) => values.subarray(o, i + 1 < offsets.length ? offsets[i + 1] : values.length));
}

/** The generated table (tools/calibrate-yunet.ts). */
export const YUNET_SCALES: YunetScales = withInputs(
  splitTable(YUNET_LAYER_OUTPUT_SCALES, YUNET_LAYER_SCALE_OFFSET), YUNET_LAYER_INPUT_SOURCE, YUNET_NECK16_ADD_SCALES, YUNET_NECK8_ADD_SCALES,
);

/** A layer's output: u8 (ReLU'd: stem, DP depthwise), s8 (1x1 convs), f32 (heads' depthwise). */
export type OutType = 'u8' | 's8' | 'f32';
const RANGE = { u8: [0, 255], s8: [-128, 127] } as const;

export interface QuantizedLayer extends ConvLayer {
  flags: number;
  out: OutType;
  weights: Int8Array; // wq, the float layer's layout
  bias: Int32Array; // bq, in accumulator units (= real units)
  weightScale: Float32Array; // sw[o] = as[o]
  scale: Float32Array; // m[o]: accumulator -> output (codes, or real values for f32)
  inScale: Float32Array; // s_in[cin] (stem: 3)
  outScale: Float32Array; // s_out[cout]
}

export interface QuantizedYunet {
  layers: QuantizedLayer[];
  neck16: Float32Array;
  neck8: Float32Array;
}

/** An int8 oracle map: integer codes (u8 or s8; real values for the heads) and their per-channel scales. */
export interface QTensor extends Tensor {
  scale: Float32Array;
}

/** Layer i's output type, from its kind and the graph's ReLU (= the record's flag). */
function outType(l: YunetLayer): OutType {
  if (l.flags & FLAG_RELU) return 'u8';
  return l.kind === KIND_DEPTHWISE ? 'f32' : 's8';
}

/**
 * Weight j of output channel o: where it is in the float layer's array ([o][j] for 1x1 and the
 * stem, tap-major [j][o] for depthwise) and the input channel it reads (1x1: j; stem: j % 3, its
 * taps are (ky, kx, c); depthwise: o).
 */
export function weightIndexing(l: { kind: number; outChannels: number; weights: ArrayLike<number> }): { taps: number; at: (o: number, j: number) => number; ch: (o: number, j: number) => number } {
  const co = l.outChannels;
  const taps = l.weights.length / co;
  if (l.kind === KIND_DEPTHWISE) return { taps, at: (o, j) => j * co + o, ch: (o) => o };
  return { taps, at: (o, j) => o * taps + j, ch: l.kind === KIND_STEM ? (_o, j) => j % 3 : (_o, j) => j };
}

/** Load-time quantization of the 53 float layers with the activation scales (the contract's formulas). */
export function quantizeYunet(layers: YunetLayer[], scales: YunetScales = YUNET_SCALES): QuantizedYunet {
  if (layers.length !== 53 || layers[0].kind !== KIND_STEM) throw new Error('not the 53 YuNet layers');
  if (scales.outputs.length !== 53 || scales.inputs.length !== 53) throw new Error(`scales for ${scales.outputs.length}/${scales.inputs.length} layers`);
  if (scales.neck16.length !== 64 || scales.neck8.length !== 64) throw new Error('neck add scales: 64 each');
  const quantized = layers.map((l, i): QuantizedLayer => {
    const co = l.outChannels;
    const sIn = scales.inputs[i];
    const sOut = scales.outputs[i];
    if (sOut.length !== co || sIn.length !== (l.kind === KIND_STEM ? 3 : l.inChannels)) throw new Error(`layer ${i}: ${sIn.length} input / ${sOut.length} output scales`);
    const { taps, at, ch } = weightIndexing(l);
    const out = outType(l);
    const weights = new Int8Array(l.weights.length);
    const bias = new Int32Array(co);
    const weightScale = new Float32Array(co);
    const scale = new Float32Array(co);
    const folded = new Float32Array(taps);
    for (let o = 0; o < co; o++) {
      let amax = 0;
      for (let j = 0; j < taps; j++) {
        folded[j] = f(l.weights[at(o, j)] * sIn[ch(o, j)]);
        amax = Math.max(amax, Math.abs(folded[j]));
      }
      const sw = amax > 0 ? f(amax / 127) : 1;
      for (let j = 0; j < taps; j++) weights[at(o, j)] = requantize(f(folded[j] / sw), -127, 127);
      bias[o] = requantize(f(l.bias[o] / sw), -BIAS_LIMIT, BIAS_LIMIT);
      weightScale[o] = sw;
      scale[o] = out === 'f32' ? sw : f(sw / sOut[o]);
    }
    return { inChannels: l.inChannels, outChannels: co, kind: l.kind, flags: l.flags, out, weights, bias, weightScale, scale, inScale: sIn, outScale: sOut };
  });
  return { layers: quantized, neck16: scales.neck16, neck8: scales.neck8 };
}

/** The epilogue, in place on f32(acc): f32(acc) * m[c], then requant to u8 / s8, or kept (f32). */
function epilogue(acc: Tensor, l: QuantizedLayer): QTensor {
  const { data, c } = acc;
  for (let i = 0; i < data.length; i++) {
    const v = f(data[i] * l.scale[i % c]);
    data[i] = l.out === 'f32' ? v : requantize(v, RANGE[l.out][0], RANGE[l.out][1]);
  }
  return { ...acc, scale: l.out === 'f32' ? new Float32Array(c).fill(1) : l.outScale };
}

function sameScales(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, k) => v === b[k]);
}

/** up(coarse) + fine into scales s: requant(f32(coarse) * ka[c] + f32(fine) * kb[c], 0, 255), ka = a / s, kb = b / s. */
function upsampleAddRequant(coarse: QTensor, fine: QTensor, s: Float32Array): QTensor {
  const { h, w, c } = fine;
  if (coarse.h * 2 !== h || coarse.w * 2 !== w || coarse.c !== c || s.length !== c) throw new Error('upsampleAdd: shapes');
  const ka = coarse.scale.map((a, k) => f(a / s[k]));
  const kb = fine.scale.map((b, k) => f(b / s[k]));
  const data = new Float32Array(h * w * c);
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const ap = ((r >> 1) * coarse.w + (col >> 1)) * c;
      const bp = (r * w + col) * c;
      for (let k = 0; k < c; k++) data[bp + k] = requantize(f(f(coarse.data[ap + k] * ka[k]) + f(fine.data[bp + k] * kb[k])), 0, 255);
    }
  }
  return { h, w, c, data, scale: s };
}

/** The int8 ops of the graph; each layer checks that its input map is in the table's input scales. */
export function int8Ops(model: QuantizedYunet): YunetOps<QTensor> {
  const { layers } = model;
  return {
    stem(image) {
      if (!sameScales(layers[0].inScale, Float32Array.of(1, 1, 1))) throw new Error('the stem reads raw 0..255 pixels: its input scales must be 1');
      return epilogue(stem(image, layers[0]), layers[0]);
    },
    layer(i, x, withRelu) {
      checkRelu(layers, i, withRelu);
      const l = layers[i];
      if (!sameScales(x.scale, l.inScale)) throw new Error(`layer ${i}: its input map's scales are not the table's input scales`);
      return epilogue(l.kind === KIND_POINTWISE ? pointwise(x, l) : depthwise(x, l), l);
    },
    maxPool,
    upsampleAdd: (coarse, fine, stride) => upsampleAddRequant(coarse, fine, stride === 16 ? model.neck16 : model.neck8),
    floats: (head) => head.data,
  };
}

/** The int8 network: raw head outputs (dequantized f32) of the stride 8, 16, 32 levels, as yunetForward's. */
export function yunetForwardInt8(model: YunetLayer[] | QuantizedYunet, image: BgrImage): HeadLevel[] {
  return yunetGraph(int8Ops(Array.isArray(model) ? quantizeYunet(model) : model), image);
}
