import type { Box, Rgba } from '../src/types.js';

export interface Letterbox { scale: number; offsetX: number; offsetY: number; region: Box }

/** Area-resample `region` of img into size x size RGB, centered, black padding (MediaPipe FIT + BORDER_ZERO). */
export function letterbox(img: Rgba, region: Box, size: number, out: Uint8Array): Letterbox {
  const scale = size / Math.max(region.width, region.height);
  const offsetX = (size - region.width * scale) / 2;
  const offsetY = (size - region.height * scale) / 2;
  const cols = spans(region.x, region.width, img.width, scale, offsetX, size);
  const rows = spans(region.y, region.height, img.height, scale, offsetY, size);
  const acc = new Float64Array(size * 3);
  const { data, width } = img;
  for (let v = 0; v < size; v++) {
    acc.fill(0);
    const r = rows[v];
    for (let j = 0; j < r.index.length; j++) {
      const wy = r.weight[j];
      const rowBase = r.index[j] * width * 4;
      for (let u = 0; u < size; u++) {
        const c = cols[u];
        let R = 0, G = 0, B = 0;
        for (let i = 0; i < c.index.length; i++) {
          const p = rowBase + c.index[i] * 4;
          const w = c.weight[i];
          R += w * data[p]; G += w * data[p + 1]; B += w * data[p + 2];
        }
        acc[u * 3] += wy * R; acc[u * 3 + 1] += wy * G; acc[u * 3 + 2] += wy * B;
      }
    }
    for (let k = 0; k < size * 3; k++) out[v * size * 3 + k] = Math.round(acc[k]);
  }
  return { scale, offsetX, offsetY, region };
}

interface Span { index: Int32Array; weight: Float64Array }

function spans(start: number, length: number, limit: number, scale: number, offset: number, size: number): Span[] {
  const lo = Math.max(start, 0);
  const hi = Math.min(start + length, limit);
  const out: Span[] = [];
  for (let u = 0; u < size; u++) {
    const a = start + (u - offset) / scale;
    const b = start + (u + 1 - offset) / scale;
    const from = Math.max(a, lo);
    const to = Math.min(b, hi);
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(from); i < to; i++) {
      const w = Math.min(i + 1, to) - Math.max(i, from);
      if (w > 0) { index.push(i); weight.push(w * scale); }
    }
    out.push({ index: Int32Array.from(index), weight: Float64Array.from(weight) });
  }
  return out;
}
