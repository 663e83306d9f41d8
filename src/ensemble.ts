/**
 * Combinations of age models (the 'auto' model): a linear stacking of the models' outputs with
 * optional hinge terms on each output and an optional face-size term, chosen and fitted by
 * tools/fit-default.ts.
 *
 * The size term exists because small faces read younger: a face of 40 px is upsampled into the
 * 64x64 crop and loses the detail (wrinkles, skin texture) the models read age from, so the same
 * face shrunk from 200 to 40 px reads about 5 years younger (issue 14).
 */
import type { AgeModelName } from './models.js';

/** A fitted combination of age models. */
export interface AgeCombination {
  /** The models whose outputs are combined, in this order. */
  models: AgeModelName[];
  /** Knots (years) of the hinge terms max(0, output − knot) added per model. */
  hinges: number[];
  /**
   * Face size (box side in pixels) from which a face counts as small, or null for no size term.
   * The size feature is s = max(0, log2(sizeKnot / side)): 0 for faces at least this big, +1 per
   * halving below it.
   */
  sizeKnot: number | null;
  /** With a size term: also s × output per model (small faces' outputs rescaled, not only shifted). */
  sizeSlopes: boolean;
  /** w0, then per model its weight and one weight per hinge, then the size weights (s, s × output per model). */
  coefficients: number[];
}

/** What the combination needs to know about the face besides the models' outputs. */
export interface FaceGeometry {
  /** Side of the face box in decoded image pixels (sqrt(width × height) for a non-square box). */
  side: number;
}

/** The size feature s = max(0, log2(knot / side)) (0 without a knot). */
export function sizeFeature(sizeKnot: number | null, side: number): number {
  return sizeKnot === null ? 0 : Math.max(0, Math.log2(sizeKnot / side));
}

/** The feature row [1, out₁, max(0, out₁ − k)…, out₂, …, s, s·out₁, …] of one face. */
export function combinationFeatures(c: Omit<AgeCombination, 'coefficients' | 'models'>, outputs: number[], face: FaceGeometry): number[] {
  const f = [1, ...outputs.flatMap((o) => [o, ...c.hinges.map((k) => Math.max(0, o - k))])];
  if (c.sizeKnot === null) return f;
  const s = sizeFeature(c.sizeKnot, face.side);
  return [...f, s, ...(c.sizeSlopes ? outputs.map((o) => s * o) : [])];
}

/**
 * The combined age: the features times the coefficients, clamped to 1..100 years.
 *
 * @param outputs the outputs of `c.models`, in that order
 * @param face the face's geometry (its box side in decoded image pixels)
 * @example
 * ```ts
 * combineAges(AUTO_MODEL, [wikiAge, asianAge], { side: box.width })
 * ```
 */
export function combineAges(c: AgeCombination, outputs: number[], face: FaceGeometry): number {
  const f = combinationFeatures(c, outputs, face);
  const age = f.reduce((s, v, i) => s + v * c.coefficients[i], 0);
  return Math.min(100, Math.max(1, age));
}
