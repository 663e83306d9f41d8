/**
 * The converted official SSR-Net models (weights/*.ssrq, Apache-2.0): their public names and
 * what each is good for. Numbers are measured on the UTKFace dev faces (see README).
 */

/** Age models, by training set (each one weights file). */
export const AGE_MODELS = ['age-wiki', 'age-imdb', 'age-morph2', 'age-megaage-asian'] as const;
/** Gender models, by training set. */
export const GENDER_MODELS = ['gender-imdb', 'gender-wiki', 'gender-morph'] as const;

export type AgeModelName = (typeof AGE_MODELS)[number];
/** What `model` accepts: 'auto' (a cross-validated combination of age models) or one age model. */
export type AgeModelChoice = 'auto' | AgeModelName;
export type GenderModelName = (typeof GENDER_MODELS)[number];

/**
 * The default: 'auto', the combination of age-wiki and age-megaage-asian chosen by nested
 * cross-validation (src/auto-model.ts; 2 network runs per face). Of the single models, age-wiki
 * has the lowest MAE on the dev faces, in float and in the int8 engine.
 */
export const DEFAULT_AGE_MODEL: AgeModelChoice = 'auto';
/** The gender model with the highest accuracy on the dev faces. */
export const DEFAULT_GENDER_MODEL: GenderModelName = 'gender-imdb';

/** True when `name` is 'auto' or a known age model. */
export function isAgeModelChoice(name: unknown): name is AgeModelChoice {
  return name === 'auto' || (AGE_MODELS as readonly unknown[]).includes(name);
}

/** True when `name` is a known gender model. */
export function isGenderModel(name: unknown): name is GenderModelName {
  return (GENDER_MODELS as readonly unknown[]).includes(name);
}
