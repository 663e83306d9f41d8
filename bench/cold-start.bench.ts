/**
 * First contact (issue 12): what a one-shot CLI call and the first calls of a fresh process cost.
 *
 *   npm run bench:cold-start   (= npx tsx bench/cold-start.bench.ts [PAIRS] [--before DIR]; needs `npm run build`)
 *
 * With `--before DIR` (another checkout with its own dist/ and build/, e.g. `git archive` of main
 * built there), every measurement is made for both in the same run, alternating, and the ratios
 * of both are printed and recorded.
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
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Jimp } from 'jimp';
import { makePhoto } from './photo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const beforeAt = args.indexOf('--before');
const BEFORE = beforeAt >= 0 ? args.splice(beforeAt, 2)[1] : undefined;
const PAIRS = Number(args[0] ?? 25);
const PROCESSES = 9;

/** A checkout to measure: its shipped bin and its Node entry. */
interface Build {
  name: string;
  root: string;
  bin: string;
  index: string;
}
const checkout = (name: string, root: string): Build => ({ name, root, bin: join(root, 'dist', 'bin', 'ssrnet.js'), index: pathToFileURL(join(root, 'dist', 'index.js')).href });
const BUILDS = [...(BEFORE ? [checkout('before', resolve(BEFORE))] : []), checkout('this', ROOT)];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Wall time of one process in ms; throws when it fails. */
function timeProcess(args: string[], cwd = ROOT): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { ms: elapsed, stdout: run.stdout };
}

/** Runs `body` (an ES module's text, with `face` and `photo` bound) in a fresh Node; returns its JSON. */
function inFreshProcess(build: Build, body: string, facePath: string, photoPath: string): Record<string, number> {
  const script = `
    import { readFileSync } from 'node:fs';
    const face = { data: new Uint8Array(readFileSync(${JSON.stringify(facePath)})), width: 64, height: 64, format: 'rgba' };
    const photo = new Uint8Array(readFileSync(${JSON.stringify(photoPath)}));
    const now = () => performance.now();
    const t0 = now();
    const { createEstimator } = await import(${JSON.stringify(build.index)});
    const importMs = now() - t0;
    ${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: build.root, encoding: 'utf8' });
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

    // 1. One-shot CLI against bare node, alternating (each build's CLI after its own bare run).
    const bare: number[] = [];
    const cli = BUILDS.map(() => [] as number[]);
    let output = '';
    for (let i = 0; i < PAIRS; i++) {
      BUILDS.forEach((build, b) => {
        bare.push(timeProcess(['-e', '0']).ms);
        const run = timeProcess([build.bin, 'estimate', photoPath], build.root);
        cli[b].push(run.ms);
        output = run.stdout.trim();
        if (!/: age \d+\.\d, at /.test(output)) throw new Error(`unexpected CLI output (${build.name}): ${output}`);
      });
    }
    console.log(`\n## one-shot \`ssrnet estimate photo.jpg\` (${PAIRS} pairs per build, alternating; ${output.replace(photoPath, 'photo.jpg')})`);
    console.log(`bare \`node -e 0\`      median ${ms(median(bare))}  min ${ms(Math.min(...bare))}`);
    const coldStart: Record<string, { cliMedianMs: number; ratio: number }> = {};
    BUILDS.forEach((build, b) => {
      const ratio = median(cli[b]) / median(bare);
      coldStart[build.name] = { cliMedianMs: median(cli[b]), ratio };
      console.log(`ssrnet estimate (${build.name.padEnd(6)}) median ${ms(median(cli[b]))}  min ${ms(Math.min(...cli[b]))}  ratio (medians) ${ratio.toFixed(2)}x  (min/min ${(Math.min(...cli[b]) / Math.min(...bare)).toFixed(2)}x; target ≤ 2.5x)`);
    });

    // 2 and 3. First results in fresh processes, the builds alternating.
    const faceRuns = BUILDS.map(() => [] as Record<string, number>[]);
    const photoRuns = BUILDS.map(() => [] as Record<string, number>[]);
    for (let i = 0; i < PROCESSES; i++) BUILDS.forEach((build, b) => faceRuns[b].push(inFreshProcess(build, FACE_RUN, facePath, photoPath)));
    for (let i = 0; i < PROCESSES; i++) BUILDS.forEach((build, b) => photoRuns[b].push(inFreshProcess(build, PHOTO_RUN, facePath, photoPath)));
    const m = (runs: Record<string, number>[], key: string): number => median(runs.map((r) => r[key]));
    const first: Record<string, Record<string, number>> = {};
    BUILDS.forEach((build, b) => {
      const keys = ['importMs', 'createMs', 'createAndFirstMs', 'firstMs', 'secondMs', 'thirdMs', 'steadyMs'];
      first[build.name] = Object.fromEntries([...keys.map((k) => [k, m(faceRuns[b], k)]), ['firstPhotoMs', m(photoRuns[b], 'firstPhotoMs')], ['steadyPhotoMs', m(photoRuns[b], 'steadyPhotoMs')]]);
    });
    const row = (label: string, f: (r: Record<string, number>) => string): void => console.log(`${label.padEnd(32)}${BUILDS.map((build) => f(first[build.name]).padStart(12)).join('')}`);
    console.log(`\n## first result in a fresh process (medians of ${PROCESSES} processes; 64x64 RGBA face, model auto)`);
    console.log(`${''.padEnd(32)}${BUILDS.map((build) => build.name.padStart(12)).join('')}`);
    row('import dist/index.js', (r) => ms(r.importMs));
    row('createEstimator', (r) => ms(r.createMs));
    row('create + 1st (target ≤ 10 ms)', (r) => ms(r.createAndFirstMs));
    row('1st estimate (target ≤ 5 ms)', (r) => ms(r.firstMs));
    row('2nd estimate', (r) => ms(r.secondMs));
    row('3rd estimate', (r) => ms(r.thirdMs));
    row('steady estimate', (r) => ms(r.steadyMs));
    console.log(`\n## first whole photo (640x480 JPEG: decode + detect + auto age) vs steady, same process`);
    row('first photo', (r) => ms(r.firstPhotoMs));
    row('steady photo', (r) => ms(r.steadyPhotoMs));
    row('ratio (target ≤ 3x)', (r) => `${(r.firstPhotoMs / r.steadyPhotoMs).toFixed(2)}x`);

    writeFileSync(
      join(ROOT, 'bench', 'results', 'cold-start-latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), machine, pairs: PAIRS, processes: PROCESSES, builds: Object.fromEntries(BUILDS.map((b) => [b.name, b.root])), coldStart: { bareMedianMs: median(bare), ...coldStart }, first }, null, 2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
