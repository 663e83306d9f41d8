/**
 * The Estimator: one engine instance with an age model (and optionally a gender model) loaded,
 * turning images into face results. Platform-neutral: the wasm and weights arrive as bytes or a
 * compiled module; src/node.ts fills them in from the package on Node.
 */
import { AGE_SLOT, Engine, GENDER_SLOT, type WasmSource } from './engine.js';
import { SsrnetError, invalidParameter } from './errors.js';
import { normalizeInput } from './input.js';
import {
  AGE_MODELS,
  type AgeModelName,
  DEFAULT_AGE_MODEL,
  DEFAULT_GENDER_MODEL,
  GENDER_MODELS,
  type GenderModelName,
  isAgeModel,
  isGenderModel,
} from './models.js';
import { CROP_SIZE, DEFAULT_MARGIN, cropFace, wholeImageBox } from './preprocess.js';
import { simdSupported } from './simd.js';
import type { EstimateOptions, FaceResult, ImageInput } from './types.js';
import { isPlainObject } from './validate.js';

/** Bytes or a buffer holding a `.ssrq` weights file. */
export type WeightsSource = Uint8Array | ArrayBuffer;

/**
 * Options of {@link createEstimator}.
 *
 * @example
 * ```ts
 * const estimator = await createEstimator({ model: 'age-wiki', gender: true });
 * ```
 */
export interface EstimatorOptions {
  /**
   * Age model, named after its training set.
   * @default 'age-wiki' (lowest error on the dev faces, in float and int8)
   */
  model?: AgeModelName;
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
   * The `.ssrq` weights of `model` (`age`) and of the gender model (`gender`). On Node they
   * default to the package's weights/ folder.
   */
  weights?: { age?: WeightsSource; gender?: WeightsSource };
}

/** Resolved assets for one estimator. */
export interface EstimatorAssets {
  wasm: WasmSource;
  age: Uint8Array;
  gender?: Uint8Array;
}

/** Loads the package's default assets on platforms that have them (Node). */
export type AssetLoader = (request: { simd: boolean; model: AgeModelName; gender?: GenderModelName }) => Promise<EstimatorAssets>;

const ESTIMATOR_OPTION_KEYS = ['model', 'gender', 'simd', 'wasm', 'weights'];
const ESTIMATE_OPTION_KEYS = ['box', 'margin', 'maxPixels'];

/** Rejects option keys we do not know: a typo must not silently fall back to a default. */
function rejectUnknownKeys(options: Record<string, unknown>, known: string[], name: string): void {
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) throw invalidParameter(`${name}.${unknown}`, `no such option (known: ${known.join(', ')})`, options[unknown]);
}

/** Output of a gender model above 0.5 means this label (stored per model in the weights file). */
function genderAbove05(weights: Uint8Array): 'male' | 'female' {
  return weights[32] === 1 ? 'female' : 'male';
}

/**
 * An age (and gender) estimator. Create it with `createEstimator`; reuse it for every image —
 * it holds one fixed-size engine instance. Calls may overlap: each inference runs synchronously
 * once its image is decoded, so concurrent calls give the same results as serial ones.
 */
export class Estimator {
  private constructor(
    private readonly engine: Engine,
    /** The age model in use. */
    readonly model: AgeModelName,
    /** The gender model in use, if any. */
    readonly genderModel: GenderModelName | undefined,
    private readonly genderPositive: 'male' | 'female',
  ) {}

