/** Usage errors of the `ssrnet` commands: one error class, one report, shared option parsers. */

/** A usage error: reported with a hint, exit status 2. */
export class UsageError extends Error {}

/**
 * Runs `parse`; a usage error (ours, or parseArgs' TypeError with a code) is printed with a hint
 * to run `helpCommand` and gives `undefined` (the caller exits 2). Other errors propagate.
 */
export function parseOrReport<T>(parse: () => T, helpCommand: string): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError && 'code' in err)) throw err;
    // parseArgs' messages go on with advice about '--'; the first sentence is the point.
    process.stderr.write(`ssrnet: ${err.message.split('. ')[0]}\nRun '${helpCommand}' for usage.\n`);
    return undefined;
  }
}

/** `--simd auto|on|off` → the estimator's `simd` option (UsageError otherwise). */
export function parseSimdOption(value: string | undefined): 'auto' | boolean {
  const simd = ({ auto: 'auto', on: true, off: false } as const)[value ?? 'auto'];
  if (simd === undefined) throw new UsageError(`bad --simd '${value}' (expected auto, on or off)`);
  return simd;
}
