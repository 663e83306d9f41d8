/**
 * `tsx tools/calibrate-yunet.ts [--rule=R] [--compare [--rules=R,R...]] [--errors]`: the per-channel activation
 * scales of the int8 YuNet (docs/detector.md, int8 inference), from the float oracle's activations on the
 * images the repository ships.
 *
 * Each image is resized the way the detector does it (workingSize with the engine's limits: long
 * side <= 640, padded map <= 640x480; never enlarged), run through the float oracle, and every
 * channel of every stage's output is histogrammed (|x|: u8 maps are >= 0, s8 maps symmetric), and
 * so is the whole map. A rule turns a histogram into a clipping value c, and the scale is c / 255
 * (u8) or c / 127 (s8). A channel's clip is floored at the map's clip / FLOOR_DIVISOR, so dead
 * channels (never active on these images) get a scale > 0. Each layer's input scales are its
 * source's output scales, found by walking the same graph (yunetGraph).
 *
 * Writes assembly/yunet-scales.ts and src/oracle/yunet-scales.ts. `--compare` instead prints, for
 * every rule (RULES, or --rules), how far the int8 oracle's detections are from the float oracle's on these images;
 * `--errors` the relative RMS error of every int8 map against the float one, per-tensor vs
 * per-channel scales. A rule `tensor:R` gives every channel of a map the map's clip (the v1 tables).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/crc32.js';
import { workingSize } from '../src/detector.js';
import { f32Ops, iou, yunetDecode, yunetGraph, type BgrImage, type HeadLevel, type Tensor, type YunetFace, type YunetOps } from '../src/oracle/yunet-f32.js';
import { SOURCE_NECK16, SOURCE_NECK8, SOURCE_PIXELS, int8Ops, quantizeYunet, withInputs, yunetForwardInt8, type QTensor, type YunetScales } from '../src/oracle/yunet-int8.js';
import { KIND_DEPTHWISE, KIND_POINTWISE, KIND_STEM, readYunet, type YunetLayer } from '../src/oracle/yunet-weights.js';
import { loadBgr, resizeBgr } from './scenes.js';

const ROOT = new URL('../', import.meta.url);
export const WEIGHTS_PATH = 'weights/yunet.yunf';
/** The committed images, in a fixed order. */
export const CALIBRATION_IMAGES = [
  'examples/astronaut.png',
  'test/fixtures/images/camera.png',
  'test/fixtures/images/chelsea.png',
  'test/fixtures/images/coffee.png',
  'test/fixtures/images/rocket.jpg',
  'test/fixtures/images/yunet-group-1.jpg',
  'test/fixtures/images/yunet-group-2.jpg',
  'test/fixtures/images/yunet-group-3.jpg',
];
/** The engine's input limits (assembly/yunet-arena.ts MAX_INPUT_SIDE, MAX_PADDED_PIXELS). */
const LIMITS = { maxSide: 640, maxPaddedPixels: 640 * 480 };

/** How a histogram becomes a clip: its largest value, a percentile, or the least squared error. */
export const CLIP_RULES = ['max', 'p99.999', 'p99.99', 'p99.9', 'mse'] as const;
export type ClipRule = (typeof CLIP_RULES)[number];
/**
 * A rule: `[tensor:]CLIP[*K][/D]`: CLIP per channel, or on the whole map for every channel (`tensor:`,
 * v1's per-tensor scales), times a headroom K (default 1) for values larger than the calibration's;
 * per channel, at least the map's clip / D (default FLOOR_DIVISOR).
 */
