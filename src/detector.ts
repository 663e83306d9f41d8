/**
 * The face detector seen from TypeScript: YuNet (libfacedetection, BSD-3) in its own WASM module
 * (assembly/yunet*.ts, build/yunet-{simd,scalar}.wasm, weights/yunet.yunf).
 *
 * YuNet finds faces from about 20 px up to the whole input in one pass (anchors at strides 8,
 * 16 and 32). A photo is resized to a working size ({@link workingSize}) and converted to BGR by
 * the SSR-Net engine module, which holds the decoded image (Engine.resizeImage, assembly/crop.ts);
 * the host copies that working image into this module, which runs the network, the box and
 * landmark decoding and NMS. Detections are mapped back to image pixels here. When the working
 * image had to be much smaller than the photo and the first pass saw small faces (or none), a
 * second pass looks for faces too small for it in tiles at twice the resolution
 * ({@link finerPassTiles}); both passes are merged by NMS. The policy lives in this file; the WASI
 * command (assembly/wasi.ts) mirrors it.
 */
import type { Engine, WasmSource } from './engine.js';
import { SsrnetError, invalidParameter } from './errors.js';
import type { Box, FaceLandmarks } from './types.js';
import { isNumberInRange, isPlainObject, isPositiveInteger } from './validate.js';

/** f32 per engine result record: score, x, y, w, h, 5 landmarks (x, y). */
const RECORD_FLOATS = 15;
/** YuNet's five landmarks, in the network's order (the person's right eye is on the image's left). */
export const LANDMARK_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouthRight', 'mouthLeft'] as const satisfies readonly (keyof FaceLandmarks)[];
export type LandmarkName = keyof FaceLandmarks;

/**
 * Default `minScore`. Faces score 0.89 (camera.png, a near profile) to 0.93 (the astronaut); the
 * best non-face windows of the test photos score 0.35 (coffee.png) and 0.25 (chelsea.png, the
 * cat). 0.6 sits in the gap (test/detector.test.ts).
 */
export const DEFAULT_MIN_SCORE = 0.6;
/** Default `maxFaces`: a crowd photo's best 100 faces; an untrusted photo cannot ask for more work. */
export const DEFAULT_MAX_FACES = 100;
/** NMS threshold: boxes overlapping a better one by a larger IoU are dropped (libfacedetection's 0.45). */
export const NMS_IOU = 0.45;
/**
 * Smallest face side, in working-image pixels, the network finds reliably. Provisional: the
 * recall-per-size measurement (branch `detref`) will tune it.
 */
export const SMALLEST_RELIABLE_FACE = 16;
/** Most faces the engine returns per image. */
const ENGINE_MAX_FACES = 512;
/**
 * Finer pass: run when the working image is smaller than FINER_BELOW_SCALE of the photo and the
 * first pass found no face, or a detection scoring at least FINER_CANDIDATE_SCORE narrower than
 * FINER_TRIGGER_WIDTH working pixels (a group whose smallest faces are near the detector's limit
 * may have smaller ones it missed). Tiles overlap by FINER_OVERLAP tile pixels and keep the faces
 * of at most that size (bigger ones are the first pass's: at least half that there).
 */
const FINER_BELOW_SCALE = 0.95;
const FINER_CANDIDATE_SCORE = 0.3;
const FINER_TRIGGER_WIDTH = 40;
export const FINER_OVERLAP = 64;
/** The finer pass's resolution: this times the first pass's at most ({@link finerPassScale}). */
const FINER_SCALE = 2;
/** Most detections both passes gather before their merge (the WASI command's fixed pool). */
const FINER_POOL = 1024;

/** The detector's exports (assembly/yunet-index.ts). */
interface DetectorExports {
  memory: WebAssembly.Memory;
  version(): number;
  simd(): number;
  maxInputSide(): number;
  maxPaddedPixels(): number;
  setInputSize(width: number, height: number): number;
  inputPtr(): number;
  weightsPtr(): number;
  weightsCapacity(): number;
  loadWeights(length: number): number;
  run(): number;
  detect(scoreThreshold: number, nmsThreshold: number, maxFaces: number): number;
  resultsPtr(): number;
  recordFloats(): number;
  headsPtr(level: number): number;
  headAnchors(level: number): number;
  arenaStart(): number;
  arenaEnd(): number;
}

