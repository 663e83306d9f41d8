/**
 * The WASM engine seen from TypeScript: instantiation, weights loading into the engine's slots,
 * the image region (the decoded image written once; face crops and the detector's working image
 * made from it in wasm) and one inference on a 64x64x3 BGR crop. Engine result codes become
 * SsrnetErrors here. The ABI is documented in assembly/index.ts and docs/embedding.md.
 *
 * Instantiation calls WebAssembly.instantiate directly rather than @assemblyscript/loader: the
 * ABI is integers and pointers only, so the loader's string/array helpers have nothing to do,
 * and its `instantiate` reads the global `Response` on every call, which on Node 20 lazily loads
 * undici — measured at ~22 ms of a cold start whose whole budget is 5 ms (bench/e2e.bench.ts).
 */
import { SsrnetError } from './errors.js';
import { checkCropBox } from './preprocess.js';
import type { Box, Rgba } from './types.js';

/** The engine's exports (assembly/index.ts). */
interface EngineExports {
  memory: WebAssembly.Memory;
  version(): number;
  simd(): number;
  inputPtr(): number;
  inputSize(): number;
  weightsPtr(slot: number): number;
  weightsCapacity(): number;
  loadWeights(slot: number, length: number): number;
  slotKind(slot: number): number;
  run(slot: number): number;
  result(): number;
  tensorPtr(id: number): number;
  arenaStart(): number;
  arenaEnd(): number;
  reserveImage(width: number, height: number, format: number): number;
  cropFace(x: number, y: number, w: number, h: number, margin: number): number;
  resizeImage(width: number, height: number): number;
  resizeRegion(x: number, y: number, w: number, h: number, width: number, height: number): number;
}

/** ABI version this host speaks (assembly/index.ts ABI_VERSION). */
const ABI_VERSION = 2;

/** Pixel formats of reserveImage (assembly/crop.ts); the host always writes RGBA. */
const PIXEL_RGBA = 0;
/** Largest image side and resized side the engine accepts (assembly/arena.ts). */
const MAX_IMAGE_SIDE = 65535;
const MAX_RESIZED_SIDE = 8192;

/** Engine result codes (assembly/blob.ts, shared by both engines) → what a user should be told. */
const ENGINE_CODES: Record<number, string> = {
  1: 'its length is wrong (truncated, too large, or not the length its header states)',
  2: 'it is not an .ssrq weights file (bad magic)',
  3: 'its format version is not supported by this engine',
  4: 'its checksum does not match (the file is corrupted)',
  5: 'its layer shapes are not SSR-Net(3,3,3)',
  6: 'it points outside itself (corrupted tables)',
  7: 'the weights slot does not exist',
  8: 'no weights are loaded in this slot',
  9: 'it contains a non-finite number (NaN or infinity)',
  10: 'a box, margin or size is out of range',
  11: 'no image has been written',
};

/** A wasm engine source: compiled module (Cloudflare Workers) or the .wasm bytes. */
export type WasmSource = WebAssembly.Module | Uint8Array | ArrayBuffer;

/** Weights slots of an engine: up to two age models (slots 0, 1) and a gender model (slot 2). */
export const AGE_SLOTS = [0, 1];
export const GENDER_SLOT = 2;

/** Model kind byte of the .ssrq header. */
export type SlotKind = 'age' | 'gender';

/**
 * One instantiated engine, one inference at a time (synchronous): a fixed 256 KiB arena plus an
 * image region that grows to the largest image written (up to 1 GiB; it never shrinks).
 */
export class Engine {
  /** Size of the image in the image region, once one is written. */
  private imageSize: { width: number; height: number } | undefined;

  private constructor(private readonly exports: EngineExports) {}

  /** Compiles (unless given a Module) and instantiates the engine; BAD_WASM when that fails. */
  static async create(source: WasmSource): Promise<Engine> {
    let exports: EngineExports;
    try {
      const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(toBytes(source) as Uint8Array<ArrayBuffer>);
      // The engine imports nothing (asconfig: runtime stub, abort disabled).
      const instance = await WebAssembly.instantiate(module, {});
      exports = instance.exports as unknown as EngineExports;
    } catch (cause) {
      throw new SsrnetError('BAD_WASM', `the engine .wasm could not be instantiated: ${(cause as Error).message}`, { cause });
    }
    if (typeof exports.version !== 'function' || exports.version() !== ABI_VERSION) {
      throw new SsrnetError('BAD_WASM', `the .wasm is not an ssrnet engine with ABI version ${ABI_VERSION}`);
    }
    return new Engine(exports);
  }

