/**
 * The one error class of the package and the BAD_INPUT builder.
 *
 * Every failure a caller can act on is an {@link SsrnetError} with a stable `code`; the message
 * says what was expected and what arrived ("expected X for Y, got Z", sharp's
 * invalidParameterError shape) so it can be shown to a user as is. Branch on `code`, never on
 * the message text.
 */

/**
 * Stable error codes.
 *
 * - `BAD_INPUT`: wrong type or shape of an argument (non-image value, NaN/negative/fractional
 *   sizes, raw pixel data of the wrong length, out-of-range options).
 * - `UNSUPPORTED_FORMAT`: the bytes are not JPEG, PNG, WebP, GIF or BMP, are an animated WebP, or
 *   this runtime cannot decode them (pass decoded pixels instead).
 * - `DECODE_FAILED`: the bytes look like a supported format but are corrupt or truncated.
 * - `IMAGE_TOO_LARGE`: the pixel count exceeds `maxPixels` (checked from the header, before
 *   decoding).
 * - `BAD_WEIGHTS`: the weights file is invalid (magic, version, size or checksum).
 * - `ENGINE_FAILED`: the wasm engine returned an error code or trapped.
 * - `BAD_WASM`: the .wasm module cannot be compiled or instantiated.
 */
export type SsrnetErrorCode =
  | 'BAD_INPUT'
  | 'UNSUPPORTED_FORMAT'
  | 'DECODE_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'BAD_WEIGHTS'
  | 'ENGINE_FAILED'
  | 'BAD_WASM';

/**
 * Error thrown (or rejected with) by every public entry point.
 *
 * @example
 * ```ts
 * try {
 *   await estimator.estimate(bytes);
 * } catch (err) {
 *   if (err instanceof SsrnetError && err.code === 'IMAGE_TOO_LARGE') showTooLargeHint();
 *   else throw err;
 * }
 * ```
 */
export class SsrnetError extends Error {
  /** Stable machine-readable reason; see {@link SsrnetErrorCode}. */
  readonly code: SsrnetErrorCode;

  /**
   * @param code stable reason code
   * @param message human-readable, actionable message
   * @param options `cause`: the underlying error (decoder exception, wasm trap...)
   */
  constructor(code: SsrnetErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SsrnetError';
    this.code = code;
  }
}

/**
 * Build the BAD_INPUT error for a parameter that failed validation.
 *
 * @param name the parameter as the caller wrote it, e.g. `'options.margin'`
 * @param expected what would have been accepted, e.g. `'a finite number from 0 to 2'`
 * @param actual the rejected value; it is described, not printed in full
 * @example
 * ```ts
 * invalidParameter('margin', 'a finite number from 0 to 2', NaN).message
 * // "expected a finite number from 0 to 2 for margin, got NaN"
 * ```
 */
export function invalidParameter(name: string, expected: string, actual: unknown): SsrnetError {
  return new SsrnetError('BAD_INPUT', `expected ${expected} for ${name}, got ${describeValue(actual)}`);
}

/** Short description of any value for error messages; never dumps large data. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  if (ArrayBuffer.isView(value)) {
    const length = 'length' in value ? (value as { length: number }).length : value.byteLength;
    return `${value.constructor.name}(${length})`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return describePlainObject(value as Record<string, unknown>);
  const ctor = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? `a ${ctor}` : 'an object';
}

/** Small objects of primitives (boxes, options) are shown in full; they are what users got wrong. */
function describePlainObject(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  if (keys.length === 0) return 'an empty object';
  const primitive = keys.every((k) => {
    const v = value[k];
    return v === null || (typeof v !== 'object' && typeof v !== 'function');
  });
  if (keys.length <= 6 && primitive) {
    return `{${keys.map((k) => `${k}: ${describeValue(value[k])}`).join(', ')}}`;
  }
  return `an object with keys [${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}]`;
}
