/** The seven official SSR-Net models: file names, kinds and gender polarity. */
import type { ModelKind } from '../src/oracle/ssrnet-f32.js';

export interface ModelSource {
  /** Name users pass as `model` and the weights file's base name. */
  name: string;
  kind: ModelKind;
  /** Training set, as the official repository names it. */
  dataset: string;
}

export const MODEL_SOURCES: ModelSource[] = [
  { name: 'age-imdb', kind: 'age', dataset: 'IMDB' },
  { name: 'age-wiki', kind: 'age', dataset: 'WIKI' },
  { name: 'age-morph2', kind: 'age', dataset: 'MORPH2' },
  { name: 'age-megaage-asian', kind: 'age', dataset: 'MegaAge-Asian' },
  { name: 'gender-imdb', kind: 'gender', dataset: 'IMDB' },
  { name: 'gender-wiki', kind: 'gender', dataset: 'WIKI' },
  { name: 'gender-morph', kind: 'gender', dataset: 'MORPH' },
];

/** Folder of the committed Keras sources (Apache-2.0, see weights/keras/NOTICE). */
export const KERAS_DIR = new URL('../weights/keras/', import.meta.url);
/** Folder of the converted .ssrq files. */
export const WEIGHTS_DIR = new URL('../weights/', import.meta.url);
