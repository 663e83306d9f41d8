import { readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { createEstimator } from './src/index.js';
import { normalizeInput } from './src/input.js';
import { cropFace } from './src/preprocess.js';
const img = await normalizeInput(readFileSync('examples/astronaut.png'));
const crop = new Uint8Array(64*64*3);
cropFace(img, { x: 175, y: 70, width: 90, height: 90 }, 0, crop, 'rgb');
writeFileSync('/tmp/face.ppm', Buffer.concat([Buffer.from('P6\n64 64\n255\n'), crop]));
const est = await createEstimator({ model: 'age-wiki' });
console.log('node', JSON.stringify(await est.estimate({ data: crop, width: 64, height: 64, format: 'rgb' })));
const mod = await WebAssembly.compile(readFileSync('build/ssrnet-wasi.wasm'));
for (const args of [['x'], ['x', 'face.ppm'], ['x', '--crop']]) {
  const stdin = openSync('/tmp/face.ppm', 'r'); const out = '/tmp/out.bin'; const stdout = openSync(out, 'w');
  const wasi = new WASI({ version: 'preview1', args, stdin, stdout, preopens: { '.': '/tmp' }, returnOnExit: true });
  const inst = await WebAssembly.instantiate(mod, wasi.getImportObject() as any);
  const t = performance.now();
  const code = wasi.start(inst);
  closeSync(stdin); closeSync(stdout);
  const o = readFileSync(out);
  console.log(args, code, (performance.now()-t).toFixed(1), 'ms', args.includes('--crop') ? o.length : o.toString());
}
