/**
 * One worker of an EstimatorPool (src/parallel.ts): creates an estimator from `workerData`,
 * reports `ready` (id -1), then answers `{ id, bytes, options }` requests with the faces or the
 * error (requests may overlap, as calls of one estimator may).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SsrnetError } from './errors.js';
import type { Estimator } from './estimator.js';
import { createEstimator } from './index.js';
import type { PoolEstimatorOptions, WorkerReply } from './parallel.js';
import type { EstimateOptions } from './types.js';

const port = parentPort!;

function errorReply(id: number, err: unknown): WorkerReply {
  const ssrnet = err instanceof SsrnetError;
  return { id, error: { code: ssrnet ? err.code : 'INTERNAL', message: err instanceof Error ? err.message : String(err), ssrnet } };
}

let estimator: Estimator;
try {
  estimator = await createEstimator(workerData as PoolEstimatorOptions);
  port.postMessage({ id: -1, faces: [] } satisfies WorkerReply);
} catch (err) {
  port.postMessage(errorReply(-1, err));
}

port.on('message', async ({ id, bytes, options }: { id: number; bytes: Uint8Array; options: EstimateOptions }) => {
  try {
    port.postMessage({ id, faces: await estimator.estimate(bytes, options) } satisfies WorkerReply);
  } catch (err) {
    port.postMessage(errorReply(id, err));
  }
});
