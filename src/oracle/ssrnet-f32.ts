/**
 * Float32 oracle of SSR-Net(3,3,3) in Keras semantics — the reference the int8 engine is tested
 * against and the source of calibration statistics. Not part of the public API.
 *
 * Layout conventions: activations NHWC (HWC per image), conv kernels HWIO ([ky][kx][cin][cout],
 * as Keras stores them), dense kernels [in][out]. BatchNorm is already folded into the convs
 * (see tools/keras-h5.ts); folding changes results by ~1e-7 relative, far below the 0.01 y budget.
 */

/** A KxK valid, stride-1 convolution with folded BatchNorm. */
export interface ConvLayer {
  k: number;
  cin: number;
  cout: number;
  /** HWIO: [ky][kx][cin][cout] */
  weights: Float32Array;
  bias: Float32Array;
}

/** A Keras Dense layer: y = x · W + b. */
export interface DenseLayer {
  nIn: number;
  nOut: number;
  /** [in][out] */
  weights: Float32Array;
  bias: Float32Array;
}

/** One stage of the soft stagewise head (a "fusion block" of the paper's Figure 1). */
export interface StageHead {
  /** 1x1 conv + relu on the s (tanh / max-pool) stream feature map. */
  convS: ConvLayer;
  /** 1x1 conv + relu on the x (relu / avg-pool) stream feature map. */
  convX: ConvLayer;
  /** Pooling window applied after the 1x1 convs (1 = none). */
  pool: number;
  mixS: DenseLayer;
  mixX: DenseLayer;
  /** Dense(1, tanh) on the product of the flattened 1x1 features: the scale Δ. */
  delta: DenseLayer;
  /** Dense(2·K, relu) on the product of the mixes. */
  fc: DenseLayer;
  /** Dense(K, relu): the bin probabilities p. */
  pred: DenseLayer;
  /** Dense(K, tanh): the bin shifts η. */
  local: DenseLayer;
}

/** Which of the paper's outputs the merge produces. */
export type ModelKind = 'age' | 'gender';

/** All parameters of one SSR-Net(3,3,3) model. */
export interface SsrnetParams {
  kind: ModelKind;
  /** Output range V: 101 for age, 1 for gender. */
  V: number;
  stageNum: [number, number, number];
  lambdaLocal: number;
  lambdaD: number;
  /** x stream: conv3x3 + BN + relu (+ avg-pool 2 for the first three). */
  xConvs: ConvLayer[];
  /** s stream: conv3x3 + BN + tanh (+ max-pool 2 for the first three). */
  sConvs: ConvLayer[];
  /** stages[0] reads layer 4 (4x4), stages[1] layer 2 (14x14, pool 4), stages[2] layer 1 (31x31, pool 8). */
  stages: StageHead[];
}

/** A feature map in HWC order. */
export interface Tensor {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

/** Per-stage outputs of the head, before the merge. */
export interface StageOutput {
  /** Flattened relu(1x1 conv) features after pooling, s and x streams. */
  featS: Float32Array;
  featX: Float32Array;
  p: Float32Array;
  eta: Float32Array;
  delta: number;
}

/** Everything the oracle computes for one input, for goldens and calibration. */
export interface OracleTrace {
  /** Post-activation, post-pool outputs of the four convs of each stream. */
  x: Tensor[];
  s: Tensor[];
  /** Pre-activation conv outputs (before pooling), for calibration of the int8 requant ranges. */
  xPre: Tensor[];
  sPre: Tensor[];
  stages: StageOutput[];
  output: number;
}

const f = Math.fround;

/** Valid KxK stride-1 convolution (float32 accumulate), bias included, no activation. */
export function conv2d(input: Tensor, layer: ConvLayer): Tensor {
  const { k, cin, cout, weights, bias } = layer;
  if (input.c !== cin) throw new Error(`conv expects ${cin} channels, got ${input.c}`);
  const h = input.h - k + 1;
  const w = input.w - k + 1;
  const out = new Float32Array(h * w * cout);
  const acc = new Float64Array(cout);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      acc.set(bias);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const src = ((y + ky) * input.w + x + kx) * cin;
          const wBase = (ky * k + kx) * cin * cout;
          for (let c = 0; c < cin; c++) {
            const v = input.data[src + c];
            if (v === 0) continue;
            const wRow = wBase + c * cout;
            for (let o = 0; o < cout; o++) acc[o] += v * weights[wRow + o];
          }
        }
      }
      const dst = (y * w + x) * cout;
      for (let o = 0; o < cout; o++) out[dst + o] = acc[o];
    }
  }
  return { h, w, c: cout, data: out };
}

/** Applies fn elementwise, returning a new tensor. */
export function mapTensor(t: Tensor, fn: (v: number) => number): Tensor {
  const data = new Float32Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = fn(t.data[i]);
  return { ...t, data };
}

