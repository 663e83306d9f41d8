import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/decode.js';
import { loadGraphModelFile, runBlazeface } from '../test/helpers/blazeface-peer.js';
import { letterbox } from './resample.js';
async function inst(build: string) {
  const { instance } = await WebAssembly.instantiate(readFileSync(`build/blazeface-${build}.wasm`), {});
  const e = instance.exports as any;
  const w = readFileSync('weights/blazeface-front.bf32');
  new Uint8Array(e.memory.buffer, e.weightsPtr(), w.length).set(w);
  console.log(build, 'load', e.loadWeights(w.length), 'arena', e.arenaEnd() - e.arenaStart(), 'mem', e.memory.buffer.byteLength);
  return e;
}
const simd = await inst('simd');
const scalar = await inst('scalar');
const front = await loadGraphModelFile(new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url));
const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/astronaut.png')));
const rgb = new Uint8Array(128 * 128 * 3);
letterbox(img, { x: 0, y: 0, width: img.width, height: img.height }, 128, rgb);
const ref = runBlazeface(front, rgb, 128);
for (const [n, e] of [['simd', simd], ['scalar', scalar]] as const) {
  new Uint8Array(e.memory.buffer, e.inputPtr(), rgb.length).set(rgb);
  console.log(n, 'run', e.run());
  const s = new Float32Array(e.memory.buffer, e.tensorPtr(0), 896);
  const b = new Float32Array(e.memory.buffer, e.tensorPtr(1), 896 * 16);
  let ms = 0, mb = 0, maxs = 0, maxb = 0;
  for (let i = 0; i < 896; i++) { ms = Math.max(ms, Math.abs(s[i] - ref.scores[i])); maxs = Math.max(maxs, Math.abs(ref.scores[i])); }
  for (let i = 0; i < 896 * 16; i++) { mb = Math.max(mb, Math.abs(b[i] - ref.boxes[i])); maxb = Math.max(maxb, Math.abs(ref.boxes[i])); }
  console.log(n, 'max |d| scores', ms, 'of', maxs, 'boxes', mb, 'of', maxb);
  console.log(n, 'detect', e.detect(0.5), e.detectionCount(), Array.from(new Float32Array(e.memory.buffer, e.detectionsPtr(), 5)));
  for (let k = 0; k < 50; k++) e.run();
  const t = [];
  for (let k = 0; k < 100; k++) { const t0 = performance.now(); e.run(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  console.log(n, 'run ms median', t[50].toFixed(2), 'min', t[0].toFixed(2));
}
const s1 = new Uint8Array(simd.memory.buffer, simd.tensorPtr(0), 896 * 4 * 17), s2 = new Uint8Array(scalar.memory.buffer, scalar.tensorPtr(0), 896 * 4 * 17);
console.log('simd==scalar raw', s1.every((v, i) => v === s2[i]));