/** ABI version this host speaks (assembly/yunet-index.ts ABI_VERSION). */
const ABI_VERSION = 2;

/** Detector result codes (assembly/blob.ts, plus 10 from assembly/yunet-index.ts) → what a user should be told. */
const DETECTOR_CODES: Record<number, string> = {
  1: 'its length is wrong (truncated, too large, or not the length its header states)',
  2: 'it is not a .yunf YuNet weights file (bad magic)',
  3: 'its format version is not supported by this detector',
  4: 'its checksum does not match (the file is corrupted)',
  5: 'its layers are not YuNet\'s',
  6: 'it points outside itself (corrupted tables)',
  8: 'no weights are loaded or no input was run',
  9: 'it contains a non-finite number (NaN or infinity)',
  10: 'an input size or threshold is out of range',
};

export type { Point } from './types.js';

/** One detected face. */
export interface Detection {
  /** The face box in image pixels (it may extend past the image edges). */
  box: Box;
  /** The detector's confidence, 0 to 1: sqrt(sigmoid(class) x sigmoid(objectness)). */
  score: number;
  /** Five landmarks in image pixels; right and left are the person's. */
  landmarks: FaceLandmarks;
}

/**
 * Options of {@link Detector.detect}.
 *
 * @example
 * ```ts
 * detector.detect(rgba, { minScore: 0.6, maxFaces: 10, minFaceSize: 20 });
 * ```
 */
export interface DetectOptions {
  /**
   * Smallest detector score kept, 0 to 1.
   * @default 0.6
   */
  minScore?: number;
  /**
   * Most faces returned (the best scoring); a positive integer, or Infinity for every face the
   * engine keeps (512).
   * @default 100 (DEFAULT_MAX_FACES: bounds the work per call; each face costs 1-3 network runs)
   */
  maxFaces?: number;
  /**
   * How small a face (box side in image pixels) to search for: the working size is chosen so that
   * it becomes at least SMALLEST_RELIABLE_FACE pixels, within the engine's input limit
   * ({@link workingSize}). It does not filter: smaller faces found on the way are returned too.
   * @default none: the image at most 640 px on its longer side (never enlarged), and the finer
   *   pass of {@link Detector.detect} when that shrank the photo
   */
  minFaceSize?: number;
}

/** Validated detect options with defaults. */
interface ResolvedDetectOptions {
  minScore: number;
  maxFaces: number;
  minFaceSize: number | undefined;
}

/** Checks detect options (BAD_INPUT naming `prefix.key`) and applies the defaults. */
export function resolveDetectOptions(options: DetectOptions, prefix = 'options'): ResolvedDetectOptions {
  const { minScore = DEFAULT_MIN_SCORE, maxFaces = DEFAULT_MAX_FACES, minFaceSize } = options;
  if (!isNumberInRange(minScore, 0, 1)) throw invalidParameter(`${prefix}.minScore`, 'a number from 0 to 1', minScore);
  if (maxFaces !== Infinity && !isPositiveInteger(maxFaces)) throw invalidParameter(`${prefix}.maxFaces`, 'a positive integer', maxFaces);
  if (minFaceSize !== undefined && !isNumberInRange(minFaceSize, 1, Number.MAX_VALUE)) {
    throw invalidParameter(`${prefix}.minFaceSize`, 'a number of pixels, at least 1', minFaceSize);
  }
  return { minScore, maxFaces, minFaceSize };
}

/** The engine's input limits: each side at most `maxSide`, ceil32(w) * ceil32(h) at most `maxPaddedPixels`. */
export interface InputLimits {
  maxSide: number;
  maxPaddedPixels: number;
}

const ceil32 = (v: number): number => Math.ceil(v / 32) * 32;

/**
 * The working-size policy, in one place: the size the image is resized to before detection.
 * Largest scale that fits the engine's limits, and at most 1 (no enlarging) unless `minFaceSize`
 * asks for it; with `minFaceSize`, the scale that makes such a face SMALLEST_RELIABLE_FACE pixels
 * (smaller when the image would not fit, larger never needed), so large faces cost less.
 *
 * @example
 * ```ts
 * workingSize(1280, 960, { maxSide: 640, maxPaddedPixels: 640 * 480 }) // { width: 640, height: 480 }
 * ```
 */
