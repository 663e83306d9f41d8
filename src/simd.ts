/**
 * simd128 feature detection: WebAssembly.validate on the smallest module that uses a v128
 * instruction (one function returning `v128.const 0`). Validation compiles nothing, so it is
 * allowed where run-time compilation is not (Cloudflare Workers).
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code section: body of 20 bytes, v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b, // end
]);

let cached: boolean | undefined;

/** True when this runtime's WebAssembly supports simd128. */
export function simdSupported(): boolean {
  if (cached === undefined) {
    try {
      cached = WebAssembly.validate(SIMD_PROBE);
    } catch {
      cached = false;
    }
  }
  return cached;
}
