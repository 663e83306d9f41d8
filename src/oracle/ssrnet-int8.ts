/**
 * The int8 reference model: SSR-Net computed with exactly the engine's integer and f32 arithmetic
 * (u8 activations, int8 per-channel weights, int32 accumulators, one f32 requantization with
 * round-half-even, a 1025-entry tanh table), written plainly in TypeScript. The x stream's 6x6
 * and 4x4 maps are 15-bit (i16) instead of u8: their u8 rounding moved the stage-1 scale Δ₁ by
 * up to 3.6 y of age (issue 12; tools/drift-hunt.ts).
 *
 * It is the TFLM-style "reference kernel" of the whole network: the converter calibrates and
 * tunes quantization against it, the tests check the WASM engine's tensors against it bit for bit,
 * and it against the float oracle within the fidelity budgets. Not part of the public API.
 */
import { type DenseLayer, type SsrnetParams, stagewiseMerge } from './ssrnet-f32.js';

/** Pre-activation resolution of the tanh table: 128 steps per unit, 1025 entries cover ±4. */
export const TANH_LUT_STEPS_PER_UNIT = 128;
export const TANH_LUT_SIZE = 1025;
const TANH_LUT_HALF = (TANH_LUT_SIZE - 1) / 2;

/** u8 tanh output: value = (q - 128) / 127. */
export const TANH_ZERO_POINT = 128;
export const TANH_SCALE = 1 / 127;

/** How a conv's int32 accumulators become its output (fused activation + pooling). */
export type Epilogue =
  /** relu → avg-pool → u8 (zero point 0): q = rne(f32(Σ max(acc,0)) · scale). */
  | 'relu-avgpool-u8'
  /** relu → avg-pool → i16 in [0, 32767] (zero point 0): the same rule with a 15-bit range. */
  | 'relu-avgpool-i16'
  /** max-pool → tanh table → u8 (zero point 128): q = lut[rne(f32(max acc) · scale) + 512]. */
  | 'maxpool-tanh-u8'
  /** relu → avg-pool → f32 features: f32(Σ max(acc,0)) · scale. */
  | 'relu-avgpool-f32'
  /** relu → max-pool → f32 features: f32(max(max acc, 0)) · scale. */
  | 'relu-maxpool-f32';

/** One quantized conv with its fused epilogue; arrays are padded to `coutPadded` (a multiple of 4). */
export interface QConv {
  k: number;
  cin: number;
  cout: number;
  coutPadded: number;
  /** Bytes per input value: 1 (u8 map) or 2 (i16 map). */
  inputBytes: 1 | 2;
  /** int8, HWIO like the float model ([ky][kx][cin][cout]); packed for the engine by the writer. */
  weights: Int8Array;
  /** int32 per padded channel; includes the input zero point correction −zp·Σw. */
  bias: Int32Array;
  /** f32 per padded channel: input scale · weight scale, divided by the output scale and pool area. */
  scale: Float32Array;
  epilogue: Epilogue;
  pool: number;
}

/** The quantized stage head: two quantized 1x1 convs, then the float tail. */
export interface QStageHead {
  convS: QConv;
  convX: QConv;
  mixS: DenseLayer;
  mixX: DenseLayer;
  delta: DenseLayer;
  fc: DenseLayer;
  pred: DenseLayer;
  local: DenseLayer;
}

/** A complete quantized model: what a weights file holds. */
export interface QuantModel {
  kind: SsrnetParams['kind'];
  V: number;
  stageNum: [number, number, number];
  lambdaLocal: number;
  lambdaD: number;
  xConvs: QConv[];
  sConvs: QConv[];
  stages: QStageHead[];
}

/** A quantized feature map, HWC: u8, or i16 in [0, 32767] for the 16-bit x maps. */
export interface QTensor {
  h: number;
  w: number;
  c: number;
  data: Uint8Array | Int16Array;
}

const fround = Math.fround;

