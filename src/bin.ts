#!/usr/bin/env node
/**
 * The `ssrnet` executable as shipped: `npm run build:cli` (tools/build-cli.mjs) bundles src/cli.ts
 * and the library into one CommonJS file beside this one, dist/bin/cli.js (one file read and
 * compiled synchronously instead of an ES module graph through Node's asynchronous loader). A
 * one-shot call pays for Node's start, that file and the work; see bench/cold-start.bench.ts.
 *
 * On Node ≥ 22.1 the compiled JavaScript is cached on disk between runs (module.enableCompileCache,
 * in os.tmpdir() unless NODE_COMPILE_CACHE says where); it must be enabled before the CLI's code
 * loads, hence the import after it. Node 20 has no such cache and simply compiles.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// Not awaited: nothing follows, and the CLI reports its own errors and sets the exit code.
void import('./cli.js');
