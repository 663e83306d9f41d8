/**
 * The Cloudflare Worker example (examples/worker) bundled the way wrangler bundles it
 * (workerd/worker/browser conditions, ESM, .wasm → CompiledWasm module, .ssrq/.yunf → Data module per
 * wrangler.toml) and started on miniflare's workerd. Shared by test/worker.test.ts and
 * test/worker-fuzz.test.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';

const ENTRY = 'examples/worker/src/index.ts';

export type WorkerModule = { type: 'ESModule' | 'CompiledWasm' | 'Data'; path: string; contents: Uint8Array<ArrayBuffer> };

/**
 * Bundles the worker; imports of .wasm/.ssrq/.yunf become separate modules, as wrangler's rules
 * make them. `source`: another worker's code instead, resolved from the example's folder.
 */
export async function bundleWorker(source?: string): Promise<WorkerModule[]> {
  const modules: WorkerModule[] = [];
  const result = await esbuild.build({
    ...(source === undefined ? { entryPoints: [ENTRY] } : { stdin: { contents: source, resolveDir: resolve(dirname(ENTRY)), loader: 'ts' as const } }),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'module-rules',
        setup(build) {
          build.onResolve({ filter: /\.(wasm|ssrq|yunf)$/ }, async (args) => {
            if (args.pluginData === 'resolving') return undefined;
            const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
            const name = basename(resolved.path);
            const type = name.endsWith('.wasm') ? 'CompiledWasm' : 'Data';
            modules.push({ type, path: `/worker/${name}`, contents: new Uint8Array(readFileSync(resolved.path)) });
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  return [{ type: 'ESModule', path: '/worker/index.js', contents: new Uint8Array(result.outputFiles[0].contents) }, ...modules];
}

/** Starts the bundled worker on workerd; dispose() it when done. */
export async function startWorker(modules: WorkerModule[]): Promise<Miniflare> {
  const mf = new Miniflare({ modules, modulesRoot: '/worker', compatibilityDate: '2025-07-01' });
  await mf.ready;
  return mf;
}

/**
 * Resident memory of the workerd processes this test process started, in MB: current and peak
 * (Linux /proc VmRSS and VmHWM); undefined where /proc is absent.
 */
export function workerdMemory(): { rss: number; peak: number } | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  let rss = 0;
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (status.match(/^PPid:\s+(\d+)/m)?.[1] !== String(process.pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')) continue;
      rss += Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) / 1024;
      peak += Number(status.match(/^VmHWM:\s+(\d+)/m)?.[1] ?? 0) / 1024;
    } catch {
      // the process ended while we looked
    }
  }
  return { rss, peak };
}
