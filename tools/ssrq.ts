/**
 * Writer and reader of the `.ssrq` weights format (weights/FORMAT.md, version 2).
 * The reader turns a file back into a QuantModel, so tests can run the int8 reference model
 * from exactly the bytes the engine loads.
 */
import type { DenseLayer } from '../src/oracle/ssrnet-f32.js';
import type { Epilogue, QConv, QuantModel } from '../src/oracle/ssrnet-int8.js';
import { crc32 } from '../src/crc32.js';

export const SSRQ_MAGIC = 'SSRQ';
export const SSRQ_VERSION = 2;
const HEADER_BYTES = 64;
const CONV_RECORD_BYTES = 32;
const DENSE_RECORD_BYTES = 16;
const CONV_COUNT = 14;
const DENSE_COUNT = 18;
const DATA_START = HEADER_BYTES + CONV_COUNT * CONV_RECORD_BYTES + DENSE_COUNT * DENSE_RECORD_BYTES;
const EPILOGUES: Epilogue[] = ['relu-avgpool-u8', 'maxpool-tanh-u8', 'relu-avgpool-f32', 'relu-maxpool-f32', 'relu-avgpool-i16'];

/** SSR-Net(3,3,3) conv records: k, cin, cout, coutPadded, epilogue, pool, input bytes (as assembly/weights.ts). */
const CONV_SHAPES = [
  [3, 3, 32, 32, 0, 2, 1], [3, 32, 32, 32, 0, 2, 1], [3, 32, 32, 32, 4, 2, 1], [3, 32, 32, 32, 4, 1, 2],
  [3, 3, 16, 16, 1, 2, 1], [3, 16, 16, 16, 1, 2, 1], [3, 16, 16, 16, 1, 2, 1], [3, 16, 16, 16, 1, 1, 1],
  [1, 16, 10, 12, 3, 1, 1], [1, 32, 10, 12, 2, 1, 2],
  [1, 16, 10, 12, 3, 4, 1], [1, 32, 10, 12, 2, 4, 1],
  [1, 16, 10, 12, 3, 8, 1], [1, 32, 10, 12, 2, 8, 1],
];

/** Dense records per stage (inputs, outputs): mix_s, mix_x, delta, fc, pred, local. */
const DENSE_SHAPES = [160, 90, 90].flatMap((n) => [[n, 3], [n, 3], [n, 1], [3, 6], [6, 3], [6, 3]]);

/** Facts stored in the header beside the model. */
export interface SsrqInfo {
  calibrationFaces: number;
  /** Gender models: which label an output above 0.5 means (the official models differ). */
  genderAbove05?: 'male' | 'female';
}

function genderPositive(info: SsrqInfo): number {
  if (!info.genderAbove05) throw new Error('a gender model needs genderAbove05');
  return info.genderAbove05 === 'male' ? 0 : 1;
}

/** The model's convs in file order. */
function convsInOrder(m: QuantModel): QConv[] {
  return [...m.xConvs, ...m.sConvs, ...m.stages.flatMap((s) => [s.convS, s.convX])];
}

function densesInOrder(m: QuantModel): DenseLayer[] {
  return m.stages.flatMap((s) => [s.mixS, s.mixX, s.delta, s.fc, s.pred, s.local]);
}

/** HWIO int8 → "c4 pair" layout: [ky][kx][pair][o/4][o%4][2 channels], zero padded. */
export function packConvWeights(c: QConv): Int8Array {
  const pairs = (c.cin + 1) >> 1;
  const out = new Int8Array(c.k * c.k * pairs * c.coutPadded * 2);
  for (let t = 0; t < c.k * c.k; t++) {
    for (let ci = 0; ci < c.cin; ci++) {
      for (let o = 0; o < c.cout; o++) {
        const p = ci >> 1;
        out[((t * pairs + p) * c.coutPadded + o) * 2 + (ci & 1)] = c.weights[(t * c.cin + ci) * c.cout + o];
      }
    }
  }
  return out;
}

/** Inverse of packConvWeights. */
export function unpackConvWeights(packed: Int8Array, k: number, cin: number, cout: number, coutPadded: number): Int8Array {
  const pairs = (cin + 1) >> 1;
  const w = new Int8Array(k * k * cin * cout);
  for (let t = 0; t < k * k; t++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let o = 0; o < cout; o++) w[(t * cin + ci) * cout + o] = packed[((t * pairs + (ci >> 1)) * coutPadded + o) * 2 + (ci & 1)];
    }
  }
  return w;
}

