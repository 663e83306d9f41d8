// Hostile requests to the Cloudflare Worker example (examples/worker) on workerd (issue #6):
// wrong content types, empty and oversized bodies (at the 5 MB limit and one byte over), bodies
// that are no image, truncated or damaged images (WebP containers too), formats the Worker does not
// decode, animated WebP, header and zlib bombs, junk queries, and random bodies (fast-check). Each gets the right 4xx JSON error
// with the library's code — never a 500 — and the good request after it still gets Node's age.
//
// FUZZ_SEED / FUZZ_RUNS as in test/fuzz.test.ts.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Jimp } from 'jimp';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { EXAMPLE_BOX, ROOT } from './helpers/engine.js';
import { MAGIC, anmf, animatedWebp, concat, hiddenFrameBombs, jpegSofOffset, riff, riffSized, vp8x, webpChunks, withSize } from './helpers/hostile.js';
import { bundleWorker, startWorker, workerdMemory } from './helpers/worker.js';

const RUN_SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 0x155e6);
/** The Worker's body limit (examples/worker/src/index.ts MAX_BODY_BYTES). */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Worker and Node run the same wasm on the same pixels. */
const AGE_TOLERANCE = 1e-6;
/** The whole 40x40 test image as the face (without a box the Worker would need a face detector). */
const BOX_QUERY = '?box=0,0,40,40';
/** HTTP status of each library code (examples/worker/src/index.ts). */
const STATUS: Record<string, number> = { BAD_INPUT: 400, DECODE_FAILED: 400, UNSUPPORTED_FORMAT: 415, IMAGE_TOO_LARGE: 413 };
/** sharp (an optional dependency) writes the WebP files and the big photos. */
const sharp = await import('sharp').then((m) => m.default, () => undefined);

let mf: Miniflare;
/** The example face, cropped and downscaled to 40x40, as PNG, JPEG and lossless WebP (the Worker decodes those three). */
let png: Uint8Array;
let jpeg: Uint8Array;
let webp: Uint8Array;
let gif: Uint8Array;
let bmp: Uint8Array;
/** Node's age for `png` (BOX_QUERY) with the Worker's model (the default, 'auto'). */
let nodeAge: number;

beforeAll(async () => {
  mf = await startWorker(await bundleWorker());
  const image = await Jimp.fromBuffer(readFileSync(new URL('examples/astronaut.png', ROOT)));
  const { x, y, width } = EXAMPLE_BOX;
  image.crop({ x: x - 20, y: y - 20, w: width + 40, h: width + 40 }).resize({ w: 40, h: 40 });
  [png, jpeg, gif, bmp] = await Promise.all(
    (['image/png', 'image/jpeg', 'image/gif', 'image/bmp'] as const).map(async (mime) => new Uint8Array(await image.getBuffer(mime))),
  );
  [{ age: nodeAge }] = await (await createEstimator()).estimate(png, { box: { x: 0, y: 0, width: 40, height: 40 } });
  webp = sharp ? new Uint8Array(await sharp(png).webp({ lossless: true }).toBuffer()) : png;
});

afterAll(async () => {
  await mf?.dispose();
});

interface Reply {
  status: number;
  contentType: string | null;
  json: { faces?: { age: number }[]; error?: { code: string; message: string } };
}

async function post(body: Uint8Array | string | null, query = BOX_QUERY, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await mf.dispatchFetch(`http://worker.test/${query}`, { method: 'POST', body, headers });
  return { status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as Reply['json'] };
}

/** The reply is the JSON error of `code` with its status. */
function expectError(reply: Reply, code: string, label: string): void {
  expect(reply.contentType, label).toBe('application/json');
  expect(reply.json.error?.code, `${label}: ${JSON.stringify(reply.json)}`).toBe(code);
  expect(reply.status, label).toBe(STATUS[code]);
  expect(reply.json.error?.message, label).toMatch(/^expected /);
}

/** A good request right after: the Worker still gives Node's age. */
async function expectHealthy(label: string): Promise<void> {
  const reply = await post(png);
  expect(reply.status, `good request after ${label}`).toBe(200);
  expect(Math.abs((reply.json.faces?.[0].age ?? NaN) - nodeAge), `good request after ${label}`).toBeLessThanOrEqual(AGE_TOLERANCE);
}

