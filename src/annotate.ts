/**
 * Draws face results onto an image (the CLI's `--annotate`): a box per face and an "age, gender"
 * label above it, in a built-in 5x7 bitmap font (no font files, no network). Works on RGBA pixels;
 * the caller encodes the result.
 */
import type { FaceResult, Rgba } from './types.js';

/** 5x7 glyphs, one 5-bit row per entry (bit 4 = leftmost pixel), for the characters labels use. */
const GLYPHS: Record<string, number[]> = {
  '0': [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
  '1': [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
  '2': [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
  '3': [0b11110, 0b00001, 0b00001, 0b01110, 0b00001, 0b00001, 0b11110],
  '4': [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
  '5': [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
  '6': [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
  '7': [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
  '8': [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
  '9': [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
  ',': [0b00000, 0b00000, 0b00000, 0b00000, 0b00110, 0b00100, 0b01000],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  a: [0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111],
  e: [0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110],
  f: [0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000],
  l: [0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
  m: [0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001],
};

const BOX_COLOR = [0, 230, 64];
const TEXT_COLOR = [255, 255, 255];
const LABEL_BACKGROUND = [0, 0, 0];

/** The label of a face: `41, female`, or `41` without gender. */
export function faceLabel(face: FaceResult): string {
  const age = String(Math.round(face.age));
  return face.gender ? `${age}, ${face.gender.label}` : age;
}

/**
 * A copy of `image` with each face's box outlined and its label drawn above the box (below its
 * top edge when the box touches the top of the image). Line width and text size grow with the
 * image (1 px lines and 1x text up to 256 px on the shorter side).
 *
 * @example
 * ```ts
 * const out = annotate(rgba, await estimator.estimate(rgba));
 * ```
 */
export function annotate(image: Rgba, faces: FaceResult[]): Rgba {
  const out: Rgba = { data: image.data.slice(), width: image.width, height: image.height };
  const scale = Math.max(1, Math.round(Math.min(image.width, image.height) / 256));
  for (const face of faces) {
    const x0 = Math.round(face.box.x);
    const y0 = Math.round(face.box.y);
    const x1 = Math.round(face.box.x + face.box.width) - 1;
    const y1 = Math.round(face.box.y + face.box.height) - 1;
    for (let t = 0; t < 2 * scale; t++) {
      fillRect(out, x0 + t, y0 + t, x1 - t, y0 + t, BOX_COLOR);
      fillRect(out, x0 + t, y1 - t, x1 - t, y1 - t, BOX_COLOR);
      fillRect(out, x0 + t, y0 + t, x0 + t, y1 - t, BOX_COLOR);
      fillRect(out, x1 - t, y0 + t, x1 - t, y1 - t, BOX_COLOR);
    }
    const label = faceLabel(face);
    const textHeight = 9 * scale; // 7 rows + 1 px of background above and below
    const top = y0 - textHeight >= 0 ? y0 - textHeight : y0 + 2 * scale;
    fillRect(out, x0, top, x0 + label.length * 6 * scale + scale, top + textHeight - 1, LABEL_BACKGROUND);
    drawText(out, label, x0 + scale, top + scale, scale);
  }
  return out;
}

/** Fills the rectangle [x0, x1] x [y0, y1] (inclusive), clipped to the image. */
function fillRect(img: Rgba, x0: number, y0: number, x1: number, y1: number, color: number[]): void {
  for (let y = Math.max(0, y0); y <= Math.min(img.height - 1, y1); y++) {
    for (let x = Math.max(0, x0); x <= Math.min(img.width - 1, x1); x++) {
      const p = (y * img.width + x) * 4;
      img.data[p] = color[0];
      img.data[p + 1] = color[1];
      img.data[p + 2] = color[2];
      img.data[p + 3] = 255;
    }
  }
}

/** Draws `text` with its top-left corner at (x, y), each font pixel a `scale` x `scale` square. */
function drawText(img: Rgba, text: string, x: number, y: number, scale: number): void {
  [...text].forEach((ch, i) => {
    const rows = GLYPHS[ch] ?? GLYPHS[' '];
    rows.forEach((bits, row) => {
      for (let col = 0; col < 5; col++) {
        if (bits & (0b10000 >> col)) {
          const px = x + (i * 6 + col) * scale;
          const py = y + row * scale;
          fillRect(img, px, py, px + scale - 1, py + scale - 1, TEXT_COLOR);
        }
      }
    });
  });
}
