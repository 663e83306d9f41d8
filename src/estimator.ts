/**
 * The Estimator: one engine instance with an age model (and optionally a gender model) loaded,
 * turning images into face results. Platform-neutral: the wasm and weights arrive as bytes or a
 * compiled module; src/node.ts fills them in from the package on Node.
 */
import { AUTO_MODEL } from './auto-model.js';
import { Detector, resolveDetectOptions } from './detector.js';
import { AGE_SLOTS, Engine, GENDER_SLOT, type WasmSource } from './engine.js';
import { combineAges } from './ensemble.js';
import { SsrnetError, invalidParameter } from './errors.js';
import { normalizeInput } from './input.js';
import {
  AGE_MODELS,
  type AgeModelChoice,
  type AgeModelName,
  DEFAULT_AGE_MODEL,
  DEFAULT_GENDER_MODEL,
  GENDER_MODELS,
  type GenderModelName,
  isAgeModelChoice,
  isGenderModel,
} from './models.js';
import { CROP_SIZE, DEFAULT_MARGIN, cropFace, wholeImageBox } from './preprocess.js';
import { simdSupported } from './simd.js';
import type { Box, EstimateOptions, FaceResult, ImageDecoder, ImageInput } from './types.js';
import { isPlainObject } from './validate.js';

/** Bytes or a buffer holding a `.ssrq` weights file. */
export type WeightsSource = Uint8Array | ArrayBuffer;

/**
 * Options of {@link createEstimator}.
 *
 * @example
 * ```ts
 * const estimator = await createEstimator({ model: 'auto', gender: true });
 * ```
 */
export interface EstimatorOptions {
  /**
   * Age model: `'auto'` combines age-wiki and age-megaage-asian (2 network runs per face; the
   * lowest cross-validated error, and far better on children), or one model named after its
   * training set.
   * @default 'auto'
   */
  model?: AgeModelChoice;
  /**
   * Also estimate gender: `true` for the default gender model, or a gender model's name.
   * Costs one more network run per face.
   * @default false
   */
  gender?: boolean | GenderModelName;
  /**
   * Which engine build to use: `'auto'` detects simd128 support and falls back to the scalar
   * build; `true` / `false` force one.
   * @default 'auto'
   */
  simd?: 'auto' | boolean;
  /**
   * The engine: a compiled `WebAssembly.Module` (required on Cloudflare Workers, which cannot
   * compile at run time — import the .wasm as a module) or the .wasm bytes. It must be the build
   * `simd` asks for. On Node it defaults to the package's own build.
   */
  wasm?: WasmSource;
  /**
   * `.ssrq` weights by model name, e.g. `{ 'age-wiki': bytes }`; `'auto'` needs age-wiki and
   * age-megaage-asian. On Node, missing ones are read from the package's weights/ folder.
   */
  weights?: Partial<Record<AgeModelName | GenderModelName, WeightsSource>>;
  /**
   * Decoder for encoded image bytes, called after the format and the pixel limit are checked.
   * It must resolve to RGBA `{ data, width, height }`; a rejection becomes DECODE_FAILED.
   * @default jimp on Node (JPEG, PNG, GIF, BMP); the plain-JS JPEG/PNG decoder of
   *   src/decode-portable.ts in the universal entry (Workers, browsers) — both give the same pixels
   * @example
   * ```ts
   * const estimator = await createEstimator({ decode: async (bytes) => myDecoder(bytes) });
   * ```
   */
  decode?: ImageDecoder;
  /**
   * The face detector, used by `estimate` when no `box` is given: its .wasm (the build `simd`
   * asks for: build/yunet-simd.wasm or build/yunet-scalar.wasm, as a compiled module or
   * bytes) and weights/yunet.yunf. Loaded on the first detection, not before. On Node
   * they default to the package's files.
   */
  detector?: { wasm?: WasmSource; weights?: WeightsSource };
}

/** What a platform's asset loader is asked for and returns. */
export interface AssetRequest {
  simd: boolean;
  /** Whether the engine .wasm is needed. */
  wasm: boolean;
  /** Weights files needed, by model name. */
  weights: string[];
  /** Whether the face detector's .wasm and weights are needed. */
  detector?: boolean;
}
export interface Assets {
  wasm?: WasmSource;
  weights: Record<string, Uint8Array>;
  detector?: DetectorAssets;
}

/** The face detector's module and weights. */
export interface DetectorAssets {
  wasm: WasmSource;
  weights: Uint8Array;
}

