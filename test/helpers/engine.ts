/**
 * Shared test setup: the engine builds (built on demand), the weights files, test crops that
 * exist on a fresh clone (the example photo, seeded random images) and, when ../shared is
 * present, the dev faces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { decodeImage } from '../../src/decode.js';
import { Engine } from '../../src/engine.js';
import { CROP_SIZE, DEFAULT_MARGIN } from '../../src/preprocess.js';
import { cropFace } from './crop-reference.js';
import type { Box, Rgba } from '../../src/types.js';
import { Rng } from './rng.js';

export const ROOT = new URL('../../', import.meta.url);
export const EXAMPLE = new URL('examples/astronaut.png', ROOT);
/** The astronaut's face box in the example photo (../shared/README.md). */
export const EXAMPLE_BOX: Box = { x: 175, y: 70, width: 90, height: 90 };

/** Builds the wasm targets once if a fresh clone has none. */
export function ensureWasmBuilt(): void {
  const missing = ['simd', 'scalar'].some((b) => !existsSync(new URL(`build/ssrnet-${b}.wasm`, ROOT)));
  if (!missing) return;
  const r = spawnSync('npm', ['run', 'asbuild'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run asbuild failed:\n${r.stdout}\n${r.stderr}`);
}

/** The bytes of weights/<name>.ssrq. */
export function weightsFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`weights/${name}.ssrq`, ROOT)));
}

/** A fresh engine of the given build with `name` loaded into slot 0 (age) or 1 (gender). */
export async function engineWith(build: 'simd' | 'scalar', name: string): Promise<Engine> {
  ensureWasmBuilt();
  const engine = await Engine.create(readFileSync(new URL(`build/ssrnet-${build}.wasm`, ROOT)));
  const kind = name.startsWith('age') ? 'age' : 'gender';
  engine.loadWeights(kind === 'age' ? 0 : 1, weightsFile(name), kind);
  return engine;
}

/** The example photo, decoded to RGBA. */
export async function examplePhoto(): Promise<Rgba> {
  return decodeImage(new Uint8Array(readFileSync(EXAMPLE)));
}

/** Crops of the example face at a few offsets and margins: real-face inputs on every machine. */
export async function exampleCrops(count = 6): Promise<Uint8Array[]> {
  const img = await examplePhoto();
  return Array.from({ length: count }, (_, i) => {
    const crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
    const d = (i - count / 2) * 4;
    cropFace(img, { ...EXAMPLE_BOX, x: EXAMPLE_BOX.x + d, y: EXAMPLE_BOX.y - d / 2 }, DEFAULT_MARGIN + (i % 3) * 0.05, crop);
    return crop;
  });
}

/** Seeded uniform-noise 64x64x3 images (inputs far from faces, to exercise saturation). */
export function randomCrops(count: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Uint8Array.from({ length: CROP_SIZE * CROP_SIZE * 3 }, () => rng.int(0, 255)));
}
