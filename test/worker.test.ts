// The Cloudflare Worker example (examples/worker) on the real workerd runtime: bundled with esbuild
// the way wrangler bundles (workerd/worker/browser conditions, ESM, .wasm → CompiledWasm module,
// .ssrq → Data module per wrangler.toml), run by miniflare's workerd, and compared with Node.
import { readFileSync } from 'node:fs';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { anmf, animatedWebp, webpChunks } from './helpers/hostile.js';
import { bundleWorker, startWorker } from './helpers/worker.js';

const PHOTO = 'examples/astronaut.png';
const BOX = { x: 175, y: 70, width: 90, height: 90 };
/** Worker and Node run the same wasm on the same pixels: the ages must be equal. */
const AGE_TOLERANCE = 1e-6;
/** sharp (an optional dependency) writes the WebP test files. */
const sharp = (await import('sharp').then((m) => m.default, () => undefined))!;

let mf: Miniflare;
let nodeAge: number;
let bundleBytes: number;

beforeAll(async () => {
  const modules = await bundleWorker();
  bundleBytes = modules[0].contents.length;
  mf = await startWorker(modules);
  const estimator = await createEstimator();
  [{ age: nodeAge }] = await estimator.estimate(readFileSync(PHOTO), { box: BOX });
});

afterAll(async () => {
  await mf?.dispose();
});

async function post(body: BodyInit | null, query = '', headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await mf.dispatchFetch(`http://worker.test/${query}`, { method: 'POST', body, headers });
  return { status: res.status, json: await res.json() };
}

