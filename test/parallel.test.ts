// `ssrnet estimate --jobs N` (worker threads, src/parallel.ts) prints exactly what --jobs 1 prints,
// failures included, in input order; and mapInOrder, the ordering helper behind it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapInOrder } from '../src/parallel.js';
import { FACE_SIDE, ensureCliBuilt, runCli, writeAstronautFaces } from './helpers/cli-run.js';

describe('mapInOrder', () => {
  it('emits in input order whatever order the tasks finish in, with at most `concurrency` in flight', async () => {
    const delays = [30, 5, 20, 1, 15, 1, 8];
    let inFlight = 0;
    let most = 0;
    const emitted: number[] = [];
    await mapInOrder(delays, 3, async (ms) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return ms * 2;
    }, (result, item) => emitted.push(result, item));
    expect(emitted).toEqual(delays.flatMap((ms) => [ms * 2, ms]));
    expect(most).toBe(3);
  });

  it('with concurrency 1 runs one task at a time; a rejection surfaces at its turn', async () => {
    const log: string[] = [];
    const run = mapInOrder([1, 2, 3], 1, async (n) => {
      log.push(`start ${n}`);
      if (n === 2) throw new Error('two');
      return n;
    }, (n) => log.push(`emit ${n}`));
    await expect(run).rejects.toThrow('two');
    expect(log).toEqual(['start 1', 'emit 1', 'start 2']);
  });
});

describe('ssrnet estimate --jobs', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    ensureCliBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ssrnet-jobs-'));
    files = await writeAstronautFaces(dir, 6);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--jobs 2 and 3 print what --jobs 1 prints, failures included, in input order', async () => {
    // Six different faces, a missing file and a non-image between them; each crop is the face.
    const inputs = [files[0], files[1], 'no-such-file.png', files[2], 'package.json', files[3], files[4], files[5]];
    const box = ['--box', `0,0,${FACE_SIDE},${FACE_SIDE}`];
    for (const format of [['--json'], []]) {
      const [one, two, three] = await Promise.all(['1', '2', '3'].map((jobs) => runCli(['estimate', '--gender', ...box, ...format, '--jobs', jobs, ...inputs])));
      expect(one.status).toBe(1);
      expect(one.stderr).toMatch(/^ssrnet: no-such-file\.png: READ_FAILED: .*\nssrnet: package\.json: UNSUPPORTED_FORMAT: /);
      expect(two).toEqual(one);
      expect(three).toEqual(one);
    }
    const ages = (JSON.parse((await runCli(['estimate', '--json', ...box, '--jobs', '2', ...files])).stdout) as { faces: { age: number }[] }[]).map((r) => r.faces[0].age);
    expect(new Set(ages).size).toBe(files.length); // distinct faces, so a mixed-up order would show
  });

  it('rejects a --jobs that is not a whole number from 1 to 64 (exit 2)', async () => {
    for (const jobs of ['0', '65', '1.5', 'two']) {
      const r = await runCli(['estimate', '--jobs', jobs, files[0]]);
      expect([r.status, r.stderr]).toEqual([2, `ssrnet: bad --jobs '${jobs}' (expected a whole number from 1 to 64)\nRun 'ssrnet --help' for usage.\n`]);
    }
  });
});
