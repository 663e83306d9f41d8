/**
 * `tsx tools/fit-face-box.ts`: fits the map from YuNet's detection (box and landmarks) to the face
 * box the age models are measured with — a UTKFace chip is itself the face box (0.4 margin applied
 * to it). Fitted on the EVEN-numbered dev chips of ../shared/data/utkface-dev (labels.csv order;
 * the odd ones are held out for test/face-box.test.ts and the collages), each pasted at several
 * sizes onto a mid-grey canvas and detected by the float oracle. Prints each candidate model's
 * constants and residuals; the chosen one's constants go in src/face-box.ts.
 *
 * Every model is: side = k * m, centre = reference + (ax, ay) * m, with a size measure m and a
 * reference point from the detection; constants are medians of the per-chip ratios (robust).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readYunet } from '../src/oracle/yunet-weights.js';
import { iou, yunetDetect, type BgrImage, type YunetFace } from '../src/oracle/yunet-f32.js';
import { loadBgr, pasteBgr, resizeBgr } from './scenes.js';

const UTK = new URL('../../shared/data/utkface-dev/', import.meta.url);
const layers = readYunet(readFileSync(new URL('../weights/yunet.yunf', import.meta.url)));

/** The chip pasted as a `size`-px square in the middle of a grey canvas (a quarter of its side around it); the best face found. */
export async function detectChip(chip: BgrImage, size: number): Promise<{ face: YunetFace | undefined; chipBox: [number, number, number] }> {
  const side = size + 2 * Math.max(16, Math.round(size / 4));
  const canvas = { width: side, height: side, data: new Uint8Array(side * side * 3).fill(128) };
  const at = Math.floor((side - size) / 2);
  pasteBgr(canvas, resizeBgr(chip, size, size), at, at);
  const faces = yunetDetect(layers, canvas);
  return { face: faces[0], chipBox: [at, at, size] };
}

interface Sample {
  face: YunetFace;
  x: number; // chip left, top, side
  y: number;
  s: number;
}

type Measure = (f: YunetFace) => { m: number; cx: number; cy: number };
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const median = (a: number[]): number => {
  const b = [...a].sort((p, q) => p - q);
  return b.length % 2 ? b[(b.length - 1) / 2] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
};
const quantile = (a: number[], q: number): number => [...a].sort((p, r) => p - r)[Math.min(a.length - 1, Math.floor(q * a.length))];

/** Candidate size measures and reference points. */
export const MODELS: Record<string, Measure> = {
  'box width, box centre': (f) => ({ m: f.width, cx: f.x + f.width / 2, cy: f.y + f.height / 2 }),
  'box height, box centre': (f) => ({ m: f.height, cx: f.x + f.width / 2, cy: f.y + f.height / 2 }),
  'sqrt(w*h), box centre': (f) => ({ m: Math.sqrt(f.width * f.height), cx: f.x + f.width / 2, cy: f.y + f.height / 2 }),
  'eyes-mouth distance, landmark mean': (f) => {
    const l = f.landmarks;
    const ex = (l[0].x + l[1].x) / 2;
    const ey = (l[0].y + l[1].y) / 2;
    const mx = (l[3].x + l[4].x) / 2;
    const my = (l[3].y + l[4].y) / 2;
    return { m: Math.hypot(mx - ex, my - ey), cx: mean(l.map((p) => p.x)), cy: mean(l.map((p) => p.y)) };
  },
  'sqrt(w*h), landmark mean': (f) => ({ m: Math.sqrt(f.width * f.height), cx: mean(f.landmarks.map((p) => p.x)), cy: mean(f.landmarks.map((p) => p.y)) }),
};

export function fit(samples: Sample[], measure: Measure): { k: number; ax: number; ay: number } {
  const r = samples.map(({ face, x, y, s }) => {
    const { m, cx, cy } = measure(face);
    return { k: s / m, ax: (x + s / 2 - cx) / m, ay: (y + s / 2 - cy) / m };
  });
  return { k: median(r.map((v) => v.k)), ax: median(r.map((v) => v.ax)), ay: median(r.map((v) => v.ay)) };
}

export function residuals(samples: Sample[], measure: Measure, c: { k: number; ax: number; ay: number }): { iouMedian: number; iouP10: number; sizeErr: number; centreErr: number } {
  const ious: number[] = [];
  const sizeErr: number[] = [];
  const centreErr: number[] = [];
  for (const { face, x, y, s } of samples) {
    const { m, cx, cy } = measure(face);
    const side = c.k * m;
    const px = cx + c.ax * m - side / 2;
    const py = cy + c.ay * m - side / 2;
    ious.push(iou([px, py, px + side, py + side], [x, y, x + s, y + s]));
    sizeErr.push(Math.abs(side / s - 1));
    centreErr.push(Math.hypot(px + side / 2 - (x + s / 2), py + side / 2 - (y + s / 2)) / s);
  }
  return { iouMedian: median(ious), iouP10: quantile(ious, 0.1), sizeErr: median(sizeErr), centreErr: median(centreErr) };
}

/** The dev chips' files in labels.csv order, with their index. */
export function chipFiles(): string[] {
  return readFileSync(new URL('labels.csv', UTK), 'utf8').trim().split('\n').slice(1).map((row) => row.split(',')[0]);
}

export async function samples(parity: 0 | 1, sizes: number[]): Promise<{ samples: Sample[]; missed: number; tried: number }> {
  const out: Sample[] = [];
  let missed = 0;
  let tried = 0;
  const files = chipFiles().filter((_, i) => i % 2 === parity);
  for (const file of files) {
    const chip = await loadBgr(new URL(file, UTK));
    for (const size of sizes) {
      tried++;
      const { face, chipBox } = await detectChip(chip, size);
      if (!face || face.score < 0.5) {
        missed++;
        continue;
      }
      out.push({ face, x: chipBox[0], y: chipBox[1], s: chipBox[2] });
    }
  }
  return { samples: out, missed, tried };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = [48, 96, 160];
  const even = await samples(0, sizes);
  const odd = await samples(1, sizes);
  console.log(`even chips: ${even.samples.length} detections of ${even.tried} (sizes ${sizes.join(', ')} px); odd (held out): ${odd.samples.length} of ${odd.tried}`);
  for (const [name, measure] of Object.entries(MODELS)) {
    const c = fit(even.samples, measure);
    const rFit = residuals(even.samples, measure, c);
    const rHeld = residuals(odd.samples, measure, c);
    const bySize = sizes.map((s) => {
      const part = even.samples.filter((p) => p.s === s);
      return `${s}px k ${fit(part, measure).k.toFixed(3)}`;
    });
    console.log(`${name}: k ${c.k.toFixed(4)} ax ${c.ax.toFixed(4)} ay ${c.ay.toFixed(4)} | fit: IoU median ${rFit.iouMedian.toFixed(3)} p10 ${rFit.iouP10.toFixed(3)}, |size-1| ${rFit.sizeErr.toFixed(3)}, centre ${rFit.centreErr.toFixed(3)} | held out: IoU median ${rHeld.iouMedian.toFixed(3)} p10 ${rHeld.iouP10.toFixed(3)}, |size-1| ${rHeld.sizeErr.toFixed(3)}, centre ${rHeld.centreErr.toFixed(3)} | ${bySize.join(', ')}`);
  }
}
