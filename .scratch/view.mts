import { readFileSync } from 'node:fs';
import { Jimp } from 'jimp';
const DIR = '/work/shared/data/utkface-dev/';
const rows = readFileSync(DIR + 'labels.csv', 'utf8').trim().split('\n').slice(1).map(r => r.split(',')[0]);
const out = new Jimp({ width: 800, height: 400, color: 0x808080ff });
for (let i = 0; i < 8; i++) {
  const chip = await Jimp.read(DIR + rows[i * 37]);
  // draw box 0.03..0.96 x, 0.06..0.99 y in red
  const b = [0.03, 0.06, 0.96, 0.99].map(v => Math.round(v * 199));
  for (let t = b[0]; t <= b[2]; t++) { chip.setPixelColor(0xff0000ff, t, b[1]); chip.setPixelColor(0xff0000ff, t, b[3]); }
  for (let t = b[1]; t <= b[3]; t++) { chip.setPixelColor(0xff0000ff, b[0], t); chip.setPixelColor(0xff0000ff, b[2], t); }
  out.composite(chip, (i % 4) * 200, Math.floor(i / 4) * 200);
}
await out.write('/tmp/chips.png');
