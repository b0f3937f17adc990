/**
 * `npm run keys:rotate`: rotates the local signing key set under `.local/`
 * (LOCAL_DATA_DIR). In AWS the key-manager function does it on its schedule.
 * A running `npm run dev` picks the new key up within five minutes, and at once
 * for a token whose key it has not seen.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSettings } from '../functions/core/infra/config.ts';
import { parseKeyMaterial, RELOAD_AFTER_MS, rotateKeyMaterial } from '../functions/core/crypto/signing-keys.ts';

const file = resolve(process.env.LOCAL_DATA_DIR || '.local', 'signing-keys.json');
const material = rotateKeyMaterial(parseKeyMaterial(await readFile(file, 'utf8')), new Date(), loadSettings().accessTokenTtl);
// Write then rename, so a reader never sees half a file.
await writeFile(`${file}.new`, JSON.stringify(material), { mode: 0o600 });
await rename(`${file}.new`, file);
// A running dev server signs with the key set it has cached until it reloads it, as a Lambda does.
console.log(
  `Rotated: key ${material.keys[0]?.kid} is the new signing key; ${material.keys.length} key(s) in the JWKS.\n` +
    `A running npm run dev signs with it within ${RELOAD_AFTER_MS / 60_000} minutes (restart it to switch at once); ` +
    'tokens signed with the old key stay valid, since it stays in the JWKS.',
);
