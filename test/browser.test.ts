// The browser example (examples/browser/index.html + the ESM build dist/browser/ssrnet.js) in
// Debian's headless Chromium, served from a localhost HTTP server started here: the page must
// show the age Node computes for the example photo.
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';

const ROOT = resolve('.');
const BOX = { x: 175, y: 70, width: 90, height: 90 };
/** Same wasm, same decoder, same pixels: the ages must be equal. */
const AGE_TOLERANCE = 1e-6;
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
  '.ssrq': 'application/octet-stream',
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

  it('shows the age Node computes for the example photo', async () => {
    const { port } = server.address() as AddressInfo;
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/examples/browser/`);
    await page.waitForFunction(() => document.body.dataset.faces ?? document.body.dataset.error, undefined, { timeout: 60_000 });
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
    const faces = JSON.parse((await page.evaluate(() => document.body.dataset.faces)) as string);
    const text = await page.textContent('#result');

    const [node] = await (await createEstimator()).estimate(readFileSync('examples/astronaut.png'), { box: BOX });
    expect(faces).toHaveLength(1);
    expect(faces[0].box).toEqual(BOX);
    expect(Math.abs(faces[0].age - node.age)).toBeLessThanOrEqual(AGE_TOLERANCE);
    expect(text).toBe(`Age ${node.age.toFixed(1)} (simd engine)`);
  });
});