export function workingSize(width: number, height: number, limits: InputLimits, minFaceSize?: number): { width: number; height: number } {
  let scale = Math.min(limits.maxSide / Math.max(width, height), Math.sqrt(limits.maxPaddedPixels / (width * height)));
  scale = minFaceSize === undefined ? Math.min(scale, 1) : Math.min(scale, SMALLEST_RELIABLE_FACE / minFaceSize);
  const size = (s: number) => ({ width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) });
  let out = size(scale);
  // Padding to multiples of 32 can push the rounded size past the limit: shrink until it fits.
  while (Math.max(out.width, out.height) > limits.maxSide || ceil32(out.width) * ceil32(out.height) > limits.maxPaddedPixels) {
    scale *= 0.98;
    out = size(scale);
  }
  return out;
}

/** A tile of the finer pass: an integer region of the image and the size it is resized to. */
export interface Tile {
  region: Box;
  width: number;
  height: number;
  /** The part of the region whose faces this tile reports (the cores of all tiles partition the image). */
  core: Box;
}

/** The finer pass's tile size: as large as the engine takes, 640x480 or 480x640 along the image. */
function tileSize(width: number, height: number, limits: InputLimits): [number, number] {
  const longSide = limits.maxSide;
  const shortSide = Math.floor(limits.maxPaddedPixels / limits.maxSide / 32) * 32;
  return width >= height ? [longSide, shortSide] : [shortSide, longSide];
}

/**
 * The finer pass's scale (tile pixels per image pixel): FINER_SCALE times the first pass's, at
 * most 1, and at most what 2 x 2 tiles overlapping by FINER_OVERLAP cover (bounded work: four
 * engine inputs; 1.6-2 times the first pass's resolution for photos above 1280 px).
 */
export function finerPassScale(width: number, height: number, firstScale: number, limits: InputLimits): number {
  const [tileWidth, tileHeight] = tileSize(width, height, limits);
  // 4 px of slack: the tiles' floor and ceil lose up to 3 px of the two tiles' reach.
  const cover = (tile: number, size: number) => (2 * tile - FINER_OVERLAP - 4) / size;
  return Math.min(1, FINER_SCALE * firstScale, cover(tileWidth, width), cover(tileHeight, height));
}

/**
 * The finer pass's tiles: the image at scale min(1, FINER_SCALE * firstScale) (less if 2 x 2
 * tiles would not cover it), cut into tiles that fit the engine's input and overlap by
 * FINER_OVERLAP tile pixels, so that every face of at most that size lies wholly inside the tile
 * whose core holds its centre.
 *
 * @param firstScale the first pass's working size / image size
 * @example
 * ```ts
 * finerPassTiles(2000, 1500, 640 / 2000, { maxSide: 640, maxPaddedPixels: 640 * 480 }).length // 4
 * ```
 */
export function finerPassTiles(width: number, height: number, firstScale: number, limits: InputLimits): Tile[] {
  const [tileWidth, tileHeight] = tileSize(width, height, limits);
  const scale = finerPassScale(width, height, firstScale, limits);
  const spans = (size: number, tileSize: number) => {
    const cell = Math.floor(tileSize / scale); // image pixels one tile covers
    const overlap = Math.ceil(FINER_OVERLAP / scale);
    const count = size <= cell ? 1 : Math.ceil((size - overlap) / (cell - overlap));
    const span = Math.min(size, Math.ceil((size + (count - 1) * overlap) / count));
    const starts = Array.from({ length: count }, (_, i) => (count === 1 ? 0 : Math.round((i * (size - span)) / (count - 1))));
    // Cores end in the middle of the overlap with the next tile.
    const ends = starts.map((start, i) => (i === count - 1 ? size : Math.round((starts[i + 1] + start + span) / 2)));
    return starts.map((start, i) => ({ start, span, pixels: Math.max(1, Math.round(span * scale)), coreStart: i === 0 ? 0 : ends[i - 1], coreEnd: ends[i] }));
  };
  const xs = spans(width, tileWidth);
  const ys = spans(height, tileHeight);
  return ys.flatMap((y) => xs.map((x) => ({
    region: { x: x.start, y: y.start, width: x.span, height: y.span },
    width: x.pixels,
    height: y.pixels,
    core: { x: x.coreStart, y: y.coreStart, width: x.coreEnd - x.coreStart, height: y.coreEnd - y.coreStart },
  })));
}

