/**
 * ssrnet-wasm on Node: SSR-Net age (and gender) estimation in a 256 KiB int8 WebAssembly engine.
 * The engine build and the weights are read from the package; see src/universal.ts for
 * runtimes without a file system (Cloudflare Workers, browsers).
 *
 * @example
 * ```ts
 * import { estimate } from 'ssrnet-wasm';
 * const [face] = await estimate(await readFile('face.jpg'));
 * console.log(face.age);
 * ```
 */
import { type Estimator, type EstimatorOptions, createEstimatorWith } from './estimator.js';
import { loadNodeAssets } from './platform/node.js';
import type { EstimateOptions, FaceResult, ImageInput } from './types.js';

export * from './universal.js';

/**
 * Creates an estimator holding one engine instance; the wasm build and weights default to the
 * package's own files.
 *
 * @example
 * ```ts
 * const estimator = await createEstimator({ gender: true });
 * const faces = await estimator.estimate(bytes, { box: { x: 175, y: 70, width: 90, height: 90 } });
 * ```
 */
export function createEstimator(options: EstimatorOptions = {}): Promise<Estimator> {
  return createEstimatorWith(options, loadNodeAssets);
}

let defaultEstimator: Promise<Estimator> | undefined;

/**
 * Estimates age with a default estimator (age-wiki, no gender), created on first use.
 *
 * @example
 * ```ts
 * const [face] = await estimate(bytes);
 * ```
 */
export async function estimate(input: ImageInput, options?: EstimateOptions): Promise<FaceResult[]> {
  defaultEstimator ??= createEstimator();
  try {
    return await (await defaultEstimator).estimate(input, options);
  } catch (err) {
    // A failed creation must not poison every later call.
    if (!(await defaultEstimator.then(() => true, () => false))) defaultEstimator = undefined;
    throw err;
  }
}
