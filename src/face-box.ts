/**
 * YuNet's detection → the face box the age models are measured with: a UTKFace chip is itself the
 * face box (the 0.4 margin applies to it). YuNet's box runs from the brow to the chin, narrower and
 * lower than a chip; the landmarks fix the centre better than the box does.
 *
 * Fitted by tools/fit-face-box.ts on the even-numbered dev chips (150 chips at 48, 96 and 160 px,
 * each alone on a grey canvas, float oracle; medians of the per-chip ratios): side = 1.0396 *
 * sqrt(box width * box height), centre = mean of the 5 landmarks + (0.0129, 0.0056) * that root.
 * Held-out odd chips (447 detections): IoU with the chip median 0.916, 10th percentile 0.844;
 * median |side / chip - 1| 0.035, centre error 0.019 of the side. The box alone (box centre)
 * does worse: IoU median 0.880, 10th percentile 0.784.
 */
import type { Box } from './types.js';

export const YUNET_FACE_BOX = { size: 1.0396, dx: 0.0129, dy: 0.0056 } as const;

/** A YuNet detection: its box and its 5 landmarks (eyes, nose tip, mouth corners), in image pixels. */
export interface YunetDetection {
  x: number;
  y: number;
  width: number;
  height: number;
  landmarks: readonly { x: number; y: number }[];
}

/** The square chip-convention face box of a detection. */
export function faceBoxFromYunet(d: YunetDetection): Box {
  const m = Math.sqrt(d.width * d.height);
  const side = YUNET_FACE_BOX.size * m;
  const cx = d.landmarks.reduce((s, p) => s + p.x, 0) / d.landmarks.length + YUNET_FACE_BOX.dx * m;
  const cy = d.landmarks.reduce((s, p) => s + p.y, 0) / d.landmarks.length + YUNET_FACE_BOX.dy * m;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}