/** Greedy NMS by descending score (stable), dropping boxes overlapping a kept one by IoU > `iou`, as the engine's. */
function mergeDetections(detections: Detection[], iou: number): Detection[] {
  const sorted = detections.map((d, i) => ({ d, i })).sort((a, b) => b.d.score - a.d.score || a.i - b.i).map(({ d }) => d);
  const kept: Detection[] = [];
  for (const d of sorted) if (kept.every((k) => boxIou(k.box, d.box) <= iou)) kept.push(d);
  return kept;
}

/** Raw head outputs of one level (stride 8, 16, 32) for tests and debugging, in the engine's layout. */
export interface RawLevel {
  cls: Float32Array;
  obj: Float32Array;
  bbox: Float32Array;
  kps: Float32Array;
}

/**
 * A face detector: one instance of the YuNet module with its weights loaded (fixed memory, see
 * {@link Detector.memoryBytes}). Detection is synchronous: one image at a time per instance.
 */
export class Detector {
  private constructor(private readonly exports: DetectorExports) {}

  /**
   * Compiles (unless given a Module) and instantiates the detector and loads its weights.
   *
   * @param wasm build/yunet-simd.wasm or build/yunet-scalar.wasm, as bytes or a compiled module
   * @param weights the bytes of weights/yunet.yunf
   * @throws SsrnetError BAD_WASM when the module is not a detector of this ABI; BAD_WEIGHTS when
   *   the weights are rejected
   * @example
   * ```ts
   * const detector = await Detector.create(readFileSync('build/yunet-simd.wasm'), readFileSync('weights/yunet.yunf'));
   * ```
   */
  static async create(wasm: WasmSource, weights: Uint8Array | ArrayBuffer): Promise<Detector> {
    let exports: DetectorExports;
    try {
      const bytes = wasm instanceof ArrayBuffer ? new Uint8Array(wasm) : wasm;
      const module = bytes instanceof WebAssembly.Module ? bytes : await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
      exports = (await WebAssembly.instantiate(module, {})).exports as unknown as DetectorExports;
    } catch (cause) {
      throw new SsrnetError('BAD_WASM', `the detector .wasm could not be instantiated: ${(cause as Error).message}`, { cause });
    }
    if (typeof exports.version !== 'function' || typeof exports.setInputSize !== 'function' || exports.version() !== ABI_VERSION) {
      throw new SsrnetError('BAD_WASM', `the .wasm is not a YuNet detector with ABI version ${ABI_VERSION}`);
    }
    const blob = weights instanceof ArrayBuffer ? new Uint8Array(weights) : weights;
    if (!(blob instanceof Uint8Array)) throw invalidParameter('weights', 'a Uint8Array or ArrayBuffer', weights);
    if (blob.length > exports.weightsCapacity()) {
      throw new SsrnetError('BAD_WEIGHTS', `expected at most ${exports.weightsCapacity()} bytes of detector weights, got ${blob.length}`);
    }
    new Uint8Array(exports.memory.buffer, exports.weightsPtr(), blob.length).set(blob);
    const code = exports.loadWeights(blob.length);
    if (code !== 0) {
      throw new SsrnetError('BAD_WEIGHTS', `the detector weights were rejected: ${DETECTOR_CODES[code] ?? `code ${code}`}`);
    }
    return new Detector(exports);
  }

  /** True when this instance runs the simd128 kernels. */
  get simd(): boolean {
    return this.exports.simd() === 1;
  }

  /** The engine's input limits. */
  get limits(): InputLimits {
    return { maxSide: this.exports.maxInputSide(), maxPaddedPixels: this.exports.maxPaddedPixels() };
  }

