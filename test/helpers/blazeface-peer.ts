/**
 * The detector's independent peer: the TFJS graph model of MediaPipe BlazeFace short-range
 * (test/fixtures/reference-tfjs/blazeface-front.{json,bin}; Apache-2.0 MediaPipe, converted copy
 * MIT, see NOTICE-blazeface.txt there), run with @tensorflow/tfjs on the cpu backend.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

/** The front model's files in the fixtures folder. */
export const BLAZEFACE_FRONT_JSON = new URL('../fixtures/reference-tfjs/blazeface-front.json', import.meta.url);

/** Loads any TFJS graph model from `<name>.json` and its weight shards on disk, without fetch. */
export async function loadGraphModelFile(jsonUrl: URL): Promise<tf.GraphModel> {
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(jsonUrl, 'utf8'));
  const manifest = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(new URL(p, jsonUrl))));
  const weightData = new Uint8Array(Buffer.concat(buffers));
  return tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      userDefinedMetadata: json.userDefinedMetadata,
      signature: json.signature ?? json.userDefinedMetadata?.signature,
      weightSpecs: manifest.flatMap((g) => g.weights),
      weightData: weightData.buffer,
    }),
  });
}

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
