/**
 * The face detector seen from TypeScript: MediaPipe BlazeFace short-range in its own WASM module
 * (assembly/detector/, build/blazeface-{simd,scalar}.wasm, weights/blazeface-front.bf32).
 *
 * A photo becomes 128x128 network inputs here: the whole image letterboxed (scaled to fit, centred,
 * black bars: MediaPipe's keep_aspect_ratio with BORDER_ZERO), plus, when `minFaceSize` asks for
 * faces smaller than one pass can see, overlapping square tiles at finer scales. The engine
 * resamples each region (streamed to it row by row), runs the network and MediaPipe's decoding and
 * weighted NMS; the detections are mapped back to image pixels and merged across passes here.
 *
 * Why tiles: the short-range model finds faces from about 20% of its input's side (measured on 30
 * UTKFace chips pasted on a blurred background at known sizes: recall 100% from 20%, 17% at 15%,
 * 0 below; the astronaut, with hair and shoulders around her face, still scores 0.87 at 13%). One
 * pass on a 640-wide photo therefore sees faces from ~90-130 px. Each finer level halves the tile
 * side, so a pass costs the same whatever the scale and the number of passes grows with
 * (image / minFaceSize)². The 256x256 model (blazeface.json beside the front one) was the
 * alternative: it sees faces from 10% of its side, but costs 189 M multiply-adds a pass against
 * 31 M (6x), scores 0.63 on the coffee cup and 0.80 on the cat, and would still need tiles for
 * 40 px faces in a 640 px photo (12.8 px at 256, where its recall is below 70%).
 */
import type { WasmSource } from './engine.js';
import { SsrnetError, invalidParameter } from './errors.js';
import type { Box, Rgba } from './types.js';
import { isNumberInRange, isPlainObject, isPositiveInteger } from './validate.js';

/** Side of the square network input. */
export const INPUT_SIDE = 128;
/** f32 per engine detection record: score, xmin, ymin, xmax, ymax, 6 keypoints (x, y). */
const RECORD_FLOATS = 17;
/** Keypoints per face, in MediaPipe's order. */
export const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEarTragion', 'leftEarTragion'] as const;

/**
 * Default `minScore`. MediaPipe's 0.5 lets the cat of chelsea.png through (0.60 letterboxed) and
 * tiles of coffee.png reach 0.60 too, while faces score 0.79 (camera.png's near profile) to 0.97:
 * 0.81 and up for 150 UTKFace chips alone, 0.8 and up for the 36 collage faces, the astronaut
 * 0.92. 0.7 sits in the gap (test/detector.test.ts).
 */
export const DEFAULT_MIN_SCORE = 0.7;
/** Smallest face the network finds reliably, as a fraction of its input side (see the header). */
export const MIN_FACE_FRACTION = 0.2;
/** The finest level sees `minFaceSize` at this fraction of its tile, above the 20% limit for margin. */
export const SMALLEST_FACE_FRACTION = 0.25;
/** Detections of different passes overlapping by more than this IoU are one face (MediaPipe's NMS threshold). */
const MERGE_IOU = 0.3;

/** The detector's exports (assembly/detector/index.ts). */
interface DetectorExports {
  memory: WebAssembly.Memory;
  version(): number;
  simd(): number;
  inputPtr(): number;
  inputSide(): number;
  inputSize(): number;
  weightsPtr(): number;
  weightsCapacity(): number;
  loadWeights(length: number): number;
  run(): number;
  detect(minScore: number): number;
  detectionCount(): number;
  detectionsPtr(): number;
  letterboxRowPtr(): number;
  letterboxRowCapacity(): number;
  letterboxBegin(x: number, y: number, scale: number): number;
  letterboxColumns(x0: number, count: number): number;
  letterboxRows(y: number, rows: number): number;
  letterboxEnd(): number;
  tensorPtr(id: number): number;
  arenaStart(): number;
  arenaEnd(): number;
}

/** ABI version this host speaks (assembly/detector/index.ts ABI_VERSION). */
const ABI_VERSION = 1;

