/**
 * Estimation on worker threads: a pool of N workers (src/parallel-worker.ts), each with its own
 * estimator and engine instance, for `ssrnet estimate --jobs N`. A worker decodes and estimates
 * a whole image, so decoding — most of the time for photos — runs in parallel too.
 */
import { Worker } from 'node:worker_threads';
import { SsrnetError, type SsrnetErrorCode } from './errors.js';
import type { EstimatorOptions } from './estimator.js';
import type { EstimateOptions, FaceResult } from './types.js';

/** The estimator options a worker can be given: plain data (no decoder function, no Module). */
export type PoolEstimatorOptions = Pick<EstimatorOptions, 'model' | 'gender' | 'simd'>;

/** A worker's answer to one request (also its `ready` message, with id -1). */
export type WorkerReply =
  | { id: number; faces: FaceResult[] }
  | { id: number; error: { code: string; message: string; ssrnet: boolean } };

/**
 * The compiled worker script beside this module in dist/ (a worker thread cannot load the .ts
 * source: use the pool from dist/, as the CLI and bench/jobs.bench.ts do).
 */
const WORKER_URL = new URL('./parallel-worker.js', import.meta.url);

interface Pending {
  resolve: (faces: FaceResult[]) => void;
  reject: (err: Error) => void;
}

/** One worker and the requests it has not answered yet. */
interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * N estimators on N worker threads behind one `estimate` call; each request goes to the worker
 * with the fewest requests in flight. Results are exactly those of an estimator on the main thread.
 */
export class EstimatorPool {
  private nextId = 0;

  private constructor(private readonly workers: PoolWorker[]) {}

  /**
   * Starts `jobs` workers and waits until each has its estimator (an estimator that cannot be
   * created rejects here, with the error createEstimator gives).
   */
  static async create(options: PoolEstimatorOptions, jobs: number): Promise<EstimatorPool> {
    const workers = Array.from({ length: jobs }, () => ({ worker: new Worker(WORKER_URL, { workerData: options }), pending: new Map() }));
    const pool = new EstimatorPool(workers);
    try {
      await Promise.all(workers.map((w) => pool.listen(w)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Settles the worker's requests from its replies; resolves once the worker is ready. */
  private listen(w: PoolWorker): Promise<void> {
    return new Promise((ready, failed) => {
      w.worker.on('message', (reply: WorkerReply) => {
        if (reply.id === -1) return 'error' in reply ? failed(toError(reply.error)) : ready();
        const request = w.pending.get(reply.id)!;
        w.pending.delete(reply.id);
        if ('error' in reply) request.reject(toError(reply.error));
        else request.resolve(reply.faces);
      });
      w.worker.on('error', (err: Error) => {
        failed(err);
        for (const request of w.pending.values()) request.reject(err);
        w.pending.clear();
      });
    });
  }

  /** Estimates encoded image bytes on the least busy worker; same results and errors as `Estimator.estimate`. */
  estimate(bytes: Uint8Array, options: EstimateOptions = {}): Promise<FaceResult[]> {
    const w = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.worker.postMessage({ id, bytes, options });
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** The error a worker reported, as the main thread would have thrown it. */
function toError(error: { code: string; message: string; ssrnet: boolean }): Error {
  return error.ssrnet ? new SsrnetError(error.code as SsrnetErrorCode, error.message) : new Error(error.message);
}

/**
 * Runs `task` on every item with at most `concurrency` in flight and hands each result to `emit`
 * in input order, as soon as it and all before it are done. With concurrency 1 it is a plain
 * sequential loop. A rejected task rejects the whole call when its turn to be emitted comes.
 */
export async function mapInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
  emit: (result: R, item: T) => void,
): Promise<void> {
  const running: Promise<R>[] = [];
  let next = 0;
  for (let done = 0; done < items.length; done++) {
    while (next < items.length && next - done < concurrency) {
      const result = task(items[next++]);
      result.catch(() => {}); // a rejection is rethrown by the await below, in order, not reported as unhandled
      running.push(result);
    }
    emit(await running[done], items[done]);
  }
}
