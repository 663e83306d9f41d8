/**
 * The Worker example on workerd, per request (issue 14: "the same photos on workerd per request"):
 *
 *   npx tsx bench/worker.bench.ts [ROUNDS]   (needs `npm run build`; ROUNDS default 10)
 *
 * The example (examples/worker) is bundled as wrangler bundles it and run on miniflare's workerd
 * (test/helpers/worker.ts). Photos, made at run time as in bench/decode.bench.ts: a 500x375 group
 * JPEG, the benches' 640x480 one-face JPEG, a 1024x576 group PNG, a 6 MP group JPEG (the example's
 * limit) and a 12 MP one (over it: refused from its header with 413). For each: the first request
 * of a fresh workerd (the isolate creates the estimator and the detector then), then ROUNDS
 * requests interleaved over the photos, median; the same photos through Node's `estimate` in this
 * process, interleaved likewise, for the ratio (requests also pay miniflare's loopback HTTP). Then
 * workerd's peak resident memory.
 */
import { cpus, loadavg } from 'node:os';
import { createEstimator } from '../src/index.js';
import { bundleWorker, startWorker, workerdMemory } from '../test/helpers/worker.js';
import { groupJpeg, groupPng, makePhoto } from './photo.js';

const ROUNDS = Number(process.argv[2] ?? 10);
const photos: [string, Uint8Array][] = [
  ['500x375 group JPEG', await groupJpeg(500, 375)],
  ['640x480 one-face JPEG', (await makePhoto()).jpeg],
  ['1024x576 group PNG', await groupPng(1024, 576)],
  ['6 MP (3000x2000) group JPEG', await groupJpeg(3000, 2000)],
  ['12 MP (4032x3024) group JPEG', await groupJpeg(4032, 3024)],
];

const modules = await bundleWorker();
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

/** One POST of `body` to a worker: milliseconds, status and the number of faces. */
async function post(mf: Awaited<ReturnType<typeof startWorker>>, body: Uint8Array): Promise<{ ms: number; status: number; faces: number }> {
  const t0 = performance.now();
  const res = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body });
  const json = (await res.json()) as { faces?: unknown[] };
  return { ms: performance.now() - t0, status: res.status, faces: json.faces?.length ?? 0 };
}

console.log(`# Worker bench: ${cpus()[0].model.trim()}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}\n`);
process.stderr.write('first requests (a fresh workerd each)…\n');
const first = new Map<string, number>();
for (const [name, bytes] of photos) {
  const mf = await startWorker(modules);
  try {
    first.set(name, (await post(mf, bytes)).ms);
  } finally {
    await mf.dispose();
  }
}

process.stderr.write(`${ROUNDS} rounds, workerd and Node interleaved…\n`);
const mf = await startWorker(modules);
const estimator = await createEstimator();
const worker = new Map<string, { ms: number[]; status: number; faces: number }>();
const node = new Map<string, number[]>();
try {
  for (const [, bytes] of photos) await post(mf, bytes); // the isolate's first calls are above
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, bytes] of photos) {
      const r = await post(mf, bytes);
      const row = worker.get(name) ?? { ms: [], status: r.status, faces: r.faces };
      row.ms.push(r.ms);
      worker.set(name, row);
      const t0 = performance.now();
      await estimator.estimate(bytes).catch(() => undefined);
      node.set(name, [...(node.get(name) ?? []), performance.now() - t0]);
    }
  }
} finally {
  const memory = workerdMemory();
  await mf.dispose();
  console.log('| photo | status | faces | first request (fresh workerd) | request, median | Node `estimate`, median | workerd ÷ Node |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name] of photos) {
    const w = worker.get(name);
    if (!w) continue;
    const n = median(node.get(name)!);
    console.log(`| ${name} | ${w.status} | ${w.faces} | ${first.get(name)!.toFixed(1)} ms | ${median(w.ms).toFixed(1)} ms | ${n.toFixed(1)} ms | ${(median(w.ms) / n).toFixed(2)}x |`);
  }
  if (memory) console.log(`\nworkerd peak RSS ${memory.peak.toFixed(0)} MB (now ${memory.rss.toFixed(0)} MB), all photos through one isolate`);
}