/** Detector result codes (assembly/blob.ts, plus 10 from assembly/detector/index.ts) → what a user should be told. */
const DETECTOR_CODES: Record<number, string> = {
  1: 'its length is wrong (truncated, too large, or not the length its header states)',
  2: 'it is not a .bf32 BlazeFace weights file (bad magic)',
  3: 'its format version is not supported by this detector',
  4: 'its checksum does not match (the file is corrupted)',
  5: 'its layers are not BlazeFace short-range',
  6: 'it points outside itself (corrupted tables)',
  8: 'no weights are loaded',
  9: 'it contains a non-finite number (NaN or infinity)',
  10: 'a letterbox argument is out of range',
};

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** One detected face. */
export interface Detection {
  /** The face box in image pixels (it may extend past the image edges). */
  box: Box;
  /** The detector's confidence, 0 to 1 (sigmoid of the network's logit). */
  score: number;
  /** Six landmarks in image pixels, in the order of {@link KEYPOINT_NAMES}. */
  keypoints: Point[];
}

/**
 * Options of {@link Detector.detect}.
 *
 * @example
 * ```ts
 * detector.detect(rgba, { minScore: 0.7, maxFaces: 10, minFaceSize: 40 });
 * ```
 */
export interface DetectOptions {
  /**
   * Smallest detector score kept, 0 to 1.
   * @default 0.7
   */
  minScore?: number;
  /**
   * Most faces returned (the best scoring); a positive integer.
   * @default unlimited
   */
  maxFaces?: number;
  /**
   * How small a face (box width in pixels) to search for. When it is below what one pass over the
   * whole image sees (20% of its longer side), overlapping tiles at finer scales are searched
   * too, the finest seeing `minFaceSize` at 25% of its side; each halving of the scale costs about
   * 4x more network passes (a 640x480 photo: 1 pass down to ~128 px, 7 down to ~64 px, 37 down to
   * ~40 px). It does not filter: smaller faces found on the way are returned too.
   * @default none: one pass, faces from about 20% of the image's longer side
   */
  minFaceSize?: number;
}

/** One network input: a square region of the image and the detections it may contribute. */
export interface Pass {
  /** The square region (width = height) scaled into the 128x128 input; it may extend past the image (black). */
  region: Box;
  /**
   * Detections kept from this pass must lie inside `keep` (the tile, unbounded along image edges)
   * and be at most `maxFace` wide: larger faces belong to a coarser pass. Unbounded for the whole
   * image.
   */
  keep: Bounds;
  maxFace: number;
}

