/**
 * Builds the `ssrnet` executable as shipped (`npm run build:cli`), in the form that starts fastest
 * on Node (bench/cold-start.bench.ts):
 *
 *   dist/bin/ssrnet.js          the bin: enables Node's compile cache (Node ≥ 22.1), then requires cli.js
 *   dist/bin/cli.js             src/cli.ts and the library in one CommonJS file, @jsquash's codec
 *                               glue included (evaluated only when an image of its format arrives)
 *   dist/bin/parallel-worker.js the `--jobs` worker: imports parallel-worker.mjs, its ES module
 *                               bundle (the worker awaits at top level, which CommonJS cannot)
 *   dist/bin/package.json       { "type": "commonjs" } for the .js files here
 *
 * Why CommonJS: Node 20 loads an ES module graph through its asynchronous loader (fs/promises
 * reads, resolution, ~20 more of its own modules); a CommonJS file is read and compiled
 * synchronously. Measured side by side on a one-shot `ssrnet estimate photo.jpg`: about 8-14 ms
 * less than the same code as split ES modules. Packages that are large or optional stay outside
 * (jimp, sharp, cli-progress) and are required only when used. `import.meta.url` (used to find the
 * package's files and the worker) becomes this file's URL.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const OUT = 'dist/bin';
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true, minifySyntax: true, legalComments: 'none' };

rmSync(OUT, { recursive: true, force: true });
// The entry requires cli.js (a dynamic import would start Node's ES module loader for it).
await build({ ...common, entryPoints: { ssrnet: 'src/bin.ts' }, outdir: OUT, external: ['./cli.js'], supported: { 'dynamic-import': false } });
const external = ['jimp', 'sharp', 'cli-progress'];
await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: OUT,
  external,
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({ ...common, format: 'esm', entryPoints: ['src/parallel-worker.ts'], outfile: `${OUT}/parallel-worker.mjs`, external });
// src/parallel.ts starts the worker from ./parallel-worker.js; a failed import is the worker's error.
writeFileSync(`${OUT}/parallel-worker.js`, "import('./parallel-worker.mjs');\n");
writeFileSync(`${OUT}/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
