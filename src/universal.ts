/**
 * ssrnet-wasm for runtimes without a file system (Cloudflare Workers, browsers, Deno…): the same
 * API as the Node entry, but the engine and weights are passed in — on Workers import the .wasm
 * as a module (run-time compilation from bytes is refused there).
 *
 * @example
 * ```ts
 * import wasm from 'ssrnet-wasm/build/ssrnet-simd.wasm';
 * import age from 'ssrnet-wasm/weights/age-wiki.ssrq';
 * const estimator = await createEstimator({ wasm, simd: true, model: 'age-wiki', weights: { 'age-wiki': age } });
 * ```
 */
import { type Estimator, type EstimatorOptions, createEstimatorWith } from './estimator.js';
import { SsrnetError } from './errors.js';
import type { EstimateOptions, FaceResult, ImageInput } from './types.js';

export { Estimator } from './estimator.js';
export type { EstimatorOptions, WeightsSource } from './estimator.js';
export type { WasmSource } from './engine.js';
export { SsrnetError } from './errors.js';
export type { SsrnetErrorCode } from './errors.js';
export { AGE_MODELS, DEFAULT_AGE_MODEL, DEFAULT_GENDER_MODEL, GENDER_MODELS } from './models.js';
export type { AgeModelChoice, AgeModelName, GenderModelName } from './models.js';
export type { Box, EstimateOptions, FaceLandmarks, FaceResult, ImageDataLike, ImageDecoder, ImageInput, PixelFormat, Point, RawImage } from './types.js';
export { simdSupported } from './simd.js';
export { createDecoder, DECODE_PIXEL_BUDGET, MAX_JPEG_SCANS } from './decode.js';
export type { CodecModules, Decoded, Decoder } from './decode.js';

/**
 * Creates an estimator holding one engine instance. Here `options.wasm` and the weights of every
 * model used (by name: `'auto'` uses age-wiki and age-megaage-asian) are required; use
 * `simdSupported()` to pick the .wasm build to load. Encoded images are decoded by the browser
 * itself where it can, else by the @jsquash WASM codecs (JPEG, PNG, WebP), which find their .wasm
 * next to their scripts; on Cloudflare Workers pass them precompiled:
 * `decode: createDecoder({ jpeg, png, webp })` (see src/decode.ts).
 */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  return createEstimatorWith(options);
}

/**
 * Without a file system there is no default estimator: this rejects with BAD_INPUT. Create one
 * with {@link createEstimator} and call its `estimate`.
 */
export async function estimate(input: ImageInput, options?: EstimateOptions): Promise<FaceResult[]> {
  void input;
  void options;
  throw new SsrnetError('BAD_INPUT', 'expected createEstimator({ wasm, weights }) on this platform: it has no package files for a default estimator');
}
