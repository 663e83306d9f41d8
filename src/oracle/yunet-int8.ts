/**
 * Int8 reference of YuNet: the spec the int8 detector engine must match bit for bit (head maps
 * equal), written from the contract (notes INT8-YUNET.md):
 * - weights quantized at load, per output channel, symmetric int8 (quantizeYunet), in f32
 *   arithmetic: every op is rounded to f32 (Math.fround), nearest = round half to even;
 * - activations: u8 (ReLU'd layers, max pools, neck adds) or s8 (1x1 convs), zero point 0, scales
 *   from the generated table (src/oracle/yunet-scales.ts, tools/calibrate-yunet.ts);
 * - integer accumulation, then ONE f32 epilogue per value: f32(acc) * m, then requant (clamp, round
 *   half to even) to u8 or s8, or kept as f32 for the heads' depthwise convs.
 *
 * The graph is the float oracle's (yunetGraph) and so are the convolution loops: they sum in double,
 * which is exact for integer codes and weights, and store f32(acc) in their Float32Array output,
 * which is the engine's i32 -> f32 conversion. Maps hold their integer codes in Float32Arrays (exact)
 * with the scale they are in.
 */
import { KIND_DEPTHWISE, KIND_POINTWISE, KIND_STEM, FLAG_RELU, type YunetLayer } from './yunet-weights.js';
import { checkRelu, depthwise, maxPool, pointwise, stem, upsampleAdd, yunetGraph, type BgrImage, type ConvLayer, type HeadLevel, type Tensor, type YunetOps } from './yunet-f32.js';
import { requantize, roundHalfEven } from './ssrnet-int8.js';
import { YUNET_LAYER_SCALES, YUNET_NECK16_ADD_SCALE, YUNET_NECK8_ADD_SCALE } from './yunet-scales.js';

const f = Math.fround;

/** Bias bound in accumulator units: |bq| <= 2^30 keeps bq + 64 taps * 127 * 255 inside i32. */
export const BIAS_LIMIT = 2 ** 30;

/** The activation scales: per layer [s_in, s_out] (53 layers, table order) and the two neck adds' outputs. */
export interface YunetScales {
  layers: Float32Array;
  neck16: number;
  neck8: number;
}

/** The generated table (tools/calibrate-yunet.ts). */
export const YUNET_SCALES: YunetScales = { layers: YUNET_LAYER_SCALES, neck16: YUNET_NECK16_ADD_SCALE, neck8: YUNET_NECK8_ADD_SCALE };

/** A layer's output: u8 (ReLU'd: stem, DP depthwise), s8 (1x1 convs), f32 (heads' depthwise). */
export type OutType = 'u8' | 's8' | 'f32';
const RANGE = { u8: [0, 255], s8: [-128, 127] } as const;

export interface QuantizedLayer extends ConvLayer {
  flags: number;
  out: OutType;
  weights: Int8Array; // wq, the float layer's layout
  bias: Int32Array; // bq, in accumulator units
  weightScale: Float32Array; // sw[o]
  scale: Float32Array; // m[o]: accumulator -> output (codes, or real values for f32)
  inScale: number;
  outScale: number;
}

export interface QuantizedYunet {
  layers: QuantizedLayer[];
  neck16: number;
  neck8: number;
}

/** An int8 oracle map: integer codes (u8 or s8; real values for the heads) and their scale. */
export interface QTensor extends Tensor {
  scale: number;
}

/** Layer i's output type, from its kind and the graph's ReLU (= the record's flag). */
function outType(l: YunetLayer): OutType {
  if (l.flags & FLAG_RELU) return 'u8';
  return l.kind === KIND_DEPTHWISE ? 'f32' : 's8';
}

