/**
 * SSR-Net age estimation as a Cloudflare Worker.
 *
 *   POST /                          body: a JPEG, PNG or WebP → 200 { "faces": [...] }: every face the detector finds, with its age
 *   POST /?box=x,y,w,h&margin=0.4   body: a JPEG, PNG or WebP → 200 { "faces": [one] }: the age of the face in that box
 *   GET  /                                                → usage text
 *
 * Errors are JSON `{ "error": { "code", "message" } }` with the library's stable code: 413 for a
 * body over 5 MB or an image over MAX_PIXELS (IMAGE_TOO_LARGE, refused from its header), 415 for
 * bytes that are not JPEG/PNG/WebP (UNSUPPORTED_FORMAT, also an animated WebP), 400 for everything the caller got wrong
 * (BAD_INPUT, DECODE_FAILED), 500 otherwise.
 *
 * Every .wasm is imported as a compiled WebAssembly.Module (Workers refuse to compile wasm from
 * bytes at run time): the engine, the face detector and the @jsquash JPEG/PNG/WebP decoders; the
 * weights are imported as ArrayBuffers (wrangler.toml: `rules` type "Data").
 *
 * Memory: a Cloudflare isolate has 128 MB. The decoders here cannot shrink on load, so a JPEG
 * costs about 4 bytes per pixel in mozjpeg's memory, the same again for the RGBA copy, and up to
 * 3 more for a progressive file's coefficients: at MAX_PIXELS (6 MP) about 66 MB, plus the 5 MB
 * body, the engine (its 256 KiB arena and its copy of the image the faces are cropped from, 4 bytes
 * per pixel: 24 MB at 6 MP, kept for the next request) and the detector (4 MB, fixed). A WebP
 * costs a copy of the body and 4 bytes per pixel in libwebp's memory (8 for a lossless file),
 * plus 4 for the RGBA copy: at most 77 MB at 6 MP. Each decoder's WASM memory stays at its
 * high-water mark. test/worker-fuzz.test.ts measures workerd's peak RSS for a body whose header
 * claims a huge image and for a 6 MP progressive JPEG, then 6 MP lossy and lossless WebPs, in one
 * isolate (80 MB over the idle peak for all three).
 */
import { type Box, type Estimator, SsrnetError, createDecoder, createEstimator } from 'ssrnet-wasm';
import jpegDecoder from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import pngDecoder from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import webpDecoder from '@jsquash/webp/codec/dec/webp_dec.wasm';
import wasm from 'ssrnet-wasm/build/ssrnet-simd.wasm';
import detectorWasm from 'ssrnet-wasm/build/yunet-simd.wasm';
import ageMegaageAsian from 'ssrnet-wasm/weights/age-megaage-asian.ssrq';
import ageWiki from 'ssrnet-wasm/weights/age-wiki.ssrq';
import detectorWeights from 'ssrnet-wasm/weights/yunet.yunf';

/** Largest accepted request body. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Largest accepted image (width x height): keeps a request's decoding inside the 128 MB isolate. */
const MAX_PIXELS = 6_000_000;

const USAGE = `ssrnet-wasm age estimation
POST / with a JPEG, PNG or WebP body (at most 5 MB and ${MAX_PIXELS / 1e6} megapixels) -> {"faces":[{"box":{...},"score":...,"age":...}]}
  every face found in the photo, with its age
Query: box=x,y,width,height (only the face in that box), margin=0.4
Example: curl --data-binary @group.jpg 'https://<worker>/'
         curl --data-binary @face.jpg 'https://<worker>/?box=175,70,90,90'
`;

/** HTTP status of each library error code. */
const STATUS: Record<string, number> = {
  BAD_INPUT: 400,
  DECODE_FAILED: 400,
  UNSUPPORTED_FORMAT: 415,
  IMAGE_TOO_LARGE: 413,
};

/** One estimator per isolate, created on first use (the engine instance is 256 KiB). */
let estimator: Promise<Estimator> | undefined;

function getEstimator(): Promise<Estimator> {
  estimator ??= createEstimator({
    wasm,
    simd: true,
    weights: { 'age-wiki': ageWiki, 'age-megaage-asian': ageMegaageAsian },
    detector: { wasm: detectorWasm, weights: detectorWeights },
    decode: createDecoder({ jpeg: jpegDecoder, png: pngDecoder, webp: webpDecoder }),
  }).catch((err: unknown) => {
    estimator = undefined; // a failed creation must not poison later requests
    throw err;
  });
  return estimator;
}

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function errorResponse(code: string, message: string): Response {
  return json({ error: { code, message } }, STATUS[code] ?? 500);
}

/**
 * The request body, or null when it is longer than `limit` bytes. The body is always read to its
 * end (the excess is discarded unread): answering with part of a request body still unsent makes
 * workerd reset the connection, and the client sees ECONNRESET instead of the error.
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      length += chunk.length;
      if (length <= limit) chunks.push(chunk);
    }
  }
  if (length > limit) return null;
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/** `box=x,y,w,h` → a Box (the library validates the numbers); undefined when absent. */
function parseBox(value: string | null): Box | undefined {
  if (value === null) return undefined;
  const parts = value.split(',').map(Number);
  if (parts.length !== 4) throw new SsrnetError('BAD_INPUT', `expected box=x,y,width,height, got box=${value}`);
  const [x, y, width, height] = parts;
  return { x, y, width, height };
}

async function estimateRequest(request: Request): Promise<Response> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === null) return errorResponse('IMAGE_TOO_LARGE', `expected a body of at most ${MAX_BODY_BYTES} bytes`);
  const url = new URL(request.url);
  const box = parseBox(url.searchParams.get('box'));
  const margin = url.searchParams.has('margin') ? Number(url.searchParams.get('margin')) : undefined;
  const faces = await (await getEstimator()).estimate(body, { box, margin, maxPixels: MAX_PIXELS });
  return json({ faces }, 200);
}

export default {
  /** Routes GET (usage) and POST (estimate); every library error becomes a JSON error. */
  async fetch(request: Request): Promise<Response> {
    if (request.method === 'GET') return new Response(USAGE, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (request.method !== 'POST') {
      await request.body?.pipeTo(new WritableStream()); // read and discarded, as in readBody
      return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, POST' } });
    }
    try {
      return await estimateRequest(request);
    } catch (err) {
      if (err instanceof SsrnetError) return errorResponse(err.code, err.message);
      return errorResponse('INTERNAL', err instanceof Error ? err.message : String(err));
    }
  },
};
