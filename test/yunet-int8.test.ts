/**
 * The int8 YuNet oracle (src/oracle/yunet-int8.ts) against the float oracle on the committed
 * images, the load-time weight quantization, and the generated scale tables
 * (tools/calibrate-yunet.ts): current, and the same numbers in the TS and the AssemblyScript file.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { yunetDecode, type BgrImage, type HeadLevel } from '../src/oracle/yunet-f32.js';
import { BIAS_LIMIT, YUNET_SCALES, quantizeYunet, weightIndexing, yunetForwardInt8, type QuantizedYunet } from '../src/oracle/yunet-int8.js';
import * as tsTables from '../src/oracle/yunet-scales.js';
import { KIND_STEM, readYunet } from '../src/oracle/yunet-weights.js';
import { DEFAULT_RULE, calibrationImages, collectHistograms, compareFaces, renderAssembly, renderTs, scalesFrom, type FacePair } from '../tools/calibrate-yunet.js';
import { cropBgr } from '../tools/scenes.js';

// Error budgets. Measured with the committed per-channel scales (rule max*2) on these 8 images, 18
// faces: IoU >= 0.911 (mean 0.973), |score diff| <= 0.070 (mean 0.005; the per-tensor v1 tables:
// <= 0.007), landmarks <= 2.8 px = 7.1% of the face (mean 1.1 px). The bounds are those x about
// 1.6: a change of rounding or scales breaks them, an honest re-calibration does not.
const MIN_IOU = 0.85;
const MAX_SCORE_DIFF = 0.11;
const MAX_LANDMARK_FRACTION = 0.12; // of the face size sqrt(w * h)

const ROOT = new URL('../', import.meta.url);
const layers = readYunet(readFileSync(new URL('weights/yunet.yunf', ROOT)));

let images: { path: string; image: BgrImage }[];
let float: HeadLevel[][];
let model: QuantizedYunet;

beforeAll(async () => {
  images = await calibrationImages();
  const calibration = collectHistograms(layers, images.map((i) => i.image));
  float = calibration.float;
  // The generated files must be what the tool makes of the committed inputs, now.
  const scales = scalesFrom(layers, calibration.hist, DEFAULT_RULE);
  expect(renderTs(scales, DEFAULT_RULE)).toBe(readFileSync(new URL('src/oracle/yunet-scales.ts', ROOT), 'utf8'));
  expect(renderAssembly(scales, DEFAULT_RULE)).toBe(readFileSync(new URL('assembly/yunet-scales.ts', ROOT), 'utf8'));
  model = quantizeYunet(layers);
}, 120_000);

describe('generated scale tables', () => {
  it('are what tools/calibrate-yunet.ts writes (checked in beforeAll)', () => {
    expect(model.layers.length).toBe(53);
  });

  it('hold the same numbers in src/oracle/yunet-scales.ts and assembly/yunet-scales.ts, under the contract\'s names', () => {
    const text = readFileSync(new URL('assembly/yunet-scales.ts', ROOT), 'utf8');
    const names = ['LAYER_OUTPUT_SCALES', 'LAYER_SCALE_OFFSET', 'LAYER_INPUT_SOURCE', 'NECK16_ADD_SCALES', 'NECK8_ADD_SCALES'] as const;
    expect([...text.matchAll(/^export const (\w+)/gm)].map((m) => m[1])).toEqual(names);
    for (const name of names) {
      const m = new RegExp(`export const ${name}: usize = memory\\.data<(f32|i32)>\\(\\[([^\\]]*)\\]\\);`).exec(text);
      const values = (m?.[2] ?? '').split('\n').map((l) => l.replace(/\/\/.*/, '')).join('').split(',').map((v) => v.trim()).filter((v) => v).map(Number);
      const ts = tsTables[`YUNET_${name}`];
      expect(m?.[1], name).toBe(ts instanceof Float32Array ? 'f32' : 'i32');
      expect(ts instanceof Float32Array ? Float32Array.from(values) : Int32Array.from(values), name).toEqual(ts);
    }
  });

  it('give each layer cout output and cin input scales (stem: 3), positive f32; stem input 1; heads depthwise output 1', () => {
    YUNET_SCALES.outputs.forEach((s, i) => expect(s.length, `layer ${i}`).toBe(layers[i].outChannels));
    YUNET_SCALES.inputs.forEach((s, i) => expect(s.length, `layer ${i}`).toBe(layers[i].kind === KIND_STEM ? 3 : layers[i].inChannels));
    for (const v of [...YUNET_SCALES.outputs, ...YUNET_SCALES.inputs, YUNET_SCALES.neck16, YUNET_SCALES.neck8].flatMap((s) => [...s])) {
      expect(v).toBeGreaterThan(0);
      expect(Math.fround(v)).toBe(v);
    }
    expect([...YUNET_SCALES.inputs[0]]).toEqual([1, 1, 1]);
    for (let i = 30; i < 53; i += 2) expect(YUNET_SCALES.outputs[i].every((v) => v === 1)).toBe(true);
    expect(YUNET_SCALES.neck16.length).toBe(64);
    expect(YUNET_SCALES.neck8.length).toBe(64);
  });

  it('give a layer the output scales of what feeds it (1x1 after a depthwise, depthwise after its 1x1; neck and heads by the graph)', () => {
    const same = (a: Float32Array, b: Float32Array) => expect([...a]).toEqual([...b]);
    for (const i of [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, ...Array.from({ length: 12 }, (_, k) => 30 + 2 * k)]) same(YUNET_SCALES.inputs[i], YUNET_SCALES.outputs[i - 1]);
    same(YUNET_SCALES.inputs[11], YUNET_SCALES.outputs[10]); // through a max pool
    same(YUNET_SCALES.inputs[25], YUNET_SCALES.neck16);
    same(YUNET_SCALES.inputs[23], YUNET_SCALES.neck8);
    same(YUNET_SCALES.inputs[27], YUNET_SCALES.outputs[22]); // stride-32 features
    for (const head of [29, 35, 41, 47]) same(YUNET_SCALES.inputs[head], YUNET_SCALES.outputs[24]); // stride 8: neck 8's dp
  });
});

