import { readFileSync } from 'node:fs';
import { Jimp } from 'jimp';
import { normalizeInput } from './src/input.js';
const files = process.argv.slice(2);
for (const f of files) {
  const b = readFileSync(f);
  let ours: string, theirs: string;
  try { const r = await normalizeInput(b); ours = `ok ${r.width}x${r.height}`; } catch (e: any) { ours = `${e.code}: ${e.message}`; }
  try { const j = await Jimp.fromBuffer(b); theirs = `ok ${j.width}x${j.height}`; } catch (e: any) { theirs = `ERR ${e.message}`; }
  console.log(f.split('/').slice(-2).join('/'), '|', ours, '| jimp:', theirs);
}