export type Rule = string;
export interface ParsedRule {
  perTensor: boolean;
  clip: ClipRule;
  headroom: number;
  floorDivisor: number;
}
export function parseRule(rule: Rule): ParsedRule {
  const m = /^(tensor:)?([^*/]+)(?:\*([0-9.]+))?(?:\/([0-9.]+))?$/.exec(rule);
  const clip = m?.[2] as ClipRule;
  const headroom = Number(m?.[3] ?? 1);
  const floorDivisor = Number(m?.[4] ?? FLOOR_DIVISOR);
  if (!m || !CLIP_RULES.includes(clip) || !(headroom >= 1) || !(floorDivisor >= 1)) throw new Error(`rule ${rule}: [tensor:]CLIP[*K][/D], CLIP one of ${CLIP_RULES.join(', ')}, K >= 1, D >= 1`);
  return { perTensor: m[1] !== undefined, clip, headroom, floorDivisor };
}
/** The rules `--compare` tries. */
export const RULES: readonly Rule[] = [...CLIP_RULES, 'max*1.5', 'max*2', 'tensor:max', 'tensor:p99.999'];
/**
 * The rule the committed tables use. Measured on held-out scenes (bench/detect-eval.ts 24,
 * SIZES=n640; float: 82% recall of faces >= 24 px at score 0.6): float faces kept by int8 (IoU >= 0.5,
 * score >= 0.6) and that recall: per-tensor max 132/133, 81%; per-channel max 125/133, 79% (8
 * images under-estimate each channel's range: held-out faces clip); max*1.5 130/133, 81%; max*2
 * 133/133, 84%; max*3 133/133, 83% but coarser (IoU min 0.787, landmarks up to 15.8 px against
 * max*2's 0.807, 10.6 px); p99.999*2 133/133, 84%, landmarks up to 14.8 px. A higher floor
 * changes nothing (max/4 125/133, max*1.5/4 130/133): the clipped channels are not the small ones.
 * No false boxes at 0.6 with any of them.
 */
export const DEFAULT_RULE: Rule = 'max*2';
/**
 * A channel's clip is at least the map's clip / FLOOR_DIVISOR: a channel that small would be all
 * zeros or ones with per-tensor scales, so the floor never does worse than them, and a dead channel
 * (max 0 on these images) still gets a positive scale.
 */
export const FLOOR_DIVISOR = 256;

/** Stage ids: layer i's output is stage i; the neck adds at stride 16 and 8 are these two. */
const NECK16 = 53;
const NECK8 = 54;
const BINS = 4096;

/**
 * Histogram of |x| over [0, top), BINS bins; top doubles (merging bin pairs) when a larger value
 * comes. Exact zeros are counted apart (ReLU maps are full of them and they quantize exactly).
 */
export class Histogram {
  counts = new Float64Array(BINS);
  zeros = 0;
  top = 0;

  add(data: Float32Array): void {
    let m = 0;
    for (const v of data) m = Math.max(m, Math.abs(v));
    if (m > 0 && this.top === 0) this.top = 2 ** Math.ceil(Math.log2(m) + 1e-9);
    while (m >= this.top && m > 0) {
      for (let b = 0; b < BINS / 2; b++) this.counts[b] = this.counts[2 * b] + this.counts[2 * b + 1];
      this.counts.fill(0, BINS / 2);
      this.top *= 2;
    }
    for (const v of data) {
      const a = Math.abs(v);
      if (a === 0) this.zeros++;
      else this.counts[Math.min(BINS - 1, Math.floor((a / this.top) * BINS))]++;
    }
  }

  /** Upper edge of the highest non-empty bin (>= the max seen). */
  max(): number {
    let b = BINS - 1;
    while (b > 0 && this.counts[b] === 0) b--;
    return ((b + 1) * this.top) / BINS;
  }

  /** Smallest bin edge below which a fraction `p` of all values (zeros included) lies. */
  percentile(p: number): number {
    const total = this.zeros + this.counts.reduce((a, b) => a + b, 0);
    let seen = this.zeros;
    for (let b = 0; b < BINS; b++) {
      seen += this.counts[b];
      if (seen >= p * total) return ((b + 1) * this.top) / BINS;
    }
    return this.top;
  }