  /** Bytes of linear memory (fixed: it never grows) and of the arena inside it. */
  get memoryBytes(): { memory: number; arena: number } {
    return { memory: this.exports.memory.buffer.byteLength, arena: this.exports.arenaEnd() - this.exports.arenaStart() };
  }

  /**
   * Finds the faces in the image an SSR-Net engine holds (written with `Engine.setImage`): the
   * engine resizes it to the working size in wasm, this module detects on that.
   *
   * @param engine an engine holding the image
   * @param options `minScore` (default 0.6), `maxFaces` (default 100), `minFaceSize`
   *   (default: the image at most 640 px on its longer side; then, when that shrank the image
   *   and the faces found are small or none, a finer pass in tiles at twice the resolution, merged
   *   by NMS: faces from about 20 px in images up to 1280 px)
   * @returns the faces by descending score, boxes and landmarks in image pixels
   * @throws SsrnetError BAD_INPUT for invalid options or an engine without an image;
   *   ENGINE_FAILED if a module fails
   * @example
   * ```ts
   * engine.setImage(await normalizeInput(bytes));
   * const [face] = detector.detect(engine);
   * console.log(face.box, face.score, face.landmarks.noseTip);
   * ```
   */
  detect(engine: Engine, options: DetectOptions = {}): Detection[] {
    if (!isPlainObject(options)) throw invalidParameter('options', 'an object', options);
    const resolved = resolveDetectOptions(options);
    const image = engine.image;
    if (!image) throw new SsrnetError('BAD_INPUT', 'the engine holds no image to detect faces in (Engine.setImage first)');
    const { minScore, maxFaces, minFaceSize } = resolved;
    const size = workingSize(image.width, image.height, this.limits, minFaceSize);
    const scale = size.width / image.width;
    const candidateScore = Math.min(minScore, FINER_CANDIDATE_SCORE);
    const first = this.detectResized(engine.resizeImage(size.width, size.height), size.width, size.height,
      { x: image.width / size.width, y: image.height / size.height }, { minScore: candidateScore, maxFaces: Infinity });
    const faces = first.filter((d) => d.score >= minScore);
    const finer = minFaceSize === undefined && scale < FINER_BELOW_SCALE
      && (faces.length === 0 || first.some((d) => d.box.width * scale < FINER_TRIGGER_WIDTH));
    if (!finer) return faces.slice(0, maxFaces);
    for (const tile of finerPassTiles(image.width, image.height, scale, this.limits)) {
      const { region, core } = tile;
      const bgr = engine.resizeRegion(region, tile.width, tile.height);
      const tileScale = { x: region.width / tile.width, y: region.height / tile.height };
      const limit = FINER_OVERLAP * tileScale.x;
      for (const d of this.detectResized(bgr, tile.width, tile.height, tileScale, { minScore, maxFaces: Infinity })) {
        const face = offsetDetection(d, region.x, region.y);
        const { box } = face;
        const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
        if (Math.max(box.width, box.height) > limit || cx < core.x || cx >= core.x + core.width || cy < core.y || cy >= core.y + core.height) continue;
        if (faces.length < FINER_POOL) faces.push(face);
      }
    }
    return mergeDetections(faces, NMS_IOU).slice(0, maxFaces);
  }

  /**
   * Finds the faces in an image already resized to a working size the module accepts
   * ({@link workingSize}) as BGR; detections are scaled back by `scale` (image pixels per
   * working pixel).
   *
   * @param bgr `width * height * 3` bytes, BGR
   * @param scale image size / working size, per axis
   * @param options `minScore` and `maxFaces` as for {@link detect}; `minFaceSize` is checked but
   *   has no effect here (the caller chose the working size)
   * @throws SsrnetError BAD_INPUT for a wrong length, scale or invalid options; ENGINE_FAILED for
   *   a size the module refuses
   * @example
   * ```ts
   * const faces = detector.detectResized(bgr640x480, 640, 480, { x: 2, y: 2 }); // from a 1280x960 frame
   * ```
   */
  detectResized(bgr: Uint8Array, width: number, height: number, scale: { x: number; y: number }, options: DetectOptions = {}): Detection[] {
    if (!isPlainObject(options)) throw invalidParameter('options', 'an object', options);
    const { minScore, maxFaces } = resolveDetectOptions(options);
    if (!(bgr instanceof Uint8Array) || bgr.length !== width * height * 3) {
      throw invalidParameter('bgr', `a Uint8Array of ${width} * ${height} * 3 bytes`, bgr);
    }
    if (!isNumberInRange(scale?.x, Number.MIN_VALUE, Number.MAX_VALUE) || !isNumberInRange(scale?.y, Number.MIN_VALUE, Number.MAX_VALUE)) {
      throw invalidParameter('scale', 'positive finite { x, y }', scale);
    }
    this.setInputSize(width, height);
    this.input(width, height).set(bgr);
    return this.detectInput(minScore, maxFaces).map((d) => scaleDetection(d, scale.x, scale.y));
  }

