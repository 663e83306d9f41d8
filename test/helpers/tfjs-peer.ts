/**
 * The independent peer: TFJS graph-model conversions of the official Keras models
 * (test/fixtures/reference-tfjs, MIT), run with @tensorflow/tfjs on the cpu backend.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

const FIXTURES = new URL('../fixtures/reference-tfjs/', import.meta.url);

/** Loads any TFJS graph model from `<name>.json` and its weight shards on disk, without fetch. */
async function loadGraphModelFile(jsonUrl: URL): Promise<tf.GraphModel> {
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

/** Loads `<name>.json` + its weight shards from the fixtures folder without fetch. */
export function loadPeer(name: 'age' | 'gender-ssrnet-imdb'): Promise<tf.GraphModel> {
  return loadGraphModelFile(new URL(`${name}.json`, FIXTURES));
}

/** Runs the peer on a batch of 64x64x3 HWC float images; returns one output per image. */
export function runPeer(model: tf.GraphModel, images: Float32Array[]): number[] {
  return tf.tidy(() => {
    const batch = tf.tensor4d(concat(images), [images.length, 64, 64, 3]);
    const out = model.execute(batch) as tf.Tensor;
    return Array.from(out.dataSync());
  });
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  arrays.forEach((a, i) => out.set(a, i * a.length));
  return out;
}
