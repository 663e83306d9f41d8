import { normalizeInput } from '../src/input.js';
import { crc32 } from '../src/crc32.js';
import { deflateSync } from 'node:zlib';
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
function chunk(type: string, data: number[] | Uint8Array) {
  const body = new Uint8Array([...ascii(type), ...data]);
  return [...be32(data.length), ...body, ...be32(crc32(body))];
}
const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
for (const n of [2, 100, 1000, 3000]) {
  const png2 = new Uint8Array([...sig, ...chunk('IHDR', [...be32(1), ...be32(1), 8, 2, 0, 0, 0]), ...chunk('IHDR', [...be32(n), ...be32(n), 8, 2, 0, 0, 0]),
    ...chunk('IDAT', deflateSync(new Uint8Array(4))), ...chunk('IEND', [])]);
  const t = performance.now(); const ab0 = process.memoryUsage().arrayBuffers;
  let r; try { const o = await normalizeInput(png2); r = `ok ${o.width}x${o.height} len ${o.data.length}`; } catch (e: any) { r = `${e?.code} ${e.message.slice(0, 120)}`; }
  console.log(n, r, (performance.now() - t).toFixed(0), 'ms', ((process.memoryUsage().arrayBuffers - ab0) / 1e6).toFixed(1), 'MB');
}