describe('hostile requests to the Worker', () => {
  it('the content type is ignored: an image under any content type is estimated, anything else is 415', async () => {
    const types = ['image/png', 'text/plain', 'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/gif', ''];
    for (const type of types) {
      const reply = await post(png, BOX_QUERY, type ? { 'content-type': type } : {});
      expect(reply.status, type).toBe(200);
      expect(Math.abs((reply.json.faces?.[0].age ?? NaN) - nodeAge), type).toBeLessThanOrEqual(AGE_TOLERANCE);
    }
    // A form upload wraps the image in multipart framing: the bytes are not an image.
    const form = `--x\r\nContent-Disposition: form-data; name="file"; filename="face.png"\r\nContent-Type: image/png\r\n\r\n${Buffer.from(png).toString('latin1')}\r\n--x--\r\n`;
    const bodies: [string, Uint8Array | string, string][] = [
      ['JSON sent as image/png', '{"image":"face.png"}', 'image/png'],
      ['a multipart form with the image inside', Buffer.from(form, 'latin1'), 'multipart/form-data; boundary=x'],
      ['base64 of the image', Buffer.from(png).toString('base64'), 'image/png'],
      ['a data URL', `data:image/png;base64,${Buffer.from(png).toString('base64')}`, 'text/plain'],
    ];
    for (const [label, body, type] of bodies) {
      expectError(await post(body, BOX_QUERY, { 'content-type': type }), 'UNSUPPORTED_FORMAT', label);
      await expectHealthy(label);
    }
  });

  it('empty and oversized bodies: 400 for none, 413 one byte over the limit, the limit itself is read', async () => {
    expectError(await post(null), 'BAD_INPUT', 'no body');
    expectError(await post(new Uint8Array(0), BOX_QUERY, { 'content-type': 'image/png' }), 'BAD_INPUT', 'empty body');
    // Exactly the limit: read, and refused for what it is (zeros are no image).
    expectError(await post(new Uint8Array(MAX_BODY_BYTES)), 'UNSUPPORTED_FORMAT', 'a body of exactly 5 MB');
    // One byte over, even if it starts like a real image.
    const over = new Uint8Array(MAX_BODY_BYTES + 1);
    over.set(png);
    expectError(await post(over), 'IMAGE_TOO_LARGE', 'a PNG padded to 5 MB + 1');
    await expectHealthy('oversized bodies');
  });

  it('malformed images, formats the Worker cannot decode, and bombs get their 4xx', async () => {
    if (sharp) {
      const reply = await post(webp);
      expect(reply.status, 'a lossless WebP of the PNG').toBe(200);
      expect(Math.abs((reply.json.faces?.[0].age ?? NaN) - nodeAge), 'a lossless WebP of the PNG').toBeLessThanOrEqual(AGE_TOLERANCE);
    }
    const webpCases: [string, Uint8Array, string][] = [
      ['WebP cut in its VP8L header', webp.subarray(0, 22), 'DECODE_FAILED'],
      ['WebP cut at half', webp.subarray(0, webp.length >> 1), 'DECODE_FAILED'],
      ['WebP with a RIFF size past its end', riffSized(concat(webp, [0])).subarray(0, webp.length), 'DECODE_FAILED'],
      ['WebP with a chunk past its end', riffSized(concat(webp, [0x45, 0x58, 0x49, 0x46, 0xff, 0, 0, 0])), 'DECODE_FAILED'],
      ['WebP VP8X canvas 39x40 holding its 40x40 image', riff(vp8x(0, 39, 40), webpChunks(webp)), 'DECODE_FAILED'],
      ['an animated WebP', animatedWebp(40, 40, anmf(0, 0, 40, 40, webpChunks(webp))), 'UNSUPPORTED_FORMAT'],
      ['WebP VP8X canvas of 2^24 x 2^24', withSize('webp', webp, 2 ** 24, 2 ** 24), 'IMAGE_TOO_LARGE'],
    ];
    const cases: [string, Uint8Array, string][] = [
      ...(sharp ? webpCases : []),
      ['PNG cut in its IHDR', png.subarray(0, 20), 'DECODE_FAILED'],
      ['PNG cut inside its image data', png.subarray(0, png.length >> 1), 'DECODE_FAILED'],
      ['PNG with a broken IHDR CRC', Uint8Array.from(png, (b, i) => (i === 30 ? b ^ 0xff : b)), 'DECODE_FAILED'],
      ['JPEG cut in its frame header', jpeg.subarray(0, jpegSofOffset(jpeg) + 6), 'DECODE_FAILED'],
      ['JPEG cut at a quarter', jpeg.subarray(0, jpeg.length >> 2), 'DECODE_FAILED'],
      ['the PNG magic alone', new Uint8Array(MAGIC.png), 'DECODE_FAILED'],
      ['a GIF (decoded on Node only)', gif, 'UNSUPPORTED_FORMAT'],
      ['a BMP (decoded on Node only)', bmp, 'UNSUPPORTED_FORMAT'],
      ['PNG header of 100000x100000', withSize('png', png, 100_000, 100_000), 'IMAGE_TOO_LARGE'],
      ['JPEG header of 65535x65535', withSize('jpeg', jpeg, 65535, 65535), 'IMAGE_TOO_LARGE'],
      ...hiddenFrameBombs()
        .filter(([label]) => !label.startsWith('GIF'))
        .map(([label, bytes]): [string, Uint8Array, string] => [label, bytes, 'DECODE_FAILED']),
    ];
    for (const [label, body, code] of cases) {
      const start = performance.now();
      expectError(await post(body), code, label);
      expect(performance.now() - start, label).toBeLessThan(5_000);
      await expectHealthy(label);
    }
  });

  it('errors answered before the body was read do not reset the connection (the next request works)', async () => {
    // Regression: the Worker used to answer a bad query, or a body over the limit, without reading
    // the rest of the body; workerd then reset the connection and the client got ECONNRESET —
    // for this request, or for the next one on the same connection.
    const photo = new Uint8Array(readFileSync(new URL('examples/astronaut.png', ROOT)));
    for (const query of ['?box=1,2,3', '?margin=abc', '?box=9000,0,10,10']) {
      expectError(await post(photo, query), 'BAD_INPUT', `${query} with a ${photo.length}-byte body`);
      await expectHealthy(query);
    }
    for (const megabytes of [6, 12]) {
      const chunk = new Uint8Array(1 << 20);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < megabytes) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await mf.dispatchFetch(`http://worker.test/${BOX_QUERY}`, { method: 'POST', body: stream, duplex: 'half' } as Parameters<Miniflare['dispatchFetch']>[1]);
      expectError({ status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as Reply['json'] }, 'IMAGE_TOO_LARGE', `a streamed ${megabytes} MB body`);
      await expectHealthy(`a streamed ${megabytes} MB body`);
    }
    const put = await mf.dispatchFetch('http://worker.test/', { method: 'PUT', body: photo });
    expect(put.status).toBe(405);
    await put.arrayBuffer();
    await expectHealthy('a PUT with a body');
  });

  it('big dimensions stay inside a 128 MB isolate: headers over 6 MP are 413 at once, a 6 MP progressive JPEG and 6 MP WebPs cost < 128 MB', async () => {
    const memory = workerdMemory();
    if (!sharp || !memory) {
      console.warn('worker-fuzz: sharp or /proc is missing; the big-dimension memory test is skipped');
      return;
    }
    const group = readFileSync(new URL('test/fixtures/images/yunet-group-1.jpg', ROOT));
    const jpegOf = async (w: number, h: number): Promise<Uint8Array> =>
      new Uint8Array(await sharp(group).resize(w, h, { fit: 'fill' }).jpeg({ quality: 88, progressive: true }).toBuffer());
    expect((await post(group, '')).status).toBe(200); // the decoders and the detector are loaded
    const before = workerdMemory()!;
    // A real 49 MP photo (1.8 MB: under the body limit) and lying headers: refused from the header.
    for (const [label, body] of [
      ['a valid 7000x7000 JPEG', await jpegOf(7000, 7000)],
      ['a JPEG header of 65535x65535', withSize('jpeg', jpeg, 65535, 65535)],
      ['a PNG header of 30000x30000', withSize('png', png, 30000, 30000)],
    ] as const) {
      const start = performance.now();
      expectError(await post(body, ''), 'IMAGE_TOO_LARGE', label);
      expect(performance.now() - start, label).toBeLessThan(1_000);
    }
    expect(workerdMemory()!.peak - before.peak, 'the refused bodies').toBeLessThan(16);
    // At the limit (6 MP, progressive: the decoder's most memory per pixel) it is processed.
    const reply = await post(await jpegOf(3000, 2000), '');
    expect(reply.status).toBe(200);
    expect(reply.json.faces?.length).toBeGreaterThanOrEqual(4);
    const grown = workerdMemory()!.peak - before.peak;
    console.info(`worker: a 6 MP progressive JPEG raised workerd's peak RSS by ${grown.toFixed(0)} MB`);
    expect(grown).toBeLessThan(128);
    // 6 MP WebPs after it (the JPEG decoder's WASM memory stays at its high-water mark): lossy, then
    // lossless (libwebp holds the whole ARGB picture as it decodes). The lossless one is the group
    // photo on a flat background, so that it fits the 5 MB body limit.
    const flat = await sharp(await sharp(group).resize(1500, 1000).toBuffer()).extend({ right: 1500, bottom: 1000, background: '#808080' }).toBuffer();
    for (const [label, body] of [
      ['lossy', await sharp(group).resize(3000, 2000, { fit: 'fill' }).webp({ quality: 85 }).toBuffer()],
      ['lossless', await sharp(flat).webp({ lossless: true }).toBuffer()],
    ] as const) {
      expect(body.length, label).toBeLessThan(MAX_BODY_BYTES);
      const webpReply = await post(new Uint8Array(body), '');
      expect(webpReply.status, label).toBe(200);
      expect(webpReply.json.faces?.length, label).toBeGreaterThanOrEqual(4);
      const webpGrown = workerdMemory()!.peak - before.peak;
      console.info(`worker: with a 6 MP ${label} WebP (${(body.length / 1e6).toFixed(1)} MB) after it, workerd's peak RSS grew by ${webpGrown.toFixed(0)} MB`);
      expect(webpGrown, label).toBeLessThan(128);
    }
    await expectHealthy('big dimensions');
  });

  it('junk queries get 400 BAD_INPUT', async () => {
    const queries = ['?box=abc', '?box=1,2,3,4,5', '?box=,,,', '?box=1e400,0,10,10', '?box=0,0,-5,10', '?box=0,0,0x10,1e999', '?margin=abc', '?margin=-1', '?margin=1e400', '?box=100,100,10,10'];
    for (const query of queries) {
      expectError(await post(png, query), 'BAD_INPUT', query);
      await expectHealthy(query);
    }
  });

  it('random bodies (noise, noise behind a magic number, damaged PNG / JPEG / WebP) get a result or their 4xx, never a 500', async () => {
    const damaged = (file: Uint8Array) =>
      fc.tuple(fc.array(fc.tuple(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat({ max: file.length })).map(([flips, cut]) => {
        const out = file.slice(0, Math.max(1, cut));
        for (const [at, value] of flips) if (at < out.length) out[at] = value;
        return out;
      });
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      fc.tuple(fc.constantFrom(MAGIC.png, MAGIC.jpeg, MAGIC.gif, MAGIC.bmp), fc.uint8Array({ maxLength: 512 })).map(([magic, tail]) => new Uint8Array([...magic, ...tail])),
      fc.uint8Array({ maxLength: 512 }).map((tail) => riffSized(concat(MAGIC.webp, tail))),
      damaged(png),
      damaged(jpeg),
      damaged(webp),
    );
    const outcomes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const reply = await post(bytes);
        outcomes.set(reply.status, (outcomes.get(reply.status) ?? 0) + 1);
        if (reply.status === 200) expect(Number.isFinite(reply.json.faces?.[0].age)).toBe(true);
        else expectError(reply, reply.json.error?.code ?? 'a library code', `${bytes.length} random bytes`);
      }),
      { seed: SEED, numRuns: Math.round(120 * RUN_SCALE) },
    );
    console.info('worker: statuses of random bodies', Object.fromEntries(outcomes));
    await expectHealthy('the random bodies');
  });
});