/** An axis-aligned area by its edges; ±Infinity for no limit. */
export interface Bounds {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * The passes for an image: the whole image, then levels of overlapping square tiles, each level
 * half the side of the previous (the last one just small enough for `minFaceSize`). A level's
 * tiles overlap by the largest face it is responsible for (the smallest the coarser level sees),
 * so every such face lies whole inside some tile.
 *
 * @example
 * ```ts
 * planPasses(640, 480).length      // 1
 * planPasses(640, 480, 64).length  // 1 + 3x2 tiles of 320 px
 * ```
 */
export function planPasses(width: number, height: number, minFaceSize?: number): Pass[] {
  const side = Math.max(width, height);
  const everything = { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
  const passes: Pass[] = [{ region: { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side }, keep: everything, maxFace: Infinity }];
  if (minFaceSize === undefined) return passes;
  let tile = side;
  while (MIN_FACE_FRACTION * tile > minFaceSize) {
    const overlap = MIN_FACE_FRACTION * tile;
    tile = Math.max(tile / 2, minFaceSize / SMALLEST_FACE_FRACTION);
    for (const y of tileStarts(height, tile, overlap)) {
      for (const x of tileStarts(width, tile, overlap)) {
        passes.push({ region: { x, y, width: tile, height: tile }, keep: keepArea(x, y, tile, width, height), maxFace: overlap });
      }
    }
  }
  return passes;
}

/** Starts of tiles of side `tile` covering [0, length) with at least `overlap` between neighbours. */
function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [(length - tile) / 2];
  const count = Math.ceil((length - tile) / (tile - overlap)) + 1;
  return Array.from({ length: count }, (_, i) => (i * (length - tile)) / (count - 1));
}

/** The tile as a keep area, unbounded on sides that reach the image edge (faces there may be cut by the image, not the tile). */
function keepArea(x: number, y: number, tile: number, width: number, height: number): Bounds {
  return {
    left: x <= 0 ? -Infinity : x,
    top: y <= 0 ? -Infinity : y,
    right: x + tile >= width ? Infinity : x + tile,
    bottom: y + tile >= height ? Infinity : y + tile,
  };
}

/** IoU of two boxes; 0 when they do not overlap. */
export function boxIou(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

function inside(box: Box, area: Bounds): boolean {
  return box.x >= area.left && box.y >= area.top && box.x + box.width <= area.right && box.y + box.height <= area.bottom;
}

/** Validated detect options with defaults. */
interface ResolvedDetectOptions {
  minScore: number;
  maxFaces: number;
  minFaceSize: number | undefined;
}

/** Checks detect options (BAD_INPUT naming `prefix.key`) and applies the defaults. */
export function resolveDetectOptions(options: DetectOptions, prefix = 'options'): ResolvedDetectOptions {
  const { minScore = DEFAULT_MIN_SCORE, maxFaces = Infinity, minFaceSize } = options;
  if (!isNumberInRange(minScore, 0, 1)) throw invalidParameter(`${prefix}.minScore`, 'a number from 0 to 1', minScore);
  if (maxFaces !== Infinity && !isPositiveInteger(maxFaces)) throw invalidParameter(`${prefix}.maxFaces`, 'a positive integer', maxFaces);
  if (minFaceSize !== undefined && !isNumberInRange(minFaceSize, 1, Number.MAX_VALUE)) {
    throw invalidParameter(`${prefix}.minFaceSize`, 'a number of pixels, at least 1', minFaceSize);
  }
  return { minScore, maxFaces, minFaceSize };
}

/**
 * A face detector: one instance of the BlazeFace module with its weights loaded (1600 KiB of
 * fixed memory). Detection is synchronous: one image at a time per instance.
 */
export class Detector {
  private constructor(private readonly exports: DetectorExports) {}

  /**
   * Compiles (unless given a Module) and instantiates the detector and loads its weights.
   *
   * @param wasm build/blazeface-simd.wasm or build/blazeface-scalar.wasm, as bytes or a compiled module
   * @param weights the bytes of weights/blazeface-front.bf32
   * @throws SsrnetError BAD_WASM when the module is not a detector of this ABI; BAD_WEIGHTS when
   *   the weights are rejected
   * @example
   * ```ts
   * const detector = await Detector.create(readFileSync('build/blazeface-simd.wasm'), readFileSync('weights/blazeface-front.bf32'));
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
    if (typeof exports.version !== 'function' || typeof exports.detect !== 'function' || exports.version() !== ABI_VERSION) {
      throw new SsrnetError('BAD_WASM', `the .wasm is not a BlazeFace detector with ABI version ${ABI_VERSION}`);
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

  /** Bytes of linear memory (fixed: it never grows) and of the arena inside it. */
  get memoryBytes(): { memory: number; arena: number } {
    return { memory: this.exports.memory.buffer.byteLength, arena: this.exports.arenaEnd() - this.exports.arenaStart() };
  }

  /**
   * Finds the faces in an image.
   *
   * @param image decoded RGBA pixels (`normalizeInput`'s output)
   * @param options `minScore` (default 0.7), `maxFaces` (default unlimited), `minFaceSize` (default:
   *   one pass, faces from ~20% of the longer side)
   * @returns the faces by descending score, boxes and keypoints in image pixels
   * @throws SsrnetError BAD_INPUT for invalid options; ENGINE_FAILED if the module fails
   * @example
   * ```ts
   * const [face] = detector.detect(await normalizeInput(bytes));
   * console.log(face.box, face.score);
   * ```
   */
  detect(image: Rgba, options: DetectOptions = {}): Detection[] {
    if (!isPlainObject(options)) throw invalidParameter('options', 'an object', options);
    const { minScore, maxFaces, minFaceSize } = resolveDetectOptions(options);
    const found: Detection[] = [];
    for (const pass of planPasses(image.width, image.height, minFaceSize)) {
      this.letterbox(image, pass.region);
      for (const d of this.detectInput(minScore)) {
        const face = toImage(d, pass.region);
        if (face.box.width <= pass.maxFace && inside(face.box, pass.keep)) found.push(face);
      }
    }
    // Across passes: the best detection of each face wins (a face near a level's limits is seen twice).
    found.sort((a, b) => b.score - a.score);
    const faces: Detection[] = [];
    for (const face of found) {
      if (faces.length >= maxFaces) break;
      if (faces.every((kept) => boxIou(kept.box, face.box) <= MERGE_IOU)) faces.push(face);
    }
    return faces;
  }

  /**
   * Resamples the square `region` of `image` into the engine's 128x128x3 RGB input, by area
   * averaging in the engine (every input pixel is the mean of the image area it covers, so large
   * photos are low-pass filtered, not aliased: OpenCV's INTER_AREA). Parts of the region outside
   * the image are black (MediaPipe's letterbox padding). The image is streamed into the engine in
   * blocks of rows (of at most 16384 pixels), so its size does not matter.
   *
   * @param region a square (width = height) in image pixels, anywhere: input pixel (u, v) covers
   *   image x from region.x + u * region.width / 128 to the next pixel's start, likewise y
   */
  letterbox(image: Rgba, region: Box): void {
    const e = this.exports;
    this.check(e.letterboxBegin(region.x, region.y, INPUT_SIDE / region.width));
    const x0 = Math.max(0, Math.floor(region.x));
    const x1 = Math.min(image.width, Math.ceil(region.x + region.width));
    const y0 = Math.max(0, Math.floor(region.y));
    const y1 = Math.min(image.height, Math.ceil(region.y + region.height));
    const capacity = e.letterboxRowCapacity();
    for (let x = x0; x < x1; x += capacity) {
      const count = Math.min(capacity, x1 - x);
      this.check(e.letterboxColumns(x, count));
      const block = Math.floor(capacity / count);
      const buffer = new Uint8Array(e.memory.buffer, e.letterboxRowPtr(), block * count * 4);
      for (let y = y0; y < y1; y += block) {
        const rows = Math.min(block, y1 - y);
        if (count === image.width) {
          buffer.set(image.data.subarray(y * count * 4, (y + rows) * count * 4)); // whole rows: one copy
        } else {
          for (let r = 0; r < rows; r++) {
            const start = ((y + r) * image.width + x) * 4;
            buffer.set(image.data.subarray(start, start + count * 4), r * count * 4);
          }
        }
        this.check(e.letterboxRows(y, rows));
      }
    }
    this.check(e.letterboxEnd());
  }

  /** The engine's 128x128x3 RGB input, a view into its memory (valid until the next call). */
  input(): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, this.exports.inputPtr(), this.exports.inputSize());
  }

