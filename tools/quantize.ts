/**
 * Post-training quantization of SSR-Net to the engine's int8 scheme (src/oracle/ssrnet-int8.ts).
 *
 * - Activations are u8. x stream (relu): zero point 0 and one scale *per channel*, from the
 *   calibrated range of that channel. The x stream's layer-3 and layer-4 maps (6x6, 4x4) are i16
 *   instead, with 4x headroom over the calibrated range and 32x the u8 resolution: stage 1's
 *   scale Δ₁ reads them through featS ⊙ featX, and their u8 rounding and clipping moved ages by
 *   up to 3.6 y (issue 12). They are 0.6% of the MACs, so 16 bits cost nothing measurable. The consumer folds those scales into its float weights
 *   before quantizing them (w'[c] = w[c]·s[c]), so per-channel activation scales cost nothing at
 *   run time and narrow channels keep their resolution. s stream (tanh): scale 1/127, zero point 128.
 *   Input image: scale 1, zero point 0.
 * - Weights: int8 symmetric per output channel, rounded to nearest or adaptively (adaptive-rounding.ts).
 * - Calibration runs the float oracle on real faces; everything derived is stored in the weights
 *   file, so builds and users never need the calibration data.
 */
import { type ConvLayer, type SsrnetParams, type Tensor, runOracle } from '../src/oracle/ssrnet-f32.js';
import {
  type Epilogue,
  type QConv,
  type QTensor,
  type QuantModel,
  TANH_LUT_STEPS_PER_UNIT,
  TANH_SCALE,
  TANH_ZERO_POINT,
  qconvMap,
} from '../src/oracle/ssrnet-int8.js';
import { type LayerWeights, adaptiveRoundLayer } from './adaptive-rounding.js';

/** How a conv's u8 input maps to real values: real = (q − zeroPoint) · scales[c]. */
interface InputQuant {
  scales: Float64Array;
  zeroPoint: number;
}

const uniform = (n: number, scale: number, zeroPoint: number): InputQuant => ({ scales: new Float64Array(n).fill(scale), zeroPoint });

/** The calibrated maximum of an i16 x map maps to this code: 32767 / 4, i.e. 4x headroom. */
const I16_CALIBRATED_MAX = 8191;
/** The x layers (0-based) whose output maps are i16. */
const I16_X_LAYERS = [2, 3];


/** The layer as seen from its u8 input codes: input scales folded into the weights. */
function foldInputScales(layer: ConvLayer, input: InputQuant): ConvLayer {
  const { cin, cout } = layer;
  const weights = layer.weights.map((w, i) => w * input.scales[Math.floor(i / cout) % cin]);
  return { ...layer, weights };
}

/** Per-channel symmetric int8 weights (round to nearest): q = round(w / s), s = max|w| / 127. */
export function quantizeWeightsNearest(layer: ConvLayer): LayerWeights {
  const { cout, weights } = layer;
  const scales = new Float64Array(cout);
  for (let i = 0; i < weights.length; i++) scales[i % cout] = Math.max(scales[i % cout], Math.abs(weights[i]));
  for (let o = 0; o < cout; o++) scales[o] = scales[o] > 0 ? scales[o] / 127 : 1;
  const q = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) q[i] = Math.round(weights[i] / scales[i % cout]);
  return { q, scales, bias: Float64Array.from(layer.bias) };
}

/**
 * Builds one QConv. `weights` are in unit-input space (the input scales are folded in), so the
 * accumulator's real scale is the weight scale alone. `outScales` are the per-channel scales of
 * the u8 output (relu-avgpool-u8 only).
 */
export function buildQConv(
  layer: ConvLayer,
  weights: LayerWeights,
  zeroPoint: number,
  epilogue: Epilogue,
  pool: number,
  outScales?: Float64Array,
  inputBytes: 1 | 2 = 1,
): QConv {
  const { k, cin, cout } = layer;
  const coutPadded = Math.ceil(cout / 4) * 4;
  const bias = new Int32Array(coutPadded);
  const scale = new Float32Array(coutPadded);
  for (let o = 0; o < cout; o++) {
    const accScale = weights.scales[o];
    let sumW = 0;
    for (let i = o; i < weights.q.length; i += cout) sumW += weights.q[i];
    bias[o] = Math.round(weights.bias[o] / accScale) - zeroPoint * sumW;
    if (inputBytes === 2) {
      // qi16_conv_acc's bound: every i32 sum stays below 2^31 for any input in [0, 32767].
      let sumAbsW = 0;
      for (let i = o; i < weights.q.length; i += cout) sumAbsW += Math.abs(weights.q[i]);
      if (Math.abs(bias[o]) + 32767 * sumAbsW >= 2 ** 31) throw new Error(`i16 conv channel ${o} can overflow int32`);
    }
    const area = pool * pool;
    switch (epilogue) {
      case 'relu-avgpool-u8':
      case 'relu-avgpool-i16':
        scale[o] = accScale / (area * (outScales as Float64Array)[o]);
        break;
      case 'maxpool-tanh-u8':
        scale[o] = accScale * TANH_LUT_STEPS_PER_UNIT;
        break;
      case 'relu-avgpool-f32':
        scale[o] = accScale / area;
        break;
      case 'relu-maxpool-f32':
        scale[o] = accScale;
        break;
    }
  }
  return { k, cin, cout, coutPadded, inputBytes, weights: weights.q, bias, scale, epilogue, pool };
}

/** Options of the quantizer; the defaults are what `npm run convert` uses. */
export interface QuantizeOptions {
  /** Weight rounding: 'nearest', or 'adaptive' (error-feedback rounding on calibration data). */
  rounding: 'nearest' | 'adaptive';
  /** Per-channel relu ranges: 'channel', or one range for the whole tensor: 'tensor'. */
  reluScales: 'channel' | 'tensor';
  /** Progress callback (layer name). */
  onLayer?: (name: string) => void;
}

