// The u8 tanh table used by qu8_maxpool_tanh_lut_u8 (s stream: tanh tensors, zero point 128,
// value = (q - 128) / 127).
//
//   entry i (0 <= i < 1025) = 128 + nearest(127 * tanh((i - 512) / 128))      range 1..255
//
// Resolution: 1/128 of a pre-activation unit (TANH_LUT_STEPS_PER_UNIT); the index domain
// [-512, 512] covers pre-activations [-4, 4]. Beyond ±4 the epilogue's requant clamps the index
// to the end entries (127 * tanh(4) = 126.92 -> 127, so nothing is lost by saturating there).
// The converter multiplies the s-stream requant scale by TANH_LUT_STEPS_PER_UNIT so that the
// epilogue's requant produces this index directly.
//
// Computed in f64 with AS's Math.tanh (a software implementation compiled into the module, so
// the table is the same on every engine) and f64.nearest (round half to even). Built once at
// init into the arena; 1025 bytes.

/** Number of table entries: indices -512..512 around the centre entry 512. */
export const TANH_LUT_SIZE: i32 = 1025;

/** Table steps per unit of pre-activation (the index is pre-activation * 128). */
export const TANH_LUT_STEPS_PER_UNIT: i32 = 128;

/** Write the TANH_LUT_SIZE-byte table at `out` (no alignment needed). */
export function buildTanhLut(out: usize): void {
  const center = TANH_LUT_SIZE >> 1;
  for (let i = 0; i < TANH_LUT_SIZE; i++) {
    const t = Math.tanh(<f64>(i - center) / <f64>TANH_LUT_STEPS_PER_UNIT);
    store<u8>(out + <usize>i, 128 + <i32>nearest(127.0 * t));
  }
}
