// The interpreter speed bound of bench/runtimes.bench.ts: a plain int8 dot loop of the network's
// 17.08 M MACs (u8 x i8 products summed in i32, one MAC per iteration; the simd128 build uses
// i32x4.dot_i16x8_s, 8 MACs per instruction), as a WASI command:
//
//   dot-loop.wasm REPS        runs the 17.08 M MACs REPS times (default 1)
//
// The runtime's start-up is measured by REPS = 1 and subtracted by the bench. Built by the bench
// with asc (stub runtime, no allocation); not part of the package.

// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_sizes_get')
declare function args_sizes_get(argc: usize, argvBufSize: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_get')
declare function args_get(argv: usize, argvBuf: usize): u16;

/** 4270 x 4000 = 17.08 M MACs, SSR-Net's conv MACs per face (bench/kernels.bench.ts). */
const LENGTH: i32 = 4272; // 4270 rounded up to a multiple of 8 for the simd128 loop (a few more MACs)
const ROUNDS: i32 = 4000;
const A: usize = memory.data(LENGTH, 16);
const B: usize = memory.data(LENGTH, 16);
const ARGS: usize = memory.data(1024, 16);

function dot(): i32 {
  let total: i32 = 0;
  for (let r = 0; r < ROUNDS; r++) {
    if (ASC_FEATURE_SIMD) {
      let acc = i32x4.splat(0);
      for (let i = 0; i < LENGTH; i += 8) {
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_u(A + <usize>i), v128.load8x8_s(B + <usize>i)));
      }
      total += i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    } else {
      let s: i32 = 0;
      for (let i = 0; i < LENGTH; i++) s += <i32>load<u8>(A + <usize>i) * <i32>load<i8>(B + <usize>i);
      total += s;
    }
  }
  return total;
}

/** Entry point: REPS from the first argument. */
export function _start(): void {
  for (let i: i32 = 0; i < LENGTH; i++) {
    store<u8>(A + <usize>i, <u8>(i * 37));
    store<u8>(B + <usize>i, <u8>(i * 11));
  }
  args_sizes_get(ARGS, ARGS + 4);
  let reps = 1;
  if (load<u32>(ARGS) > 1 && load<u32>(ARGS, 4) < 512) {
    args_get(ARGS + 8, ARGS + 512);
    let p = load<usize>(ARGS + 12);
    reps = 0;
    while (load<u8>(p) >= 0x30 && load<u8>(p) <= 0x39) reps = reps * 10 + <i32>load<u8>(p++) - 0x30;
  }
  let sum = 0;
  for (let r = 0; r < reps; r++) sum += dot();
  store<i32>(ARGS, sum); // keeps the loop alive
}
