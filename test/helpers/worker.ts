/**
 * The Cloudflare Worker example (examples/worker) bundled the way wrangler bundles it
 * (workerd/worker/browser conditions, ESM, .wasm → CompiledWasm module, .ssrq → Data module per
 * wrangler.toml) and started on miniflare's workerd. Shared by test/worker.test.ts and
 * test/worker-fuzz.test.ts.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';

const ENTRY = 'examples/worker/src/index.ts';

export type WorkerModule = { type: 'ESModule' | 'CompiledWasm' | 'Data'; path: string; contents: Uint8Array<ArrayBuffer> };

/** Bundles the worker; imports of .wasm/.ssrq become separate modules, as wrangler's rules make them. */
export async function bundleWorker(): Promise<WorkerModule[]> {
  const modules: WorkerModule[] = [];
  const result = await esbuild.build({
    entryPoints: [ENTRY],
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
          build.onResolve({ filter: /\.(wasm|ssrq)$/ }, async (args) => {
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
