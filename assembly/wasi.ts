// The WASI command: the library's whole default pipeline on any WASI preview1 runtime — find the
// faces (YuNet, assembly/yunet*.ts), crop each (assembly/crop.ts), estimate its age with the
// 'auto' combination (or one --model) and optionally its gender, print the library's result JSON.
// Two builds of this one file (asconfig targets wasi-simd / wasi-scalar):
//   build/ssrnet-wasi-simd.wasm    simd128 kernels: WAMR fast interpreter, AOT compilers, V8
//   build/ssrnet-wasi-scalar.wasm  no SIMD (i64 SWAR conv): wasm3, WAMR classic / fast JIT
// Every model is embedded at build time (tools/embed-weights.ts → build/wasi-weights.ts).
//
//   ssrnet-wasi [options] [FILE | -]
//     FILE or stdin: a binary PPM (P6) or PGM (P5), maxval 255; or with --raw, raw frames
//     --raw WxH --format rgb24|gray|yuyv|nv12   raw frames of that size; stdin (or FILE) may hold
//                        any number of them back to back: one JSON line per frame
//     --box X,Y,W,H      estimate this face box (no detection)
//     --margin M         widening of the box per side, 0..2 (default 0.4)
//     --max-faces N      at most N faces per frame, the best scoring (1..512, default 100)
//     --min-score S      smallest detector score kept, 0..1 (default 0.6)
//     --min-face PX      detect on a copy resized so that faces down to PX pixels stay findable
//                        (the CLI's option: a working image made for that face size, e.g. 640x480
//                        with --min-face 32 runs the detector at 320x240, 4x less work)
//     --model NAME       auto (default), age-wiki, age-imdb, age-morph2, age-megaage-asian
//     --gender[=NAME]    also estimate gender (default model gender-imdb)
//     --crop             print the first face's 64x64 network input as a P6 PPM (RGB) instead
//     --swar-conv        age networks with the scalar i64 SWAR conv even in the simd build: faster
//                        on interpreters that emulate v128 (WAMR's fast interpreter); same results
// Output per frame: {"faces":[{"box":{"x":..,"y":..,"width":..,"height":..},"score":..,"age":..,
// "gender":{"label":"male","probability":..}}]} — "score" only for detected faces, "gender" only
// with --gender. The box is the face box the age models saw (src/face-box.ts faceBoxFromYunet
// for a detection), before the margin. Exit codes: 0 ok, 1 bad input, 2 usage.
//
// Memory is fixed (initial = maximum pages in asconfig; no memory.grow anywhere): the engine's
// arena (arena.ts) and the detector's (yunet-arena.ts) both start at the heap base. They are used
// one after the other. The detector's INPUT region (written per frame) overlays the engine's
// arena, so the engine's loaded state (verified weights, tables) is saved once after loading and
// copied back after each detection; should the engine's arena ever reach past the detector's
// INPUT into its weights, that part of the detector's loaded state is saved too and copied back
// before each detection. After both arenas, this file's regions:
//   IO, ARGV, OUT, DIGITS        syscall records, arguments, output text, number digits
//   FACES                        POOL_MAX face records of the current frame (the detections of both
//                                detector passes before their merge, then the faces kept)
//   SAVED                        the engine's arena after loading
//   SAVED_DETECTOR               the detector's loaded bytes the engine's arena overlays (none today)
//   FRAME                        FRAME_BYTES: the input file / one raw frame
//   RGB                          3 * MAX_PIXELS: a YUYV / NV12 frame converted to RGB
// A frame of more than MAX_PIXELS pixels, or a file larger than FRAME, is refused with a message.

import { dtoa_buffered, itoa_buffered } from 'util/number';
import {
  AGE_MODEL_COUNT, AUTO_COEFFICIENTS, AUTO_HINGES, AUTO_KNOTS, AUTO_MODELS, AUTO_SIZE_KNOT, AUTO_SIZE_SLOPES, DEFAULT_GENDER_INDEX, MODEL_COUNT,
  YUNET_WEIGHTS, YUNET_WEIGHTS_LENGTH, autoModelIndex, modelLength, modelName, modelPtr,
} from '../build/wasi-weights';
import { ARENA_BASE as ENGINE_BASE, ARENA_END as ENGINE_END } from './arena';
import { PIXEL_GRAY, PIXEL_RGB, cropFaceBgr, bytesPerPixel, resizeToBgr } from './crop';
import { inputPtr, loadWeights, result, run, weightsPtr } from './index';
import { useSwarConv } from './ssrnet';
import { ARENA_END as DETECTOR_END, MAX_FACES, WEIGHTS as DETECTOR_WEIGHTS } from './yunet-arena';
import {
  detect as detectFaces, inputPtr as detectorInputPtr, loadWeights as loadDetectorWeights, maxInputSide, maxPaddedPixels,
  resultsPtr, recordFloats, run as runDetector, setInputSize, weightsPtr as detectorWeightsPtr,
} from './yunet-index';

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

// ---- limits and memory map ----