export const DEFAULT_QUANTIZE_OPTIONS: QuantizeOptions = { rounding: 'adaptive', reluScales: 'channel' };

/** Largest value per channel over all calibration maps → scale (range / `code`, the code it maps to). */
function reluOutputScales(maps: Tensor[], perChannel: boolean, code: number): Float64Array {
  const c = maps[0].c;
  const max = new Float64Array(c);
  for (const m of maps) for (let i = 0; i < m.data.length; i++) max[i % c] = Math.max(max[i % c], m.data[i]);
  const overall = Math.max(...max);
  return max.map((v) => (perChannel ? v : overall) / code || 1 / code);
}

/**
 * Quantizes a float model. `calibration` are 64x64x3 BGR u8 face crops (the training-style crop).
 * Layers are quantized in network order; each sees the outputs of the already-quantized layers
 * before it, so the adaptive rounding can compensate upstream error.
 */
export function quantizeModel(
  params: SsrnetParams,
  calibration: Uint8Array[],
  options: QuantizeOptions = DEFAULT_QUANTIZE_OPTIONS,
): QuantModel {
  const traces = calibration.map((img) => runOracle(params, img));
  const chooseWeights = (layer: ConvLayer, inputs: QTensor[], quant: InputQuant, targets: Tensor[]): LayerWeights => {
    const unit = foldInputScales(layer, quant);
    return options.rounding === 'nearest'
      ? quantizeWeightsNearest(unit)
      : adaptiveRoundLayer(unit, inputs, quant.zeroPoint, targets);
  };

  const image: QTensor[] = calibration.map((img) => ({ h: 64, w: 64, c: 3, data: img }));
  let xIn = image;
  let sIn = image;
  let xQuant = uniform(3, 1, 0);
  let xInBytes: 1 | 2 = 1;
  let sQuant = uniform(3, 1, 0);
  const xConvs: QConv[] = [];
  const sConvs: QConv[] = [];
  const xMaps: { maps: QTensor[]; quant: InputQuant; bytes: 1 | 2 }[] = [];
  const sMaps: QTensor[][] = [];
  for (let i = 0; i < 4; i++) {
    const pool = i < 3 ? 2 : 1;
    options.onLayer?.(`x conv${i + 1}`);
    const i16 = I16_X_LAYERS.includes(i);
    const xOut = reluOutputScales(traces.map((t) => t.x[i]), options.reluScales === 'channel', i16 ? I16_CALIBRATED_MAX : 255);
    const xw = chooseWeights(params.xConvs[i], xIn, xQuant, traces.map((t) => t.xPre[i]));
    const xc = buildQConv(params.xConvs[i], xw, xQuant.zeroPoint, i16 ? 'relu-avgpool-i16' : 'relu-avgpool-u8', pool, xOut, xInBytes);
    options.onLayer?.(`s conv${i + 1}`);
    const sw = chooseWeights(params.sConvs[i], sIn, sQuant, traces.map((t) => t.sPre[i]));
    const sc = buildQConv(params.sConvs[i], sw, sQuant.zeroPoint, 'maxpool-tanh-u8', pool);
    xConvs.push(xc);
    sConvs.push(sc);
    xIn = xIn.map((t) => qconvMap(t, xc));
    sIn = sIn.map((t) => qconvMap(t, sc));
    xQuant = { scales: xOut, zeroPoint: 0 };
    xInBytes = i16 ? 2 : 1;
    sQuant = uniform(params.sConvs[i].cout, TANH_SCALE, TANH_ZERO_POINT);
    xMaps.push({ maps: xIn, quant: xQuant, bytes: xInBytes });
    sMaps.push(sIn);
  }
  const layerOf = [3, 1, 0];
  const stages = params.stages.map((head, k) => {
    options.onLayer?.(`stage ${k + 1} heads`);
    const m = layerOf[k];
    const sQ = uniform(head.convS.cin, TANH_SCALE, TANH_ZERO_POINT);
    const ws = chooseWeights(head.convS, sMaps[m], sQ, traces.map((t) => conv1x1(t.s[m], head.convS)));
    const wx = chooseWeights(head.convX, xMaps[m].maps, xMaps[m].quant, traces.map((t) => conv1x1(t.x[m], head.convX)));
    return {
      convS: buildQConv(head.convS, ws, sQ.zeroPoint, 'relu-maxpool-f32', head.pool),
      convX: buildQConv(head.convX, wx, 0, 'relu-avgpool-f32', head.pool, undefined, xMaps[m].bytes),
      mixS: head.mixS,
      mixX: head.mixX,
      delta: head.delta,
      fc: head.fc,
      pred: head.pred,
      local: head.local,
    };
  });
  return {
    kind: params.kind,
    V: params.V,
    stageNum: params.stageNum,
    lambdaLocal: params.lambdaLocal,
    lambdaD: params.lambdaD,
    xConvs,
    sConvs,
    stages,
  };
}

/** Float pre-activation of a 1x1 head conv on a float map (the target of its weight fitting). */
function conv1x1(map: Tensor, layer: ConvLayer): Tensor {
  const out = new Float32Array(map.h * map.w * layer.cout);
  for (let p = 0; p < map.h * map.w; p++) {
    for (let o = 0; o < layer.cout; o++) {
      let acc = layer.bias[o];
      for (let c = 0; c < layer.cin; c++) acc += map.data[p * layer.cin + c] * layer.weights[c * layer.cout + o];
      out[p * layer.cout + o] = acc;
    }
  }
  return { h: map.h, w: map.w, c: layer.cout, data: out };
}