  /** @internal Builds an estimator from resolved options and assets. */
  static async create(options: ResolvedOptions, assets: EstimatorAssets): Promise<Estimator> {
    const engine = await Engine.create(assets.wasm);
    if (engine.simd !== options.simd) {
      throw new SsrnetError('BAD_WASM', `expected the ${options.simd ? 'simd' : 'scalar'} engine build, got the ${engine.simd ? 'simd' : 'scalar'} one`);
    }
    engine.loadWeights(AGE_SLOT, assets.age, 'age');
    let positive: 'male' | 'female' = 'male';
    if (options.gender) {
      if (!assets.gender) throw invalidParameter('options.weights.gender', 'the gender model weights', undefined);
      engine.loadWeights(GENDER_SLOT, assets.gender, 'gender');
      positive = genderAbove05(assets.gender);
    }
    return new Estimator(engine, options.model, options.gender, positive);
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
   * Estimates age (and gender) for the face in `input`.
   *
   * @param input encoded JPEG / PNG / GIF / BMP bytes, or raw pixels `{ data, width, height, format }`
   *   (a browser ImageData works as is)
   * @param options `box`: the face box (default: the whole image is the face); `margin`: widening
   *   of the box per side (default 0.4, as in training); `maxPixels`: largest accepted image
   * @returns one result per face (today exactly one: the box's), ages in years as floats
   * @throws SsrnetError BAD_INPUT, UNSUPPORTED_FORMAT, DECODE_FAILED, IMAGE_TOO_LARGE, ENGINE_FAILED
   * @example
   * ```ts
   * const [face] = await estimator.estimate(jpegBytes, { box: { x: 175, y: 70, width: 90, height: 90 } });
   * console.log(face.age.toFixed(1));
   * ```
   */
  async estimate(input: ImageInput, options: EstimateOptions = {}): Promise<FaceResult[]> {
    const opts: unknown = options;
    if (!isPlainObject(opts)) throw invalidParameter('options', 'an object', opts);
    rejectUnknownKeys(opts, ESTIMATE_OPTION_KEYS, 'options');
    const margin = options.margin ?? DEFAULT_MARGIN;
    const image = await normalizeInput(input, { maxPixels: options.maxPixels });
    const box = options.box ?? wholeImageBox(image);
    const crop = new Uint8Array(CROP_SIZE * CROP_SIZE * 3);
    cropFace(image, box, margin, crop);
    return [this.estimateCrop(crop, { x: box.x, y: box.y, width: box.width, height: box.height })];
  }

  /** Runs the models on a prepared 64x64x3 BGR crop (synchronous: no other call can interleave). */
  private estimateCrop(crop: Uint8Array, box: FaceResult['box']): FaceResult {
    const result: FaceResult = { box, age: this.engine.run(AGE_SLOT, crop) };
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
  model: AgeModelName;
  gender: GenderModelName | undefined;
  simd: boolean;
}

/** Validates estimator options and applies defaults (BAD_INPUT on anything unexpected). */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) throw invalidParameter('options', 'an object', options);
  rejectUnknownKeys(options, ESTIMATOR_OPTION_KEYS, 'options');
  const { model = DEFAULT_AGE_MODEL, gender = false, simd = 'auto' } = options as EstimatorOptions;
  if (!isAgeModel(model)) throw invalidParameter('options.model', `one of ${AGE_MODELS.join(', ')}`, model);
  if (gender !== true && gender !== false && !isGenderModel(gender)) {
    throw invalidParameter('options.gender', `true, false or one of ${GENDER_MODELS.join(', ')}`, gender);
  }
  if (simd !== 'auto' && simd !== true && simd !== false) throw invalidParameter('options.simd', "'auto', true or false", simd);
  return {
    model,
    gender: gender === true ? DEFAULT_GENDER_MODEL : gender === false ? undefined : gender,
    simd: simd === 'auto' ? simdSupported() : simd,
  };
}

function toUint8(source: WeightsSource | undefined, name: string): Uint8Array | undefined {
  if (source === undefined) return undefined;
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw invalidParameter(name, 'a Uint8Array or ArrayBuffer', source);
}

/**
 * Creates an estimator from options; assets not given in `options` come from `loadDefaults`
 * (the platform's package files), or are an error where the platform has none.
 */
export async function createEstimatorWith(options: EstimatorOptions, loadDefaults?: AssetLoader): Promise<Estimator> {
  const resolved = resolveOptions(options);
  const given = {
    wasm: options.wasm,
    age: toUint8(options.weights?.age, 'options.weights.age'),
    gender: toUint8(options.weights?.gender, 'options.weights.gender'),
  };
  const needGender = resolved.gender !== undefined && !given.gender;
  let defaults: EstimatorAssets | undefined;
  if (!given.wasm || !given.age || needGender) {
    if (!loadDefaults) {
      throw invalidParameter('options', 'wasm and weights (this platform has no package files to load them from)', options);
    }
    defaults = await loadDefaults({ simd: resolved.simd, model: resolved.model, gender: resolved.gender });
  }
  return Estimator.create(resolved, {
    wasm: given.wasm ?? (defaults as EstimatorAssets).wasm,
    age: given.age ?? (defaults as EstimatorAssets).age,
    gender: given.gender ?? defaults?.gender,
  });
}