/** Largest frame in pixels (1920x1080 fits): 2 MiP. */
const MAX_PIXELS: u64 = 2 << 20;
/** The input buffer: a PPM of MAX_PIXELS RGB pixels with a header of up to 4 KiB. */
const FRAME_BYTES: usize = <usize>(MAX_PIXELS * 3) + 4096;
const ARGS_BYTES: usize = 4096;
const MAX_ARGS: u32 = 64;
const OUT_BYTES: usize = 4096;
/** f64 per face record: x, y, width, height (the face box), score, then the detector's box x, y, width, height. */
const FACE_F64: usize = 9;
/** src/detector.ts FINER_POOL: most detections gathered by both passes before their merge. */
const POOL_MAX: i32 = 1024;
const CROP_BYTES: i32 = 64 * 64 * 3;
const DEFAULT_MARGIN: f64 = 0.4;
/** src/detector.ts DEFAULT_MIN_SCORE and NMS_IOU. */
const DEFAULT_MIN_SCORE: f64 = 0.6;
const NMS_IOU: f32 = 0.45;
/** src/detector.ts SMALLEST_RELIABLE_FACE: face side in working-image pixels that --min-face maps to. */
const SMALLEST_RELIABLE_FACE: f64 = 16;
/** src/detector.ts FINER_*: when and how the finer tiled pass runs. */
const FINER_BELOW_SCALE: f64 = 0.95;
const FINER_CANDIDATE_SCORE: f64 = 0.3;
const FINER_TRIGGER_WIDTH: f64 = 40;
const FINER_OVERLAP: f64 = 64;
const FINER_SCALE: f64 = 2;
/** The merge's NMS threshold: src/detector.ts NMS_IOU in f64. */
const MERGE_IOU: f64 = 0.45;
/** src/face-box.ts YUNET_FACE_BOX: side and centre offset per sqrt(box area). */
const FACE_BOX_SIZE: f64 = 1.0396;
const FACE_BOX_DX: f64 = 0.0129;
const FACE_BOX_DY: f64 = 0.0056;
/** Engine weight slots (src/engine.ts AGE_SLOTS, GENDER_SLOT). */
const GENDER_SLOT: i32 = 2;

// @ts-ignore: decorator
@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

const IO: usize = align16(max(ENGINE_END, DETECTOR_END));
const ARGV: usize = IO + 32;
const ARGV_BUF: usize = ARGV + <usize>(MAX_ARGS * 4);
const OUT: usize = align16(ARGV_BUF + ARGS_BYTES);
/** UTF-16 digits from the std library's number formatters. */
const DIGITS: usize = OUT + OUT_BYTES;
const FACES: usize = DIGITS + 128;
const SAVED: usize = align16(FACES + <usize>POOL_MAX * FACE_F64 * 8);
/** End of the detector's bytes that the engine's arena overlays past its INPUT (= DETECTOR_WEIGHTS when none). */
const DETECTOR_OVERLAP_END: usize = max(DETECTOR_WEIGHTS, min(ENGINE_END, DETECTOR_END));
const SAVED_DETECTOR: usize = align16(SAVED + (ENGINE_END - ENGINE_BASE));
const FRAME: usize = align16(SAVED_DETECTOR + (DETECTOR_OVERLAP_END - DETECTOR_WEIGHTS));
const RGB: usize = align16(FRAME + FRAME_BYTES);
/** One past the last byte this command uses: asconfig's fixed page count must cover it. */
const MEMORY_END: usize = RGB + <usize>(MAX_PIXELS * 3);

/** Raw frame formats (--format). */
const RAW_RGB24: i32 = 0;
const RAW_GRAY: i32 = 1;
const RAW_YUYV: i32 = 2;
const RAW_NV12: i32 = 3;

// ---- output ----

/** Bytes written into OUT so far. */
let outLength: usize = 0;

function writeAll(fd: u32, ptr: usize, length: usize): void {
  while (length > 0) {
    store<usize>(IO, ptr);
    store<usize>(IO, length, 4);
    if (fd_write(fd, IO, 1, IO + 8) != 0) return;
    const written = <usize>load<u32>(IO, 8);
    if (written == 0) return;
    ptr += written;
    length -= written;
  }
}

function flush(fd: u32): void {
  writeAll(fd, OUT, outLength);
  outLength = 0;
}