/** Loads the package's default assets on platforms that have them (Node). */
export type AssetLoader = (request: AssetRequest) => Promise<Assets>;

const ESTIMATOR_OPTION_KEYS = ['model', 'gender', 'simd', 'wasm', 'weights', 'decode', 'detector'];
const ESTIMATE_OPTION_KEYS = ['box', 'margin', 'maxPixels', 'detect', 'maxFaces', 'minScore', 'minFaceSize'];

/** Rejects option keys we do not know: a typo must not silently fall back to a default. */
function rejectUnknownKeys(options: Record<string, unknown>, known: readonly string[], name: string): void {
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) throw invalidParameter(`${name}.${unknown}`, `no such option (known: ${known.join(', ')})`, options[unknown]);
}

/** Output of a gender model above 0.5 means this label (stored per model in the weights file). */
function genderAbove05(weights: Uint8Array): 'male' | 'female' {
  return weights[32] === 1 ? 'female' : 'male';
}

/**
 * The detector's box → the face-box convention the age models are measured with (a UTKFace chip,
 * the box the 0.4 margin applies to). On the even-numbered dev chips, each alone at 80 px on a
 * grey 160x160 image, YuNet's box covers x 0.086–0.918 and y -0.072–0.972 of the chip (medians
 * over 150 chips, all found): narrower and taller, reaching above the chip. Used as is, it would
 * crop a different face region than the models were measured on.
 */
const DETECTION_IN_CHIP = { x: 0.086, y: -0.072, width: 0.832, height: 1.044 };

function faceBoxFromDetection(box: Box): Box {
  const width = box.width / DETECTION_IN_CHIP.width;
  const height = box.height / DETECTION_IN_CHIP.height;
  return { x: box.x - DETECTION_IN_CHIP.x * width, y: box.y - DETECTION_IN_CHIP.y * height, width, height };
}

/** The age models a model choice runs, in slot order. */
function ageModelsOf(model: AgeModelChoice): AgeModelName[] {
  return model === 'auto' ? AUTO_MODEL.models : [model];
}

/**
 * An age (and gender) estimator. Create it with `createEstimator`; reuse it for every image —
 * it holds one fixed-size engine instance (256 KiB) with up to three models loaded, and the face
 * detector (fixed memory, instantiated on the first estimate without a box). Calls may
 * overlap: each inference runs synchronously once its image is decoded, so concurrent calls give
 * the same results as serial ones.
 */
export class Estimator {
  /** The face detector, instantiated on the first estimate that detects. */
  private detector: Promise<Detector> | undefined;

  private constructor(
    private readonly engine: Engine,
    /** The age model in use. */
    readonly model: AgeModelChoice,
    /** The gender model in use, if any. */
    readonly genderModel: GenderModelName | undefined,
    private readonly genderPositive: 'male' | 'female',
    private readonly decode: ImageDecoder | undefined,
    private readonly detectorAssets: () => Promise<DetectorAssets>,
  ) {}

  /** @internal Builds an estimator from resolved options and the wasm + weights by model name. */
  static async create(
    options: ResolvedOptions,
    wasm: WasmSource,
    weights: Record<string, Uint8Array>,
    detectorAssets: () => Promise<DetectorAssets>,
  ): Promise<Estimator> {
    const engine = await Engine.create(wasm);
    if (engine.simd !== options.simd) {
      throw new SsrnetError('BAD_WASM', `expected the ${options.simd ? 'simd' : 'scalar'} engine build, got the ${engine.simd ? 'simd' : 'scalar'} one`);
    }
    ageModelsOf(options.model).forEach((name, i) => engine.loadWeights(AGE_SLOTS[i], weights[name], 'age'));
    let positive: 'male' | 'female' = 'male';
    if (options.gender) {
      engine.loadWeights(GENDER_SLOT, weights[options.gender], 'gender');
      positive = genderAbove05(weights[options.gender]);
    }
    return new Estimator(engine, options.model, options.gender, positive, options.decode, detectorAssets);
  }

  /** True when this estimator runs the simd128 engine build. */
  get simd(): boolean {
    return this.engine.simd;
  }

  /** Linear memory of the engine instance in bytes (fixed) and the arena inside it. */
  get memoryBytes(): { memory: number; arena: number } {
    return this.engine.memoryBytes;
  }

