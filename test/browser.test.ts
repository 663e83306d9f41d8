// The browser examples (examples/browser/index.html and camera.html + the ESM build
// dist/browser/ssrnet.js) in Debian's headless Chromium, served from a localhost HTTP server
// started here: the photo page must find the faces and ages Node finds (for the example photo and
// for a group photo chosen in its file input) and draw them; the camera page, fed a fake camera
// made from a group photo, must find and draw the faces on its frames and show the frame rate.
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Box, type FaceResult, createEstimator } from '../src/index.js';

const ROOT = resolve('.');
const GROUP = 'test/fixtures/images/yunet-group-1.jpg';
/**
 * Same wasm, but Chromium decodes with its own decoder (pixels within a level or two of
 * @jsquash's), so ages may move a little.
 */
const AGE_TOLERANCE_DECODERS = 1;
const CHROMIUM = (() => {
  try {
    return execSync('command -v chromium', { encoding: 'utf8', shell: '/bin/sh' }).trim();
  } catch {
    return '';
  }
})();
/** Flags that keep Chromium off the (closed) network and away from the GPU. */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ssrq': 'application/octet-stream',
  '.yunf': 'application/octet-stream',
};

/** A static file server for the repository, on a free localhost port. */
function serveRepo(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(ROOT, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(ROOT + '/')) return void res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

describe.skipIf(!CHROMIUM)(`browser example in headless Chromium${CHROMIUM ? '' : ' (SKIPPED: chromium is not installed; apt-get install chromium)'}`, () => {
  let server: Server;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    server = await serveRepo();
    profile = mkdtempSync(join(tmpdir(), 'ssrnet-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Opens `path` on the test server and waits for the page's data-faces (or data-error). */
  async function open(path: string, flags: BrowserContext = context): Promise<{ page: Page; errors: string[] }> {
    const { port } = server.address() as AddressInfo;
    const page = await flags.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/${path}`);
    return { page, errors };
  }

  async function facesOf(page: Page): Promise<FaceResult[]> {
    await page.waitForFunction(() => document.body.dataset.faces ?? document.body.dataset.error, undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
    return JSON.parse((await page.evaluate(() => document.body.dataset.faces)) as string);
  }

  /** Browser faces match Node's (the browser decodes with its own decoder: pixels may differ by a level). */
  function expectSameFaces(browser: FaceResult[], node: FaceResult[]): void {
    expect(browser).toHaveLength(node.length);
    for (const face of node) {
      const match = browser.find((b) => iou(b.box, face.box) > 0.9);
      expect(match, `face at ${face.box.x.toFixed(0)},${face.box.y.toFixed(0)}`).toBeDefined();
      expect(Math.abs(match!.age - face.age)).toBeLessThan(AGE_TOLERANCE_DECODERS);
    }
  }

  it('finds the example photo\'s face and its age as Node does, with no box given', async () => {
    const { page, errors } = await open('examples/browser/');
    const faces = await facesOf(page);
    expect(errors).toEqual([]);
    const node = await (await createEstimator()).estimate(readFileSync('examples/astronaut.png'));
    expect(node).toHaveLength(1);
    expectSameFaces(faces, node);
    expect(await page.textContent('#result')).toMatch(new RegExp(`^1 face, ages ${faces[0].age.toFixed(1)} \\(\\d+ ms, simd engine\\)$`));
  });

  it('a group photo chosen in the page: every face drawn with its age', async () => {
    const { page, errors } = await open('examples/browser/');
    await facesOf(page);
    await page.setInputFiles('#file', GROUP);
    await page.waitForFunction(() => document.body.dataset.faces?.includes('"x":') && !document.body.dataset.faces.includes('"x":175'), undefined, { timeout: 60_000 });
    const faces = await facesOf(page);
    expect(errors).toEqual([]);
    const node = await (await createEstimator()).estimate(readFileSync(GROUP));
    expect(node.length).toBeGreaterThanOrEqual(4);
    expectSameFaces(faces, node);
    // Drawn: each box's left edge is yellow on the canvas.
    for (const face of faces) expect(await yellowAt(page, '#photo', face.box.x, face.box.y + face.box.height / 2)).toBe(true);
  });

  it('without OffscreenCanvas the bundle decodes with @jsquash, its .wasm found next to it: the very pixels Node decodes', async () => {
    const { page, errors } = await open('examples/browser/');
    await facesOf(page);
    // A string, so vitest does not rewrite the page's dynamic import.
    const decoded = (await page.evaluate(`(async () => {
      Reflect.deleteProperty(globalThis, 'OffscreenCanvas');
      const { createDecoder } = await import('/dist/browser/ssrnet.js');
      const out = [];
      for (const file of ['/${GROUP}', '/examples/astronaut.png']) {
        const image = await createDecoder()(new Uint8Array(await (await fetch(file)).arrayBuffer()));
        let sum = 0;
        for (let i = 0; i < image.data.length; i++) sum = (sum * 31 + image.data[i]) >>> 0;
        out.push([image.width, image.height, sum]);
      }
      return out;
    })()`)) as number[][];
    expect(errors).toEqual([]);
    const { decodeImage } = await import('../src/decode.js');
    for (const [i, file] of [GROUP, 'examples/astronaut.png'].entries()) {
      const node = await decodeImage(new Uint8Array(readFileSync(file)));
      let sum = 0;
      for (let j = 0; j < node.data.length; j++) sum = (sum * 31 + node.data[j]) >>> 0;
      expect(decoded[i], file).toEqual([node.width, node.height, sum]);
    }
  });

  it('WebP (lossless, lossy with alpha) decodes by the browser and, without OffscreenCanvas, by @jsquash/webp found next to the bundle: the pixels Node decodes', async () => {
    const sharp = (await import('sharp')).default;
    const rgba = await sharp(readFileSync('examples/astronaut.png')).resize(333, 217, { fit: 'fill' }).ensureAlpha().raw().toBuffer();
    for (let i = 3; i < rgba.length; i += 4) rgba[i] = 128 + ((i >> 2) % 128);
    const raw = { raw: { width: 333, height: 217, channels: 4 } } as const;
    const files = [
      await sharp(rgba, raw).webp({ lossless: true, exact: true }).toBuffer(),
      await sharp(rgba, raw).webp({ quality: 85, exact: true }).toBuffer(),
    ].map((b) => b.toString('base64'));
    const { page, errors } = await open('examples/browser/');
    await facesOf(page);
    // A string, so vitest does not rewrite the page's dynamic import.
    const decoded = (await page.evaluate(`(async () => {
      const { createDecoder } = await import('/dist/browser/ssrnet.js');
      const files = ${JSON.stringify(files)}.map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
      const decodeAll = async () => Promise.all(files.map(async (f) => { const i = await createDecoder()(f); return [i.width, i.height, Array.from(i.data)]; }));
      const browser = await decodeAll();
      Reflect.deleteProperty(globalThis, 'OffscreenCanvas');
      return [browser, await decodeAll()];
    })()`)) as [number, number, number[]][][];
    expect(errors).toEqual([]);
    const { decodeImage } = await import('../src/decode.js');
    for (const [i, name] of ['lossless', 'lossy'].entries()) {
      const node = await decodeImage(new Uint8Array(Buffer.from(files[i], 'base64')));
      const [browser, jsquash] = [decoded[0][i], decoded[1][i]];
      expect(jsquash, `${name}, @jsquash/webp in the browser`).toEqual([node.width, node.height, Array.from(node.data)]);
      expect(browser.slice(0, 2), `${name}, the browser's decoder`).toEqual([333, 217]);
      const diff = browser[2].reduce((max, v, j) => Math.max(max, Math.abs(v - node.data[j])), 0);
      // The 2D canvas stores premultiplied alpha: at alpha 128..255 a channel may round by a level.
      expect(diff, `${name}, the browser's decoder`).toBeLessThanOrEqual(name === 'lossless' ? 1 : 2);
    }
  });

  it('camera.html: faces found and drawn on every frame of a fake camera fed from a group photo, frame rate shown', async () => {
    const video = join(profile, 'group.y4m');
    writeFileSync(video, await y4mOf(GROUP, 640, 428));
    const cameraProfile = mkdtempSync(join(tmpdir(), 'ssrnet-chromium-camera-'));
    const camera = await chromium.launchPersistentContext(cameraProfile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const { page, errors } = await open('examples/browser/camera.html', camera);
      await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 5 || document.body.dataset.error, undefined, { timeout: 60_000 });
      const faces = await facesOf(page);
      expect(errors).toEqual([]);
      const node = await (await createEstimator()).estimate(readFileSync(GROUP));
      // The camera path (YUV 4:2:0 and back) changes pixels more than a decoder: most faces, same places.
      const found = node.filter((n) => faces.some((f) => iou(f.box, { x: n.box.x, y: n.box.y * (428 / 427), width: n.box.width, height: n.box.height * (428 / 427) }) > 0.6));
      expect(found.length).toBeGreaterThanOrEqual(node.length - 1);
      for (const face of faces) expect(await yellowAt(page, '#overlay', face.box.x, face.box.y + face.box.height / 2)).toBe(true);
      const fps = await page.textContent('#fps');
      expect(fps).toMatch(/^\d+\.\d fps$/);
      console.info(`camera.html: ${faces.length} faces on the fake camera's frames (Node: ${node.length} on the photo), ${fps}`);
    } finally {
      await camera.close();
      rmSync(cameraProfile, { recursive: true, force: true });
    }
  });
});

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
}

