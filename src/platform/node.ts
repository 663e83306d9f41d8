/**
 * Node's default assets: the engine builds and the converted weights shipped in the package
 * (build/*.wasm, weights/*.ssrq, and the face detector's build/yunet-*.wasm and
 * weights/yunet.yunf), located from this file so it works from src/ and dist/ alike.
 */
import { readFileSync } from 'node:fs';
import { SsrnetError } from '../errors.js';
import type { AssetLoader } from '../estimator.js';

/** The package root: two levels above src/platform/ or dist/platform/. */
export const PACKAGE_ROOT = new URL('../../', import.meta.url);

/**
 * One package file, read synchronously: these are small local files read once per estimator, and
 * one readFileSync each costs less than fs/promises' open/stat/read/close round trips through the
 * thread pool (and the modules fs/promises loads) in a one-shot CLI call.
 */
function readPackageFile(path: string, code: 'BAD_WASM' | 'BAD_WEIGHTS'): Uint8Array {
  try {
    return new Uint8Array(readFileSync(new URL(path, PACKAGE_ROOT)));
  } catch (cause) {
    const fix = code === 'BAD_WEIGHTS' ? 'npm run convert' : 'npm run build';
    throw new SsrnetError(code, `missing package file ${path} (in a source checkout, run \`${fix}\`)`, { cause });
  }
}

/** Reads the wasm build and the weights files a Node estimator asks for. */
export const loadNodeAssets: AssetLoader = async (request) => {
  const weights: Record<string, Uint8Array> = {};
  for (const name of request.weights) weights[name] = readPackageFile(`weights/${name}.ssrq`, 'BAD_WEIGHTS');
  const wasm = request.wasm ? readPackageFile(`build/ssrnet-${request.simd ? 'simd' : 'scalar'}.wasm`, 'BAD_WASM') : undefined;
  const detector = request.detector
    ? {
        wasm: readPackageFile(`build/yunet-${request.simd ? 'simd' : 'scalar'}.wasm`, 'BAD_WASM'),
        weights: readPackageFile('weights/yunet.yunf', 'BAD_WEIGHTS'),
      }
    : undefined;
  return { wasm, weights, detector };
};
