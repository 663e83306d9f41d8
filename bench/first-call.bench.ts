/**
 * First-call cost (issue 12 item 3): in a fresh Node process, the package's import,
 * `createEstimator()`, and the first and second `estimate` — of a raw 64x64 RGBA face
 * (`detect: false`, the crop path) and of examples/astronaut.png (decode + detect + crop + 'auto').
 * Each case runs in RUNS fresh processes; medians in ms.
 *
 * With `--before DIR` (another checkout with its own `dist/` and `build/`, e.g. the commit before
 * the wasm crop), both are measured in the same run, alternating, and the ratios printed.
 *
 *   npx tsc -p tsconfig.json && npx tsx bench/first-call.bench.ts [--before /tmp/old-checkout] [--runs 9]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/decode.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BEFORE = option('--before');
const RUNS = Number(option('--runs') ?? 9);

/** The child: times import, create, first and second estimate; prints JSON. */
const CHILD = `
const t0 = performance.now();
const { createEstimator } = await import(process.env.ENTRY);
const t1 = performance.now();
const estimator = await createEstimator();
const t2 = performance.now();
const fs = await import('node:fs');
const input = process.env.CASE === 'face'
  ? { data: new Uint8Array(fs.readFileSync(process.env.FACE)), width: 64, height: 64, format: 'rgba' }
  : new Uint8Array(fs.readFileSync(process.env.PHOTO));
const options = process.env.CASE === 'face' ? { detect: false } : {};
const t3 = performance.now();
const [a] = await estimator.estimate(input, options);
const t4 = performance.now();
await estimator.estimate(input, options);
const t5 = performance.now();
const laps = [];
for (let i = 0; i < 21; i++) {
  const t = performance.now();
  await estimator.estimate(input, options);
  laps.push(performance.now() - t);
}
laps.sort((x, y) => x - y);
console.log(JSON.stringify({ import: t1 - t0, create: t2 - t1, first: t4 - t3, second: t5 - t4, steady: laps[10], age: a.age }));
`;

interface Sample {
  import: number;
  create: number;
  first: number;
  second: number;
  steady: number;
  age: number;
}

function runChild(root: string, kind: string, face: string, childFile: string): Sample {
  const r = spawnSync(process.execPath, [childFile], {
    encoding: 'utf8',
    env: { ...process.env, ENTRY: join(root, 'dist', 'index.js'), CASE: kind, FACE: face, PHOTO: join(ROOT, 'examples', 'astronaut.png') },
  });
  if (r.status !== 0) throw new Error(`child failed (${root}, ${kind}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample;
}

const median = (a: number[]): number => {
  const b = [...a].sort((p, q) => p - q);
  return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ssrnet-first-'));
  try {
    // A 64x64 RGBA face: the astronaut's face region, nearest-sampled.
    const photo = await decodeImage(new Uint8Array(readFileSync(join(ROOT, 'examples', 'astronaut.png'))));
    const face = new Uint8Array(64 * 64 * 4);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const s = ((60 + Math.floor((y * 130) / 64)) * photo.width + 155 + Math.floor((x * 130) / 64)) * 4;
        face.set(photo.data.subarray(s, s + 4), (y * 64 + x) * 4);
      }
    }
    const faceFile = join(dir, 'face.rgba');
    writeFileSync(faceFile, face);
    const childFile = join(dir, 'child.mjs');
    writeFileSync(childFile, CHILD);
    const roots: [string, string][] = [['after', ROOT], ...(BEFORE ? [['before', BEFORE] as [string, string]] : [])];
    console.log(`# first-call bench: ${RUNS} fresh processes per case and checkout, alternating; medians in ms (Node ${process.version})`);
    for (const kind of ['face', 'photo']) {
      const samples = new Map<string, Sample[]>(roots.map(([name]) => [name, []]));
      for (let i = 0; i < RUNS; i++) for (const [name, root] of roots) samples.get(name)!.push(runChild(root, kind, faceFile, childFile));
      const what = kind === 'face' ? 'raw 64x64 face, detect: false' : 'examples/astronaut.png (decode + detect + crop)';
      console.log(`\n## ${what}`);
      console.log('checkout | import | createEstimator | 1st estimate | 2nd estimate | steady (median of calls 3-23) | create + 1st | age');
      const stats = new Map<string, Record<keyof Sample, number>>();
      for (const [name] of roots) {
        const s = samples.get(name)!;
        const m = Object.fromEntries((['import', 'create', 'first', 'second', 'steady', 'age'] as const).map((k) => [k, median(s.map((x) => x[k]))])) as Record<keyof Sample, number>;
        stats.set(name, m);
        console.log(`${name} | ${m.import.toFixed(1)} | ${m.create.toFixed(1)} | ${m.first.toFixed(2)} | ${m.second.toFixed(2)} | ${m.steady.toFixed(2)} | ${(m.create + m.first).toFixed(1)} | ${m.age.toFixed(2)}`);
      }
      if (BEFORE) {
        const a = stats.get('after')!;
        const b = stats.get('before')!;
        console.log(`after / before: 1st estimate ${(a.first / b.first).toFixed(2)}, 2nd ${(a.second / b.second).toFixed(2)}, create + 1st ${((a.create + a.first) / (b.create + b.first)).toFixed(2)}, steady ${(a.steady / b.steady).toFixed(2)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
