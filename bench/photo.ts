/**
 * The benches' photos, made at run time from committed images: the one-face photo (examples/
 * astronaut.png: the portrait scaled to 480x480 and centred on a 640x480 grey canvas, encoded by
 * jimp as JPEG (quality 90), with the astronaut's face box scaled along) and group photos
 * (test/fixtures/images' public-domain scenes stretched to a size, as JPEG or PNG).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';
import sharp from 'sharp';
import type { Box } from '../src/types.js';

export const PHOTO_WIDTH = 640;
export const PHOTO_HEIGHT = 480;
export const PHOTO_QUALITY = 90;
/** The face box in examples/astronaut.png (512x512). */
const PORTRAIT_BOX = { x: 175, y: 70, width: 90, height: 90 };

/** The 640x480 JPEG bytes and the face box in it. */
export async function makePhoto(): Promise<{ jpeg: Uint8Array; box: Box }> {
  const portrait = await Jimp.read(fileURLToPath(new URL('../examples/astronaut.png', import.meta.url)));
  const scale = PHOTO_HEIGHT / portrait.width;
  const left = (PHOTO_WIDTH - PHOTO_HEIGHT) / 2;
  portrait.resize({ w: PHOTO_HEIGHT, h: PHOTO_HEIGHT });
  const canvas = new Jimp({ width: PHOTO_WIDTH, height: PHOTO_HEIGHT, color: 0x808080ff }).composite(portrait, left, 0);
  const jpeg = new Uint8Array(await canvas.getBuffer('image/jpeg', { quality: PHOTO_QUALITY }));
  const { x, y, width, height } = PORTRAIT_BOX;
  return { jpeg, box: { x: left + x * scale, y: y * scale, width: width * scale, height: height * scale } };
}

const GROUP = new URL('../test/fixtures/images/yunet-group-1.jpg', import.meta.url);
const GROUP_PNG = new URL('../test/fixtures/images/yunet-group-3.jpg', import.meta.url);

/** yunet-group-1.jpg (6 faces) stretched to `width` x `height`, as JPEG (quality 90). */
export async function groupJpeg(width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(readFileSync(GROUP)).resize(width, height, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
}

/** yunet-group-3.jpg (5 faces) stretched to `width` x `height`, as PNG. */
export async function groupPng(width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(readFileSync(GROUP_PNG)).resize(width, height, { fit: 'fill' }).png().toBuffer());
}
