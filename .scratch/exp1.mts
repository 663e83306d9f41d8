import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { decode, weightedNms } from '../src/oracle/blazeface.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';

const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
const back = await loadGraphModelFile(new URL('file:///work/shared/reference-tfjs/blazeface.json'));
for (const f of ['astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'rocket.jpg']) {
  const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/' + f)));
  for (const [name, model, size] of [['front', front, 128], ['back', back, 256]] as const) {
    const rgb = new Uint8Array(size * size * 3);
    const lb = letterbox(img, { x: 0, y: 0, width: img.width, height: img.height }, size, rgb);
    const raw = runBlazeface(model, rgb, size);
    const boxes = raw.boxes.map((v) => (v * 128) / size);
    const dets = weightedNms(decode(raw.scores, boxes, 0.3));
    console.log(f, name, dets.slice(0, 4).map((d) => `${d.score.toFixed(3)} @ ${((d.xmin * size - lb.offsetX) / lb.scale).toFixed(0)},${((d.ymin * size - lb.offsetY) / lb.scale).toFixed(0)} ${(d.width * size / lb.scale).toFixed(0)}x${(d.height * size / lb.scale).toFixed(0)}`).join(' | '));
  }
}
