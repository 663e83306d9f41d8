#!/usr/bin/env node
/**
 * The `ssrnet` executable as shipped: `npm run build:cli` bundles this file with src/cli.ts into
 * dist/bin/ssrnet.js (one file to read and compile instead of ~20 modules; lazily imported code
 * stays in its own chunks beside it). A one-shot call pays for Node's start, this bundle and the
 * work; see bench/cold-start.bench.ts.
 *
 * On Node ≥ 22.1 the compiled JavaScript is cached on disk between runs (module.enableCompileCache,
 * in os.tmpdir() unless NODE_COMPILE_CACHE says where); it must be enabled before the CLI's code
 * loads, hence the dynamic import. Node 20 has no such cache and simply compiles.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./cli.js');
