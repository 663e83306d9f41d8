/**
 * Combinations of age models (the 'auto' model): a linear stacking of the models' outputs with
 * optional hinge terms, chosen and fitted by tools/ensemble-cv.ts.
 */
import type { AgeModelName } from './models.js';

/** A fitted combination of age models. */
export interface AgeCombination {
  /** The models whose outputs are combined, in this order. */
  models: AgeModelName[];
  /** Knots (years) of the hinge terms max(0, output − knot) added per model. */
  hinges: number[];
  /** w0, then per model: its weight and one weight per hinge. */
  coefficients: number[];
}

/** The feature row [1, out₁, max(0, out₁ − k)…, out₂, …] of one face. */
export function combinationFeatures(hinges: number[], outputs: number[]): number[] {
  return [1, ...outputs.flatMap((o) => [o, ...hinges.map((k) => Math.max(0, o - k))])];
}

/** The combined age: the features times the coefficients, clamped to 1..100 years. */
export function combineAges(c: AgeCombination, outputs: number[]): number {
  const f = combinationFeatures(c.hinges, outputs);
  const age = f.reduce((s, v, i) => s + v * c.coefficients[i], 0);
  return Math.min(100, Math.max(1, age));
}
