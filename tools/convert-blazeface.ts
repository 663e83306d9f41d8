/**
 * `npm run convert:detector`: MediaPipe BlazeFace short-range, TFJS graph model
 * (test/fixtures/reference-tfjs/blazeface-front.{json,bin}) → weights/blazeface-front.bf32
 * (format: weights/BLAZEFACE-FORMAT.md).
 *
 * Nothing is folded or quantized here: the graph already carries fused conv + bias weights in
 * float32, and they are copied bit for bit. What the converter does is layout only: it checks the
 * graph is the architecture the engine hard-codes (every op, shape, stride, padding and skip), pads
 * channel counts to a multiple of 4 with zeros (42 → 44; the kernels work in f32x4 lanes), and puts
 * each scale's two head convs (scores, boxes) side by side as one 1x1 conv. Deterministic: the same
 * input gives the same bytes (test/detector.test.ts checks it against the committed file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/crc32.js';

export const BF32_MAGIC = 'BF32';
export const BF32_VERSION = 1;
const HEADER_BYTES = 32;
const RECORD_BYTES = 16;

/** Layer ops of the format. */
export const OP_STEM = 0; // 5x5 stride-2 conv + bias + relu
export const OP_DEPTHWISE = 1; // 3x3 depthwise, no bias
export const OP_POINTWISE_RESIDUAL = 2; // 1x1 conv + bias + padded residual + relu
export const OP_HEAD = 3; // 1x1 conv + bias

/** The BlazeBlocks: input channels, output channels, stride (the graph's order). */
export const BLOCKS: [number, number, number][] = [
  [24, 24, 1], [24, 28, 1], [28, 32, 2], [32, 36, 1], [36, 42, 1], [42, 48, 2], [48, 56, 1], [56, 64, 1],
  [64, 72, 1], [72, 80, 1], [80, 88, 1], [88, 96, 2], [96, 96, 1], [96, 96, 1], [96, 96, 1], [96, 96, 1],
];

/** Anchors per cell of the 16x16 map (after block 11) and of the 8x8 map (after block 16). */
const HEADS = [
  { afterBlock: 11, channels: 88, anchors: 2, scores: 'conv2d_17', boxes: 'conv2d_19' },
  { afterBlock: 16, channels: 96, anchors: 6, scores: 'conv2d_18', boxes: 'conv2d_20' },
];

const pad4 = (n: number): number => (n + 3) & ~3;

/** One layer record as written: op, stride, padded channel counts, the real output count, arrays. */
interface Layer {
  op: number;
  stride: number;
  cin: number;
  cout: number;
  realCout: number;
  weights: Float32Array;
  bias?: Float32Array;
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { list?: { i?: string[]; s?: string[] }; s?: string }>;
}

/** The graph's nodes by short name (the part after `functional_1/`) and its float tensors by name. */
function readGraph(json: any, bin: Uint8Array): { node: (short: string) => GraphNode; tensor: (name: string) => { shape: number[]; data: Float32Array | Int32Array } } {
  const nodes = new Map<string, GraphNode>();
  for (const n of json.modelTopology.node as GraphNode[]) nodes.set(n.name.replace(/^StatefulPartitionedCall\/functional_1\//, ''), n);
  const tensors = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  let offset = 0;
  for (const w of json.weightsManifest.flatMap((g: any) => g.weights) as { name: string; shape: number[]; dtype: string }[]) {
    if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`unexpected dtype ${w.dtype} of ${w.name}`);
    const count = w.shape.reduce((a, b) => a * b, 1);
    const bytes = bin.slice(offset, offset + count * 4);
    offset += count * 4;
    tensors.set(w.name, { shape: w.shape, data: w.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer) });
  }
  if (offset !== bin.length) throw new Error(`the weights manifest covers ${offset} bytes, the .bin has ${bin.length}`);
  return {
    node: (short) => {
      const n = nodes.get(short);
      if (!n) throw new Error(`the graph has no node ${short}`);
      return n;
    },
    tensor: (name) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`the weights have no tensor ${name}`);
      return t;
    },
  };
}

const attrString = (n: GraphNode, key: string): string => Buffer.from(n.attr?.[key]?.s ?? '', 'base64').toString();
const attrStrings = (n: GraphNode, key: string): string[] => (n.attr?.[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString());
const attrInts = (n: GraphNode, key: string): number[] => (n.attr?.[key]?.list?.i ?? []).map(Number);
const shortName = (input: string): string => input.replace(/^StatefulPartitionedCall\/functional_1\//, '');

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`not the BlazeFace short-range graph the engine implements: ${what}`);
}

function checkShape(actual: number[], expected: number[], what: string): void {
  check(actual.join('x') === expected.join('x'), `${what} has shape ${actual.join('x')}, expected ${expected.join('x')}`);
}

