/**
 * `npm run convert:yunet -- [path/to/facedetectcnn-data.cpp]`: libfacedetection's YuNet weights (C
 * arrays + the ConvInfoStruct table param_pConvInfo[53]) → weights/yunet.yunf (format:
 * weights/YUNET-FORMAT.md). Default source: /work/ref-libfd/src/facedetectcnn-data.cpp.
 *
 * Nothing is folded, padded or reordered: every array is copied in the source's order, each literal
 * rounded to float32 as a C++ compiler rounds a `1.23e-4f` literal (the decimals have 3 significant
 * digits, so decimal → double → float gives the same float). Deterministic: the same source gives
 * the same bytes (test/yunet-oracle.test.ts checks it against the committed file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/crc32.js';
import {
  FLAG_RELU, KIND_DEPTHWISE, KIND_POINTWISE, KIND_STEM, YUNF_DATA_START, YUNF_HEADER_BYTES, YUNF_LAYERS, YUNF_MAGIC,
  YUNF_RECORD_BYTES, YUNF_VERSION, weightCount, type YunetLayer,
} from '../src/oracle/yunet-weights.js';

export { readYunet } from '../src/oracle/yunet-weights.js';

export const DEFAULT_SOURCE = '/work/ref-libfd/src/facedetectcnn-data.cpp';
export const YUNET_WEIGHTS = new URL('../weights/yunet.yunf', import.meta.url);

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`facedetectcnn-data.cpp: ${what}`);
}

/** Every `float name[a*b*...] = { ... };` array of the source, as float32, its declared size checked. */
function parseArrays(source: string): Map<string, Float32Array> {
  const arrays = new Map<string, Float32Array>();
  const re = /float\s+(\w+)\s*\[([^\]]*)\]\s*=\s*\{([^}]*)\}\s*;/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const [, name, sizeExpr, body] = m;
    check(/^[\d\s*]+$/.test(sizeExpr), `${name}: size ${sizeExpr} is not a product of integers`);
    const size = sizeExpr.split('*').reduce((p, s) => p * Number(s), 1);
    const literals = body.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    check(literals.length === size, `${name} declares ${size} values and lists ${literals.length}`);
    const values = new Float32Array(size);
    literals.forEach((s, i) => {
      check(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?f?$/.test(s), `${name}[${i}] = ${s} is not a float literal`);
      values[i] = Number(s.replace(/f$/, ''));
    });
    check(!arrays.has(name), `${name} is defined twice`);
    arrays.set(name, values);
  }
  return arrays;
}

/** The ConvInfoStruct table: (in_channels, out_channels, is_depthwise, is_pointwise, with_bn, weights, bias). */
export function yunetLayers(source: string): YunetLayer[] {
  const arrays = parseArrays(source);
  const table = /ConvInfoStruct\s+param_pConvInfo\s*\[\s*(\d+)\s*\]\s*=\s*\{([\s\S]*?)\}\s*;/.exec(source);
  check(table !== null, 'no param_pConvInfo table');
  check(Number(table[1]) === YUNF_LAYERS, `the table declares ${table[1]} layers, expected ${YUNF_LAYERS}`);
  const rows = [...table[2].matchAll(/\{([^}]*)\}/g)].map((r) => r[1].split(',').map((s) => s.trim()));
  check(rows.length === YUNF_LAYERS, `the table lists ${rows.length} layers`);
  const bool = (s: string, what: string): boolean => {
    check(s === 'true' || s === 'false', `${what} = ${s}`);
    return s === 'true';
  };
  return rows.map((row, i) => {
    check(row.length === 7, `table row ${i} has ${row.length} fields`);
    const inChannels = Number(row[0]);
    const outChannels = Number(row[1]);
    const depthwise = bool(row[2], `row ${i} is_depthwise`);
    const pointwise = bool(row[3], `row ${i} is_pointwise`);
    const withBn = bool(row[4], `row ${i} with_bn`);
    check(Number.isInteger(inChannels) && Number.isInteger(outChannels) && inChannels > 0 && outChannels > 0, `row ${i} channels`);
    check(depthwise !== pointwise, `row ${i} is neither or both depthwise and pointwise`);
    // The first layer is the 3x3 stride-2 stem that the C++ runs as a 1x1 conv over 27 gathered taps padded to 32.
    const kind = i === 0 ? KIND_STEM : depthwise ? KIND_DEPTHWISE : KIND_POINTWISE;
    if (i === 0) check(pointwise && inChannels === 32, 'row 0 is not the 32-input pointwise stem');
    if (depthwise) check(inChannels === outChannels, `row ${i}: depthwise ${inChannels} -> ${outChannels}`);
    const weights = arrays.get(row[5]);
    const bias = arrays.get(row[6]);
    check(weights !== undefined && bias !== undefined, `row ${i} names missing arrays ${row[5]}, ${row[6]}`);
    check(weights.length === weightCount(kind, inChannels, outChannels), `${row[5]} has ${weights.length} values`);
    check(bias.length === outChannels, `${row[6]} has ${bias.length} values`);
    return { inChannels, outChannels, kind, flags: withBn ? FLAG_RELU : 0, weights, bias };
  });
}

const align16 = (n: number): number => (n + 15) & ~15;

/** The bytes of a .yunf file holding `layers`. */
export function writeYunet(layers: YunetLayer[]): Uint8Array {
  check(layers.length === YUNF_LAYERS, `${layers.length} layers`);
  let offset = YUNF_DATA_START;
  const placed = layers.map((l) => {
    const weights = offset;
    offset = align16(offset + l.weights.length * 4);
    const bias = offset;
    offset = align16(offset + l.bias.length * 4);
    return { weights, bias };
  });
  const length = offset + 4;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(YUNF_MAGIC, 'latin1'), 0);
  view.setUint16(4, YUNF_VERSION, true);
  view.setUint16(6, layers.length, true);
  view.setUint32(8, length, true);
  layers.forEach((l, i) => {
    const r = YUNF_HEADER_BYTES + i * YUNF_RECORD_BYTES;
    view.setUint16(r, l.inChannels, true);
    view.setUint16(r + 2, l.outChannels, true);
    view.setUint8(r + 4, l.kind);
    view.setUint8(r + 5, l.flags);
    view.setUint32(r + 8, placed[i].weights, true);
    view.setUint32(r + 12, placed[i].bias, true);
    l.weights.forEach((v, k) => view.setFloat32(placed[i].weights + k * 4, v, true));
    l.bias.forEach((v, k) => view.setFloat32(placed[i].bias + k * 4, v, true));
  });
  view.setUint32(length - 4, crc32(out.subarray(0, length - 4)), true);
  return out;
}

/** Converts the text of facedetectcnn-data.cpp. */
export function convertYunet(source: string): Uint8Array {
  return writeYunet(yunetLayers(source));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2] ?? DEFAULT_SOURCE;
  const bytes = convertYunet(readFileSync(path, 'utf8'));
  writeFileSync(YUNET_WEIGHTS, bytes);
  console.log(`wrote ${fileURLToPath(YUNET_WEIGHTS)} from ${path}: ${bytes.length} bytes, CRC-32 ${crc32(bytes.subarray(0, bytes.length - 4)).toString(16).padStart(8, '0')}`);
}