  /**
   * Estimates age (and gender) for the faces in `input`.
   *
   * @param input encoded JPEG / PNG / GIF / BMP bytes, or raw pixels `{ data, width, height, format }`
   *   (a browser ImageData works as is)
   * @param options `box`: the face box (default: the faces the detector finds); `detect: false`:
   *   the whole image is the face; `maxFaces`, `minScore` (default 0.6), `minFaceSize`: detector
   *   settings; `margin`: widening of each box per side (default 0.4, as in training);
   *   `maxPixels`: largest accepted image
   * @returns one result per face, by descending detector score (none when no face is found), ages
   *   in years as floats
   * @throws SsrnetError BAD_INPUT, UNSUPPORTED_FORMAT, DECODE_FAILED, IMAGE_TOO_LARGE, ENGINE_FAILED,
   *   and BAD_WASM / BAD_WEIGHTS when the detector cannot be loaded
   * @example
   * ```ts
   * for (const face of await estimator.estimate(jpegBytes)) console.log(face.box, face.age.toFixed(1));
   * const [face] = await estimator.estimate(jpegBytes, { box: { x: 175, y: 70, width: 90, height: 90 } });
   * ```
   */
  async estimate(input: ImageInput, options: EstimateOptions = {}): Promise<FaceResult[]> {
    const opts: unknown = options;
    if (!isPlainObject(opts)) throw invalidParameter('options', 'an object', opts);
    rejectUnknownKeys(opts, ESTIMATE_OPTION_KEYS, 'options');
    const { margin = DEFAULT_MARGIN, detect = true } = options;
    if (detect !== true && detect !== false) throw invalidParameter('options.detect', 'true or false', detect);
    const detectOptions = resolveDetectOptions(options, 'options');
    const image = await normalizeInput(input, { maxPixels: options.maxPixels, decode: this.decode });
    const crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
    if (options.box !== undefined || !detect) {
      const box = options.box ?? wholeImageBox(image);
      cropFace(image, box, margin, crop);
      return [this.estimateCrop(crop, { x: box.x, y: box.y, width: box.width, height: box.height })];
    }
    const detector = await this.loadDetector();
    // From here on everything is synchronous: concurrent calls cannot interleave.
    return detector.detect(image, detectOptions).map((face) => {
      const box = faceBoxFromDetection(face.box);
      cropFace(image, box, margin, crop);
      return this.estimateCrop(crop, box, face.score);
    });
  }

  /** The detector, instantiated once; a failed load is retried by the next call. */
  private loadDetector(): Promise<Detector> {
    if (!this.detector) {
      const loading = this.detectorAssets().then((assets) => Detector.create(assets.wasm, assets.weights));
      this.detector = loading;
      loading.catch(() => {
        if (this.detector === loading) this.detector = undefined;
      });
    }
    return this.detector;
  }

  /** Runs the models on a prepared 64x64x3 BGR crop (synchronous: no other call can interleave). */
  private estimateCrop(crop: Uint8Array, box: FaceResult['box'], score?: number): FaceResult {
    const outputs = ageModelsOf(this.model).map((_, i) => this.engine.run(AGE_SLOTS[i], crop));
    const age = this.model === 'auto' ? combineAges(AUTO_MODEL, outputs, { side: Math.sqrt(box.width * box.height) }) : outputs[0];
    const result: FaceResult = score === undefined ? { box, age } : { box, score, age };
    if (this.genderModel) {
      const score = Math.min(1, Math.max(0, this.engine.run(GENDER_SLOT, crop)));
      const positive = score > 0.5;
      const other = this.genderPositive === 'male' ? 'female' : 'male';
      result.gender = { label: positive ? this.genderPositive : other, probability: positive ? score : 1 - score };
    }
    return result;
  }
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  model: AgeModelChoice;
  gender: GenderModelName | undefined;
  simd: boolean;
  decode: ImageDecoder | undefined;
}

/** Validates estimator options and applies defaults (BAD_INPUT on anything unexpected). */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) throw invalidParameter('options', 'an object', options);
  rejectUnknownKeys(options, ESTIMATOR_OPTION_KEYS, 'options');
  const { model = DEFAULT_AGE_MODEL, gender = false, simd = 'auto', decode } = options as EstimatorOptions;
  if (!isAgeModelChoice(model)) throw invalidParameter('options.model', `'auto' or one of ${AGE_MODELS.join(', ')}`, model);
  if (gender !== true && gender !== false && !isGenderModel(gender)) {
    throw invalidParameter('options.gender', `true, false or one of ${GENDER_MODELS.join(', ')}`, gender);
  }
  if (simd !== 'auto' && simd !== true && simd !== false) throw invalidParameter('options.simd', "'auto', true or false", simd);
  if (decode !== undefined && typeof decode !== 'function') throw invalidParameter('options.decode', 'a function (bytes) => Promise<{ data, width, height }>', decode);
  return {
    model,
    gender: gender === true ? DEFAULT_GENDER_MODEL : gender === false ? undefined : gender,
    simd: simd === 'auto' ? simdSupported() : simd,
    decode,
  };
}