  /** The clip c minimizing the expected squared error: (x - c)^2 above c, step^2 / 12 below (step = c / levels). */
  mseClip(levels: number): number {
    // Sums over the bins at and above each candidate edge (bin centres x), so each candidate is O(1).
    const n = new Float64Array(BINS + 1);
    const nx = new Float64Array(BINS + 1);
    const nxx = new Float64Array(BINS + 1);
    for (let b = BINS - 1; b >= 0; b--) {
      const x = ((b + 0.5) * this.top) / BINS;
      n[b] = n[b + 1] + this.counts[b];
      nx[b] = nx[b + 1] + this.counts[b] * x;
      nxx[b] = nxx[b + 1] + this.counts[b] * x * x;
    }
    let best = this.max();
    let bestErr = Infinity;
    for (let cb = 1; cb <= BINS; cb++) {
      const c = (cb * this.top) / BINS;
      const step = c / levels;
      const err = ((n[0] - n[cb]) * step * step) / 12 + nxx[cb] - 2 * c * nx[cb] + c * c * n[cb];
      if (err < bestErr) {
        bestErr = err;
        best = c;
      }
    }
    return best;
  }
}

/** Levels of a stage's positive range: 255 for u8 maps, 127 for s8 (1x1 conv) maps. */
function levels(layers: YunetLayer[], stage: number): number {
  return stage < 53 && layers[stage].kind === KIND_POINTWISE ? 127 : 255;
}

/** The calibration images, resized like the detector's working images. */
export async function calibrationImages(): Promise<{ path: string; image: BgrImage }[]> {
  return Promise.all(
    CALIBRATION_IMAGES.map(async (path) => {
      const full = await loadBgr(new URL(path, ROOT));
      const size = workingSize(full.width, full.height, LIMITS);
      return { path, image: resizeBgr(full, size.width, size.height) };
    }),
  );
}

/** A stage's histograms: the whole map's and each channel's. */
export interface StageHistograms {
  map: Histogram;
  channels: Histogram[];
}

function addMap(h: StageHistograms, t: Tensor): void {
  h.map.add(t.data);
  const values = new Float32Array(t.h * t.w);
  for (let c = 0; c < t.c; c++) {
    h.channels[c] ??= new Histogram();
    for (let p = 0; p < values.length; p++) values[p] = t.data[p * t.c + c];
    h.channels[c].add(values);
  }
}

/**
 * Histograms of every stage's output over the images (float oracle; the heads' depthwise outputs
 * are f32 in the engine: not histogrammed), and the float head outputs of each image on the way.
 */
export function collectHistograms(layers: YunetLayer[], images: BgrImage[]): { hist: StageHistograms[]; float: HeadLevel[][] } {
  const hist = Array.from({ length: 55 }, (): StageHistograms => ({ map: new Histogram(), channels: [] }));
  const ops = f32Ops(layers);
  const watched: YunetOps<Tensor> = {
    ...ops,
    stem(image) {
      const y = ops.stem(image);
      addMap(hist[0], y);
      return y;
    },
    layer(i, x, relu) {
      const y = ops.layer(i, x, relu);
      if (!isHeadDepthwise(layers, i)) addMap(hist[i], y);
      return y;
    },
    upsampleAdd(coarse, fine, stride) {
      const y = ops.upsampleAdd(coarse, fine, stride);
      addMap(hist[stride === 16 ? NECK16 : NECK8], y);
      return y;
    },
  };
  const float = images.map((image) => yunetGraph(watched, image));
  return { hist, float };
}

/** The heads' depthwise convs write f32: no output scales (1 by the contract). */
function isHeadDepthwise(layers: YunetLayer[], i: number): boolean {
  return i >= 29 && layers[i].kind === KIND_DEPTHWISE;
}

/** The clipping value of a histogram under a clip rule. */
function clip(h: Histogram, rule: ClipRule, lv: number): number {
  if (rule === 'max') return h.max();
  if (rule === 'mse') return h.mseClip(lv);
  return h.percentile(Number(rule.slice(1)) / 100);
}