/** Load-time quantization of the 53 float layers with the activation scales (the contract's formulas). */
export function quantizeYunet(layers: YunetLayer[], scales: YunetScales = YUNET_SCALES): QuantizedYunet {
  if (layers.length !== 53 || layers[0].kind !== KIND_STEM) throw new Error('not the 53 YuNet layers');
  if (scales.layers.length !== 2 * layers.length) throw new Error(`${scales.layers.length} scales for ${layers.length} layers`);
  const quantized = layers.map((l, i): QuantizedLayer => {
    const co = l.outChannels;
    const taps = l.weights.length / co;
    // Weight j of output channel o: [o][j] for 1x1 and the stem, tap-major [j][o] for depthwise.
    const at = l.kind === KIND_DEPTHWISE ? (o: number, j: number) => j * co + o : (o: number, j: number) => o * taps + j;
    const sIn = scales.layers[2 * i];
    const sOut = scales.layers[2 * i + 1];
    const out = outType(l);
    const weights = new Int8Array(l.weights.length);
    const bias = new Int32Array(co);
    const weightScale = new Float32Array(co);
    const scale = new Float32Array(co);
    for (let o = 0; o < co; o++) {
      let amax = 0;
      for (let j = 0; j < taps; j++) amax = Math.max(amax, Math.abs(l.weights[at(o, j)]));
      const sw = amax > 0 ? f(amax / 127) : 1;
      for (let j = 0; j < taps; j++) weights[at(o, j)] = roundHalfEven(Math.min(127, Math.max(-127, f(l.weights[at(o, j)] / sw))));
      const as = f(sIn * sw);
      bias[o] = roundHalfEven(Math.min(BIAS_LIMIT, Math.max(-BIAS_LIMIT, f(l.bias[o] / as))));
      weightScale[o] = sw;
      scale[o] = out === 'f32' ? as : f(as / sOut);
    }
    return { inChannels: l.inChannels, outChannels: co, kind: l.kind, flags: l.flags, out, weights, bias, weightScale, scale, inScale: sIn, outScale: sOut };
  });
  return { layers: quantized, neck16: f(scales.neck16), neck8: f(scales.neck8) };
}

/** The epilogue, in place on f32(acc): f32(acc) * m[c], then requant to u8 / s8, or kept (f32). */
function epilogue(acc: Tensor, l: QuantizedLayer): QTensor {
  const { data, c } = acc;
  for (let i = 0; i < data.length; i++) {
    const v = f(data[i] * l.scale[i % c]);
    data[i] = l.out === 'f32' ? v : requantize(v, RANGE[l.out][0], RANGE[l.out][1]);
  }
  return { ...acc, scale: l.out === 'f32' ? 1 : l.outScale };
}

/** The int8 ops of the graph. */
export function int8Ops(model: QuantizedYunet): YunetOps<QTensor> {
  const { layers } = model;
  return {
    stem(image) {
      if (layers[0].inScale !== 1) throw new Error('the stem reads raw 0..255 pixels: its input scale must be 1');
      return epilogue(stem(image, layers[0]), layers[0]);
    },
    layer(i, x, withRelu) {
      checkRelu(layers, i, withRelu);
      const l = layers[i];
      if (x.scale !== l.inScale) throw new Error(`layer ${i}: input scale ${x.scale}, the table says ${l.inScale}`);
      return epilogue(l.kind === KIND_POINTWISE ? pointwise(x, l) : depthwise(x, l), l);
    },
    maxPool,
    upsampleAdd(coarse, fine, stride) {
      const s = stride === 16 ? model.neck16 : model.neck8;
      const ka = f(coarse.scale / s);
      const kb = f(fine.scale / s);
      return { ...upsampleAdd(coarse, fine, (a, b) => requantize(f(f(a * ka) + f(b * kb)), 0, 255)), scale: s };
    },
    floats: (head) => head.data,
  };
}

/** The int8 network: raw head outputs (dequantized f32) of the stride 8, 16, 32 levels, as yunetForward's. */
export function yunetForwardInt8(model: YunetLayer[] | QuantizedYunet, image: BgrImage): HeadLevel[] {
  return yunetGraph(int8Ops(Array.isArray(model) ? quantizeYunet(model) : model), image);
}
