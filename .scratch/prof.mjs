import { readFileSync } from 'node:fs';
const { instance } = await WebAssembly.instantiate(readFileSync(`build/blazeface-simd.wasm`), {});
const e = instance.exports;
const w = readFileSync('weights/blazeface-front.bf32');
new Uint8Array(e.memory.buffer, e.weightsPtr(), w.length).set(w);
e.loadWeights(w.length);
const inp = new Uint8Array(e.memory.buffer, e.inputPtr(), 49152);
for (let i = 0; i < inp.length; i++) inp[i] = (i * 7919) & 255;
for (let k = 0; k < 100; k++) e.run();
const t = [];
for (let k = 0; k < 300; k++) { const t0 = performance.now(); e.run(); t.push(performance.now() - t0); }
t.sort((a, b) => a - b);
console.log('median', t[150].toFixed(2), 'min', t[0].toFixed(2));