describe('quantizeYunet', () => {
  it('int8 weights in [-127, 127], each output channel reaching +-127, within half a step of the float weights times their input scales', () => {
    model.layers.forEach((q, i) => {
      const l = layers[i];
      const { taps, at, ch } = weightIndexing(l);
      const sIn = YUNET_SCALES.inputs[i];
      for (let o = 0; o < l.outChannels; o++) {
        let qmax = 0;
        let amax = 0;
        for (let j = 0; j < taps; j++) {
          const w = q.weights[at(o, j)];
          const folded = Math.fround(l.weights[at(o, j)] * sIn[ch(o, j)]);
          expect(Math.abs(w)).toBeLessThanOrEqual(127);
          qmax = Math.max(qmax, Math.abs(w));
          amax = Math.max(amax, Math.abs(folded));
          expect(Math.abs(w * q.weightScale[o] - folded)).toBeLessThanOrEqual(q.weightScale[o] * (0.5 + 1e-5)); // + the f32 rounding of w / sw (<= 127 * 2^-24 steps)
        }
        expect(qmax, `layer ${i} channel ${o}`).toBe(amax > 0 ? 127 : 0);
        // The channel's largest folded weight maps to exactly +-127.
        if (amax > 0) expect(q.weightScale[o]).toBe(Math.fround(amax / 127));
      }
    });
  });

  it('biases in accumulator units (real units) within +-2^30 and close to the float bias; output scales = accumulator scale / output scale', () => {
    model.layers.forEach((q, i) => {
      for (let o = 0; o < q.outChannels; o++) {
        const as = q.weightScale[o];
        expect(Math.abs(q.bias[o])).toBeLessThanOrEqual(BIAS_LIMIT);
        // Half a unit, plus the f32 rounding of b / as (large where a dead channel's weights, and so as, are ~1e-12).
        expect(Math.abs(q.bias[o] * as - layers[i].bias[o])).toBeLessThanOrEqual(as / 2 + Math.abs(layers[i].bias[o]) * 2 ** -24);
        expect(q.scale[o]).toBe(q.out === 'f32' ? as : Math.fround(as / q.outScale[o]));
      }
    });
  });

  it('types the layers as the contract: stem and DP depthwise u8, 1x1 s8, heads depthwise f32', () => {
    expect(model.layers.map((l) => l.out).join(' ')).toBe(
      ['u8', ...Array(14).fill('s8 u8'), ...Array(12).fill('s8 f32')].join(' '),
    );
  });
});

describe('int8 oracle vs float oracle on the committed images', () => {
  const all: FacePair[] = [];
  it('finds the same faces (IoU >= 0.5, score >= 0.6), boxes, scores and landmarks within the budgets', () => {
    images.forEach(({ path, image }, n) => {
      const levels = yunetForwardInt8(model, image);
      expect(levels.map((l) => [l.stride, l.rows, l.cols])).toEqual(float[n].map((l) => [l.stride, l.rows, l.cols]));
      const { pairs, missed, extra } = compareFaces(yunetDecode(float[n]), yunetDecode(levels));
      expect([missed, extra], path).toEqual([0, 0]);
      for (const p of pairs) {
        expect(p.iou, path).toBeGreaterThanOrEqual(MIN_IOU);
        expect(Math.abs(p.scoreDiff), path).toBeLessThanOrEqual(MAX_SCORE_DIFF);
        expect(p.landmark / p.size, path).toBeLessThanOrEqual(MAX_LANDMARK_FRACTION);
      }
      all.push(...pairs);
    });
    expect(all.length).toBeGreaterThanOrEqual(15);
  }, 120_000);

  it('accepts a quantized model or the float layers', () => {
    const image = cropBgr(images[0].image, 100, 40, 200, 160);
    expect(yunetForwardInt8(layers, image)).toEqual(yunetForwardInt8(model, image));
  }, 30_000);
});