/** A stage's per-channel output scales under `rule`: clip * headroom / levels, each clip floored at the map's clip / the rule's D. */
function stageScales(h: StageHistograms, rule: Rule, lv: number): Float32Array {
  const r = parseRule(rule);
  const mapClip = clip(h.map, r.clip, lv);
  return Float32Array.from(h.channels, (ch) => {
    const c = r.headroom * (r.perTensor ? mapClip : Math.max(clip(ch, r.clip, lv), mapClip / r.floorDivisor));
    return c > 0 ? c / lv : 1;
  });
}

/**
 * The scale table from the histograms: output scales by `rule`, and what feeds each layer, by
 * walking the graph with maps that carry only where they come from (a maxpool passes its source's).
 */
export function scalesFrom(layers: YunetLayer[], hist: StageHistograms[], rule: Rule): YunetScales {
  const outputs = layers.map((l, i) => (isHeadDepthwise(layers, i) ? new Float32Array(l.outChannels).fill(1) : stageScales(hist[i], rule, levels(layers, i))));
  const neck16 = stageScales(hist[NECK16], rule, 255);
  const neck8 = stageScales(hist[NECK8], rule, 255);
  const sources: number[] = [];
  type S = { h: number; w: number; source: number };
  const walk: YunetOps<S> = {
    stem() {
      sources[0] = SOURCE_PIXELS;
      return { h: 1, w: 1, source: 0 };
    },
    layer(i, x) {
      sources[i] = x.source;
      return { h: 1, w: 1, source: i };
    },
    maxPool: (x) => x,
    upsampleAdd: (_a, _b, stride) => ({ h: 1, w: 1, source: stride === 16 ? SOURCE_NECK16 : SOURCE_NECK8 }),
    floats: () => new Float32Array(0),
  };
  yunetGraph(walk, { width: 1, height: 1, data: new Uint8Array(3) });
  return withInputs(outputs, Int32Array.from(sources), neck16, neck8);
}

/** Everything the tables depend on, for the generated files' headers (and the test that they are current). */
export function inputsChecksum(): number {
  const parts = [WEIGHTS_PATH, ...CALIBRATION_IMAGES].map((p) => readFileSync(new URL(p, ROOT)));
  const all = Buffer.concat(parts.flatMap((p) => [Buffer.from(Uint32Array.of(p.length).buffer), p]));
  return crc32(all);
}

function header(rule: Rule, comment: string): string {
  const r = parseRule(rule);
  const how = r.clip === 'max' ? 'the largest |value| (up to its histogram bin, 1/4096 of the range)' : r.clip === 'mse' ? 'the value minimizing the squared quantization error' : `the ${r.clip.slice(1)}th percentile of the |values|`;
  const times = r.headroom === 1 ? '' : `, times ${r.headroom}`;
  return [
    `${comment} GENERATED by \`npx tsx tools/calibrate-yunet.ts\` (rule ${rule}): do not edit.`,
    `${comment} Per-channel activation scales of the int8 YuNet (contract: docs/detector.md, int8 inference), from the float oracle's`,
    `${comment} activations on ${CALIBRATION_IMAGES.join(', ')},`,
    `${comment} each resized like the detector's working image (long side <= 640, padded map <= 640x480, never enlarged).`,
    r.perTensor
      ? `${comment} Rule ${rule}: every channel of a map gets the map's clip, ${how}${times}; scale = clip / 255 (u8 maps) or clip / 127 (s8 maps).`
      : `${comment} Rule ${rule}: clip each channel at ${how}, at least the whole map's clip / ${r.floorDivisor}${times}; scale = clip / 255 (u8 maps) or clip / 127 (s8 maps).`,
    `${comment} Layers in the table order; LAYER_SCALE_OFFSET[i]: where layer i's output scales [cout] start (in floats).`,
    `${comment} LAYER_INPUT_SOURCE[i]: the map layer i reads, whose scales are its input scales: layer j >= 0's output,`,
    `${comment} ${SOURCE_PIXELS} the BGR pixels (scale 1), ${SOURCE_NECK16} / ${SOURCE_NECK8} the stride-16 / stride-8 neck add.`,
    `${comment} Heads' depthwise output scales: 1 (their output is f32). NECK16/NECK8_ADD_SCALES: the two upsample-adds' outputs.`,
    `${comment} Inputs CRC-32 (weights + images): ${inputsChecksum().toString(16).padStart(8, '0')}`,
  ].join('\n');
}