  /** True when this instance runs the simd128 kernels. */
  get simd(): boolean {
    return this.exports.simd() === 1;
  }

  /**
   * Copies a .ssrq blob into `slot` and has the engine verify it; BAD_WEIGHTS on any failure.
   * The slot and the length are checked first: nothing is written outside the slot's region.
   */
  loadWeights(slot: number, weights: Uint8Array, expectedKind: SlotKind): void {
    const e = this.exports;
    const ptr = e.weightsPtr(slot);
    if (ptr === 0) throw new SsrnetError('BAD_WEIGHTS', `the weights were not loaded: ${ENGINE_CODES[7]} (${slot})`);
    if (weights.length > e.weightsCapacity()) {
      throw new SsrnetError('BAD_WEIGHTS', `expected at most ${e.weightsCapacity()} bytes of weights, got ${weights.length}`);
    }
    new Uint8Array(e.memory.buffer, ptr, weights.length).set(weights);
    const code = e.loadWeights(slot, weights.length);
    if (code !== 0) {
      throw new SsrnetError('BAD_WEIGHTS', `the weights file was rejected: ${ENGINE_CODES[code] ?? `engine code ${code}`}`);
    }
    const kind: SlotKind = e.slotKind(slot) === 0 ? 'age' : 'gender';
    if (kind !== expectedKind) {
      throw new SsrnetError('BAD_WEIGHTS', `expected ${expectedKind} model weights, got ${kind === 'age' ? 'an' : 'a'} ${kind} model`);
    }
  }

  /** Runs the model in `slot` on a 64x64x3 BGR crop (BAD_INPUT for any other length) and returns its output. */
  run(slot: number, crop: Uint8Array): number {
    const e = this.exports;
    if (crop.length !== e.inputSize()) {
      throw new SsrnetError('BAD_INPUT', `expected a 64x64x3 crop of ${e.inputSize()} bytes for the engine input, got ${crop.length}`);
    }
    this.input().set(crop);
    return this.runInput(slot);
  }

  /** Runs the model in `slot` on the engine's current input (the last crop written) and returns its output. */
  runInput(slot: number): number {
    const e = this.exports;
    let code: number;
    try {
      code = e.run(slot);
    } catch (cause) {
      throw new SsrnetError('ENGINE_FAILED', `the engine trapped: ${(cause as Error).message}`, { cause });
    }
    if (code !== 0) throw new SsrnetError('ENGINE_FAILED', `the engine failed: ${ENGINE_CODES[code] ?? `code ${code}`}`);
    const value = e.result();
    if (!Number.isFinite(value)) throw new SsrnetError('ENGINE_FAILED', `the engine returned ${value} (are the weights sane?)`);
    return value;
  }

  /** Size of the image last written by {@link setImage}; undefined before. */
  get image(): { width: number; height: number } | undefined {
    return this.imageSize;
  }

