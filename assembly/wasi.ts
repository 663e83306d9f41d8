// The WASI command build (build/ssrnet-wasi.wasm, scalar only): age estimation for one face crop
// on any WASI preview1 runtime, with the age-wiki weights embedded at build time
// (tools/embed-weights.ts → build/wasi-weights.ts).
//
//   ssrnet-wasi.wasm [--crop] [FILE | -]
//
// Reads a binary PPM (P6) or PGM (P5) with maxval 255 from FILE (opened through the runtime's
// preopened directories) or from stdin. The whole image is the face: it is widened by the default
// margin 0.4 with replicated edges and resized bilinearly to 64x64 BGR exactly as src/preprocess.ts
// does (same float64 arithmetic, same rounding), then the engine runs through its ABI
// (index.ts: weightsPtr, loadWeights, inputPtr, run, result) as any host would.
// Prints {"faces":[{"box":{"x":0,"y":0,"width":W,"height":H},"age":A}]} — the library's result
// shape — on stdout. `--crop` prints the 64x64 network input as a P6 PPM (RGB) instead.
// Exit codes: 0 ok, 1 bad input or engine failure (message on stderr), 2 usage.
//
// Memory: the engine's arena (arena.ts) is untouched; this file uses the bytes after ARENA_END
// (the scratch below) and grows memory for the image (asconfig target `wasi`: up to 64 MiB). No
// managed allocation happens (runtime stub): all text is written byte by byte into OUT.

import { dtoa_buffered, itoa_buffered } from 'util/number';
import { EMBEDDED_WEIGHTS, EMBEDDED_WEIGHTS_LENGTH } from '../build/wasi-weights';
import { ARENA_END } from './arena';
import { inputPtr, loadWeights, result, run, weightsPtr } from './index';

// ---- WASI preview1 imports (errno 0 is success) ----

// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_read')
declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_write')
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_close')
declare function fd_close(fd: u32): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_prestat_get')
declare function fd_prestat_get(fd: u32, prestat: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_prestat_dir_name')
declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: u32): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'path_open')
declare function path_open(dirfd: u32, dirflags: u32, path: usize, pathLen: u32, oflags: u16, rightsBase: u64, rightsInheriting: u64, fdflags: u16, fd: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_sizes_get')
declare function args_sizes_get(argc: usize, argvBufSize: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_get')
declare function args_get(argv: usize, argvBuf: usize): u16;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'proc_exit')
declare function proc_exit(code: u32): void;

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;
/** WASI rights: fd_read (bit 1) and fd_seek (bit 2) are all a file needs here. */
const RIGHTS_READ: u64 = 0x2 | 0x4;

// ---- scratch after the engine's arena ----

const CROP: i32 = 64;
const MARGIN: f64 = 0.4;
const ARGS_BYTES: usize = 4096;
const OUT_BYTES: usize = 1024;

/** iovec (8) + a result u32 (4) + the fd of path_open (4). */
const IO: usize = (ARENA_END + 15) & ~(<usize>15);
const ARGV: usize = IO + 16;
const ARGV_BUF: usize = ARGV + 256;
const OUT: usize = ARGV_BUF + ARGS_BYTES;
/** UTF-16 digits from the std library's number formatters. */
const DIGITS: usize = OUT + OUT_BYTES;
/** Taps per axis: lo i32[64], hi i32[64], frac f64[64] (the Taps of src/preprocess.ts). */
const COL_LO: usize = DIGITS + 128;
const COL_HI: usize = COL_LO + 256;
const COL_FRAC: usize = COL_HI + 256;
const ROW_LO: usize = COL_FRAC + 512;
const ROW_HI: usize = ROW_LO + 256;
const ROW_FRAC: usize = ROW_HI + 256;
/** The file read from stdin or FILE; memory grows to hold it. */
const FILE: usize = ROW_FRAC + 512;

/** Bytes written into OUT so far. */
let outLength: usize = 0;

// ---- output ----

function writeAll(fd: u32, ptr: usize, length: usize): void {
  while (length > 0) {
    store<usize>(IO, ptr);
    store<usize>(IO, length, 4);
    if (fd_write(fd, IO, 1, IO + 8) != 0) return;
    const written = <usize>load<u32>(IO, 8);
    ptr += written;
    length -= written;
  }
}

function putByte(c: i32): void {
  if (outLength < OUT_BYTES) store<u8>(OUT + outLength++, <u8>c);
}

function putText(text: string): void {
  for (let i = 0; i < text.length; i++) putByte(text.charCodeAt(i));
}

/** Appends the `chars` UTF-16 digits at DIGITS as ASCII. */
function putDigits(chars: u32): void {
  for (let i: u32 = 0; i < chars; i++) putByte(<i32>load<u16>(DIGITS + (<usize>i << 1)));
}

function putInt(value: i32): void {
  putDigits(itoa_buffered<i32>(DIGITS, value));
}

/** Shortest digits that read back as `value` (the std library's Grisu2, as f64.toString). */
function putFloat(value: f64): void {
  putDigits(dtoa_buffered<f64>(DIGITS, value));
}

function flush(fd: u32): void {
  writeAll(fd, OUT, outLength);
  outLength = 0;
}

/** Prints `ssrnet-wasi: <message>` on stderr and exits with `code`. */
function fail(code: u32, message: string): void {
  outLength = 0;
  putText('ssrnet-wasi: ');
  putText(message);
  putByte(10);
  flush(STDERR);
  proc_exit(code);
  unreachable();
}

// ---- input ----

/** Reads `fd` to its end into FILE, growing memory as needed; returns the byte count. */
function readAll(fd: u32): usize {
  let length: usize = 0;
  for (;;) {
    const end = FILE + length + 65536;
    const have = (<usize>memory.size()) << 16;
    if (end > have && memory.grow(<i32>((end - have + 65535) >> 16)) < 0) {
      fail(1, 'the image does not fit in memory (64 MiB at most)');
    }
    store<usize>(IO, FILE + length);
    store<usize>(IO, 65536, 4);
    if (fd_read(fd, IO, 1, IO + 8) != 0) fail(1, 'cannot read the input');
    const n = <usize>load<u32>(IO, 8);
    if (n == 0) break;
    length += n;
  }
  return length;
}

/** True when the NUL-less `length`-byte string at `a` starts with the one at `b` (length `bLength`). */
function startsWith(a: usize, length: usize, b: usize, bLength: usize): bool {
  if (bLength > length) return false;
  for (let i: usize = 0; i < bLength; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * Opens `path` for reading through the preopened directory whose name prefixes it (a relative
 * path through a preopen named "." or "./"); returns the fd.
 */
function openFile(path: usize, length: usize): u32 {
  const name = OUT; // the preopen's name is read into OUT (nothing is printed before this)
  for (let fd: u32 = 3; fd_prestat_get(fd, IO) == 0; fd++) {
    if (load<u8>(IO) != 0) continue; // not a directory
    const nameLength = <usize>load<u32>(IO, 4);
    if (nameLength > OUT_BYTES || fd_prestat_dir_name(fd, name, <u32>nameLength) != 0) continue;
    let rest = path;
    let restLength = length;
    const isDot = (nameLength == 1 && load<u8>(name) == 0x2e) || (nameLength == 2 && load<u16>(name) == 0x2f2e);
    if (isDot) {
      if (load<u8>(path) == 0x2f) continue; // "." cannot open an absolute path
    } else {
      if (!startsWith(path, length, name, nameLength)) continue;
      rest += nameLength;
      restLength -= nameLength;
      while (restLength > 0 && load<u8>(rest) == 0x2f) { rest++; restLength--; }
    }
    if (path_open(fd, 1, rest, <u32>restLength, 0, RIGHTS_READ, 0, 0, IO + 12) == 0) return load<u32>(IO, 12);
  }
  fail(1, 'cannot open the file (is its directory preopened, e.g. --dir .?)');
  return 0;
}

/** Position in FILE while parsing the header. */
let pos: usize = 0;

function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c;
}

/** Reads one header number (skipping whitespace and # comments); -1 when there is none. */
function headerNumber(end: usize): i32 {
  for (;;) {
    if (pos >= end) return -1;
    const c = <u32>load<u8>(FILE + pos);
    if (c == 0x23) {
      while (pos < end && load<u8>(FILE + pos) != 0x0a) pos++;
    } else if (isSpace(c)) {
      pos++;
    } else {
      break;
    }
  }
  let value: i32 = 0;
  let digits = 0;
  while (pos < end) {
    const d = <i32>load<u8>(FILE + pos) - 0x30;
    if (d < 0 || d > 9) break;
    if (value > 100_000_000) return -1;
    value = value * 10 + d;
    digits++;
    pos++;
  }
  return digits > 0 ? value : -1;
}

// ---- crop (src/preprocess.ts cropFace, for a whole-image box) ----

/** sampleTaps of src/preprocess.ts: source indices and weights along one axis. */
function sampleTaps(start: f64, size: f64, limit: i32, lo: usize, hi: usize, frac: usize): void {
  const first = start;
  const last = Math.max(start, start + size - 1);
  for (let i = 0; i < CROP; i++) {
    const s = Math.min(Math.max(start + ((<f64>i + 0.5) * size) / <f64>CROP - 0.5, first), last);
    const l = Math.floor(s);
    store<f64>(frac + (<usize>i << 3), s - l);
    // BORDER_REPLICATE: neighbours outside the image read the edge pixel.
    store<i32>(lo + (<usize>i << 2), min(max(<i32>l, 0), limit - 1));
    store<i32>(hi + (<usize>i << 2), min(max(<i32>l + 1, 0), limit - 1));
  }
}

/** Bilinear sample of channel offset `c` from the four neighbours, rounded as Math.round. */
function blend(pixels: usize, p00: usize, p01: usize, p10: usize, p11: usize, c: usize, w00: f64, w01: f64, w10: f64, w11: f64): u8 {
  const v = w00 * <f64>load<u8>(pixels + p00 + c) + w01 * <f64>load<u8>(pixels + p01 + c) + w10 * <f64>load<u8>(pixels + p10 + c) + w11 * <f64>load<u8>(pixels + p11 + c);
  return <u8>Math.round(v);
}

/**
 * Writes the 64x64 BGR crop of a `width` x `height` image with `channels` (3 RGB, 1 gray) bytes per
 * pixel at `pixels` into `out`: the whole image widened by MARGIN per side.
 */
function cropWholeImage(pixels: usize, width: i32, height: i32, channels: i32, out: usize): void {
  const w = <f64>width;
  const h = <f64>height;
  sampleTaps(0 - MARGIN * w, w * (1 + 2 * MARGIN), width, COL_LO, COL_HI, COL_FRAC);
  sampleTaps(0 - MARGIN * h, h * (1 + 2 * MARGIN), height, ROW_LO, ROW_HI, ROW_FRAC);
  const stride = <usize>width * <usize>channels;
  // Offsets of blue, green, red within a pixel: RGB 2,1,0; gray 0,0,0.
  const blue: usize = channels == 3 ? 2 : 0;
  const green: usize = channels == 3 ? 1 : 0;
  let o = out;
  for (let v = 0; v < CROP; v++) {
    const top = <usize>load<i32>(ROW_LO + (<usize>v << 2)) * stride;
    const bottom = <usize>load<i32>(ROW_HI + (<usize>v << 2)) * stride;
    const fy = load<f64>(ROW_FRAC + (<usize>v << 3));
    for (let u = 0; u < CROP; u++) {
      const left = <usize>load<i32>(COL_LO + (<usize>u << 2)) * <usize>channels;
      const right = <usize>load<i32>(COL_HI + (<usize>u << 2)) * <usize>channels;
      const fx = load<f64>(COL_FRAC + (<usize>u << 3));
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = top + left;
      const p01 = top + right;
      const p10 = bottom + left;
      const p11 = bottom + right;
      store<u8>(o, blend(pixels, p00, p01, p10, p11, blue, w00, w01, w10, w11));
      store<u8>(o + 1, blend(pixels, p00, p01, p10, p11, green, w00, w01, w10, w11));
      store<u8>(o + 2, blend(pixels, p00, p01, p10, p11, 0, w00, w01, w10, w11));
      o += 3;
    }
  }
}

// ---- the command ----

/** The `index`-th argument's address and length (argv was read into ARGV / ARGV_BUF). */
function argAt(index: u32): usize {
  return load<usize>(ARGV + (<usize>index << 2));
}

function argLength(ptr: usize): usize {
  let n: usize = 0;
  while (load<u8>(ptr + n) != 0) n++;
  return n;
}

function isArg(ptr: usize, text: string): bool {
  const n = argLength(ptr);
  if (n != <usize>text.length) return false;
  for (let i: usize = 0; i < n; i++) if (<i32>load<u8>(ptr + i) != text.charCodeAt(<i32>i)) return false;
  return true;
}

/** Entry point of the WASI command. */
export function _start(): void {
  if (args_sizes_get(IO, IO + 4) != 0) fail(2, 'cannot read the arguments');
  const argc = load<u32>(IO);
  if (argc > 64 || <usize>load<u32>(IO, 4) > ARGS_BYTES) fail(2, 'too many arguments');
  args_get(ARGV, ARGV_BUF);

  let cropOnly = false;
  let path: usize = 0;
  for (let i: u32 = 1; i < argc; i++) {
    const arg = argAt(i);
    if (isArg(arg, '--crop')) cropOnly = true;
    else if (path == 0 && (load<u8>(arg) != 0x2d || isArg(arg, '-'))) path = arg;
    else fail(2, 'usage: ssrnet-wasi.wasm [--crop] [FILE | -]  (binary PPM P6 or PGM P5, maxval 255)');
  }
  const fromStdin = path == 0 || isArg(path, '-');
  const fd = fromStdin ? STDIN : openFile(path, argLength(path));
  const length = readAll(fd);
  if (!fromStdin) fd_close(fd);

  // Header: P6 or P5, width, height, maxval, one whitespace byte, then the pixels.
  if (length < 2 || load<u8>(FILE) != 0x50 || (load<u8>(FILE, 1) != 0x36 && load<u8>(FILE, 1) != 0x35)) {
    fail(1, 'expected a binary PPM (P6) or PGM (P5) image');
  }
  const channels = load<u8>(FILE, 1) == 0x36 ? 3 : 1;
  pos = 2;
  const width = headerNumber(length);
  const height = headerNumber(length);
  const maxval = headerNumber(length);
  if (width <= 0 || height <= 0 || maxval < 0) fail(1, 'expected a PPM/PGM header with a positive width and height');
  if (maxval != 255) fail(1, 'expected maxval 255 (8-bit samples)');
  if (pos >= length || !isSpace(load<u8>(FILE + pos))) fail(1, 'expected one whitespace byte after the header');
  pos++;
  if (<u64>(length - pos) < <u64>width * <u64>height * <u64>channels) fail(1, 'the image data is truncated');

  const input = inputPtr();
  cropWholeImage(FILE + pos, width, height, channels, input);

  if (cropOnly) {
    putText('P6\n64 64\n255\n');
    flush(STDOUT);
    // RGB for viewers: swap the BGR input's first and last channel in place, print, swap back.
    for (let i: usize = 0; i < <usize>(CROP * CROP * 3); i += 3) {
      const b = load<u8>(input + i);
      store<u8>(input + i, load<u8>(input + i + 2));
      store<u8>(input + i + 2, b);
    }
    writeAll(STDOUT, input, CROP * CROP * 3);
    return;
  }

  memory.copy(weightsPtr(0), EMBEDDED_WEIGHTS, EMBEDDED_WEIGHTS_LENGTH);
  if (loadWeights(0, EMBEDDED_WEIGHTS_LENGTH) != 0) fail(1, 'the embedded weights were rejected');
  if (run(0) != 0) fail(1, 'the engine failed');

  putText('{"faces":[{"box":{"x":0,"y":0,"width":');
  putInt(width);
  putText(',"height":');
  putInt(height);
  putText('},"age":');
  putFloat(result());
  putText('}]}\n');
  flush(STDOUT);
}