/** f32 values print as the shortest decimal of their double: parsing it back and rounding to f32 is exact. */
const num = (v: number): string => String(Math.fround(v));

/** The values of per-layer arrays, one `// layer i` comment line then 8 values a line. */
function rows(arrays: Float32Array[], label: (i: number) => string): string {
  return arrays
    .flatMap((a, i) => [`  // ${label(i)}`, ...Array.from({ length: Math.ceil(a.length / 8) }, (_, k) => `  ${Array.from(a.subarray(8 * k, 8 * k + 8), num).join(', ')},`)])
    .join('\n');
}

function offsets(arrays: Float32Array[]): number[] {
  let at = 0;
  return arrays.map((a) => (at += a.length) - a.length);
}

/** The five generated arrays: [name, element type, body]. */
function tables(scales: YunetScales): [string, 'f32' | 'i32', string][] {
  return [
    ['LAYER_OUTPUT_SCALES', 'f32', rows(scales.outputs, (i) => `${i}: ${scales.outputs[i].length}`)],
    ['LAYER_SCALE_OFFSET', 'i32', `  ${offsets(scales.outputs).join(', ')},`],
    ['LAYER_INPUT_SOURCE', 'i32', `  ${Array.from(scales.sources).join(', ')},`],
    ['NECK16_ADD_SCALES', 'f32', rows([scales.neck16], () => 'neck add, stride 16: 64')],
    ['NECK8_ADD_SCALES', 'f32', rows([scales.neck8], () => 'neck add, stride 8: 64')],
  ];
}

export function renderAssembly(scales: YunetScales, rule: Rule): string {
  const body = tables(scales).map(([name, type, values]) => `export const ${name}: usize = memory.data<${type}>([\n${values}\n]);`);
  return `${header(rule, '//')}\n\n${body.join('\n')}\n`;
}

export function renderTs(scales: YunetScales, rule: Rule): string {
  const body = tables(scales).map(([name, type, values]) => `export const YUNET_${name} = new ${type === 'f32' ? 'Float32Array' : 'Int32Array'}([\n${values}\n]);`);
  return `${header(rule, '//')}\n\n${body.join('\n')}\n`;
}

/** One float face and the int8 face matched to it (IoU >= 0.5, both at score >= the threshold). */
export interface FacePair {
  scoreDiff: number; // int8 - float
  iou: number;
  landmark: number; // largest landmark offset, px
  size: number; // float face sqrt(w * h), px
}

/**
 * Matches the float faces at score >= `minScore` to the int8 ones (greedy by float score, IoU >= 0.5).
 * `missed`: float faces without an int8 match; `extra`: int8 faces at >= minScore without a float one.
 */
export function compareFaces(float: YunetFace[], int8: YunetFace[], minScore = 0.6): { pairs: FacePair[]; missed: number; extra: number } {
  const box = (f: YunetFace) => [f.x, f.y, f.x + f.width, f.y + f.height];
  const cand = int8.filter((f) => f.score >= minScore);
  const used = new Set<number>();
  const pairs: FacePair[] = [];
  let missed = 0;
  for (const r of float.filter((f) => f.score >= minScore)) {
    let best = -1;
    let bestIou = 0.5;
    cand.forEach((c, k) => {
      const o = iou(box(r), box(c));
      if (!used.has(k) && o >= bestIou) [best, bestIou] = [k, o];
    });
    if (best < 0) {
      missed++;
      continue;
    }
    used.add(best);
    const c = cand[best];
    const landmark = Math.max(...r.landmarks.map((p, n) => Math.hypot(p.x - c.landmarks[n].x, p.y - c.landmarks[n].y)));
    pairs.push({ scoreDiff: c.score - r.score, iou: bestIou, landmark, size: Math.sqrt(r.width * r.height) });
  }
  return { pairs, missed, extra: cand.length - used.size };
}

