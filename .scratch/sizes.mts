import { readFileSync, readdirSync } from 'node:fs';
import { decodeImage } from '/work/main/src/decode.js';
for (const f of readdirSync('/work/shared/images')) {
  const img = await decodeImage(new Uint8Array(readFileSync('/work/shared/images/' + f)));
  console.log(f, img.width, img.height);
}
