/**
 * First contact (issue 12): what a one-shot CLI call and the first calls of a fresh process cost.
 *
 *   npm run bench:cold-start   (= npx tsx bench/cold-start.bench.ts [PAIRS]; needs `npm run build`)
 *
 * 1. Cold start: `node dist/bin/ssrnet.js estimate photo.jpg` (the shipped `ssrnet` bin, default
 *    options: find the faces, `auto` age) against a bare `node -e 0`, run alternately PAIRS times
 *    (default 25) so machine load hits both alike; wall time per process, spawn included. Target:
 *    median ratio ≤ 2.5. The photo is bench/photo.ts's 640x480 JPEG.
 * 2. First result, each in PROCESSES fresh Node processes (medians over them): import of
 *    dist/index.js, `createEstimator` + the first `estimate` of a raw 64x64 RGBA face crop (the
 *    whole image is the face), that first `estimate` alone, the 2nd and 3rd, and a steady one
 *    (median of 50 after them). Targets: create + first ≤ 10 ms, first alone ≤ 5 ms.
 * 3. First whole photo (JPEG bytes → decode, detect, `auto` age) against a steady one (median of
 *    10 after it) in the same process. Target: ratio ≤ 3.
 * Writes bench/results/cold-start-latest.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';
import { makePhoto } from './photo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist', 'bin', 'ssrnet.js');
const INDEX = new URL('../dist/index.js', import.meta.url).href;
const PAIRS = Number(process.argv[2] ?? 25);
const PROCESSES = 9;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Wall time of one process in ms; throws when it fails. */
function timeProcess(args: string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { ms: elapsed, stdout: run.stdout };
}

/** Runs `body` (an ES module's text, with `face` and `photo` bound) in a fresh Node; returns its JSON. */
function inFreshProcess(body: string, facePath: string, photoPath: string): Record<string, number> {
  const script = `
    import { readFileSync } from 'node:fs';
    const face = { data: new Uint8Array(readFileSync(${JSON.stringify(facePath)})), width: 64, height: 64, format: 'rgba' };
    const photo = new Uint8Array(readFileSync(${JSON.stringify(photoPath)}));
    const now = () => performance.now();
    const t0 = now();
    const { createEstimator } = await import(${JSON.stringify(INDEX)});
    const importMs = now() - t0;
    ${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`fresh process failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, number>;
}

const FACE_RUN = `
  const t1 = now();
  const estimator = await createEstimator();
  const t2 = now();
  await estimator.estimate(face, { detect: false });
  const t3 = now();
  await estimator.estimate(face, { detect: false });
  const t4 = now();
  await estimator.estimate(face, { detect: false });
  const t5 = now();
  const steady = [];
  for (let i = 0; i < 50; i++) { const s = now(); await estimator.estimate(face, { detect: false }); steady.push(now() - s); }
  steady.sort((a, b) => a - b);
  console.log(JSON.stringify({ importMs, createMs: t2 - t1, createAndFirstMs: t3 - t1, firstMs: t3 - t2, secondMs: t4 - t3, thirdMs: t5 - t4, steadyMs: steady[25] }));`;

const PHOTO_RUN = `
  const estimator = await createEstimator();
  const t1 = now();
  const faces = await estimator.estimate(photo);
  const firstPhotoMs = now() - t1;
  if (faces.length !== 1) throw new Error('expected one face in the photo, got ' + faces.length);
  const steady = [];
  for (let i = 0; i < 10; i++) { const s = now(); await estimator.estimate(photo); steady.push(now() - s); }
  steady.sort((a, b) => a - b);
  console.log(JSON.stringify({ firstPhotoMs, steadyPhotoMs: (steady[4] + steady[5]) / 2 }));`;

