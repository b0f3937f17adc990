/** The local signing key set: a file under `.local/`, made on first start, readable by its owner only. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createKeyMaterial, parseKeyMaterial } from '../functions/core/crypto/signing-keys.ts';

export async function ensureKeyFile(path: string, now: Date = new Date()): Promise<void> {
  try {
    parseKeyMaterial(await readFile(path, 'utf8'));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(createKeyMaterial(now)), { mode: 0o600, flag: 'wx' });
}