  /**
   * Runs the network and the engine's decoding + weighted NMS on the current input; returns the
   * detections in input coordinates normalized to 0..1 (MediaPipe's relative coordinates).
   */
  detectInput(minScore: number): Detection[] {
    const e = this.exports;
    this.check(e.run());
    this.check(e.detect(minScore));
    const records = new Float32Array(e.memory.buffer, e.detectionsPtr(), e.detectionCount() * RECORD_FLOATS);
    const out: Detection[] = [];
    for (let r = 0; r < records.length; r += RECORD_FLOATS) {
      const keypoints: Point[] = [];
      for (let k = 0; k < KEYPOINT_NAMES.length; k++) keypoints.push({ x: records[r + 5 + 2 * k], y: records[r + 6 + 2 * k] });
      out.push({
        score: records[r],
        box: { x: records[r + 1], y: records[r + 2], width: records[r + 3] - records[r + 1], height: records[r + 4] - records[r + 2] },
        keypoints,
      });
    }
    return out;
  }

  /** Runs the network on the current input and copies its raw outputs: 896 logits, 896 x 16 regressors. */
  rawOutputs(): { scores: Float32Array; boxes: Float32Array } {
    const e = this.exports;
    this.check(e.run());
    return {
      scores: new Float32Array(e.memory.buffer, e.tensorPtr(0), 896).slice(),
      boxes: new Float32Array(e.memory.buffer, e.tensorPtr(1), 896 * 16).slice(),
    };
  }

  private check(code: number): void {
    if (code !== 0) throw new SsrnetError('ENGINE_FAILED', `the detector failed: ${DETECTOR_CODES[code] ?? `code ${code}`}`);
  }
}

/** Maps a detection normalized to the 128x128 input of `region` back to image pixels. */
function toImage(d: Detection, region: Box): Detection {
  const x = (v: number): number => region.x + v * region.width;
  const y = (v: number): number => region.y + v * region.height;
  const x0 = x(d.box.x);
  const y0 = y(d.box.y);
  return {
    score: d.score,
    box: { x: x0, y: y0, width: x(d.box.x + d.box.width) - x0, height: y(d.box.y + d.box.height) - y0 },
    keypoints: d.keypoints.map((p) => ({ x: x(p.x), y: y(p.y) })),
  };
}