/** Checks a _FusedConv2D node and returns its weights and bias. */
function fusedConv(g: ReturnType<typeof readGraph>, short: string, shape: number[], stride: number, ops: string[], input: string): { w: Float32Array; b: Float32Array } {
  const n = g.node(short);
  check(n.op === '_FusedConv2D', `${short} is ${n.op}`);
  check(attrStrings(n, 'fused_ops').join() === ops.join(), `${short} fuses ${attrStrings(n, 'fused_ops').join()}`);
  check(attrInts(n, 'strides').join() === `1,${stride},${stride},1`, `${short} strides`);
  check(shortName(n.input?.[0] ?? '') === input, `${short} reads ${n.input?.[0]}, expected ${input}`);
  // A 1x1 conv is the same with SAME or VALID padding; the stem must be SAME.
  if (shape[0] > 1) check(attrString(n, 'padding') === 'SAME', `${short} padding`);
  const w = g.tensor(n.input?.[1] ?? '');
  const b = g.tensor(n.input?.[2] ?? '');
  checkShape(w.shape, shape, `${short} weights`);
  checkShape(b.shape, [shape[3]], `${short} bias`);
  return { w: w.data as Float32Array, b: b.data as Float32Array };
}

/** Copies a [rows][cols] matrix into [rows'][cols'] with zero padding (rows' >= rows, cols' >= cols). */
function padMatrix(src: Float32Array, rows: number, cols: number, rowsTo: number, colsTo: number, colOffset = 0, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(rowsTo * colsTo);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * cols, (r + 1) * cols), r * colsTo + colOffset);
  return out;
}

/** Reads and checks the graph; returns the layers in execution order, padded. */
export function blazefaceLayers(json: unknown, bin: Uint8Array): Layer[] {
  const g = readGraph(json, bin);
  const layers: Layer[] = [];
  const stem = fusedConv(g, 'conv2d/Relu', [5, 5, 3, 24], 2, ['BiasAdd', 'Relu'], 'input');
  layers.push({ op: OP_STEM, stride: 2, cin: 3, cout: 24, realCout: 24, weights: stem.w, bias: stem.b });
  let previous = 'conv2d/Relu';
  for (const [i, [cin, cout, stride]] of BLOCKS.entries()) {
    const dwName = `depthwise_conv2d${i ? `_${i}` : ''}/depthwise`;
    const pwName = `conv2d_${i + 1}/BiasAdd`;
    const addName = `add${i ? `_${i}` : ''}/add`;
    const reluName = `re_lu${i ? `_${i}` : ''}/Relu`;
    const dw = g.node(dwName);
    check(dw.op === 'DepthwiseConv2dNative' && attrString(dw, 'padding') === 'SAME', `${dwName} op/padding`);
    check(attrInts(dw, 'strides').join() === `1,${stride},${stride},1`, `${dwName} strides`);
    check(shortName(dw.input?.[0] ?? '') === previous, `${dwName} input`);
    const dwWeights = g.tensor(dw.input?.[1] ?? '');
    checkShape(dwWeights.shape, [3, 3, cin, 1], `${dwName} weights`);
    const pw = fusedConv(g, pwName, [1, 1, cin, cout], 1, ['BiasAdd'], dwName);
    // The residual: the block input, max-pooled 2x2 when the block strides, channel-padded with zeros when it widens.
    const add = g.node(addName);
    const addInputs = (add.input ?? []).map(shortName);
    check(add.op === 'AddV2' && addInputs.includes(pwName), `${addName} adds ${addInputs.join(', ')}`);
    let skip = g.node(addInputs.find((s) => s !== pwName) ?? '');
    if (cout !== cin) {
      check(skip.op === 'Pad', `${addName}: a widening block pads its residual`);
      const paddings = Array.from(g.tensor(skip.input?.[1] ?? '').data);
      check(paddings.join() === `0,0,0,0,0,0,0,${cout - cin}`, `${skip.name} paddings ${paddings.join()}`);
      skip = g.node(shortName(skip.input?.[0] ?? ''));
    }
    if (stride === 2) {
      check(skip.op === 'MaxPool' && attrInts(skip, 'ksize').join() === '1,2,2,1' && attrInts(skip, 'strides').join() === '1,2,2,1', `${addName}: a strided block max-pools its residual`);
      skip = g.node(shortName(skip.input?.[0] ?? ''));
    }
    check(shortName(skip.name) === previous, `${addName}: the residual comes from ${skip.name}, expected ${previous}`);
    check(g.node(reluName).op === 'Relu' && shortName(g.node(reluName).input?.[0] ?? '') === addName, `${reluName}`);

    const cinP = pad4(cin);
    const coutP = pad4(cout);
    layers.push({ op: OP_DEPTHWISE, stride, cin: cinP, cout: cinP, realCout: cin, weights: padMatrix(dwWeights.data as Float32Array, 9, cin, 9, cinP) });
    layers.push({
      op: OP_POINTWISE_RESIDUAL, stride: 1, cin: cinP, cout: coutP, realCout: cout,
      weights: padMatrix(pw.w, cin, cout, cinP, coutP), bias: padMatrix(pw.b, 1, cout, 1, coutP),
    });
    previous = reluName;
    const head = HEADS.find((h) => h.afterBlock === i + 1);
    if (head) {
      // Scores (A channels) then boxes (A x 16) as one conv: channel a is anchor a's logit, A + 16a + k its coordinate k.
      const a = head.anchors;
      const scores = fusedConv(g, `${head.scores}/BiasAdd`, [1, 1, head.channels, a], 1, ['BiasAdd'], reluName);
      const boxes = fusedConv(g, `${head.boxes}/BiasAdd`, [1, 1, head.channels, a * 16], 1, ['BiasAdd'], reluName);
      const real = a * 17;
      const coutP2 = pad4(real);
      const weights = padMatrix(scores.w, head.channels, a, head.channels, coutP2);
      padMatrix(boxes.w, head.channels, a * 16, head.channels, coutP2, a, weights);
      const bias = padMatrix(scores.b, 1, a, 1, coutP2);
      padMatrix(boxes.b, 1, a * 16, 1, coutP2, a, bias);
      layers.push({ op: OP_HEAD, stride: 1, cin: head.channels, cout: coutP2, realCout: real, weights, bias });
    }
  }
  return layers;
}