/** The `weights` option as bytes by model name (BAD_INPUT for unknown names or non-bytes). */
function givenWeights(weights: unknown): Record<string, Uint8Array> {
  if (weights === undefined) return {};
  if (!isPlainObject(weights)) throw invalidParameter('options.weights', 'an object of weights by model name', weights);
  rejectUnknownKeys(weights, [...AGE_MODELS, ...GENDER_MODELS], 'options.weights');
  const out: Record<string, Uint8Array> = {};
  for (const [name, source] of Object.entries(weights)) {
    if (source instanceof Uint8Array) out[name] = source;
    else if (source instanceof ArrayBuffer) out[name] = new Uint8Array(source);
    else throw invalidParameter(`options.weights.${name}`, 'a Uint8Array or ArrayBuffer', source);
  }
  return out;
}

/**
 * Creates an estimator from options; assets not given in `options` come from `loadDefaults`
 * (the platform's package files), or are an error where the platform has none.
 */
export async function createEstimatorWith(options: EstimatorOptions, loadDefaults?: AssetLoader): Promise<Estimator> {
  const resolved = resolveOptions(options);
  const weights = givenWeights(options.weights);
  const needed = [...ageModelsOf(resolved.model), ...(resolved.gender ? [resolved.gender] : [])];
  const missing = needed.filter((name) => !weights[name]);
  let wasm = options.wasm;
  if (!wasm || missing.length) {
    if (!loadDefaults) {
      const what = [...(wasm ? [] : ['options.wasm']), ...missing.map((m) => `options.weights['${m}']`)].join(', ');
      throw invalidParameter('options', `${what} (this platform has no package files to load them from)`, options);
    }
    const defaults = await loadDefaults({ simd: resolved.simd, wasm: !wasm, weights: missing });
    wasm ??= defaults.wasm;
    Object.assign(weights, defaults.weights);
  }
  const detector = givenDetector(options.detector);
  return Estimator.create(resolved, wasm as WasmSource, weights, () => detectorAssets(detector, resolved.simd, loadDefaults));
}

/** The `detector` option, checked at creation (BAD_INPUT) though the detector loads on first use. */
function givenDetector(given: unknown): { wasm?: WasmSource; weights?: Uint8Array } {
  if (given === undefined) return {};
  if (!isPlainObject(given)) throw invalidParameter('options.detector', 'an object { wasm, weights }', given);
  rejectUnknownKeys(given, ['wasm', 'weights'], 'options.detector');
  const { wasm, weights } = given;
  if (wasm !== undefined && !(wasm instanceof WebAssembly.Module || wasm instanceof Uint8Array || wasm instanceof ArrayBuffer)) {
    throw invalidParameter('options.detector.wasm', 'a WebAssembly.Module, Uint8Array or ArrayBuffer', wasm);
  }
  if (weights !== undefined && !(weights instanceof Uint8Array || weights instanceof ArrayBuffer)) {
    throw invalidParameter('options.detector.weights', 'a Uint8Array or ArrayBuffer', weights);
  }
  return { wasm, weights: weights instanceof ArrayBuffer ? new Uint8Array(weights) : weights };
}

/** The detector's assets: those given, completed by the platform's package files. */
async function detectorAssets(given: { wasm?: WasmSource; weights?: Uint8Array }, simd: boolean, loadDefaults?: AssetLoader): Promise<DetectorAssets> {
  const { wasm, weights } = given;
  if (wasm && weights) return { wasm, weights };
  if (!loadDefaults) {
    throw invalidParameter('options.detector', '{ wasm, weights } of the face detector to estimate without a box (this platform has no package files to load them from)', given);
  }
  const defaults = (await loadDefaults({ simd, wasm: false, weights: [], detector: true })).detector as DetectorAssets;
  return { wasm: wasm ?? defaults.wasm, weights: weights ?? defaults.weights };
}
