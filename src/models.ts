/**
 * The converted official SSR-Net models (weights/*.ssrq, Apache-2.0): their public names and
 * what each is good for. Numbers are measured on the UTKFace dev faces (see README).
 */

/** Age models, by training set. */
export const AGE_MODELS = ['age-wiki', 'age-imdb', 'age-morph2', 'age-megaage-asian'] as const;
/** Gender models, by training set. */
export const GENDER_MODELS = ['gender-imdb', 'gender-wiki', 'gender-morph'] as const;

export type AgeModelName = (typeof AGE_MODELS)[number];
export type GenderModelName = (typeof GENDER_MODELS)[number];

/** The age model with the lowest MAE on the dev faces, in float and in the int8 engine. */
export const DEFAULT_AGE_MODEL: AgeModelName = 'age-wiki';
/** The gender model with the highest accuracy on the dev faces. */
export const DEFAULT_GENDER_MODEL: GenderModelName = 'gender-imdb';

/** True when `name` is a known age model. */
export function isAgeModel(name: unknown): name is AgeModelName {
  return (AGE_MODELS as readonly unknown[]).includes(name);
}

/** True when `name` is a known gender model. */
export function isGenderModel(name: unknown): name is GenderModelName {
  return (GENDER_MODELS as readonly unknown[]).includes(name);
}
