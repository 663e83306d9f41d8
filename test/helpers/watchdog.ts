/**
 * A hang detector for code that may loop synchronously (a decoder stuck in a loop never yields,
 * so no timer in its thread — vitest's test timeout included — can fire). A worker thread watches
 * a shared counter the test bumps around each case; when one case has run longer than the limit
 * it prints the case's label to stderr and kills the test process, so vitest reports the file as
 * failed, naming the case, instead of waiting forever.
 */
import { Worker } from 'node:worker_threads';

const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.shared);
let label = '';
let seen = -1;
let since = Date.now();
parentPort.on('message', (m) => { label = m; });
setInterval(() => {
  const now = Atomics.load(state, 0);
  if (now !== seen) { seen = now; since = Date.now(); return; }
  if (now % 2 === 1 && Date.now() - since > workerData.limitMs) {
    writeSync(2, '\\nwatchdog: case "' + label + '" has run for over ' + workerData.limitMs + ' ms (a hang): killing the test process\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 50);
`;

export interface Watchdog {
  /** A case starts; `label` is printed if it hangs. */
  begin(label: string): void;
  /** The case ended (either way). */
  end(): void;
  /** Stops watching. */
  stop(): Promise<void>;
}

/** Starts watching: any case between begin() and end() may run at most `limitMs`. */
export function startWatchdog(limitMs: number): Watchdog {
  // state[0]: odd while a case runs, bumped at every begin and end.
  const shared = new SharedArrayBuffer(4);
  const state = new Int32Array(shared);
  const worker = new Worker(WATCHER, { eval: true, workerData: { shared, limitMs } });
  worker.unref();
  return {
    begin(label) {
      worker.postMessage(label);
      Atomics.add(state, 0, 1);
    },
    end() {
      Atomics.add(state, 0, 1);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
