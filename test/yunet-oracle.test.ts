/**
 * The YuNet float reference (src/oracle/yunet-f32.ts) against libfacedetection's C++ itself: the
 * fixtures in test/fixtures/yunet-peer were produced by the unmodified library (README there) on the
 * same BGR pixels. Also: the weights converter is deterministic and readYunet rejects damaged files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, convertYunet } from '../tools/convert-yunet.js';
import { cropBgr, loadBgr } from '../tools/scenes.js';
import { crc32 } from '../src/crc32.js';
import { YUNET_SCORE_THRESHOLD, iou, yunetCandidates, yunetDecode, yunetForward, type HeadLevel } from '../src/oracle/yunet-f32.js';
import { YUNF_DATA_START, YUNF_HEADER_BYTES, readYunet } from '../src/oracle/yunet-weights.js';

const ROOT = new URL('../', import.meta.url);
const FIXTURES = new URL('fixtures/yunet-peer/', import.meta.url);
const WEIGHTS = readFileSync(new URL('weights/yunet.yunf', ROOT));
const layers = readYunet(WEIGHTS);

interface PeerLevel {
  stride: number;
  rows: number;
  cols: number;
  [k: string]: number | number[];
}
interface Peer {
  source: string;
  crop?: [number, number, number, number];
  inputCrc32: number;
  width: number;
  height: number;
  faces: { scorePercent: number; x: number; y: number; width: number; height: number; landmarks: number[] }[];
  levels: PeerLevel[];
  candidates: { index: number; score: number; box: number[]; kps: number[] }[];
  detectionOutput: { score: number; x: number; y: number; width: number; height: number }[];
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
const HEADS = ['cls', 'obj', 'bbox', 'kps'] as const;

/** Worst differences over all fixtures, printed at the end (the README of the fixtures quotes them). */
const worst = { mapRel: 0, mapAbs: 0, score: 0, box: 0, kps: 0, faceIou: 1, faceScore: 0, landmark: 0 };

describe('YuNet oracle vs the C++ library (test/fixtures/yunet-peer)', () => {
  it('has the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of fixtures) {
    it(file, async () => {
      const peer = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Peer;
      let image = await loadBgr(new URL(peer.source, ROOT));
      if (peer.crop) image = cropBgr(image, ...peer.crop);
      // Same pixels as the peer saw (same decoder).
      expect([image.width, image.height, crc32(image.data)]).toEqual([peer.width, peer.height, peer.inputCrc32]);

      const levels = yunetForward(layers, image);
      checkLevels(levels, peer.levels);

      // Every candidate the C++ kept before NMS, and no other (except scores within 1e-5 of the threshold).
      const ours = new Map(yunetCandidates(levels, YUNET_SCORE_THRESHOLD - 1e-5).map((c) => [c.index, c]));
      for (const p of peer.candidates) {
        const o = ours.get(p.index);
        expect(o, `candidate ${p.index}`).toBeDefined();
        if (!o) continue;
        worst.score = Math.max(worst.score, Math.abs(o.score - p.score));
        p.box.forEach((v, k) => (worst.box = Math.max(worst.box, Math.abs(o.box[k] - v))));
        p.kps.forEach((v, k) => (worst.kps = Math.max(worst.kps, Math.abs(o.kps[k] - v))));
        expect(Math.abs(o.score - p.score)).toBeLessThan(1e-4);
        for (let k = 0; k < 4; k++) expect(Math.abs(o.box[k] - p.box[k])).toBeLessThan(0.05);
        for (let k = 0; k < 10; k++) expect(Math.abs(o.kps[k] - p.kps[k])).toBeLessThan(0.05);
      }
      const peerIndices = new Set(peer.candidates.map((c) => c.index));
      for (const o of ours.values()) if (!peerIndices.has(o.index)) expect(Math.abs(o.score - YUNET_SCORE_THRESHOLD)).toBeLessThan(1e-5);

      // The final faces: the public API's truncated ints; detection_output's float scores; the float box
      // of the peer's candidate with that score (detection_output returns its box truncated).
      const faces = yunetDecode(levels);
      expect(faces.length).toBe(peer.faces.length);
      faces.forEach((f, i) => {
        const p = peer.faces[i];
        const peerScore = peer.detectionOutput[i].score;
        const c = peer.candidates.reduce((a, b) => (Math.abs(b.score - peerScore) < Math.abs(a.score - peerScore) ? b : a));
        const overlap = iou([f.x, f.y, f.x + f.width, f.y + f.height], c.box);
        const scoreDiff = Math.abs(f.score - peerScore);
        worst.faceIou = Math.min(worst.faceIou, overlap);
        worst.faceScore = Math.max(worst.faceScore, scoreDiff);
        expect(overlap).toBeGreaterThanOrEqual(0.95);
        expect(scoreDiff).toBeLessThan(1e-4);
        expect(Math.trunc(f.score * 100)).toBe(p.scorePercent);
        // The C++ truncates coordinates to int: ours truncated must agree to within 1 px.
        const ints = [f.x, f.y, f.width, f.height].map(Math.trunc);
        [p.x, p.y, p.width, p.height].forEach((v, k) => expect(Math.abs(ints[k] - v)).toBeLessThanOrEqual(1));
        f.landmarks.forEach((q, k) => {
          const d = Math.max(Math.abs(q.x - p.landmarks[2 * k]), Math.abs(q.y - p.landmarks[2 * k + 1]));
          worst.landmark = Math.max(worst.landmark, d);
          expect(d).toBeLessThan(1);
        });
      });
    });
  }

  it('worst differences (printed)', () => {
    console.log(`yunet oracle vs C++ over ${fixtures.length} images: head maps rel. sum ${worst.mapRel.toExponential(1)}, full-map abs ${worst.mapAbs.toExponential(1)}; candidates: score ${worst.score.toExponential(1)}, box ${worst.box.toExponential(1)} px, kps ${worst.kps.toExponential(1)} px; faces: IoU >= ${worst.faceIou.toFixed(4)}, score ${worst.faceScore.toExponential(1)}, landmarks ${worst.landmark.toFixed(2)} px from the C++'s truncated ints`);
    expect(worst.faceIou).toBeGreaterThan(0);
  });
});