describe('Cloudflare Worker on workerd', () => {
  it('bundles to under 1 MB (the engine and weights are separate modules)', () => {
    expect(bundleBytes).toBeLessThan(1024 * 1024);
  });

  it('estimates the example photo as Node does', async () => {
    const { status, json } = await post(readFileSync(PHOTO), `?box=${BOX.x},${BOX.y},${BOX.width},${BOX.height}`);
    expect(status).toBe(200);
    expect(json.faces).toHaveLength(1);
    expect(json.faces[0].box).toEqual(BOX);
    expect(Math.abs(json.faces[0].age - nodeAge)).toBeLessThanOrEqual(AGE_TOLERANCE);
  });

  it('a photo POSTed without a query: every face with its age, as Node finds them', async () => {
    const group = readFileSync('test/fixtures/images/yunet-group-1.jpg');
    const node = await (await createEstimator()).estimate(group);
    const { status, json } = await post(group);
    expect(status).toBe(200);
    expect(node.length).toBeGreaterThanOrEqual(4);
    expect(json.faces).toHaveLength(node.length);
    json.faces.forEach((face: { box: unknown; score: number; age: number }, i: number) => {
      expect(face.box).toEqual(node[i].box); // the same decoder (@jsquash) and wasm: the same numbers
      expect(face.score).toBe(node[i].score);
      expect(Math.abs(face.age - node[i].age)).toBeLessThanOrEqual(AGE_TOLERANCE);
    });
  });

  it('GET / returns the usage text', async () => {
    const res = await mf.dispatchFetch('http://worker.test/');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/POST \/ with a JPEG, PNG or WebP body/);
  });

  it.skipIf(!sharp)('WebP photos (lossless and lossy, written by sharp) give the faces Node finds in them; lossless ones those of the PNG', async () => {
    const estimator = await createEstimator();
    const png = readFileSync(PHOTO);
    const group = readFileSync('test/fixtures/images/yunet-group-1.jpg');
    const [pngFace] = await estimator.estimate(png);
    const lossless = new Uint8Array(await sharp(png).webp({ lossless: true }).toBuffer());
    expect((await post(lossless)).json.faces).toEqual([pngFace]);
    for (const bytes of [lossless, new Uint8Array(await sharp(group).webp({ quality: 85 }).toBuffer())]) {
      const node = await estimator.estimate(bytes);
      const { status, json } = await post(bytes);
      expect(status).toBe(200);
      expect(json.faces).toHaveLength(node.length);
      json.faces.forEach((face: { box: unknown; score: number; age: number }, i: number) => {
        expect(face.box).toEqual(node[i].box); // @jsquash/webp on both
        expect(Math.abs(face.age - node[i].age)).toBeLessThanOrEqual(AGE_TOLERANCE);
      });
    }
  });

  it.skipIf(!sharp)('415 for an animated WebP (libwebp decodes still images only)', async () => {
    const frame = webpChunks(new Uint8Array(await sharp(readFileSync(PHOTO)).resize(16, 16).webp({ lossless: true }).toBuffer()));
    const { status, json } = await post(animatedWebp(16, 16, anmf(0, 0, 16, 16, frame)));
    expect(status).toBe(415);
    expect(json.error).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringMatching(/animated/) });
  });

  it.skipIf(!sharp)('a Worker whose decoder was given no WebP module answers a WebP with UNSUPPORTED_FORMAT naming the module to pass', async () => {
    const source = `
      import { createDecoder } from 'ssrnet-wasm';
      import jpeg from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
      import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
      const decode = createDecoder({ jpeg, png });
      export default {
        async fetch(request) {
          const bytes = new Uint8Array(await request.arrayBuffer());
          const answers = [];
          for (let i = 0; i < 2; i++) answers.push(await decode(bytes).then((img) => img.width + 'x' + img.height, (err) => err.code + ': ' + err.message));
          return new Response(answers.join('\\n'));
        },
      };`;
    const bare = await startWorker(await bundleWorker(source));
    try {
      const webp = new Uint8Array(await sharp(readFileSync(PHOTO)).webp({ quality: 80 }).toBuffer());
      const answers = (await (await bare.dispatchFetch('http://worker.test/', { method: 'POST', body: webp })).text()).split('\n');
      for (const answer of answers) expect(answer).toMatch(/^UNSUPPORTED_FORMAT: expected createDecoder\(\{ webp \}\) with '@jsquash\/webp\/codec\/dec\/webp_dec.wasm'/);
      const png = await bare.dispatchFetch('http://worker.test/', { method: 'POST', body: readFileSync(PHOTO) });
      expect((await png.text()).split('\n')).toEqual(['512x512', '512x512']);
    } finally {
      await bare.dispose();
    }
  });

  it('413 for a body over 5 MB', async () => {
    const { status, json } = await post(new Uint8Array(5 * 1024 * 1024 + 1));
    expect(status).toBe(413);
    expect(json.error.code).toBe('IMAGE_TOO_LARGE');
  });

  it('413 for a streamed body over 5 MB without a content-length', async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('IMAGE_TOO_LARGE');
  });

  it('415 with UNSUPPORTED_FORMAT for bytes that are no image', async () => {
    const { status, json } = await post(new TextEncoder().encode('hello, this is not an image'));
    expect(status).toBe(415);
    expect(json.error.code).toBe('UNSUPPORTED_FORMAT');
  });

  it('400 with the library code for an empty body, a truncated PNG and a bad box', async () => {
    expect(await post(new Uint8Array(0))).toMatchObject({ status: 400, json: { error: { code: 'BAD_INPUT' } } });
    const truncated = readFileSync(PHOTO).subarray(0, 4000);
    expect(await post(truncated)).toMatchObject({ status: 400, json: { error: { code: 'DECODE_FAILED' } } });
    expect(await post(readFileSync(PHOTO), '?box=1,2,3')).toMatchObject({ status: 400, json: { error: { code: 'BAD_INPUT' } } });
    expect(await post(readFileSync(PHOTO), '?box=9000,0,10,10')).toMatchObject({ status: 400, json: { error: { code: 'BAD_INPUT' } } });
  });

  it('a bad request never affects the next', async () => {
    const good = (): Promise<{ status: number; json: any }> => post(readFileSync(PHOTO), `?box=${BOX.x},${BOX.y},${BOX.width},${BOX.height}`);
    const bad = [new Uint8Array(0), new TextEncoder().encode('nope'), readFileSync(PHOTO).subarray(0, 4000), new Uint8Array(6 * 1024 * 1024)];
    for (const body of bad) {
      expect((await post(body)).status).toBeGreaterThanOrEqual(400);
      const { status, json } = await good();
      expect(status).toBe(200);
      expect(Math.abs(json.faces[0].age - nodeAge)).toBeLessThanOrEqual(AGE_TOLERANCE);
    }
  });
});
