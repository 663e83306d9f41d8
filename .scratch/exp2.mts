import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { decode, weightedNms } from '../src/oracle/blazeface.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';
import type { Rgba } from '../src/types.js';

const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
function bilinearStretch(img: Rgba, size: number): Uint8Array {
  const out = new Uint8Array(size*size*3);
  for (let v=0; v<size; v++) for (let u=0; u<size; u++) {
    const sx = Math.min(Math.max((u+0.5)*img.width/size-0.5,0),img.width-1), sy=Math.min(Math.max((v+0.5)*img.height/size-0.5,0),img.height-1);
    const x0=Math.floor(sx), y0=Math.floor(sy), x1=Math.min(x0+1,img.width-1), y1=Math.min(y0+1,img.height-1), fx=sx-x0, fy=sy-y0;
    for (let c=0;c<3;c++){ const p=(x:number,y:number)=>img.data[(y*img.width+x)*4+c];
      out[(v*size+u)*3+c]=Math.round((1-fx)*(1-fy)*p(x0,y0)+fx*(1-fy)*p(x1,y0)+(1-fx)*fy*p(x0,y1)+fx*fy*p(x1,y1)); }
  }
  return out;
}
for (const f of ['astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'rocket.jpg']) {
  const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/' + f)));
  const rgb = new Uint8Array(128 * 128 * 3);
  letterbox(img, { x: 0, y: 0, width: img.width, height: img.height }, 128, rgb);
  const gray = rgb.slice();
  // gray padding instead of black
  const stretch = bilinearStretch(img, 128);
  const res: string[] = [];
  for (const [n, input] of [['area-letterbox', rgb], ['bilinear-stretch', stretch]] as const) {
    const raw = runBlazeface(front, input, 128);
    const dets = weightedNms(decode(raw.scores, raw.boxes, 0.2));
    res.push(`${n}: ${dets.slice(0,3).map(d=>d.score.toFixed(3)).join(',')}`);
  }
  console.log(f, res.join('  '));
}