/** Whether the canvas has a yellow pixel (a box outline) within 3 px of (x, y). */
async function yellowAt(page: Page, selector: string, x: number, y: number): Promise<boolean> {
  return page.evaluate(
    ([selector, x, y]) => {
      const canvas = document.querySelector(selector as string) as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(Math.round(x as number) - 3, Math.round(y as number) - 3, 7, 7);
      for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] > 200 && data[i + 2] < 80 && data[i + 3] > 200) return true;
      return false;
    },
    [selector, x, y] as const,
  );
}

/**
 * A one-frame Y4M video (Chromium's fake camera file format; it loops the frames) of an image
 * resized to `width` x `height` (even), in BT.601 limited-range YUV 4:2:0.
 */
async function y4mOf(path: string, width: number, height: number): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  const rgb = await sharp(readFileSync(path)).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const yPlane = new Uint8Array(width * height);
  const uPlane = new Uint8Array((width / 2) * (height / 2));
  const vPlane = new Uint8Array((width / 2) * (height / 2));
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]];
    yPlane[i] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let [r, g, b] = [0, 0, 0];
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const i = ((y + dy) * width + x + dx) * 3;
        r += rgb[i] / 4;
        g += rgb[i + 1] / 4;
        b += rgb[i + 2] / 4;
      }
      const o = (y / 2) * (width / 2) + x / 2;
      uPlane[o] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      vPlane[o] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  const header = new TextEncoder().encode(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`);
  return new Uint8Array([...header, ...yPlane, ...uPlane, ...vPlane]);
}