  /** The 64x64x3 BGR network input, a view into engine memory (valid until the memory grows). */
  input(): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, this.exports.inputPtr(), this.exports.inputSize());
  }

  /**
   * Copies a decoded RGBA image into the engine's image region (growing its memory if the image
   * is larger than any before); later {@link cropFace} and {@link resizeImage} calls read it.
   *
   * @param image RGBA pixels, `width * height * 4` bytes, sides 1..65535
   * @throws SsrnetError BAD_INPUT for a malformed image; IMAGE_TOO_LARGE when it does not fit
   *   in the engine's 1 GiB of memory
   */
  setImage(image: Rgba): void {
    const { data, width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !(data instanceof Uint8Array) || data.length !== width * height * 4) {
      throw new SsrnetError('BAD_INPUT', `expected RGBA { data, width, height } with width * height * 4 bytes, got ${width}x${height} and ${data?.length} bytes`);
    }
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
      throw new SsrnetError('IMAGE_TOO_LARGE', `the image is ${width}x${height}; the engine takes sides up to ${MAX_IMAGE_SIDE} px`);
    }
    this.imageSize = undefined;
    const ptr = this.exports.reserveImage(width, height, PIXEL_RGBA);
    if (ptr === 0) {
      throw new SsrnetError('IMAGE_TOO_LARGE', `the ${width}x${height} image (${data.length} bytes) does not fit in the engine's memory (1 GiB)`);
    }
    new Uint8Array(this.exports.memory.buffer, ptr, data.length).set(data);
    this.imageSize = { width, height };
  }

  /**
   * Crops the image written by {@link setImage} into the network input: `box` widened by
   * `margin` per side, resized to 64x64x3 BGR in wasm (cv2 INTER_LINEAR geometry,
   * BORDER_REPLICATE; src/preprocess.ts). Follow with {@link runInput}.
   *
   * @throws SsrnetError BAD_INPUT for an invalid box or margin (checked here, before wasm);
   *   ENGINE_FAILED when no image was written
   */
  cropFace(box: Box, margin: number): void {
    if (!this.imageSize) throw new SsrnetError('ENGINE_FAILED', `the engine failed: ${ENGINE_CODES[11]}`);
    const { x, y, width, height } = checkCropBox(box, margin, this.imageSize);
    this.check(this.exports.cropFace(x, y, width, height, margin));
  }

  /**
   * The image written by {@link setImage}, area-averaged to `width` x `height` x 3 BGR in wasm: a
   * view into engine memory, valid until the next engine call (copy it out).
   *
   * @throws SsrnetError BAD_INPUT for a side outside 1..8192; ENGINE_FAILED when no image was
   *   written or memory cannot grow
   */
  resizeImage(width: number, height: number): Uint8Array {
    const image = this.imageSize;
    return this.resizeRegion({ x: 0, y: 0, width: image?.width ?? 0, height: image?.height ?? 0 }, width, height);
  }

  /**
   * {@link resizeImage} of one integer region of the image (a detector tile).
   *
   * @param region integer pixels inside the image written by {@link setImage}
   * @throws SsrnetError BAD_INPUT for a side outside 1..8192 or a region that is not inside the
   *   image; ENGINE_FAILED when no image was written or memory cannot grow
   */
  resizeRegion(region: Box, width: number, height: number): Uint8Array {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_RESIZED_SIDE || height > MAX_RESIZED_SIDE) {
      throw new SsrnetError('BAD_INPUT', `expected a resized size of 1..${MAX_RESIZED_SIDE} a side, got ${width}x${height}`);
    }
    const image = this.imageSize;
    if (!image) throw new SsrnetError('ENGINE_FAILED', 'the engine could not resize: no image was written');
    const { x, y, width: w, height: h } = region;
    if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > image.width || y + h > image.height) {
      throw new SsrnetError('BAD_INPUT', `expected an integer region inside the ${image.width}x${image.height} image, got ${x},${y} ${w}x${h}`);
    }
    const ptr = this.exports.resizeRegion(x, y, w, h, width, height);
    if (ptr === 0) throw new SsrnetError('ENGINE_FAILED', `the engine could not resize to ${width}x${height}: out of memory`);
    return new Uint8Array(this.exports.memory.buffer, ptr, width * height * 3);
  }

  private check(code: number): void {
    if (code !== 0) throw new SsrnetError('ENGINE_FAILED', `the engine failed: ${ENGINE_CODES[code] ?? `code ${code}`}`);
  }

  /** A view of an intermediate tensor (tensorPtr ids of assembly/index.ts), for tests and debugging. */
  tensor(id: number, length: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, this.exports.tensorPtr(id), length);
  }

  /** Bytes of linear memory (the arena's 256 KiB plus the largest image so far) and of the arena inside it. */
  get memoryBytes(): { memory: number; arena: number } {
    return { memory: this.exports.memory.buffer.byteLength, arena: this.exports.arenaEnd() - this.exports.arenaStart() };
  }
}

function toBytes(source: Uint8Array | ArrayBuffer): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new SsrnetError('BAD_INPUT', 'expected a WebAssembly.Module, Uint8Array or ArrayBuffer for wasm');
}
