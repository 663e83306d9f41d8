/**
 * Reads an official SSR-Net Keras HDF5 weights file (Keras 2.0/2.1 `save_weights`, one group per
 * layer, auto-numbered names) into SsrnetParams, folding BatchNorm into the convolutions.
 *
 * Layer names follow the creation order of the official SSRNET_model.py:
 *   conv2d_1..4 / batch_normalization_1..4   x stream (relu, avg-pool)
 *   conv2d_5..8 / batch_normalization_5..8   s stream (tanh, max-pool)
 *   stage 1 (layer 4): conv2d_9 (s), conv2d_10 (x), dense_1 (s mix), dense_2 (x mix),
 *                      delta_s1, dense_3, pred_*stage1, local_delta_stage1
 *   stage 2 (layer 2): conv2d_11 (s), conv2d_12 (x), dense_4, dense_5, delta_s2, dense_6, ...
 *   stage 3 (layer 1): conv2d_13 (s), conv2d_14 (x), dense_7, dense_8, delta_s3, dense_9, ...
 * The gender models ("SSR_net_general") have the same layers with pred_stage* names and V = 1.
 * The mapping is verified end to end against independent TFJS conversions (test/oracle.test.ts).
 */
import h5wasm from 'h5wasm/node';
import type { ConvLayer, DenseLayer, ModelKind, SsrnetParams, StageHead } from '../src/oracle/ssrnet-f32.js';

/** Keras' BatchNormalization default epsilon. */
const BN_EPSILON = 1e-3;

type Reader = (layer: string, weight: string) => { shape: number[]; data: Float32Array };

function openReader(file: InstanceType<typeof h5wasm.File>): Reader {
  return (layer, weight) => {
    const ds = file.get(`${layer}/${layer}/${weight}:0`);
    if (!(ds instanceof h5wasm.Dataset)) throw new Error(`missing dataset ${layer}/${weight}`);
    const value = ds.value;
    if (!(value instanceof Float32Array)) throw new Error(`${layer}/${weight} is not float32`);
    return { shape: ds.shape as number[], data: value };
  };
}

function readDense(read: Reader, name: string): DenseLayer {
  const kernel = read(name, 'kernel');
  const bias = read(name, 'bias');
  const [nIn, nOut] = kernel.shape;
  return { nIn, nOut, weights: Float32Array.from(kernel.data), bias: Float32Array.from(bias.data) };
}

function readConv(read: Reader, name: string): ConvLayer {
  const kernel = read(name, 'kernel');
  const [k, , cin, cout] = kernel.shape;
  return { k, cin, cout, weights: Float32Array.from(kernel.data), bias: Float32Array.from(read(name, 'bias').data) };
}

/** conv → BN becomes one conv: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β (computed in f64). */
function readConvBn(read: Reader, conv: string, bn: string): ConvLayer {
  const layer = readConv(read, conv);
  const gamma = read(bn, 'gamma').data;
  const beta = read(bn, 'beta').data;
  const mean = read(bn, 'moving_mean').data;
  const variance = read(bn, 'moving_variance').data;
  const weights = new Float32Array(layer.weights.length);
  const bias = new Float32Array(layer.cout);
  for (let o = 0; o < layer.cout; o++) {
    const g = gamma[o] / Math.sqrt(variance[o] + BN_EPSILON);
    bias[o] = (layer.bias[o] - mean[o]) * g + beta[o];
    for (let i = o; i < weights.length; i += layer.cout) weights[i] = layer.weights[i] * g;
  }
  return { ...layer, weights, bias };
}

/** Reads one official .h5 file. `kind` decides V (101 for age, 1 for gender). */
export async function readKerasSsrnet(path: string, kind: ModelKind): Promise<SsrnetParams> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'r');
  try {
    const read = openReader(file);
    const predPrefix = kind === 'age' ? 'pred_age_stage' : 'pred_stage';
    const xConvs = [1, 2, 3, 4].map((i) => readConvBn(read, `conv2d_${i}`, `batch_normalization_${i}`));
    const sConvs = [5, 6, 7, 8].map((i) => readConvBn(read, `conv2d_${i}`, `batch_normalization_${i}`));
    const pools = [1, 4, 8];
    const stages: StageHead[] = [0, 1, 2].map((k) => ({
      convS: readConv(read, `conv2d_${9 + 2 * k}`),
      convX: readConv(read, `conv2d_${10 + 2 * k}`),
      pool: pools[k],
      mixS: readDense(read, `dense_${1 + 3 * k}`),
      mixX: readDense(read, `dense_${2 + 3 * k}`),
      delta: readDense(read, `delta_s${k + 1}`),
      fc: readDense(read, `dense_${3 + 3 * k}`),
      pred: readDense(read, `${predPrefix}${k + 1}`),
      local: readDense(read, `local_delta_stage${k + 1}`),
    }));
    return {
      kind,
      V: kind === 'age' ? 101 : 1,
      stageNum: [3, 3, 3],
      lambdaLocal: 1,
      lambdaD: 1,
      xConvs,
      sConvs,
      stages,
    };
  } finally {
    file.close();
  }
}