  /** Sets the engine's input size (1..640 a side, padded size within 640x480); throws ENGINE_FAILED otherwise. */
  setInputSize(width: number, height: number): void {
    this.check(this.exports.setInputSize(width, height));
  }

  /** The engine's width x height x 3 BGR input, a view into its memory (valid until the next call). */
  input(width: number, height: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, this.exports.inputPtr(), width * height * 3);
  }

  /**
   * Runs the network, decoding and NMS on the current input; returns the detections in input
   * (working-image) pixels.
   */
  detectInput(minScore: number, maxFaces = Infinity, nmsIou = NMS_IOU): Detection[] {
    const e = this.exports;
    this.check(e.run());
    const count = e.detect(minScore, nmsIou, Math.min(maxFaces, ENGINE_MAX_FACES));
    if (count < 0) this.check(-count);
    const r = new Float32Array(e.memory.buffer, e.resultsPtr(), count * RECORD_FLOATS);
    const out: Detection[] = [];
    for (let i = 0; i < r.length; i += RECORD_FLOATS) {
      const landmarks = {} as FaceLandmarks;
      LANDMARK_NAMES.forEach((name, k) => {
        landmarks[name] = { x: r[i + 5 + 2 * k], y: r[i + 6 + 2 * k] };
      });
      out.push({ score: r[i], box: { x: r[i + 1], y: r[i + 2], width: r[i + 3], height: r[i + 4] }, landmarks });
    }
    return out;
  }

  /** Runs the network on the current input and copies its raw outputs, per level (stride 8, 16, 32). */
  rawOutputs(): RawLevel[] {
    const e = this.exports;
    this.check(e.run());
    return [0, 1, 2].map((level) => {
      const n = e.headAnchors(level);
      const all = new Float32Array(e.memory.buffer, e.headsPtr(level), n * 16).slice();
      return { cls: all.subarray(0, n), obj: all.subarray(n, 2 * n), bbox: all.subarray(2 * n, 6 * n), kps: all.subarray(6 * n, 16 * n) };
    });
  }

  private check(code: number): void {
    if (code !== 0) throw new SsrnetError('ENGINE_FAILED', `the detector failed: ${DETECTOR_CODES[code] ?? `code ${code}`}`);
  }
}

/** IoU of two boxes; 0 when they do not overlap. */
export function boxIou(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** A detection moved by (dx, dy): a tile's detection in image pixels. */
function offsetDetection(d: Detection, dx: number, dy: number): Detection {
  const landmarks = {} as FaceLandmarks;
  for (const name of LANDMARK_NAMES) landmarks[name] = { x: d.landmarks[name].x + dx, y: d.landmarks[name].y + dy };
  return { score: d.score, box: { x: d.box.x + dx, y: d.box.y + dy, width: d.box.width, height: d.box.height }, landmarks };
}

/** Maps a detection in working-image pixels to image pixels (x times sx, y times sy). */
function scaleDetection(d: Detection, sx: number, sy: number): Detection {
  const landmarks = {} as FaceLandmarks;
  for (const name of LANDMARK_NAMES) landmarks[name] = { x: d.landmarks[name].x * sx, y: d.landmarks[name].y * sy };
  return { score: d.score, box: { x: d.box.x * sx, y: d.box.y * sy, width: d.box.width * sx, height: d.box.height * sy }, landmarks };
}