function checkLevels(levels: HeadLevel[], peer: PeerLevel[]): void {
  expect(levels.map((l) => [l.stride, l.rows, l.cols])).toEqual(peer.map((l) => [l.stride, l.rows, l.cols]));
  levels.forEach((l, i) => {
    for (const head of HEADS) {
      const ours = l[head];
      let sum = 0;
      let absSum = 0;
      for (const v of ours) {
        sum += v;
        absSum += Math.abs(v);
      }
      const rel = Math.abs(sum - (peer[i][`${head}Sum`] as number)) / (peer[i][`${head}AbsSum`] as number);
      worst.mapRel = Math.max(worst.mapRel, rel, Math.abs(absSum / (peer[i][`${head}AbsSum`] as number) - 1));
      expect(rel).toBeLessThan(1e-5);
      const full = peer[i][head];
      if (Array.isArray(full)) {
        expect(full.length).toBe(ours.length);
        full.forEach((v, k) => (worst.mapAbs = Math.max(worst.mapAbs, Math.abs(ours[k] - v))));
        expect(worst.mapAbs).toBeLessThan(1e-3);
      }
    }
  });
}

describe('yunet.yunf', () => {
  const HAVE_SOURCE = existsSync(DEFAULT_SOURCE);
  it.skipIf(!HAVE_SOURCE)(`is what tools/convert-yunet.ts makes of ${DEFAULT_SOURCE}${HAVE_SOURCE ? '' : ' (SKIPPED: libfacedetection source absent)'}`, () => {
    const source = readFileSync(DEFAULT_SOURCE, 'utf8');
    const bytes = convertYunet(source);
    expect(Buffer.from(bytes).equals(WEIGHTS)).toBe(true);
    expect(Buffer.from(convertYunet(source)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('holds the 53 layers of the graph, 53184 floats', () => {
    expect(layers.length).toBe(53);
    expect(layers.reduce((n, l) => n + l.weights.length + l.bias.length, 0)).toBe(53184);
  });

  /** A copy with `edit` applied and, when `fixCrc`, the checksum recomputed (so deeper checks are reached). */
  const damaged = (edit: (b: Uint8Array, v: DataView) => void, fixCrc = true): Uint8Array => {
    const b = Uint8Array.from(WEIGHTS);
    const v = new DataView(b.buffer);
    edit(b, v);
    if (fixCrc) v.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
    return b;
  };
  const record = (i: number): number => YUNF_HEADER_BYTES + 16 * i;
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /shorter/],
    ['truncated', WEIGHTS.subarray(0, WEIGHTS.length - 100), /length field/],
    ['one flipped data bit', damaged((b) => (b[YUNF_DATA_START + 1000] ^= 4), false), /CRC/],
    ['bad magic', damaged((b) => (b[0] = 0x58)), /magic/],
    ['version 2', damaged((_, v) => v.setUint16(4, 2, true)), /version/],
    ['52 layers', damaged((_, v) => v.setUint16(6, 52, true)), /layers/],
    ['reserved header word', damaged((_, v) => v.setUint32(12, 1, true)), /reserved/],
    ['stem kind on record 5', damaged((b) => (b[record(5) + 4] = 2)), /stem/],
    ['unknown kind', damaged((b) => (b[record(3) + 4] = 7)), /kind/],
    ['unknown flag', damaged((b) => (b[record(3) + 5] = 2)), /flags/],
    ['depthwise with unequal channels', damaged((_, v) => v.setUint16(record(2) + 2, 8, true)), /depthwise/],
    ['weights past the data area', damaged((b, v) => v.setUint32(record(52) + 8, b.length - 20, true)), /outside/],
    ['weights in the header', damaged((_, v) => v.setUint32(record(1) + 8, 16, true)), /outside/],
    ['unaligned bias', damaged((_, v) => v.setUint32(record(1) + 12, v.getUint32(record(1) + 12, true) + 4, true)), /unaligned/],
    ['NaN weight', damaged((_, v) => v.setFloat32(v.getUint32(record(9) + 8, true) + 8, NaN, true)), /finite/],
    ['infinite bias', damaged((_, v) => v.setFloat32(v.getUint32(record(9) + 12, true), Infinity, true)), /finite/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects: ${what}`, () => {
      expect(() => readYunet(bytes)).toThrow(message);
    });
  }
});
