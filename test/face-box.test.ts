/**
 * faceBoxFromYunet (src/face-box.ts) on the held-out odd-numbered dev chips (../shared, never
 * copied): each chip alone at 96 px on grey, detected by the YuNet float oracle; the mapped box
 * must match the chip (the face-box convention of the age models) better than YuNet's own box.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { faceBoxFromYunet } from '../src/face-box.js';
import { iou } from '../src/oracle/yunet-f32.js';
import { chipFiles, detectChip } from '../tools/fit-face-box.js';
import { loadBgr } from '../tools/scenes.js';

const UTK = new URL('../../shared/data/utkface-dev/', import.meta.url);
const HAVE = existsSync(new URL('labels.csv', UTK));

describe.skipIf(!HAVE)(`faceBoxFromYunet on held-out dev chips${HAVE ? '' : ' (SKIPPED: ../shared/data/utkface-dev absent)'}`, () => {
  it('maps YuNet detections onto the chip box (median IoU >= 0.88, above the raw box)', async () => {
    const files = chipFiles().filter((_, i) => i % 2 === 1).slice(0, 40);
    const mapped: number[] = [];
    const raw: number[] = [];
    for (const file of files) {
      const { face, chipBox: [x, y, s] } = await detectChip(await loadBgr(new URL(file, UTK)), 96);
      if (!face) continue;
      const b = faceBoxFromYunet(face);
      expect(b.width).toBeCloseTo(b.height, 9);
      const chip = [x, y, x + s, y + s];
      mapped.push(iou([b.x, b.y, b.x + b.width, b.y + b.height], chip));
      raw.push(iou([face.x, face.y, face.x + face.width, face.y + face.height], chip));
    }
    const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
    console.log(`faceBoxFromYunet: ${mapped.length}/${files.length} chips found; IoU with the chip median ${median(mapped).toFixed(3)} (YuNet's own box ${median(raw).toFixed(3)})`);
    expect(mapped.length).toBeGreaterThanOrEqual(38);
    expect(median(mapped)).toBeGreaterThanOrEqual(0.88);
    expect(median(mapped)).toBeGreaterThan(median(raw) + 0.05);
  });
});