/** One line: faces matched, score differences, IoU, landmark offsets (absolute and per face size). */
export function summarize(pairs: FacePair[], missed: number, extra: number): string {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const d = pairs.map((p) => Math.abs(p.scoreDiff));
  if (pairs.length === 0) return `faces 0/${missed} (+${extra} extra)`;
  return `faces ${pairs.length}/${pairs.length + missed} (+${extra} extra)  |score diff| mean ${mean(d).toFixed(4)} max ${Math.max(0, ...d).toFixed(4)}  IoU mean ${mean(pairs.map((p) => p.iou)).toFixed(3)} min ${Math.min(1, ...pairs.map((p) => p.iou)).toFixed(3)}  landmarks mean ${mean(pairs.map((p) => p.landmark)).toFixed(2)} max ${Math.max(0, ...pairs.map((p) => p.landmark)).toFixed(2)} px (max ${(100 * Math.max(0, ...pairs.map((p) => p.landmark / p.size))).toFixed(1)}% of the face)`;
}

/** Largest |int8 - float| of each head over the levels. */
export function headErrors(float: HeadLevel[], int8: HeadLevel[]): Record<'cls' | 'obj' | 'bbox' | 'kps', number> {
  const e = { cls: 0, obj: 0, bbox: 0, kps: 0 };
  float.forEach((l, i) => {
    for (const k of ['cls', 'obj', 'bbox', 'kps'] as const) l[k].forEach((v, j) => (e[k] = Math.max(e[k], Math.abs(v - int8[i][k][j]))));
  });
  return e;
}

/**
 * Relative RMS error of every int8 map (dequantized: code * its channel's scale; the heads' f32
 * outputs as they are) against the float map, sqrt(sum (q - x)^2 / sum x^2) over the images; by
 * stage id (layer i, then the neck adds at 16 and 8).
 */
export function stageErrors(layers: YunetLayer[], scales: YunetScales, images: BgrImage[]): number[] {
  const err = new Float64Array(55);
  const ref = new Float64Array(55);
  const fops = f32Ops(layers);
  const qops = int8Ops(quantizeYunet(layers, scales));
  for (const image of images) {
    const floatMaps: Tensor[] = [];
    yunetGraph<Tensor>(
      {
        ...fops,
        stem: (im) => (floatMaps[0] = fops.stem(im)),
        layer: (i, x, relu) => (floatMaps[i] = fops.layer(i, x, relu)),
        upsampleAdd: (a, b, stride) => (floatMaps[stride === 16 ? NECK16 : NECK8] = fops.upsampleAdd(a, b, stride)),
      },
      image,
    );
    const compare = (stage: number, q: QTensor): QTensor => {
      const x = floatMaps[stage].data;
      for (let k = 0; k < x.length; k++) {
        err[stage] += (q.data[k] * q.scale[k % q.c] - x[k]) ** 2;
        ref[stage] += x[k] ** 2;
      }
      return q;
    };
    yunetGraph<QTensor>(
      {
        ...qops,
        stem: (im) => compare(0, qops.stem(im)),
        layer: (i, x, relu) => compare(i, qops.layer(i, x, relu)),
        upsampleAdd: (a, b, stride) => compare(stride === 16 ? NECK16 : NECK8, qops.upsampleAdd(a, b, stride)),
      },
      image,
    );
  }
  return Array.from(err, (e, s) => Math.sqrt(e / ref[s]));
}

export async function calibrate(rule: Rule = DEFAULT_RULE): Promise<YunetScales> {
  const layers = readYunet(readFileSync(new URL(WEIGHTS_PATH, ROOT)));
  const images = await calibrationImages();
  return scalesFrom(layers, collectHistograms(layers, images.map((i) => i.image)).hist, rule);
}