async function main(): Promise<void> {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown cpu', cores: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version, os: `${platform()} ${arch()}` };
  console.log(`# cold-start bench: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavg.join(' ')}, Node ${machine.node}`);
  const dir = mkdtempSync(join(tmpdir(), 'ssrnet-cold-'));
  try {
    const { jpeg, box } = await makePhoto();
    const photoPath = join(dir, 'photo.jpg');
    writeFileSync(photoPath, jpeg);
    const crop = (await Jimp.read(Buffer.from(jpeg))).crop({ x: Math.round(box.x), y: Math.round(box.y), w: Math.round(box.width), h: Math.round(box.height) }).resize({ w: 64, h: 64 });
    const facePath = join(dir, 'face.rgba');
    writeFileSync(facePath, crop.bitmap.data);

    // 1. One-shot CLI against bare node, alternating.
    const bare: number[] = [];
    const cli: number[] = [];
    let output = '';
    for (let i = 0; i < PAIRS; i++) {
      bare.push(timeProcess(['-e', '0']).ms);
      const run = timeProcess([BIN, 'estimate', photoPath]);
      cli.push(run.ms);
      output = run.stdout.trim();
    }
    if (!/: age \d+\.\d, at /.test(output)) throw new Error(`unexpected CLI output: ${output}`);
    const coldRatio = median(cli) / median(bare);
    console.log(`\n## one-shot \`ssrnet estimate photo.jpg\` (${PAIRS} pairs, alternating; ${output.replace(photoPath, 'photo.jpg')})`);
    console.log(`bare \`node -e 0\`     median ${ms(median(bare))}  min ${ms(Math.min(...bare))}`);
    console.log(`ssrnet estimate      median ${ms(median(cli))}  min ${ms(Math.min(...cli))}`);
    console.log(`ratio (medians) ${coldRatio.toFixed(2)}x   (min/min ${(Math.min(...cli) / Math.min(...bare)).toFixed(2)}x; target ≤ 2.5x)`);

    // 2 and 3. First results in fresh processes.
    const faceRuns = Array.from({ length: PROCESSES }, () => inFreshProcess(FACE_RUN, facePath, photoPath));
    const photoRuns = Array.from({ length: PROCESSES }, () => inFreshProcess(PHOTO_RUN, facePath, photoPath));
    const m = (runs: Record<string, number>[], key: string): number => median(runs.map((r) => r[key]));
    const first = {
      importMs: m(faceRuns, 'importMs'), createMs: m(faceRuns, 'createMs'), createAndFirstMs: m(faceRuns, 'createAndFirstMs'),
      firstMs: m(faceRuns, 'firstMs'), secondMs: m(faceRuns, 'secondMs'), thirdMs: m(faceRuns, 'thirdMs'), steadyMs: m(faceRuns, 'steadyMs'),
      firstPhotoMs: m(photoRuns, 'firstPhotoMs'), steadyPhotoMs: m(photoRuns, 'steadyPhotoMs'),
    };
    console.log(`\n## first result in a fresh process (medians of ${PROCESSES} processes; 64x64 RGBA face, model auto)`);
    console.log(`import dist/index.js            ${ms(first.importMs)}`);
    console.log(`createEstimator                 ${ms(first.createMs)}`);
    console.log(`createEstimator + 1st estimate  ${ms(first.createAndFirstMs)}   (target ≤ 10 ms)`);
    console.log(`1st estimate alone              ${ms(first.firstMs)}   (target ≤ 5 ms)`);
    console.log(`2nd, 3rd estimate               ${ms(first.secondMs)}, ${ms(first.thirdMs)}`);
    console.log(`steady estimate                 ${ms(first.steadyMs)}`);
    console.log(`\n## first whole photo (640x480 JPEG: decode + detect + auto age) vs steady, same process`);
    console.log(`first ${ms(first.firstPhotoMs)}, steady ${ms(first.steadyPhotoMs)}, ratio ${(first.firstPhotoMs / first.steadyPhotoMs).toFixed(2)}x (target ≤ 3x)`);

    writeFileSync(
      join(ROOT, 'bench', 'results', 'cold-start-latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), machine, pairs: PAIRS, processes: PROCESSES, coldStart: { bareMedianMs: median(bare), cliMedianMs: median(cli), ratio: coldRatio }, first }, null, 2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
