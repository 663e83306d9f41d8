/**
 * Running the shipped CLI (`node dist/bin/ssrnet.js`, the package's `bin`) from tests, and face images to run it on: crops of
 * the example photo written as UTKFace-named JPEGs, so they exist on a fresh clone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'bin', 'ssrnet.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Builds the engine and dist/ when missing, or recompiles dist/ and the CLI bundle when some src/ file is newer. */
export function ensureCliBuilt(): void {
  if (!existsSync(join(ROOT, 'build', 'ssrnet-simd.wasm'))) {
    if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
    return;
  }
  const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
  const src = join(ROOT, 'src');
  const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.ts') && statSync(join(src, f)).mtimeMs > built);
  if (stale && spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
    throw new Error('tsc -p tsconfig.json failed');
  }
  if ((stale || !existsSync(CLI)) && spawnSync('npm', ['run', 'build:cli'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
    throw new Error('npm run build:cli failed');
  }
}

/**
 * Runs `node dist/bin/ssrnet.js ...args` from the package root, feeding `stdin` if given; stdout and
 * stderr are pipes (not TTYs).
 */
export function runCli(args: string[], stdin?: Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    child.stdin?.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Side of the crops {@link writeAstronautFaces} writes: `--box 0,0,96,96` is the whole crop. */
export const FACE_SIDE = 96;

/**
 * Writes `count` face crops of the example photo (the astronaut, about 42 and female) to `dir`
 * as FACE_SIDE x FACE_SIDE JPEGs named like UTKFace chips, `42_1_0_<i>.jpg.chip.jpg`: the crop
 * shifted by a few pixels per image, so each gives a different estimate. Returns the file paths
 * in name order.
 */
export async function writeAstronautFaces(dir: string, count: number): Promise<string[]> {
  const photo = await Jimp.read(join(ROOT, 'examples', 'astronaut.png'));
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const face = photo.clone().crop({ x: 172 - 3 * i, y: 67 + 2 * i, w: FACE_SIDE, h: FACE_SIDE });
    const file = join(dir, `42_1_0_2017010112000000${i}.jpg.chip.jpg`);
    writeFileSync(file, await face.getBuffer('image/jpeg', { quality: 90 }));
    files.push(file);
  }
  return files;
}