/** Round half to even, as f32.nearest does. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The one requantization rule: clamp(f32 value) then round half to even. */
export function requantize(value: number, qmin: number, qmax: number): number {
  return roundHalfEven(Math.min(qmax, Math.max(qmin, value)));
}

let tanhLut: Uint8Array | undefined;

/** The engine's tanh table: entry i = 128 + rne(127 · tanh((i − 512) / 128)). */
export function tanhTable(): Uint8Array {
  if (!tanhLut) {
    tanhLut = new Uint8Array(TANH_LUT_SIZE);
    for (let i = 0; i < TANH_LUT_SIZE; i++) {
      tanhLut[i] = TANH_ZERO_POINT + roundHalfEven(127 * Math.tanh((i - TANH_LUT_HALF) / TANH_LUT_STEPS_PER_UNIT));
    }
  }
  return tanhLut;
}

/** int32 accumulators (bias included) of a valid KxK conv over a u8 map: [y][x][coutPadded]. */
export function convAccumulators(input: QTensor, layer: QConv): { h: number; w: number; acc: Int32Array } {
  const { k, cin, cout, coutPadded, weights, bias } = layer;
  if (input.c !== cin) throw new Error(`conv expects ${cin} channels, got ${input.c}`);
  if (input.data.BYTES_PER_ELEMENT !== layer.inputBytes) throw new Error(`conv expects ${layer.inputBytes}-byte inputs`);
  const h = input.h - k + 1;
  const w = input.w - k + 1;
  const acc = new Int32Array(h * w * coutPadded);
  const row = new Int32Array(coutPadded);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      row.set(bias);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const src = ((y + ky) * input.w + x + kx) * cin;
          const wBase = (ky * k + kx) * cin * cout;
          for (let c = 0; c < cin; c++) {
            const v = input.data[src + c];
            const wRow = wBase + c * cout;
            for (let o = 0; o < cout; o++) row[o] += v * weights[wRow + o];
          }
        }
      }
      acc.set(row, (y * w + x) * coutPadded);
    }
  }
  return { h, w, acc };
}

/** Pools the accumulators of one window per the epilogue's rule, before scaling. */
function poolWindow(acc: Int32Array, w: number, cp: number, y0: number, x0: number, c: number, p: number, sum: boolean): number {
  let r = sum ? 0 : -2147483648;
  for (let dy = 0; dy < p; dy++) {
    for (let dx = 0; dx < p; dx++) {
      const a = acc[((y0 + dy) * w + x0 + dx) * cp + c];
      r = sum ? r + (a > 0 ? a : 0) : Math.max(r, a);
    }
  }
  return r;
}

/** Applies a conv's epilogue to its accumulators: u8 map or f32 features (HWC, real channels). */
export function applyEpilogue(layer: QConv, h: number, w: number, acc: Int32Array): Uint8Array | Int16Array | Float32Array {
  const p = layer.pool;
  const oh = Math.floor(h / p);
  const ow = Math.floor(w / p);
  const { cout, coutPadded: cp, scale, epilogue } = layer;
  const toU8 = epilogue === 'relu-avgpool-u8' || epilogue === 'maxpool-tanh-u8';
  const n = oh * ow * cout;
  const out = toU8 ? new Uint8Array(n) : epilogue === 'relu-avgpool-i16' ? new Int16Array(n) : new Float32Array(n);
  const lut = tanhTable();
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < cout; c++) {
        const i = (y * ow + x) * cout + c;
        const s = scale[c];
        switch (epilogue) {
          case 'relu-avgpool-u8':
            out[i] = requantize(fround(fround(poolWindow(acc, w, cp, y * p, x * p, c, p, true)) * s), 0, 255);
            break;
          case 'relu-avgpool-i16':
            out[i] = requantize(fround(fround(poolWindow(acc, w, cp, y * p, x * p, c, p, true)) * s), 0, 32767);
            break;
          case 'maxpool-tanh-u8': {
            const m = poolWindow(acc, w, cp, y * p, x * p, c, p, false);
            out[i] = lut[requantize(fround(fround(m) * s), -TANH_LUT_HALF, TANH_LUT_HALF) + TANH_LUT_HALF];
            break;
          }
          case 'relu-avgpool-f32':
            out[i] = fround(fround(poolWindow(acc, w, cp, y * p, x * p, c, p, true)) * s);
            break;
          case 'relu-maxpool-f32': {
            const m = poolWindow(acc, w, cp, y * p, x * p, c, p, false);
            out[i] = fround(fround(m > 0 ? m : 0) * s);
            break;
          }
        }
      }
    }
  }
  return out;
}