/** Keras 'valid' pooling with window = stride = size; leftover rows/columns are dropped. */
export function pool2d(t: Tensor, size: number, mode: 'avg' | 'max'): Tensor {
  const h = Math.floor(t.h / size);
  const w = Math.floor(t.w / size);
  const out = new Float32Array(h * w * t.c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < t.c; c++) {
        let acc = mode === 'max' ? -Infinity : 0;
        for (let dy = 0; dy < size; dy++) {
          for (let dx = 0; dx < size; dx++) {
            const v = t.data[((y * size + dy) * t.w + x * size + dx) * t.c + c];
            acc = mode === 'max' ? Math.max(acc, v) : acc + v;
          }
        }
        out[(y * w + x) * t.c + c] = mode === 'max' ? acc : acc / (size * size);
      }
    }
  }
  return { h, w, c: t.c, data: out };
}

/** Dense layer y = x · W + b (float64 accumulate, float32 result). */
export function dense(x: Float32Array, layer: DenseLayer): Float32Array {
  if (x.length !== layer.nIn) throw new Error(`dense expects ${layer.nIn} inputs, got ${x.length}`);
  const y = new Float32Array(layer.nOut);
  for (let o = 0; o < layer.nOut; o++) {
    let acc = layer.bias[o];
    for (let i = 0; i < layer.nIn; i++) acc += x[i] * layer.weights[i * layer.nOut + o];
    y[o] = acc;
  }
  return y;
}

const relu = (v: number): number => (v > 0 ? v : 0);

function mapArray(a: Float32Array, fn: (v: number) => number): Float32Array {
  return a.map((v) => fn(v));
}

function multiply(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => f(v * b[i]));
}

/**
 * The soft stagewise regression merge (SSR-Net eq. 4 / merge_age in the official code):
 * y = V · Σ_k Σ_i p_i^(k) (i + λ_local η_i^(k)) / Π_{j≤k} s_j (1 + λ_d Δ_j).
 */
export function stagewiseMerge(
  stages: { p: Float32Array; eta: Float32Array; delta: number }[],
  params: Pick<SsrnetParams, 'V' | 'stageNum' | 'lambdaLocal' | 'lambdaD'>,
): number {
  let denom = 1;
  let sum = 0;
  for (let k = 0; k < stages.length; k++) {
    const { p, eta, delta } = stages[k];
    let a = 0;
    for (let i = 0; i < params.stageNum[k]; i++) a += (i + params.lambdaLocal * eta[i]) * p[i];
    denom *= params.stageNum[k] * (1 + params.lambdaD * delta);
    sum += a / denom;
  }
  return sum * params.V;
}

function stageHead(head: StageHead, sMap: Tensor, xMap: Tensor): StageOutput {
  let fs = mapTensor(conv2d(sMap, head.convS), relu);
  let fx = mapTensor(conv2d(xMap, head.convX), relu);
  if (head.pool > 1) {
    fs = pool2d(fs, head.pool, 'max');
    fx = pool2d(fx, head.pool, 'avg');
  }
  const featS = fs.data;
  const featX = fx.data;
  const mixS = mapArray(dense(featS, head.mixS), relu);
  const mixX = mapArray(dense(featX, head.mixX), relu);
  const delta = Math.tanh(dense(multiply(featS, featX), head.delta)[0]);
  const feat = mapArray(dense(multiply(mixS, mixX), head.fc), relu);
  const p = mapArray(dense(feat, head.pred), relu);
  const eta = mapArray(dense(feat, head.local), Math.tanh);
  return { featS, featX, p, eta, delta };
}

/**
 * Runs SSR-Net on one 64x64x3 image (HWC, BGR, raw 0..255 values as float) and returns every
 * intermediate tensor and the output (age in years, or the gender score).
 */
export function runOracle(params: SsrnetParams, image: Float32Array | Uint8Array): OracleTrace {
  if (image.length !== 64 * 64 * 3) throw new Error(`oracle expects 64*64*3 values, got ${image.length}`);
  const input: Tensor = { h: 64, w: 64, c: 3, data: Float32Array.from(image) };
  const x: Tensor[] = [];
  const s: Tensor[] = [];
  const xPre: Tensor[] = [];
  const sPre: Tensor[] = [];
  let xt = input;
  let st = input;
  for (let i = 0; i < 4; i++) {
    const xp = conv2d(xt, params.xConvs[i]);
    const sp = conv2d(st, params.sConvs[i]);
    xPre.push(xp);
    sPre.push(sp);
    xt = mapTensor(xp, relu);
    st = mapTensor(sp, Math.tanh);
    if (i < 3) {
      xt = pool2d(xt, 2, 'avg');
      st = pool2d(st, 2, 'max');
    }
    x.push(xt);
    s.push(st);
  }
  // Stage 1 reads the deepest maps, stage 3 the shallowest (Figure 1 of the paper).
  const stages = [
    stageHead(params.stages[0], s[3], x[3]),
    stageHead(params.stages[1], s[1], x[1]),
    stageHead(params.stages[2], s[0], x[0]),
  ];
  const output = stagewiseMerge(stages, params);
  return { x, s, xPre, sPre, stages, output };
}

/** The oracle's output only: age in years (age models) or the gender score (gender models). */
export function predictF32(params: SsrnetParams, image: Float32Array | Uint8Array): number {
  return runOracle(params, image).output;
}
