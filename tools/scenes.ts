/**
 * BGR image helpers for the YuNet fixtures and the detection bench: decode to BGR (the C++
 * detector's input order), resample, paste, encode. Plain loops, deterministic.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { decodePortable } from './decode-portable.js';
import type { BgrImage } from '../src/oracle/yunet-f32.js';
import type { Rgba } from '../src/types.js';

export function rgbaToBgr(img: Rgba): BgrImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = img.data[4 * i + 2];
    data[3 * i + 1] = img.data[4 * i + 1];
    data[3 * i + 2] = img.data[4 * i];
  }
  return { width: img.width, height: img.height, data };
}

/** Decodes a JPEG or PNG file (jpeg-js / fast-png, as the portable entry does) to BGR. */
export async function loadBgr(path: string | URL): Promise<BgrImage> {
  return rgbaToBgr(await decodePortable(new Uint8Array(readFileSync(path))));
}

/** JPEG bytes of a BGR image (jpeg-js, 4:2:0). */
export function encodeJpeg(img: BgrImage, quality: number): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba[4 * i] = img.data[3 * i + 2];
    rgba[4 * i + 1] = img.data[3 * i + 1];
    rgba[4 * i + 2] = img.data[3 * i];
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data);
}

/** Per output index: the source taps and weights of a triangle filter widened by the scale (antialiased when shrinking). */
function taps(src: number, dst: number): { first: Int32Array; weights: Float64Array[] } {
  const scale = src / dst;
  const support = Math.max(scale, 1);
  const first = new Int32Array(dst);
  const weights: Float64Array[] = [];
  for (let o = 0; o < dst; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(src - 1, Math.ceil(centre + support));
    const w = new Float64Array(hi - lo + 1);
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const t = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      w[i - lo] = t;
      sum += t;
    }
    if (sum === 0) w[Math.min(w.length - 1, Math.max(0, Math.round(centre - 0.5) - lo))] = sum = 1;
    for (let k = 0; k < w.length; k++) w[k] /= sum;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/** Resamples to width x height (separable triangle filter, antialiased when shrinking, like PIL's BILINEAR). */
export function resizeBgr(img: BgrImage, width: number, height: number): BgrImage {
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  const tx = taps(img.width, width);
  const ty = taps(img.height, height);
  const mid = new Float64Array(img.height * width * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const w = tx.weights[x];
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * img.data[(y * img.width + tx.first[x] + k) * 3 + c];
        mid[(y * width + x) * 3 + c] = s;
      }
    }
  }
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const w = ty.weights[y];
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * mid[((ty.first[y] + k) * width + x) * 3 + c];
        data[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(s)));
      }
    }
  }
  return { width, height, data };
}

/** Copies `img` into `canvas` with its top-left at (x, y), clipped to the canvas. */
export function pasteBgr(canvas: BgrImage, img: BgrImage, x: number, y: number): void {
  for (let v = 0; v < img.height; v++) {
    const cy = y + v;
    if (cy < 0 || cy >= canvas.height) continue;
    for (let u = 0; u < img.width; u++) {
      const cx = x + u;
      if (cx < 0 || cx >= canvas.width) continue;
      const s = (v * img.width + u) * 3;
      canvas.data.set(img.data.subarray(s, s + 3), (cy * canvas.width + cx) * 3);
    }
  }
}

/** The rectangle (x, y, width, height) of `img`, copied. */
export function cropBgr(img: BgrImage, x: number, y: number, width: number, height: number): BgrImage {
  const out = { width, height, data: new Uint8Array(width * height * 3) };
  pasteBgr(out, img, -x, -y);
  return out;
}

/** RGBA pixels (opaque) of a BGR image, as the library's raw `rgba` input takes them. */
export function bgrToRgba(img: BgrImage): { data: Uint8Array; width: number; height: number } {
  const n = img.width * img.height;
  const data = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    data[4 * i] = img.data[3 * i + 2];
    data[4 * i + 1] = img.data[3 * i + 1];
    data[4 * i + 2] = img.data[3 * i];
    data[4 * i + 3] = 255;
  }
  return { data, width: img.width, height: img.height };
}

/** Separable Gaussian blur of standard deviation `sigma` pixels (edges replicated). */
export function blurBgr(img: BgrImage, sigma: number): BgrImage {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((s, v) => s + v, 0);
  const pass = (src: Float64Array, dx: number, dy: number) => {
    const out = new Float64Array(src.length);
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let i = -r; i <= r; i++) {
            const xx = Math.min(img.width - 1, Math.max(0, x + i * dx));
            const yy = Math.min(img.height - 1, Math.max(0, y + i * dy));
            s += k[i + r] * src[(yy * img.width + xx) * 3 + c];
          }
          out[(y * img.width + x) * 3 + c] = s / sum;
        }
      }
    }
    return out;
  };
  const blurred = pass(pass(Float64Array.from(img.data), 1, 0), 0, 1);
  return { width: img.width, height: img.height, data: Uint8Array.from(blurred, (v) => Math.round(v)) };
}

/** Maps every pixel through `f(value, channel, index)` (rounded, clamped to 0..255); channel 0 is blue. */
export function mapBgr(img: BgrImage, f: (v: number, channel: number, i: number) => number): BgrImage {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(f(img.data[i], i % 3, i))));
  return { width: img.width, height: img.height, data };
}