/**
 * Converts the TFJS graph model (`json` = the parsed model.json, `bin` = its one weights shard)
 * into the bytes of a .bf32 file.
 */
export function convertBlazeface(json: unknown, bin: Uint8Array): Uint8Array {
  const layers = blazefaceLayers(json, bin);
  const align16 = (n: number): number => (n + 15) & ~15;
  let offset = align16(HEADER_BYTES + layers.length * RECORD_BYTES);
  const placed = layers.map((l) => {
    const weights = offset;
    offset = align16(offset + l.weights.length * 4);
    const bias = l.bias ? offset : 0;
    if (l.bias) offset = align16(offset + l.bias.length * 4);
    return { weights, bias };
  });
  const length = offset + 4;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(BF32_MAGIC, 'latin1'), 0);
  view.setUint16(4, BF32_VERSION, true);
  view.setUint8(6, 0); // model kind: short-range (front), 128x128
  view.setUint8(7, layers.length);
  view.setUint16(8, 128, true);
  view.setUint16(10, 896, true);
  view.setUint32(12, length, true);
  view.setUint32(16, layers.reduce((n, l) => n + l.weights.length + (l.bias?.length ?? 0), 0), true);
  layers.forEach((l, i) => {
    const r = HEADER_BYTES + i * RECORD_BYTES;
    view.setUint8(r, l.op);
    view.setUint8(r + 1, l.stride);
    view.setUint16(r + 2, l.cin, true);
    view.setUint16(r + 4, l.cout, true);
    view.setUint16(r + 6, l.realCout, true);
    view.setUint32(r + 8, placed[i].weights, true);
    view.setUint32(r + 12, placed[i].bias, true);
    l.weights.forEach((v, k) => view.setFloat32(placed[i].weights + k * 4, v, true));
    l.bias?.forEach((v, k) => view.setFloat32(placed[i].bias + k * 4, v, true));
  });
  view.setUint32(length - 4, crc32(out.subarray(0, length - 4)), true);
  return out;
}

/** The committed TFJS copy and the output file. */
export const BLAZEFACE_TFJS = new URL('../test/fixtures/reference-tfjs/blazeface-front.json', import.meta.url);
export const BLAZEFACE_WEIGHTS = new URL('../weights/blazeface-front.bf32', import.meta.url);

/** Reads the committed TFJS files and converts them. */
export function convertCommittedBlazeface(): Uint8Array {
  const json = JSON.parse(readFileSync(BLAZEFACE_TFJS, 'utf8'));
  const shards = (json.weightsManifest as { paths: string[] }[]).flatMap((g) => g.paths);
  check(shards.length === 1, 'one weights shard');
  return convertBlazeface(json, new Uint8Array(readFileSync(new URL(shards[0], BLAZEFACE_TFJS))));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = convertCommittedBlazeface();
  writeFileSync(BLAZEFACE_WEIGHTS, bytes);
  console.log(`wrote ${fileURLToPath(BLAZEFACE_WEIGHTS)}: ${bytes.length} bytes, CRC-32 ${crc32(bytes.subarray(0, bytes.length - 4)).toString(16).padStart(8, '0')}`);
}
