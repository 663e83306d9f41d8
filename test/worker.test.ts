// The Cloudflare Worker example (examples/worker) on the real workerd runtime: bundled with esbuild
// the way wrangler bundles (workerd/worker/browser conditions, ESM, .wasm → CompiledWasm module,
// .ssrq → Data module per wrangler.toml), run by miniflare's workerd, and compared with Node.
import { readFileSync } from 'node:fs';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { bundleWorker, startWorker } from './helpers/worker.js';

const PHOTO = 'examples/astronaut.png';
const BOX = { x: 175, y: 70, width: 90, height: 90 };
/** Worker and Node run the same wasm on the same pixels: the ages must be equal. */
const AGE_TOLERANCE = 1e-6;

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
    expect(await res.text()).toMatch(/POST \/ with a JPEG or PNG body/);
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
