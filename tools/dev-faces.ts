/**
 * The UTKFace dev faces in ../shared/data/utkface-dev (non-commercial licence: read from there,
 * never copied into the repo), cropped exactly as the library does for a face box: the chip is
 * the face box, widened by the training margin, 64x64, BGR.
 *
 * They are decoded with jimp, not the library's default decoder: the committed weights were
 * calibrated on jimp's pixels (test/weights.test.ts reproduces them byte for byte). The default
 * decoder differs by under a level on average (tools/decoder-ages.ts: 0.36 y mean |Δage|).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';
import { CROP_SIZE, DEFAULT_MARGIN, wholeImageBox } from '../src/preprocess.js';
import { type ChannelOrder, cropFace } from '../test/helpers/crop-reference.js';

/** Where CI and developers have the shared data: ../shared beside the repository. */
export const DEV_FACES_DIR = fileURLToPath(new URL('../../shared/data/utkface-dev/', import.meta.url));

export interface DevFace {
  file: string;
  age: number;
  /** 0 male, 1 female (UTKFace convention). */
  gender: number;
  /** 64x64x3 crop in the requested channel order. */
  crop: Uint8Array;
}

/** True when the dev faces are present (tests skip without them). */
export function haveDevFaces(): boolean {
  return existsSync(`${DEV_FACES_DIR}labels.csv`);
}

/** Loads the dev faces in labels.csv order, cropped with `margin` (default 0.4) in `order` (default BGR). */
export async function loadDevFaces(options: { margin?: number; order?: ChannelOrder; limit?: number } = {}): Promise<DevFace[]> {
  const { margin = DEFAULT_MARGIN, order = 'bgr', limit = Infinity } = options;
  const rows = readFileSync(`${DEV_FACES_DIR}labels.csv`, 'utf8').trim().split('\n').slice(1);
  const faces: DevFace[] = [];
  for (const row of rows.slice(0, limit)) {
    const [file, age, gender] = row.split(',');
    const { bitmap } = await Jimp.read(readFileSync(`${DEV_FACES_DIR}${file}`));
    const img = { data: new Uint8Array(bitmap.data), width: bitmap.width, height: bitmap.height };
    const crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
    cropFace(img, wholeImageBox(img), margin, crop, order);
    faces.push({ file, age: Number(age), gender: Number(gender), crop });
  }
  return faces;
}