/** Serializes a quantized model. Deterministic: equal models give equal bytes. */
export function writeSsrq(model: QuantModel, info: SsrqInfo): Uint8Array {
  const blobs: Uint8Array[] = [];
  let cursor = DATA_START;
  const place = (bytes: Uint8Array): number => {
    const offset = cursor;
    blobs.push(bytes);
    cursor += Math.ceil(bytes.length / 16) * 16;
    return offset;
  };
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

  const convs = convsInOrder(model);
  const dense = densesInOrder(model);
  const convPlaces = convs.map((c) => {
    const packed = packConvWeights(c);
    return { w: place(bytesOf(packed)), wLen: packed.length, b: place(bytesOf(c.bias)), s: place(bytesOf(c.scale)) };
  });
  const densePlaces = dense.map((d) => ({ w: place(bytesOf(d.weights)), b: place(bytesOf(d.bias)) }));
  const length = cursor + 4;
  const file = new Uint8Array(length);
  const view = new DataView(file.buffer);
  file.set(new TextEncoder().encode(SSRQ_MAGIC), 0);
  view.setUint16(4, SSRQ_VERSION, true);
  view.setUint8(6, model.kind === 'age' ? 0 : 1);
  view.setUint8(7, CONV_COUNT);
  view.setFloat32(8, model.V, true);
  model.stageNum.forEach((s, i) => view.setUint8(12 + i, s));
  view.setUint8(15, DENSE_COUNT);
  view.setFloat32(16, model.lambdaLocal, true);
  view.setFloat32(20, model.lambdaD, true);
  view.setUint32(24, length, true);
  view.setUint32(28, info.calibrationFaces, true);
  view.setUint8(32, model.kind === 'gender' ? genderPositive(info) : 0);
  convs.forEach((c, i) => {
    const r = HEADER_BYTES + i * CONV_RECORD_BYTES;
    const p = convPlaces[i];
    [c.k, c.cin, c.cout, c.coutPadded, EPILOGUES.indexOf(c.epilogue), c.pool, c.inputBytes].forEach((v, j) => view.setUint8(r + j, v));
    view.setUint32(r + 8, p.w, true);
    view.setUint32(r + 12, p.wLen, true);
    view.setUint32(r + 16, p.b, true);
    view.setUint32(r + 20, p.s, true);
  });
  dense.forEach((d, i) => {
    const r = HEADER_BYTES + CONV_COUNT * CONV_RECORD_BYTES + i * DENSE_RECORD_BYTES;
    view.setUint16(r, d.nIn, true);
    view.setUint16(r + 2, d.nOut, true);
    view.setUint32(r + 4, densePlaces[i].w, true);
    view.setUint32(r + 8, densePlaces[i].b, true);
  });
  let offset = DATA_START;
  for (const b of blobs) {
    file.set(b, offset);
    offset += Math.ceil(b.length / 16) * 16;
  }
  view.setUint32(length - 4, crc32(file.subarray(0, length - 4)), true);
  return file;
}

/** Parses a `.ssrq` file into a QuantModel (throws on any violation of FORMAT.md). */
export function readSsrq(file: Uint8Array): QuantModel & { info: SsrqInfo } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const fail = (why: string): never => {
    throw new Error(`invalid .ssrq file: ${why}`);
  };
  if (file.length < DATA_START + 4) fail('too short');
  if (new TextDecoder().decode(file.subarray(0, 4)) !== SSRQ_MAGIC) fail('bad magic');
  if (view.getUint16(4, true) !== SSRQ_VERSION) fail(`unsupported version ${view.getUint16(4, true)}`);
  if (view.getUint32(24, true) !== file.length) fail('length mismatch');
  if (view.getUint32(file.length - 4, true) !== crc32(file.subarray(0, file.length - 4))) fail('checksum mismatch');
  const f32 = (off: number, n: number) => {
    if (off < DATA_START || off % 4 || off + 4 * n > file.length - 4) fail('array out of bounds');
    return new Float32Array(file.slice(off, off + 4 * n).buffer);
  };
  const convs: QConv[] = [];
  for (let i = 0; i < CONV_COUNT; i++) {
    const r = HEADER_BYTES + i * CONV_RECORD_BYTES;
    const fields = [0, 1, 2, 3, 4, 5, 6].map((j) => view.getUint8(r + j));
    if (fields.some((v, j) => v !== CONV_SHAPES[i][j])) fail(`conv record ${i} is not SSR-Net(3,3,3)`);
    const [k, cin, cout, coutPadded, epi, pool, inputBytes] = fields;
    const wOff = view.getUint32(r + 8, true);
    const wLen = view.getUint32(r + 12, true);
    if (wOff < DATA_START || wOff % 16 || wOff + wLen > file.length - 4) fail('array out of bounds');
    const packed = new Int8Array(file.slice(wOff, wOff + wLen).buffer);
    const bOff = view.getUint32(r + 16, true);
    convs.push({
      k,
      cin,
      cout,
      coutPadded,
      inputBytes: inputBytes as 1 | 2,
      weights: unpackConvWeights(packed, k, cin, cout, coutPadded),
      bias: new Int32Array(f32(bOff, coutPadded).buffer),
      scale: f32(view.getUint32(r + 20, true), coutPadded),
      epilogue: EPILOGUES[epi] ?? fail(`bad epilogue ${epi}`),
      pool,
    });
  }
  const dense: DenseLayer[] = [];
  for (let i = 0; i < DENSE_COUNT; i++) {
    const r = HEADER_BYTES + CONV_COUNT * CONV_RECORD_BYTES + i * DENSE_RECORD_BYTES;
    const nIn = view.getUint16(r, true);
    const nOut = view.getUint16(r + 2, true);
    if (nIn !== DENSE_SHAPES[i][0] || nOut !== DENSE_SHAPES[i][1]) fail(`dense record ${i} is not SSR-Net(3,3,3)`);
    dense.push({ nIn, nOut, weights: f32(view.getUint32(r + 4, true), nIn * nOut), bias: f32(view.getUint32(r + 8, true), nOut) });
  }
  const stage = (k: number) => {
    const [mixS, mixX, delta, fc, pred, local] = dense.slice(6 * k, 6 * k + 6);
    return { convS: convs[8 + 2 * k], convX: convs[9 + 2 * k], mixS, mixX, delta, fc, pred, local };
  };
  return {
    kind: view.getUint8(6) === 0 ? 'age' : 'gender',
    V: view.getFloat32(8, true),
    stageNum: [view.getUint8(12), view.getUint8(13), view.getUint8(14)],
    lambdaLocal: view.getFloat32(16, true),
    lambdaD: view.getFloat32(20, true),
    xConvs: convs.slice(0, 4),
    sConvs: convs.slice(4, 8),
    stages: [stage(0), stage(1), stage(2)],
    info: {
      calibrationFaces: view.getUint32(28, true),
      genderAbove05: view.getUint8(6) === 1 ? (view.getUint8(32) === 0 ? 'male' : 'female') : undefined,
    },
  };
}
