import { letterbox } from '../src/detector.js';
import { letterbox2 } from './lb2.js';
const W = 640, H = 480;
const img = { data: new Uint8Array(W * H * 4).map((_, i) => (i * 31) & 255), width: W, height: H };
const out = new Uint8Array(128 * 128 * 3), out2 = new Uint8Array(128 * 128 * 3);
for (let r = 0; r < 3; r++) {
  let t0 = performance.now(); for (let i = 0; i < 50; i++) letterbox(img, { x: 0, y: -80, width: 640, height: 640 }, out); const a = (performance.now() - t0) / 50;
  t0 = performance.now(); for (let i = 0; i < 50; i++) letterbox2(img, { x: 0, y: -80, width: 640, height: 640 }, out2); const b = (performance.now() - t0) / 50;
  console.log('new', a.toFixed(2), 'two-tap', b.toFixed(2));
}
let d = 0; for (let i = 0; i < out.length; i++) d = Math.max(d, Math.abs(out[i] - out2[i])); console.log('max diff', d);
