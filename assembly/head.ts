// The soft stagewise regression head in float: ~3k multiply-adds per face, too small to be worth
// int8. f32 products and sums in the same order as the int8 reference (src/oracle/ssrnet-int8.ts
// stageTail); tanh and the merge in f64.

import { HEAD_SCRATCH } from './arena';
import { denseRecord } from './weights';

/** Activation fused into a dense layer. */
const RELU: i32 = 1;
const TANH: i32 = 2;

// Per-stage scratch in the arena: the product of the two streams' features (up to 160 floats),
// then the small dense outputs.
const PRODUCT: usize = HEAD_SCRATCH;
const MIX_S: usize = HEAD_SCRATCH + 640;
const MIX_X: usize = MIX_S + 16;
const MIX: usize = MIX_X + 16;
const FC: usize = MIX + 16;
const P: usize = FC + 32;
const ETA: usize = P + 16;
const DELTA: usize = ETA + 16;

/** y = act(x · W + b) for dense record `index` of the blob (f32, Keras [in][out] weights). */
function dense(blob: usize, index: i32, x: usize, y: usize, activation: i32): void {
  const r = denseRecord(blob, index);
  const nIn = <i32>load<u16>(r);
  const nOut = <i32>load<u16>(r, 2);
  const w = blob + <usize>load<u32>(r, 4);
  const b = blob + <usize>load<u32>(r, 8);
  for (let o = 0; o < nOut; o++) {
    let acc = load<f32>(b + (<usize>o << 2));
    for (let i = 0; i < nIn; i++) {
      acc += load<f32>(x + (<usize>i << 2)) * load<f32>(w + (<usize>(i * nOut + o) << 2));
    }
    if (activation == RELU) acc = acc > 0 ? acc : <f32>0;
    else if (activation == TANH) acc = <f32>Math.tanh(<f64>acc);
    store<f32>(y + (<usize>o << 2), acc);
  }
}

/** out[i] = a[i] · b[i] in f32. */
function multiply(a: usize, b: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) * load<f32>(b + off));
  }
}

/**
 * One fusion block's head: from the pooled s and x features (n floats each) to the stage's bin
 * probabilities p, shifts η and scale Δ; returns Σ_i p_i (i + λ_local η_i) and writes Δ to DELTA.
 */
function stage(blob: usize, k: i32, featS: usize, featX: usize, n: i32, lambdaLocal: f64): f64 {
  const first = k * 6;
  dense(blob, first, featS, MIX_S, RELU);
  dense(blob, first + 1, featX, MIX_X, RELU);
  multiply(featS, featX, n, PRODUCT);
  dense(blob, first + 2, PRODUCT, DELTA, TANH);
  multiply(MIX_S, MIX_X, 3, MIX);
  dense(blob, first + 3, MIX, FC, RELU);
  dense(blob, first + 4, FC, P, RELU);
  dense(blob, first + 5, FC, ETA, TANH);
  let sum: f64 = 0;
  for (let i = 0; i < 3; i++) {
    const off = <usize>i << 2;
    sum += (<f64>i + lambdaLocal * <f64>load<f32>(ETA + off)) * <f64>load<f32>(P + off);
  }
  return sum;
}

/**
 * The stagewise merge, eq. (4) of the paper:
 *   y = V · Σ_k [Σ_i p_i^(k) (i + λ_local η_i^(k))] / Π_{j≤k} s_j (1 + λ_d Δ_j).
 * `features` holds per stage the s then x features: 160+160, 90+90, 90+90 floats.
 */
export function stagewiseHead(blob: usize, features: usize): f64 {
  const V = <f64>load<f32>(blob, 8);
  const lambdaLocal = <f64>load<f32>(blob, 16);
  const lambdaD = <f64>load<f32>(blob, 20);
  let denom: f64 = 1;
  let y: f64 = 0;
  let offset = features;
  for (let k = 0; k < 3; k++) {
    const n = k == 0 ? 160 : 90;
    const sk = <f64>load<u8>(blob + 12 + <usize>k);
    const a = stage(blob, k, offset, offset + (<usize>n << 2), n, lambdaLocal);
    denom *= sk * (1 + lambdaD * <f64>load<f32>(DELTA));
    y += a / denom;
    offset += <usize>(2 * n) << 2;
  }
  return y * V;
}