/** A stage's name in the error table. */
function stageName(layers: YunetLayer[], s: number): string {
  if (s === NECK16 || s === NECK8) return `add${s === NECK16 ? 16 : 8}`;
  const l = layers[s];
  const kind = l.kind === KIND_STEM ? 'stem' : l.kind === KIND_POINTWISE ? 'pw' : 'dw';
  return `${s} ${kind}${s >= 29 ? ' head' : ''} ${l.inChannels}->${l.outChannels}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rule = args.find((a) => a.startsWith('--rule='))?.slice(7) ?? DEFAULT_RULE;
  const parsed = parseRule(rule);
  const layers = readYunet(readFileSync(new URL(WEIGHTS_PATH, ROOT)));
  const images = await calibrationImages();
  const { hist, float } = collectHistograms(layers, images.map((i) => i.image));
  if (args.includes('--errors')) {
    const clipRule = parsed.clip;
    const rules: Rule[] = [`tensor:${clipRule}`, rule.replace('tensor:', '')];
    const errors = rules.map((r) => stageErrors(layers, scalesFrom(layers, hist, r), images.map((i) => i.image)));
    const floored = scalesFrom(layers, hist, rules[1]);
    console.log(`relative RMS error of the int8 maps vs float (${images.length} images); floored = channels at the floor (clip / ${parsed.floorDivisor})`);
    console.log(`stage                     ${rules.map((r) => r.padStart(12)).join(' ')}  floored`);
    for (let s = 0; s < 55; s++) {
      const outScales = s === NECK16 ? floored.neck16 : s === NECK8 ? floored.neck8 : floored.outputs[s];
      const channelClips = s < 53 && isHeadDepthwise(layers, s) ? [] : hist[s].channels.map((h) => clip(h, clipRule, levels(layers, s)));
      const mapClip = clip(hist[s].map, clipRule, levels(layers, s));
      const atFloor = channelClips.filter((c) => c < mapClip / parsed.floorDivisor).length;
      console.log(`${stageName(layers, s).padEnd(25)} ${errors.map((e) => `${(100 * e[s]).toFixed(2)}%`.padStart(12)).join(' ')}  ${channelClips.length ? `${atFloor}/${outScales.length}` : '-'}`);
    }
    return;
  }
  if (args.includes('--compare')) {
    const floatFaces = float.map((l) => yunetDecode(l));
    for (const r of args.find((a) => a.startsWith('--rules='))?.slice(8).split(',') ?? RULES) {
      const q = quantizeYunet(layers, scalesFrom(layers, hist, r));
      const pairs: FacePair[] = [];
      let missed = 0;
      let extra = 0;
      const heads = { cls: 0, obj: 0, bbox: 0, kps: 0 };
      images.forEach(({ image }, n) => {
        const levels = yunetForwardInt8(q, image);
        const c = compareFaces(floatFaces[n], yunetDecode(levels));
        pairs.push(...c.pairs);
        missed += c.missed;
        extra += c.extra;
        const e = headErrors(float[n], levels);
        for (const k of ['cls', 'obj', 'bbox', 'kps'] as const) heads[k] = Math.max(heads[k], e[k]);
      });
      console.log(`${r.padEnd(14)} ${summarize(pairs, missed, extra)}  max head err cls ${heads.cls.toFixed(3)} obj ${heads.obj.toFixed(3)} bbox ${heads.bbox.toFixed(3)} kps ${heads.kps.toFixed(3)}`);
    }
    console.log(`\nper image, rule ${rule}:`);
    const q = quantizeYunet(layers, scalesFrom(layers, hist, rule));
    images.forEach(({ path, image }, n) => {
      const c = compareFaces(floatFaces[n], yunetDecode(yunetForwardInt8(q, image)));
      console.log(`${path.split('/').pop()} ${image.width}x${image.height}: ${summarize(c.pairs, c.missed, c.extra)}`);
    });
    return;
  }
  const scales = scalesFrom(layers, hist, rule);
  writeFileSync(new URL('assembly/yunet-scales.ts', ROOT), renderAssembly(scales, rule));
  writeFileSync(new URL('src/oracle/yunet-scales.ts', ROOT), renderTs(scales, rule));
  console.log(`wrote assembly/yunet-scales.ts and src/oracle/yunet-scales.ts (rule ${rule})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