/** Appends a byte to OUT, writing OUT to stdout first when it is full (JSON of many faces). */
function putByte(c: i32): void {
  if (outLength == OUT_BYTES) flush(STDOUT);
  store<u8>(OUT + outLength++, <u8>c);
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

/** A number as JSON.stringify writes it: integers without ".0", else the shortest round-trip digits. */
function putNumber(value: f64): void {
  if (value == Math.floor(value) && Math.abs(value) < 1e15) {
    putDigits(itoa_buffered<i64>(DIGITS, <i64>value));
  } else {
    putDigits(dtoa_buffered<f64>(DIGITS, value));
  }
}

/** Prints `ssrnet-wasi: <message>` on stderr and exits with `code`. */
function fail(code: u32, message: string): void {
  flush(STDOUT);
  putText('ssrnet-wasi: ');
  putText(message);
  putByte(10);
  flush(STDERR);
  proc_exit(code);
  unreachable();
}

// One literal: a concatenation would allocate (the stub runtime's heap is the arenas' memory).
const USAGE = 'usage: ssrnet-wasi [--raw WxH --format rgb24|gray|yuyv|nv12] [--box X,Y,W,H] [--margin M] [--max-faces N] [--min-score S] [--min-face PX] [--model NAME] [--gender[=NAME]] [--crop] [--swar-conv] [FILE | -]';

// ---- input ----

/**
 * Reads from `fd` into `dst` until `want` bytes are in or the stream ends; returns the count.
 * A read error is reported and exits.
 */
function readUpTo(fd: u32, dst: usize, want: usize): usize {
  let have: usize = 0;
  while (have < want) {
    store<usize>(IO, dst + have);
    store<usize>(IO, want - have, 4);
    if (fd_read(fd, IO, 1, IO + 8) != 0) fail(1, 'cannot read the input');
    const n = <usize>load<u32>(IO, 8);
    if (n == 0) break;
    have += n;
  }
  return have;
}

/** True when the `length`-byte string at `a` starts with the `bLength`-byte string at `b`. */
function startsWith(a: usize, length: usize, b: usize, bLength: usize): bool {
  if (bLength > length) return false;
  for (let i: usize = 0; i < bLength; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * Opens `path` for reading through the preopened directory whose name prefixes it (a relative
 * path through a preopen named "." or "./"); returns the fd. A preopen name's reported length may
 * count a trailing NUL (wasm3 does): the name ends at its first NUL.
 */
function openFile(path: usize, length: usize): u32 {
  const name = OUT; // the preopen's name is read into OUT (nothing is printed before this)
  for (let fd: u32 = 3; fd_prestat_get(fd, IO) == 0; fd++) {
    if (load<u8>(IO) != 0) continue; // not a directory
    let nameLength = <usize>load<u32>(IO, 4);
    if (nameLength > OUT_BYTES || fd_prestat_dir_name(fd, name, <u32>nameLength) != 0) continue;
    for (let i: usize = 0; i < nameLength; i++) {
      if (load<u8>(name + i) == 0) { nameLength = i; break; }
    }
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
  outLength = 0;
  fail(1, 'cannot open the file (is its directory preopened, e.g. --dir .?)');
  return 0;
}

/** Position in FRAME while parsing the PPM header. */
let pos: usize = 0;

function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c;
}

/** Reads one header number (skipping whitespace and # comments); -1 when there is none or it is absurd. */
function headerNumber(end: usize): i32 {
  for (;;) {
    if (pos >= end) return -1;
    const c = <u32>load<u8>(FRAME + pos);
    if (c == 0x23) {
      while (pos < end && load<u8>(FRAME + pos) != 0x0a) pos++;
    } else if (isSpace(c)) {
      pos++;
    } else {
      break;
    }
  }
  let value: i32 = 0;
  let digits = 0;
  while (pos < end) {
    const d = <i32>load<u8>(FRAME + pos) - 0x30;
    if (d < 0 || d > 9) break;
    if (value > 100_000_000) return -1;
    value = value * 10 + d;
    digits++;
    pos++;
  }
  return digits > 0 ? value : -1;
}

// ---- argument parsing ----

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

/** Cursor of the number parser over a NUL-terminated argument. */
let cursor: usize = 0;

/** A decimal number at `cursor` (optional sign, digits, optional fraction; no exponent); NaN if none. */
function parseNumber(): f64 {
  let sign: f64 = 1;
  if (load<u8>(cursor) == 0x2d) { sign = -1; cursor++; } else if (load<u8>(cursor) == 0x2b) cursor++;
  let value: f64 = 0;
  let digits = 0;
  while (<u32>(load<u8>(cursor) - 0x30) <= 9) { value = value * 10 + <f64>(load<u8>(cursor) - 0x30); cursor++; digits++; }
  if (load<u8>(cursor) == 0x2e) {
    cursor++;
    let scale: f64 = 1;
    // Digits after the point are accumulated as an integer and divided once (one rounding).
    let fraction: f64 = 0;
    while (<u32>(load<u8>(cursor) - 0x30) <= 9) { fraction = fraction * 10 + <f64>(load<u8>(cursor) - 0x30); scale *= 10; cursor++; digits++; }
    value += fraction / scale;
  }
  return digits > 0 && digits <= 30 ? sign * value : NaN;
}

/** The whole argument `arg` as one number; NaN when anything else is in it. */
function numberArg(arg: usize): f64 {
  cursor = arg;
  const v = parseNumber();
  return load<u8>(cursor) == 0 ? v : NaN;
}

/** Index of the model named by the argument at `ptr` (age models when `age`), or -1. */
function modelIndex(ptr: usize, age: bool): i32 {
  const from = age ? 0 : AGE_MODEL_COUNT;
  const to = age ? AGE_MODEL_COUNT : MODEL_COUNT;
  for (let i = from; i < to; i++) if (isArg(ptr, modelName(i))) return i;
  return -1;
}

// ---- options ----

let rawWidth: i32 = 0;
let rawHeight: i32 = 0;
let rawFormat: i32 = -1;
let hasBox = false;
let boxX: f64 = 0;
let boxY: f64 = 0;
let boxW: f64 = 0;
let boxH: f64 = 0;
let margin: f64 = DEFAULT_MARGIN;
/** src/detector.ts DEFAULT_MAX_FACES: a crowd's best 100 faces, bounded work per frame. */
let maxFaces: i32 = 100;
let minScore: f64 = DEFAULT_MIN_SCORE;
/** --min-face in pixels; 0 when not given. */
let minFace: f64 = 0;
/** -1: 'auto'; else the age model's index. */
let ageModel: i32 = -1;
/** -1: no gender; else the gender model's index. */
let genderModel: i32 = -1;
/** The gender model says "female" above 0.5 (weights byte 32, src/estimator.ts genderAbove05). */
let genderFemaleAbove = false;
let cropOnly = false;

/** Parses argv; returns the FILE argument's address (0 for stdin). */
function parseArgs(): usize {
  if (args_sizes_get(IO, IO + 4) != 0) fail(2, 'cannot read the arguments');
  const argc = load<u32>(IO);
  if (argc > MAX_ARGS || <usize>load<u32>(IO, 4) > ARGS_BYTES) fail(2, 'too many arguments');
  args_get(ARGV, ARGV_BUF);
  let path: usize = 0;
  let rawGiven = false;
  for (let i: u32 = 1; i < argc; i++) {
    const arg = load<usize>(ARGV + (<usize>i << 2));
    const next: usize = i + 1 < argc ? load<usize>(ARGV + (<usize>(i + 1) << 2)) : 0;
    if (isArg(arg, '--crop')) {
      cropOnly = true;
    } else if (isArg(arg, '--swar-conv')) {
      useSwarConv(true);
    } else if (isArg(arg, '--gender')) {
      genderModel = DEFAULT_GENDER_INDEX;
    } else if (isPrefix(arg, '--gender=')) {
      genderModel = modelIndex(arg + 9, false);
      if (genderModel < 0) fail(2, 'unknown gender model (expected gender-imdb, gender-wiki or gender-morph)');
    } else if (next != 0 && isArg(arg, '--raw')) {
      cursor = next;
      const w = parseNumber();
      const x = load<u8>(cursor);
      cursor++;
      const h = x == 0x78 ? parseNumber() : NaN;
      if (!(load<u8>(cursor) == 0 && w >= 1 && h >= 1 && w <= 65535 && h <= 65535 && w == Math.floor(w) && h == Math.floor(h))) {
        fail(2, 'bad --raw (expected WxH, e.g. 640x480)');
      }
      rawWidth = <i32>w;
      rawHeight = <i32>h;
      rawGiven = true;
      i++;
    } else if (next != 0 && isArg(arg, '--format')) {
      if (isArg(next, 'rgb24')) rawFormat = RAW_RGB24;
      else if (isArg(next, 'gray')) rawFormat = RAW_GRAY;
      else if (isArg(next, 'yuyv')) rawFormat = RAW_YUYV;
      else if (isArg(next, 'nv12')) rawFormat = RAW_NV12;
      else fail(2, 'bad --format (expected rgb24, gray, yuyv or nv12)');
      i++;
    } else if (next != 0 && isArg(arg, '--box')) {
      cursor = next;
      boxX = parseNumber();
      const ok1 = load<u8>(cursor++) == 0x2c;
      boxY = parseNumber();
      const ok2 = load<u8>(cursor++) == 0x2c;
      boxW = parseNumber();
      const ok3 = load<u8>(cursor++) == 0x2c;
      boxH = parseNumber();
      if (!(ok1 && ok2 && ok3 && load<u8>(cursor) == 0 && isFinite(boxX) && isFinite(boxY) && boxW > 0 && boxH > 0)) {
        fail(2, 'bad --box (expected X,Y,W,H with W and H > 0)');
      }
      hasBox = true;
      i++;
    } else if (next != 0 && isArg(arg, '--margin')) {
      margin = numberArg(next);
      if (!(margin >= 0 && margin <= 2)) fail(2, 'bad --margin (expected a number from 0 to 2)');
      i++;
    } else if (next != 0 && isArg(arg, '--max-faces')) {
      const n = numberArg(next);
      if (!(n >= 1 && n <= <f64>MAX_FACES && n == Math.floor(n))) fail(2, 'bad --max-faces (expected an integer from 1 to 512)');
      maxFaces = <i32>n;
      i++;
    } else if (next != 0 && isArg(arg, '--min-score')) {
      minScore = numberArg(next);
      if (!(minScore >= 0 && minScore <= 1)) fail(2, 'bad --min-score (expected a number from 0 to 1)');
      i++;
    } else if (next != 0 && isArg(arg, '--min-face')) {
      minFace = numberArg(next);
      if (!(minFace >= 1)) fail(2, 'bad --min-face (expected a number of pixels, at least 1)');
      i++;
    } else if (next != 0 && isArg(arg, '--model')) {
      ageModel = isArg(next, 'auto') ? -1 : modelIndex(next, true);
      if (ageModel < 0 && !isArg(next, 'auto')) fail(2, 'unknown --model (expected auto, age-wiki, age-imdb, age-morph2 or age-megaage-asian)');
      i++;
    } else if (path == 0 && (load<u8>(arg) != 0x2d || isArg(arg, '-'))) {
      path = arg;
    } else {
      fail(2, USAGE);
    }
  }
  if (rawGiven != (rawFormat >= 0)) fail(2, '--raw and --format go together');
  if (rawGiven && (rawFormat == RAW_YUYV || rawFormat == RAW_NV12) && (rawWidth & 1) != 0) fail(2, 'yuyv and nv12 frames have an even width');
  if (rawGiven && rawFormat == RAW_NV12 && (rawHeight & 1) != 0) fail(2, 'nv12 frames have an even height');
  return path == 0 || isArg(path, '-') ? 0 : path;
}

/** True when the argument at `ptr` starts with `text`. */
function isPrefix(ptr: usize, text: string): bool {
  for (let i = 0; i < text.length; i++) if (<i32>load<u8>(ptr + <usize>i) != text.charCodeAt(i)) return false;
  return true;
}

// ---- models ----

/** Copies model `index` into engine slot `slot` and verifies it. */
function loadModel(slot: i32, index: i32): void {
  memory.copy(weightsPtr(slot), modelPtr(index), <usize>modelLength(index));
  if (loadWeights(slot, modelLength(index)) != 0) fail(1, 'an embedded model was rejected');
}

/** Loads the age model(s) and the gender model; saves the engine's arena (see the memory map). */
function loadModels(): void {
  if (ageModel < 0) {
    for (let m = 0; m < AUTO_MODELS; m++) loadModel(m, autoModelIndex(m));
  } else {
    loadModel(0, ageModel);
  }
  if (genderModel >= 0) {
    loadModel(GENDER_SLOT, genderModel);
    genderFemaleAbove = load<u8>(modelPtr(genderModel), 32) == 1;
  }
  memory.copy(SAVED, ENGINE_BASE, ENGINE_END - ENGINE_BASE);
}

/** Runs the engine on its input with the weights in `slot`; returns the raw output. */
function runSlot(slot: i32): f64 {
  if (run(slot) != 0) fail(1, 'the engine failed');
  return result();
}

/** The outputs of the models 'auto' combines, f64 each (static: no allocation). */
const AUTO_OUTPUTS: usize = memory.data(8 * 4, 8);

/**
 * The age of the crop in the engine's input, for a face box of `side` pixels:
 * src/estimator.ts estimateInput + src/ensemble.ts combineAges.
 */
function estimateAge(side: f64): f64 {
  if (ageModel >= 0) return runSlot(0);
  // Features [1, out_m, max(0, out_m - knot_k)..., s, s·out_m...] times the coefficients, summed in that order.
  let age = load<f64>(AUTO_COEFFICIENTS);
  let c = 1;
  for (let m = 0; m < AUTO_MODELS; m++) {
    const out = runSlot(m);
    store<f64>(AUTO_OUTPUTS + (<usize>m << 3), out);
    age += out * load<f64>(AUTO_COEFFICIENTS + (<usize>c << 3));
    c++;
    for (let k = 0; k < AUTO_HINGES; k++) {
      age += Math.max(0, out - load<f64>(AUTO_KNOTS + (<usize>k << 3))) * load<f64>(AUTO_COEFFICIENTS + (<usize>c << 3));
      c++;
    }
  }
  if (AUTO_SIZE_KNOT > 0) {
    const s = Math.max(0, Math.log2(AUTO_SIZE_KNOT / side));
    age += s * load<f64>(AUTO_COEFFICIENTS + (<usize>c << 3));
    c++;
    if (AUTO_SIZE_SLOPES) {
      for (let m = 0; m < AUTO_MODELS; m++) {
        age += s * load<f64>(AUTO_OUTPUTS + (<usize>m << 3)) * load<f64>(AUTO_COEFFICIENTS + (<usize>c << 3));
        c++;
      }
    }
  }
  return Math.min(100, Math.max(1, age));
}

// ---- detection ----

/** Width and height of the detector input (src/detector.ts workingSize without minFaceSize). */
let workWidth: i32 = 0;
let workHeight: i32 = 0;

function ceil32(v: i32): i32 {
  return (v + 31) & ~31;
}

/**
 * src/detector.ts workingSize(width, height, limits, minFaceSize): the largest scale within the
 * limits, at most 1; with --min-face, the scale that makes such a face SMALLEST_RELIABLE_FACE px.
 */
function workingSize(width: i32, height: i32): void {
  const maxSide = <f64>maxInputSide();
  const maxPadded = <f64>maxPaddedPixels();
  const w = <f64>width;
  const h = <f64>height;
  let scale = Math.min(maxSide / Math.max(w, h), Math.sqrt(maxPadded / (w * h)));
  scale = minFace == 0 ? Math.min(scale, 1) : Math.min(scale, SMALLEST_RELIABLE_FACE / minFace);
  for (;;) {
    workWidth = <i32>Math.max(1, Math.round(w * scale));
    workHeight = <i32>Math.max(1, Math.round(h * scale));
    // Padding to multiples of 32 can push the rounded size past the limit: shrink until it fits.
    if (<f64>max(workWidth, workHeight) <= maxSide && <f64>(ceil32(workWidth) * ceil32(workHeight)) <= maxPadded) return;
    scale *= 0.98;
  }
}

/** Detections in FACES so far (both passes). */
let poolCount = 0;

/**
 * Appends the detector's `count` results scoring at least `threshold` to FACES, mapped to image
 * pixels (scaled by sx, sy, moved by dx, dy) with their chip-convention face boxes
 * (src/face-box.ts faceBoxFromYunet). For a tile (limit > 0), only faces of at most `limit`
 * px whose centre lies in the core [x0, x1) x [y0, y1) (src/detector.ts Detector.detect).
 */
function poolDetections(count: i32, threshold: f64, sx: f64, sy: f64, dx: f64, dy: f64, limit: f64, x0: f64, y0: f64, x1: f64, y1: f64): void {
  const stride = <usize>recordFloats() << 2;
  for (let i = 0; i < count && poolCount < POOL_MAX; i++) {
    const r = resultsPtr() + <usize>i * stride;
    const score = <f64>load<f32>(r);
    if (score < threshold) continue;
    const bx = <f64>load<f32>(r, 4) * sx + dx;
    const by = <f64>load<f32>(r, 8) * sy + dy;
    const w = <f64>load<f32>(r, 12) * sx;
    const h = <f64>load<f32>(r, 16) * sy;
    if (limit > 0) {
      const cx = bx + w / 2;
      const cy = by + h / 2;
      if (Math.max(w, h) > limit || cx < x0 || cx >= x1 || cy < y0 || cy >= y1) continue;
    }
    const m = Math.sqrt(w * h);
    const side = FACE_BOX_SIZE * m;
    let lx: f64 = 0;
    let ly: f64 = 0;
    for (let k = 0; k < 5; k++) {
      lx += <f64>load<f32>(r + <usize>(20 + 8 * k)) * sx + dx;
      ly += <f64>load<f32>(r + <usize>(24 + 8 * k)) * sy + dy;
    }
    const f = FACES + <usize>poolCount * FACE_F64 * 8;
    store<f64>(f, lx / 5 + FACE_BOX_DX * m - side / 2);
    store<f64>(f, ly / 5 + FACE_BOX_DY * m - side / 2, 8);
    store<f64>(f, side, 16);
    store<f64>(f, side, 24);
    store<f64>(f, score, 32);
    store<f64>(f, bx, 40);
    store<f64>(f, by, 48);
    store<f64>(f, w, 56);
    store<f64>(f, h, 64);
    poolCount++;
  }
}

/** src/detector.ts boxIou of the detector boxes of face records a and b. */
function recordIou(a: usize, b: usize): f64 {
  const ix = Math.min(load<f64>(a, 40) + load<f64>(a, 56), load<f64>(b, 40) + load<f64>(b, 56)) - Math.max(load<f64>(a, 40), load<f64>(b, 40));
  const iy = Math.min(load<f64>(a, 48) + load<f64>(a, 64), load<f64>(b, 48) + load<f64>(b, 64)) - Math.max(load<f64>(a, 48), load<f64>(b, 48));
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (load<f64>(a, 56) * load<f64>(a, 64) + load<f64>(b, 56) * load<f64>(b, 64) - inter);
}

/** One face record, for swapping two. */
const SWAP: usize = memory.data(<i32>FACE_F64 * 8, 8);

/** src/detector.ts mergeDetections + maxFaces: FACES sorted by score (stable), greedy NMS, compacted; returns the count kept. */
function mergePool(): i32 {
  const bytes = FACE_F64 * 8;
  for (let i = 1; i < poolCount; i++) {
    // Insertion sort by descending score: records move only past strictly lower scores (stable).
    let j = i;
    while (j > 0 && load<f64>(FACES + <usize>(j - 1) * bytes, 32) < load<f64>(FACES + <usize>j * bytes, 32)) {
      const a = FACES + <usize>(j - 1) * bytes;
      memory.copy(SWAP, a, bytes);
      memory.copy(a, a + bytes, bytes);
      memory.copy(a + bytes, SWAP, bytes);
      j--;
    }
  }
  let kept = 0;
  for (let i = 0; i < poolCount && kept < maxFaces; i++) {
    const r = FACES + <usize>i * bytes;
    let keep = true;
    for (let k = 0; k < kept && keep; k++) keep = recordIou(FACES + <usize>k * bytes, r) <= MERGE_IOU;
    if (!keep) continue;
    if (kept != i) memory.copy(FACES + <usize>kept * bytes, r, bytes);
    kept++;
  }
  return kept;
}

/** Tile `k` of `count` tiles of `span` px over `size` px: its first pixel (src/detector.ts finerPassTiles). */
function tileStart(k: i32, size: i32, span: f64, count: i32): f64 {
  return count == 1 ? 0 : Math.round((<f64>k * (<f64>size - span)) / <f64>(count - 1));
}

/** One past the last pixel of tile k's core: the middle of its overlap with tile k + 1. */
function coreEnd(k: i32, size: i32, span: f64, count: i32): f64 {
  return k == count - 1 ? <f64>size : Math.round((tileStart(k + 1, size, span, count) + tileStart(k, size, span, count) + span) / 2);
}

/** Tile i along one axis (src/detector.ts finerPassTiles): start, span, pixels, core start and end into TILE (f64); returns the tile count. */
const TILE: usize = memory.data(5 * 8, 8);
function tileSpan(size: i32, tileSize: i32, scale: f64, i: i32): i32 {
  const cell = Math.floor(<f64>tileSize / scale);
  const overlap = Math.ceil(FINER_OVERLAP / scale);
  const count = <f64>size <= cell ? 1 : <i32>Math.ceil((<f64>size - overlap) / (cell - overlap));
  const span = Math.min(<f64>size, Math.ceil((<f64>size + <f64>(count - 1) * overlap) / <f64>count));
  store<f64>(TILE, tileStart(i, size, span, count));
  store<f64>(TILE, span, 8);
  store<f64>(TILE, Math.max(1, Math.round(span * scale)), 16);
  store<f64>(TILE, i == 0 ? 0 : coreEnd(i - 1, size, span, count), 24);
  store<f64>(TILE, coreEnd(i, size, span, count), 32);
  return count;
}

/**
 * Finds the faces of the `width` x `height` image at `src` (PIXEL_* `format`) as
 * src/detector.ts Detector.detect does: resize to the working size, run YuNet; when the working
 * image is much smaller than the image and the first pass saw small faces (or none), a finer
 * pass in tiles, merged by NMS. Writes FACES; returns the count.
 */
function detectImage(src: usize, width: i32, height: i32, format: i32): i32 {
  memory.copy(DETECTOR_WEIGHTS, SAVED_DETECTOR, DETECTOR_OVERLAP_END - DETECTOR_WEIGHTS);
  workingSize(width, height);
  const candidateScore = Math.min(minScore, FINER_CANDIDATE_SCORE);
  runPass(src, width, format, 0, 0, width, height, workWidth, workHeight);
  const count = detectFaces(<f32>candidateScore, NMS_IOU, MAX_FACES);
  if (count < 0) fail(1, 'the detector failed');
  const sx = <f64>width / <f64>workWidth;
  const sy = <f64>height / <f64>workHeight;
  const scale = <f64>workWidth / <f64>width;
  poolCount = 0;
  poolDetections(count, minScore, sx, sy, 0, 0, 0, 0, 0, 0, 0);
  let small = false;
  const stride = <usize>recordFloats() << 2;
  for (let i = 0; i < count; i++) small = small || <f64>load<f32>(resultsPtr() + <usize>i * stride, 12) * sx * scale < FINER_TRIGGER_WIDTH;
  let kept = min(poolCount, maxFaces);
  if (minFace == 0 && scale < FINER_BELOW_SCALE && (poolCount == 0 || small)) {
    // src/detector.ts tileSize and finerPassScale.
    const longSide = maxInputSide();
    const shortSide = <i32>Math.floor(<f64>maxPaddedPixels() / <f64>longSide / 32) * 32;
    const tileWidth = width >= height ? longSide : shortSide;
    const tileHeight = width >= height ? shortSide : longSide;
    const finer = Math.min(Math.min(1, FINER_SCALE * scale), Math.min(
      (<f64>(2 * tileWidth) - FINER_OVERLAP - 4) / <f64>width, (<f64>(2 * tileHeight) - FINER_OVERLAP - 4) / <f64>height));
    // tileSpan returns the tile count of its axis whatever the index: one loop bound each.
    const rows = tileSpan(height, tileHeight, finer, 0);
    const cols = tileSpan(width, tileWidth, finer, 0);
    for (let ty = 0; ty < rows; ty++) {
      tileSpan(height, tileHeight, finer, ty);
      const ry = load<f64>(TILE), rh = load<f64>(TILE, 8), th = load<f64>(TILE, 16), cy0 = load<f64>(TILE, 24), cy1 = load<f64>(TILE, 32);
      for (let tx = 0; tx < cols; tx++) {
        tileSpan(width, tileWidth, finer, tx);
        const rx = load<f64>(TILE), rw = load<f64>(TILE, 8), tw = load<f64>(TILE, 16), cx0 = load<f64>(TILE, 24), cx1 = load<f64>(TILE, 32);
        runPass(src, width, format, <i32>rx, <i32>ry, <i32>rw, <i32>rh, <i32>tw, <i32>th);
        const n = detectFaces(<f32>minScore, NMS_IOU, MAX_FACES);
        if (n < 0) fail(1, 'the detector failed');
        poolDetections(n, minScore, rw / tw, rh / th, rx, ry, FINER_OVERLAP * (rw / tw), cx0, cy0, cx1, cy1);
      }
    }
    kept = mergePool();
  }
  // The detector's INPUT region overlays the engine's arena: put the engine back.
  memory.copy(ENGINE_BASE, SAVED, ENGINE_END - ENGINE_BASE);
  return kept;
}

/** Resizes the region (rx, ry, rw, rh) of the image to the detector's tw x th input and runs YuNet. */
function runPass(src: usize, width: i32, format: i32, rx: i32, ry: i32, rw: i32, rh: i32, tw: i32, th: i32): void {
  if (setInputSize(tw, th) != 0) fail(1, 'the detector refused the working size');
  resizeToBgr(src, width, format, rx, ry, rw, rh, detectorInputPtr(), tw, th);
  if (runDetector() != 0) fail(1, 'the detector failed');
}

// ---- one frame ----

/** BT.601 limited range YUV → RGB, the integer form of ITU-R BT.601 (Y 16..235, U/V 16..240). */
// @ts-ignore: decorator
@inline
function yuvToRgb(y: i32, u: i32, v: i32, dst: usize): void {
  const c = 298 * (y - 16) + 128;
  const d = u - 128;
  const e = v - 128;
  store<u8>(dst, <u8>min(max((c + 409 * e) >> 8, 0), 255));
  store<u8>(dst, <u8>min(max((c - 100 * d - 208 * e) >> 8, 0), 255), 1);
  store<u8>(dst, <u8>min(max((c + 516 * d) >> 8, 0), 255), 2);
}

/** A YUYV (Y0 U Y1 V per 2 pixels) or NV12 (Y plane, then interleaved U V at half resolution) frame at FRAME → RGB. */
function yuvFrameToRgb(width: i32, height: i32, format: i32): void {
  const w = <usize>width;
  let o = RGB;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x += 2) {
      let y0: i32, y1: i32, u: i32, v: i32;
      if (format == RAW_YUYV) {
        const p = FRAME + (<usize>y * w + <usize>x) * 2;
        y0 = load<u8>(p); u = load<u8>(p, 1); y1 = load<u8>(p, 2); v = load<u8>(p, 3);
      } else {
        const p = FRAME + <usize>y * w + <usize>x;
        const q = FRAME + <usize>height * w + <usize>(y >> 1) * w + <usize>x;
        y0 = load<u8>(p); y1 = load<u8>(p, 1); u = load<u8>(q); v = load<u8>(q, 1);
      }
      yuvToRgb(y0, u, v, o);
      yuvToRgb(y1, u, v, o + 3);
      o += 6;
    }
  }
}

/** Runs the pipeline on the `width` x `height` image at `src` and prints its JSON line (or the crop). */
function processImage(src: usize, width: i32, height: i32, format: i32): void {
  let count = 1;
  if (hasBox) {
    if (!(boxX < <f64>width && boxX + boxW > 0 && boxY < <f64>height && boxY + boxH > 0)) fail(1, 'the --box does not overlap the image');
    store<f64>(FACES, boxX);
    store<f64>(FACES, boxY, 8);
    store<f64>(FACES, boxW, 16);
    store<f64>(FACES, boxH, 24);
  } else {
    count = detectImage(src, width, height, format);
  }
  if (cropOnly) {
    if (count == 0) fail(1, 'no face found');
    printCrop(src, width, height, format);
    return;
  }
  putText('{"faces":[');
  for (let i = 0; i < count; i++) {
    const f = FACES + <usize>i * FACE_F64 * 8;
    cropFaceBgr(src, width, height, format, load<f64>(f), load<f64>(f, 8), load<f64>(f, 16), load<f64>(f, 24), margin, inputPtr());
    if (i > 0) putByte(0x2c);
    putText('{"box":{"x":');
    putNumber(load<f64>(f));
    putText(',"y":');
    putNumber(load<f64>(f, 8));
    putText(',"width":');
    putNumber(load<f64>(f, 16));
    putText(',"height":');
    putNumber(load<f64>(f, 24));
    putByte(0x7d);
    if (!hasBox) {
      putText(',"score":');
      putNumber(load<f64>(f, 32));
    }
    putText(',"age":');
    putNumber(estimateAge(Math.sqrt(load<f64>(f, 16) * load<f64>(f, 24))));
    if (genderModel >= 0) {
      const score = Math.min(1, Math.max(0, runSlot(GENDER_SLOT)));
      const above = score > 0.5;
      putText(',"gender":{"label":"');
      putText(above == genderFemaleAbove ? 'female' : 'male');
      putText('","probability":');
      putNumber(above ? score : 1 - score);
      putByte(0x7d);
    }
    putByte(0x7d);
  }
  putText(']}\n');
  flush(STDOUT);
}

/** Prints the first face's 64x64 network input as a P6 PPM (RGB for viewers). */
function printCrop(src: usize, width: i32, height: i32, format: i32): void {
  const input = inputPtr();
  cropFaceBgr(src, width, height, format, load<f64>(FACES), load<f64>(FACES, 8), load<f64>(FACES, 16), load<f64>(FACES, 24), margin, input);
  putText('P6\n64 64\n255\n');
  flush(STDOUT);
  for (let i: usize = 0; i < <usize>CROP_BYTES; i += 3) {
    const b = load<u8>(input + i);
    store<u8>(input + i, load<u8>(input + i + 2));
    store<u8>(input + i + 2, b);
  }
  writeAll(STDOUT, input, CROP_BYTES);
}

/** The image parsed from the PPM/PGM (its pixels are in FRAME). */
let imagePixels: usize = 0;
let imageWidth: i32 = 0;
let imageHeight: i32 = 0;
let imageFormat: i32 = 0;

/** Parses and checks the PPM/PGM in FRAME (`length` bytes). */
function parsePnm(length: usize): void {
  if (length < 2 || load<u8>(FRAME) != 0x50 || (load<u8>(FRAME, 1) != 0x36 && load<u8>(FRAME, 1) != 0x35)) {
    fail(1, 'expected a binary PPM (P6) or PGM (P5) image');
  }
  const channels = load<u8>(FRAME, 1) == 0x36 ? 3 : 1;
  pos = 2;
  const width = headerNumber(length);
  const height = headerNumber(length);
  const maxval = headerNumber(length);
  if (width <= 0 || height <= 0 || maxval < 0) fail(1, 'expected a PPM/PGM header with a positive width and height');
  if (maxval != 255) fail(1, 'expected maxval 255 (8-bit samples)');
  if (<u64>width * <u64>height > MAX_PIXELS) fail(1, 'the image is larger than this build handles (2097152 pixels, e.g. 1920x1080)');
  if (pos >= length || !isSpace(load<u8>(FRAME + pos))) fail(1, 'expected one whitespace byte after the header');
  pos++;
  if (<u64>(length - pos) < <u64>width * <u64>height * <u64>channels) fail(1, 'the image data is truncated');
  imagePixels = FRAME + pos;
  imageWidth = width;
  imageHeight = height;
  imageFormat = channels == 3 ? PIXEL_RGB : PIXEL_GRAY;
}

/** Bytes of one raw frame (--raw, --format); exits when it is larger than this build handles. */
function rawFrameBytes(): usize {
  if (<u64>rawWidth * <u64>rawHeight > MAX_PIXELS) fail(1, 'the frame is larger than this build handles (2097152 pixels, e.g. 1920x1080)');
  const pixels = <usize>rawWidth * <usize>rawHeight;
  return rawFormat == RAW_RGB24 ? pixels * 3 : rawFormat == RAW_GRAY ? pixels : rawFormat == RAW_YUYV ? pixels * 2 : pixels + (pixels >> 1);
}

/** Reads one raw frame into FRAME; false at the end of the stream (at a frame boundary). */
function readFrame(fd: u32, frameBytes: usize, first: bool): bool {
  const n = readUpTo(fd, FRAME, frameBytes);
  if (n == 0 && !first) return false;
  if (n < frameBytes) fail(1, first && n == 0 ? 'no frame in the input' : 'the last frame is truncated (fewer bytes than --raw and --format say)');
  return true;
}

/** Runs the raw frame in FRAME. */
function processFrame(): void {
  if (rawFormat == RAW_RGB24) {
    processImage(FRAME, rawWidth, rawHeight, PIXEL_RGB);
  } else if (rawFormat == RAW_GRAY) {
    processImage(FRAME, rawWidth, rawHeight, PIXEL_GRAY);
  } else {
    yuvFrameToRgb(rawWidth, rawHeight, rawFormat);
    processImage(RGB, rawWidth, rawHeight, PIXEL_RGB);
  }
}

/** Loads the embedded detector (unless --box makes it unused) and models. */
function loadAll(): void {
  if (!hasBox) {
    memory.copy(detectorWeightsPtr(), YUNET_WEIGHTS, <usize>YUNET_WEIGHTS_LENGTH);
    if (loadDetectorWeights(YUNET_WEIGHTS_LENGTH) != 0) fail(1, 'the embedded detector weights were rejected');
    memory.copy(SAVED_DETECTOR, DETECTOR_WEIGHTS, DETECTOR_OVERLAP_END - DETECTOR_WEIGHTS);
  }
  loadModels();
}

// ---- the command ----

/** Entry point of the WASI command. */
export function _start(): void {
  if (MEMORY_END > (<usize>memory.size() << 16)) fail(1, 'build error: the fixed memory is smaller than the memory map');
  const path = parseArgs();
  const fd = path == 0 ? STDIN : openFile(path, argLength(path));
  // The input is read and checked before the models are loaded: bad input fails at once.
  if (rawFormat >= 0) {
    const frameBytes = rawFrameBytes();
    readFrame(fd, frameBytes, true);
    loadAll();
    do processFrame(); while (readFrame(fd, frameBytes, false));
  } else {
    const length = readUpTo(fd, FRAME, FRAME_BYTES);
    if (length == FRAME_BYTES && readUpTo(fd, OUT, 1) != 0) {
      fail(1, 'the image is larger than this build handles (2097152 pixels, e.g. 1920x1080)');
    }
    parsePnm(length);
    loadAll();
    processImage(imagePixels, imageWidth, imageHeight, imageFormat);
  }
  if (path != 0) fd_close(fd);
}
