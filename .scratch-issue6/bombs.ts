import { normalizeInput } from '../src/input.js';
import { crc32 } from '../src/crc32.js';
import { deflateSync } from 'node:zlib';

const u16le = (n: number) => [n & 255, (n >>> 8) & 255];
const u16be = (n: number) => [(n >>> 8) & 255, n & 255];
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
async function probe(name: string, bytes: Uint8Array) {
  const ab0 = process.memoryUsage().arrayBuffers, rss0 = process.memoryUsage().rss;
  const t = performance.now();
  let r: string;
  try { const o = await normalizeInput(bytes); r = `ok ${o.width}x${o.height}`; } catch (e: any) { r = `${e?.constructor?.name} ${e?.code} ${String(e?.message).slice(0, 150)}`; }
  const m = process.memoryUsage();
  console.log(name, '|', r, '|', (performance.now() - t).toFixed(0), 'ms | ab +', ((m.arrayBuffers - ab0) / 1e6).toFixed(1), 'MB rss +', ((m.rss - rss0) / 1e6).toFixed(1));
}
// GIF: 1x1 screen, frame 65535x65535
const gif = new Uint8Array([...ascii('GIF89a'), ...u16le(1), ...u16le(1), 0x80, 0, 0, 0,0,0, 255,255,255,
  0x2c, ...u16le(0), ...u16le(0), ...u16le(65535), ...u16le(65535), 0, 2, 2, 0x4c, 0x01, 0, 0x3b]);
// await probe('gif frame 65535^2 in 1x1 screen', gif);
const gif2 = gif.slice(); gif2.set([...u16le(20000), ...u16le(20000)], 13 + 6 + 1 + 4);
// await probe('gif frame 20000^2 in 1x1 screen', gif2);
// PNG with a second IHDR
function chunk(type: string, data: number[] | Uint8Array) {
  const body = new Uint8Array([...ascii(type), ...data]);
  const len = data.length;
  const c = crc32(body);
  return [(len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, ...body, (c >>> 24) & 255, (c >>> 16) & 255, (c >>> 8) & 255, c & 255];
}
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png2 = new Uint8Array([...sig, ...chunk('IHDR', [...be32(1), ...be32(1), 8, 2, 0, 0, 0]), ...chunk('IHDR', [...be32(30000), ...be32(30000), 8, 2, 0, 0, 0]),
  ...chunk('IDAT', deflateSync(new Uint8Array(4))), ...chunk('IEND', [])]);
// await probe('png second IHDR 30000^2', png2);
// JPEG: two SOF0
const sof = (w: number, h: number, nc = 1) => [0xff, 0xc0, ...u16be(8 + 3 * nc), 8, ...u16be(h), ...u16be(w), nc, ...Array.from({ length: nc }, (_, i) => [i + 1, 0x11, 0]).flat()];
const jpg = new Uint8Array([0xff, 0xd8, ...sof(1, 1), ...sof(10000, 10000), 0xff, 0xd9]);
await probe('jpeg second SOF 10000^2 (1 comp)', jpg);
const jpg3 = new Uint8Array([0xff, 0xd8, ...sof(1, 1), ...sof(8000, 8000, 3), 0xff, 0xd9]);
await probe('jpeg second SOF 8000^2 (3 comp)', jpg3);
