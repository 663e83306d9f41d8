/**
 * How much the default decoders move ages, against jimp's pixels (the Node default before them),
 * on the UTKFace dev faces (../shared/data/utkface-dev, JPEG chips): each chip is decoded by jimp
 * and by the library's default decoder (@jsquash/jpeg: mozjpeg), and the `auto` age of the whole
 * chip (detect: false, the chip is the face box) is computed from each. Prints the pixel
 * differences, mean and max |Δage|, the mean signed Δ, and each decoder's MAE against the labels.
 *
 *   npx tsx tools/decoder-ages.ts [limit]
 */
import { readFileSync } from 'node:fs';
import { Jimp } from 'jimp';
import { decodeImage } from '../src/decode.js';
import { createEstimator } from '../src/index.js';
import type { ImageDecoder } from '../src/types.js';
import { DEV_FACES_DIR, haveDevFaces } from './dev-faces.js';

const jimpDecode: ImageDecoder = async (bytes) => (await Jimp.fromBuffer(Buffer.from(bytes))).bitmap;

async function main(): Promise<void> {
  if (!haveDevFaces()) {
    console.log(`decoder-ages: ${DEV_FACES_DIR} is absent; nothing to measure`);
    return;
  }
  const limit = Number(process.argv[2] ?? Infinity);
  const rows = readFileSync(`${DEV_FACES_DIR}labels.csv`, 'utf8').trim().split('\n').slice(1, 1 + limit);
  const [withJimp, withDefault] = await Promise.all([createEstimator({ decode: jimpDecode }), createEstimator()]);
  const deltas: number[] = [];
  let maxPixel = 0;
  let pixelSum = 0;
  let pixelCount = 0;
  let maeJimp = 0;
  let maeDefault = 0;
  let worst = { file: '', delta: 0 };
  for (const row of rows) {
    const [file, age] = row.split(',');
    const bytes = new Uint8Array(readFileSync(`${DEV_FACES_DIR}${file}`));
    const [a, b] = [await jimpDecode(bytes, { maxPixels: 1e8 }), await decodeImage(bytes)];
    for (let i = 0; i < a.data.length; i++) {
      if ((i & 3) === 3) continue; // alpha
      const d = Math.abs(a.data[i] - b.data[i]);
      maxPixel = Math.max(maxPixel, d);
      pixelSum += d;
      pixelCount++;
    }
    const [[j], [q]] = await Promise.all([withJimp.estimate(bytes, { detect: false }), withDefault.estimate(bytes, { detect: false })]);
    const delta = q.age - j.age;
    deltas.push(delta);
    if (Math.abs(delta) > Math.abs(worst.delta)) worst = { file, delta };
    maeJimp += Math.abs(j.age - Number(age));
    maeDefault += Math.abs(q.age - Number(age));
  }
  const n = deltas.length;
  const abs = deltas.map(Math.abs);
  console.log(`# decoder-ages: ${n} UTKFace dev chips, model auto, whole chip as the face (detect: false)`);
  console.log(`pixels, default decoder vs jimp: mean |Δ| ${(pixelSum / pixelCount).toFixed(3)} levels, max ${maxPixel}`);
  console.log(`|Δage| default vs jimp: mean ${(abs.reduce((s, x) => s + x, 0) / n).toFixed(3)} y, max ${Math.max(...abs).toFixed(3)} y (${worst.file}); mean signed ${(deltas.reduce((s, x) => s + x, 0) / n).toFixed(3)} y`);
  console.log(`MAE against the labels: jimp pixels ${(maeJimp / n).toFixed(3)} y, default decoder ${(maeDefault / n).toFixed(3)} y`);
}

await main();
