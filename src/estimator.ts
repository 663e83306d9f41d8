/**
 * The Estimator: one engine instance with an age model (and optionally a gender model) loaded,
 * turning images into face results. Platform-neutral: the wasm and weights arrive as bytes or a
 * compiled module; src/node.ts fills them in from the package on Node.
 */
import { AUTO_MODEL } from './auto-model.js';
import { type Detection, Detector, LANDMARK_NAMES, resolveDetectOptions } from './detector.js';
import { AGE_SLOTS, Engine, GENDER_SLOT, type WasmSource } from './engine.js';
import { combineAges } from './ensemble.js';
import { SsrnetError, invalidParameter } from './errors.js';
import { normalizeInput, toOriginalBox } from './input.js';
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
import { faceBoxFromYunet } from './face-box.js';
import { DEFAULT_MARGIN, wholeImageBox } from './preprocess.js';
import { simdSupported } from './simd.js';
import type { Box, EstimateOptions, FaceResult, ImageDecoder, ImageInput } from './types.js';
import { isNumberInRange, isPlainObject } from './validate.js';

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
   * @default the platform's fastest decoder (src/decode.ts): the browser's own; on Node and
   *   Workers the @jsquash WASM codecs (sharp for big JPEGs on Node when installed), jimp for GIF
   *   and BMP on Node
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

/** A detection's face box in the age models' convention (src/face-box.ts: landmark-centred square). */
function faceBoxOf(face: Detection): Box {
  return faceBoxFromYunet({ ...face.box, landmarks: LANDMARK_NAMES.map((name) => face.landmarks[name]) });
}

/** A detection found in an image decoded at `scale`, in original pixels. */
function toOriginalDetection(face: Detection, scale: number): Detection {
  if (scale === 1) return face;
  const landmarks = {} as Detection['landmarks'];
  for (const name of LANDMARK_NAMES) landmarks[name] = { x: face.landmarks[name].x / scale, y: face.landmarks[name].y / scale };
  return { score: face.score, box: toOriginalBox(face.box, scale), landmarks };
}

/** The age models a model choice runs, in slot order. */
function ageModelsOf(model: AgeModelChoice): AgeModelName[] {
  return model === 'auto' ? AUTO_MODEL.models : [model];
}

/**
 * An age (and gender) estimator. Create it with `createEstimator`; reuse it for every image —
 * it holds one engine instance with up to three models loaded (a fixed 256 KiB arena, plus an
 * image region that grows to the largest decoded image so far: width * height * 4 bytes, plus
 * the detector's working image), and the face detector (fixed memory, instantiated on the first
 * estimate without a box). Calls may
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
    warmUp = true,
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
    // V8 compiles wasm functions on their first call and starts them in baseline code, tiering
    // hot ones up in the background: one run here moves most of that cost out of the first
    // estimate — an edge request is often the first call of its isolate, while the estimator is
    // made at startup. One run suffices: every model runs the same kernels (measured in fresh
    // processes, a run per model cost ~1.5 ms more at creation for ~0.3 ms less on the first
    // estimate of 'auto').
    // Where the first estimate follows at once (a one-shot CLI call) it only adds: callers skip it.
    // Its output (on an empty input) is discarded, and so is its failure: weights that give no
    // finite age fail each estimate with ENGINE_FAILED, not the creation.
    if (warmUp) {
      try {
        engine.runInput(AGE_SLOTS[0]);
      } catch {
        // reported by the first estimate
      }
    }
    return new Estimator(engine, options.model, options.gender, positive, options.decode, detectorAssets);
  }

  /** True when this estimator runs the simd128 engine build. */
  get simd(): boolean {
    return this.engine.simd;
  }

  /** Linear memory of the engine instance in bytes (the arena plus the largest image so far) and the arena inside it. */
  get memoryBytes(): { memory: number; arena: number } {
    return this.engine.memoryBytes;
  }

  /**
   * Estimates age (and gender) for the faces in `input`.
   *
   * @param input encoded JPEG / PNG / WebP / GIF / BMP bytes, or raw pixels `{ data, width, height, format }`
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
    if (!isNumberInRange(margin, 0, 2)) throw invalidParameter('options.margin', 'a finite number from 0 to 2', margin);
    const image = await normalizeInput(input, { maxPixels: options.maxPixels, decode: this.decode });
    const given = options.box !== undefined || !detect;
    const detector = given ? undefined : await this.loadDetector();
    // A big JPEG may arrive decoded at reduced size (image.scale < 1): boxes and landmarks in and
    // out are in original pixels, crops are taken in decoded pixels.
    const scale = image.scale ?? 1;
    // From here on everything is synchronous: concurrent calls cannot interleave between writing
    // the image into the engine and the last crop made from it.
    this.engine.setImage(image);
    if (!detector) {
      const box = options.box ?? toOriginalBox(wholeImageBox(image), scale);
      const decoded = toOriginalBox(box, 1 / scale);
      this.engine.cropFace(decoded, margin);
      return [this.estimateInput({ x: box.x, y: box.y, width: box.width, height: box.height }, Math.sqrt(decoded.width * decoded.height))];
    }
    const results: FaceResult[] = [];
    for (const face of detector.detect(this.engine, detectOptions)) {
      const box = faceBoxOf(face);
      // A face cut by the image edge can have its landmark-centred box wholly outside the image
      // (nothing of it to crop): such a detection is dropped rather than failing the call.
      if (!(box.x < image.width && box.x + box.width > 0 && box.y < image.height && box.y + box.height > 0)) continue;
      this.engine.cropFace(box, margin);
      results.push(this.estimateInput(toOriginalBox(box, scale), Math.sqrt(box.width * box.height), toOriginalDetection(face, scale)));
    }
    return results;
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

  /**
   * Runs the models on the crop in the engine's input (synchronous: no other call can interleave).
   * `side`: the face box's side in decoded pixels, the resolution the size-aware 'auto' corrects for.
   */
  private estimateInput(box: FaceResult['box'], side: number, face?: Detection): FaceResult {
    const outputs = ageModelsOf(this.model).map((_, i) => this.engine.runInput(AGE_SLOTS[i]));
    const age = this.model === 'auto' ? combineAges(AUTO_MODEL, outputs, { side }) : outputs[0];
    const result: FaceResult = face === undefined ? { box, age } : { box, score: face.score, landmarks: face.landmarks, age };
    if (this.genderModel) {
      const score = Math.min(1, Math.max(0, this.engine.runInput(GENDER_SLOT)));
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

/** How an estimator is brought up (internal: callers that know their call pattern, such as the CLI). */
export interface LoadingOptions {
  /**
   * Run the engine once at creation so the first estimate does not pay V8's first compilation
   * of its kernels; false when the first estimate follows immediately anyway.
   * @default true
   */
  warmUp?: boolean;
}

/**
 * Creates an estimator from options; assets not given in `options` come from `loadDefaults`
 * (the platform's package files), or are an error where the platform has none.
 */
export async function createEstimatorWith(options: EstimatorOptions, loadDefaults?: AssetLoader, loading: LoadingOptions = {}): Promise<Estimator> {
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
  return Estimator.create(resolved, wasm as WasmSource, weights, () => detectorAssets(detector, resolved.simd, loadDefaults), loading.warmUp ?? true);
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
