/**
 * The detector's independent peer: the TFJS graph model of MediaPipe BlazeFace short-range
 * (test/fixtures/reference-tfjs/blazeface-front.{json,bin}; Apache-2.0 MediaPipe, converted copy
 * MIT, see NOTICE-blazeface.txt there), run with @tensorflow/tfjs on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { loadGraphModelFile } from './tfjs-peer.js';

export { loadGraphModelFile };

/** The front model's files in the fixtures folder. */
export const BLAZEFACE_FRONT_JSON = new URL('../fixtures/reference-tfjs/blazeface-front.json', import.meta.url);

/** Raw outputs of one run: 896 logits and 896 x 16 regressors, in anchor order. */
export interface RawOutputs {
  scores: Float32Array;
  boxes: Float32Array;
}

/**
 * Runs a BlazeFace graph model on one RGB u8 image of `size` x `size` (the same bytes the engine
 * gets), normalized as MediaPipe does (x / 127.5 - 1, in float32). The four outputs are
 * concatenated in anchor order: the 16x16 map's (512) before the 8x8 map's (384).
 */
export function runBlazeface(model: tf.GraphModel, rgb: Uint8Array, size: number): RawOutputs {
  return tf.tidy(() => {
    // The engine's f32 operations exactly: one rounding after the division, one after the subtraction.
    const input = tf.tensor4d(Float32Array.from(rgb, (v) => Math.fround(Math.fround(v / 127.5) - 1)), [1, size, size, 3]);
    // Identity: scores of the larger map, Identity_1: of the smaller; _2 / _3 their regressors.
    const [s1, s2, b1, b2] = model.execute(input, ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0']) as tf.Tensor[];
    return {
      scores: Float32Array.from([...s1.dataSync(), ...s2.dataSync()]),
      boxes: Float32Array.from([...b1.dataSync(), ...b2.dataSync()]),
    };
  });
}
