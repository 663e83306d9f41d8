/**
 * Reader of the .yunf weights format (weights/YUNET-FORMAT.md): YuNet's 53 float32 conv layers from
 * libfacedetection. Validates the envelope, every record and every array, and returns the layers
 * as views on a copy of the bytes. Written by tools/convert-yunet.ts.
 */
import { crc32 } from '../crc32.js';

export const YUNF_MAGIC = 'YUNF';
export const YUNF_VERSION = 1;
export const YUNF_LAYERS = 53;
export const YUNF_HEADER_BYTES = 16;
export const YUNF_RECORD_BYTES = 16;
/** First byte of the data area: after the header and the 53 records, 16-byte aligned. */
export const YUNF_DATA_START = (YUNF_HEADER_BYTES + YUNF_LAYERS * YUNF_RECORD_BYTES + 15) & ~15;

/** Layer kinds of the format. */
export const KIND_POINTWISE = 0; // 1x1 conv + bias, weights [out][in]
export const KIND_DEPTHWISE = 1; // 3x3 depthwise, pad 1, stride 1, + bias, weights [3][3][ch] (tap-major)
export const KIND_STEM = 2; // 3x3 stride-2 pad-1 conv on the image, stored as a 1x1 conv [16][32] over 32 gathered taps

/** Record flag bit 0: the source's with_bn flag (= a ReLU follows the layer in the graph). */
export const FLAG_RELU = 1;

export interface YunetLayer {
  inChannels: number;
  outChannels: number;
  kind: number;
  flags: number;
  weights: Float32Array;
  bias: Float32Array;
}

/** The number of weight floats a layer of this kind and shape stores. */
export function weightCount(kind: number, inChannels: number, outChannels: number): number {
  return kind === KIND_DEPTHWISE ? 9 * inChannels : inChannels * outChannels;
}

function fail(what: string): never {
  throw new Error(`not a valid .yunf file: ${what}`);
}

/** Validates a .yunf blob and returns its 53 layers in the source's table order. Throws on any defect. */
export function readYunet(input: Uint8Array): YunetLayer[] {
  const bytes = input.slice(); // own, aligned copy: the views below must not alias the caller's buffer
  const length = bytes.length;
  if (length < YUNF_DATA_START + 4) fail(`${length} bytes is shorter than the header and records`);
  const view = new DataView(bytes.buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== YUNF_MAGIC) fail('bad magic');
  if (view.getUint16(4, true) !== YUNF_VERSION) fail(`version ${view.getUint16(4, true)}, expected ${YUNF_VERSION}`);
  if (view.getUint16(6, true) !== YUNF_LAYERS) fail(`${view.getUint16(6, true)} layers, expected ${YUNF_LAYERS}`);
  if (view.getUint32(8, true) !== length) fail(`length field ${view.getUint32(8, true)}, file has ${length} bytes`);
  if (view.getUint32(12, true) !== 0) fail('reserved header word is not 0');
  if (crc32(bytes.subarray(0, length - 4)) !== view.getUint32(length - 4, true)) fail('CRC-32 mismatch');
  const dataEnd = length - 4;
  const array = (offset: number, count: number, what: string): Float32Array => {
    if (offset < YUNF_DATA_START || offset % 16 !== 0 || offset + count * 4 > dataEnd) fail(`${what} at ${offset} (+${count * 4}) is outside the data area or unaligned`);
    const a = new Float32Array(bytes.buffer, offset, count);
    for (let i = 0; i < count; i++) if (!Number.isFinite(a[i])) fail(`${what}[${i}] is not finite`);
    return a;
  };
  const layers: YunetLayer[] = [];
  for (let i = 0; i < YUNF_LAYERS; i++) {
    const r = YUNF_HEADER_BYTES + i * YUNF_RECORD_BYTES;
    const inChannels = view.getUint16(r, true);
    const outChannels = view.getUint16(r + 2, true);
    const kind = view.getUint8(r + 4);
    const flags = view.getUint8(r + 5);
    if (view.getUint16(r + 6, true) !== 0) fail(`layer ${i}: reserved field is not 0`);
    if (inChannels < 1 || outChannels < 1) fail(`layer ${i}: zero channels`);
    if (kind > KIND_STEM) fail(`layer ${i}: unknown kind ${kind}`);
    if ((kind === KIND_STEM) !== (i === 0)) fail(`layer ${i}: the stem is layer 0 and only layer 0`);
    if (kind === KIND_STEM && inChannels !== 32) fail(`layer ${i}: the stem reads 32 gathered inputs, not ${inChannels}`);
    if (kind === KIND_DEPTHWISE && inChannels !== outChannels) fail(`layer ${i}: depthwise with ${inChannels} -> ${outChannels} channels`);
    if (flags & ~FLAG_RELU) fail(`layer ${i}: unknown flags ${flags}`);
    const weights = array(view.getUint32(r + 8, true), weightCount(kind, inChannels, outChannels), `layer ${i} weights`);
    const bias = array(view.getUint32(r + 12, true), outChannels, `layer ${i} bias`);
    layers.push({ inChannels, outChannels, kind, flags, weights, bias });
  }
  return layers;
}
