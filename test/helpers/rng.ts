// Seeded PRNG and random-tensor helpers for the kernel tests and bench.
// mulberry32: 32-bit state, full 2^32 period, good enough for test data and fully reproducible
// (every test names its seed, so a failure replays exactly).

/** A seeded generator of uniform 32-bit integers (mulberry32). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next uniform u32. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Pick one element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /**
   * Uniform u8 tensor, non-degenerate: guaranteed to contain 0, 255 and a spread in between
   * (for n >= 2), so clamps and extremes are exercised even in small tensors.
   */
  u8(n: number): Uint8Array {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.u32() & 0xff;
    if (n >= 2) {
      a[this.int(0, n - 1)] = 0;
      a[this.int(0, n - 1)] = 255;
    }
    return a;
  }

  /** Uniform int8 tensor over the full range [-128, 127] (-128 is legal and included for n >= 2). */
  i8(n: number): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = (this.u32() & 0xff) - 128;
    if (n >= 2) {
      a[this.int(0, n - 1)] = -128;
      a[this.int(0, n - 1)] = 127;
    }
    return a;
  }

  /** Uniform int32 tensor in [lo, hi]. */
  i32(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
}
