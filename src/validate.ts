/**
 * Tiny type predicates for validating public arguments (sharp's `is.*`).
 *
 * They answer yes/no only; callers build the error with `invalidParameter` so every message has
 * the same shape. Typed-array checks use the internal type tag rather than `instanceof`, so values
 * from another realm (an iframe, a vm context, a worker's structured clone) are recognised too.
 */

/** Internal [[Class]]-style tag, e.g. `'Uint8Array'` for Uint8Array and Node Buffer alike. */
function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Any non-null object, including class instances (a detector's Box, a DOM ImageData). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** An object literal (or `Object.create(null)`), from any realm; used for option bags. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A number that is not NaN or ±Infinity. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** An integer in 1..2^53-1 (image sizes, pixel limits). */
export function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** A finite number with `min <= value <= max`. */
export function isNumberInRange(value: unknown, min: number, max: number): value is number {
  return isFiniteNumber(value) && value >= min && value <= max;
}

/** A Uint8Array (Node Buffer included) or a Uint8ClampedArray (ImageData.data). */
export function isUint8ArrayLike(value: unknown): value is Uint8Array | Uint8ClampedArray {
  if (!ArrayBuffer.isView(value)) return false;
  const tag = tagOf(value);
  return tag === 'Uint8Array' || tag === 'Uint8ClampedArray';
}

/** An ArrayBuffer (not a view of one). */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return tagOf(value) === 'ArrayBuffer';
}

/** A DataView. */
export function isDataView(value: unknown): value is DataView {
  return ArrayBuffer.isView(value) && tagOf(value) === 'DataView';
}
