import type { Box, Rgba } from '../src/types.js';
const S = 128;
interface Taps { first: number; last: number; to: Int32Array; w0: Float32Array; w1: Float32Array }
// each source pixel -> output pixel to[i] with w0, and to[i]+1 with w1 (shrinking only)
function taps(origin: number, scale: number, limit: number): Taps {
  const first = Math.max(0, Math.floor(origin));
  const last = Math.max(first, Math.min(limit, Math.ceil(origin + S / scale)));
  const n = last - first;
  const to = new Int32Array(n), w0 = new Float32Array(n), w1 = new Float32Array(n);
  for (let i = first; i < last; i++) {
    const a = (i - origin) * scale, b = a + scale;
    let u = Math.floor(a);
    let lo = Math.min(u + 1, b) - a, hi = b - (u + 1);
    if (hi < 0) hi = 0;
    if (u < 0) { u = 0; lo = 0; hi = Math.min(b, 1) ; } // only the part in [0,1)
    if (u + 1 >= S) hi = 0;
    to[i - first] = u; w0[i - first] = lo; w1[i - first] = hi;
  }
  return { first, last, to, w0, w1 };
}
export function letterbox2(image: Rgba, region: Box, out: Uint8Array): void {
  const scale = S / region.width;
  const cols = taps(region.x, scale, image.width);
  const rows = taps(region.y, scale, image.height);
  const { data, width } = image;
  const line = new Float32Array(S * 3 + 3);
  const acc = new Float32Array(S * S * 3 + S * 3);
  const n = cols.last - cols.first;
  for (let j = rows.first; j < rows.last; j++) {
    line.fill(0);
    let p = (j * width + cols.first) * 4;
    for (let k = 0; k < n; k++, p += 4) {
      const u = cols.to[k] * 3, a = cols.w0[k], b = cols.w1[k];
      const r = data[p], g = data[p + 1], bl = data[p + 2];
      line[u] += a * r; line[u + 1] += a * g; line[u + 2] += a * bl;
      line[u + 3] += b * r; line[u + 4] += b * g; line[u + 5] += b * bl;
    }
    const jj = j - rows.first;
    const base = rows.to[jj] * S * 3, a = rows.w0[jj], b = rows.w1[jj];
    for (let c = 0; c < S * 3; c++) { const v = line[c]; acc[base + c] += a * v; acc[base + S * 3 + c] += b * v; }
  }
  for (let k = 0; k < S * S * 3; k++) out[k] = Math.round(acc[k]);
}