/** Runs one quantized conv on a u8 or i16 map and returns its u8 or i16 output map. */
export function qconvMap(input: QTensor, layer: QConv): QTensor {
  const { h, w, acc } = convAccumulators(input, layer);
  const data = applyEpilogue(layer, h, w, acc) as Uint8Array | Int16Array;
  return { h: Math.floor(h / layer.pool), w: Math.floor(w / layer.pool), c: layer.cout, data };
}

/** Runs one quantized 1x1 head conv and returns its dequantized, pooled features. */
export function qconvF32(input: QTensor, layer: QConv): Float32Array {
  const { h, w, acc } = convAccumulators(input, layer);
  return applyEpilogue(layer, h, w, acc) as Float32Array;
}

/** The float tail of one stage, in f32 like the engine's head.ts. */
export function stageTail(head: QStageHead, featS: Float32Array, featX: Float32Array) {
  const relu = (v: number) => (v > 0 ? v : 0);
  const denseF32 = (x: Float32Array, l: DenseLayer, act: (v: number) => number) => {
    const y = new Float32Array(l.nOut);
    for (let o = 0; o < l.nOut; o++) {
      let acc = l.bias[o];
      for (let i = 0; i < l.nIn; i++) acc = fround(acc + fround(x[i] * l.weights[i * l.nOut + o]));
      y[o] = fround(act(acc));
    }
    return y;
  };
  const mul = (a: Float32Array, b: Float32Array) => a.map((v, i) => fround(v * b[i]));
  const mixS = denseF32(featS, head.mixS, relu);
  const mixX = denseF32(featX, head.mixX, relu);
  const delta = denseF32(mul(featS, featX), head.delta, Math.tanh)[0];
  const feat = denseF32(mul(mixS, mixX), head.fc, relu);
  return { p: denseF32(feat, head.pred, relu), eta: denseF32(feat, head.local, Math.tanh), delta };
}

/** Every tensor the int8 model computes for one input (the engine's arena buffers). */
export interface Int8Trace {
  x: QTensor[];
  s: QTensor[];
  feats: { featS: Float32Array; featX: Float32Array }[];
  output: number;
}

/** Runs the int8 model on a 64x64x3 BGR u8 image. */
export function runInt8(model: QuantModel, image: Uint8Array): Int8Trace {
  if (image.length !== 64 * 64 * 3) throw new Error(`int8 model expects 64*64*3 bytes, got ${image.length}`);
  const input: QTensor = { h: 64, w: 64, c: 3, data: image };
  const x: QTensor[] = [];
  const s: QTensor[] = [];
  let xt = input;
  let st = input;
  for (let i = 0; i < 4; i++) {
    xt = qconvMap(xt, model.xConvs[i]);
    st = qconvMap(st, model.sConvs[i]);
    x.push(xt);
    s.push(st);
  }
  const maps = [3, 1, 0];
  const feats = model.stages.map((head, k) => ({
    featS: qconvF32(s[maps[k]], head.convS),
    featX: qconvF32(x[maps[k]], head.convX),
  }));
  const tails = model.stages.map((head, k) => stageTail(head, feats[k].featS, feats[k].featX));
  return { x, s, feats, output: stagewiseMerge(tails, model) };
}
