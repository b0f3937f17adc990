import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken } from '../../functions/core/crypto/access-tokens.ts';
import {
  createKeyMaterial,
  pruneKeyMaterial,
  retirementGraceSeconds,
  rotateKeyMaterial,
  toSigningKeys,
} from '../../functions/core/crypto/signing-keys.ts';
import { ensureKeyFile } from '../../local/keys.ts';

const ttl = 900;
const start = new Date('2026-11-23T10:00:00.000Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const options = { issuer: 'https://auth.example.com', audience: 'serverless-auth' };
const subject = { userId: 'u1', sessionId: 's1', role: 'AGENT' as const, tenantId: 't1' };

async function tokenSignedBy(material: ReturnType<typeof createKeyMaterial>, when: Date) {
  return signAccessToken(toSigningKeys(material), subject, { ...options, now: when, expiresAt: new Date(when.getTime() + ttl * 1000) });
}

describe('rotateKeyMaterial', () => {
  it('puts a new key in front to sign, keeps the old one to verify, and keeps the refresh secret', () => {
    const before = createKeyMaterial(start);
    const after = rotateKeyMaterial(before, at(60), ttl);
    expect(after.keys).toHaveLength(2);
    expect(after.keys[0]?.kid).not.toBe(before.keys[0]?.kid);
    expect(after.keys[0]?.retiredAt).toBeUndefined();
    expect(after.keys[1]).toEqual({ ...before.keys[0], retiredAt: at(60).toISOString() });
    expect(after.refreshSecret).toBe(before.refreshSecret);
    expect(toSigningKeys(after).current.kid).toBe(after.keys[0]?.kid);
  });

  it('still verifies a token signed before the rotation, and signs new ones with the new key', async () => {
    const before = createKeyMaterial(start);
    const old = await tokenSignedBy(before, at(0));
    const after = rotateKeyMaterial(before, at(60), ttl);
    const keys = toSigningKeys(after);
    expect(await verifyAccessToken(keys, old, { ...options, now: at(120) })).toMatchObject({ userId: 'u1' });
    const fresh = await tokenSignedBy(after, at(120));
    expect(JSON.parse(Buffer.from(fresh.split('.')[0] as string, 'base64url').toString()).kid).toBe(after.keys[0]?.kid);
    expect(await verifyAccessToken(keys, fresh, { ...options, now: at(120) })).toMatchObject({ userId: 'u1' });
  });

  it('drops a retired key once every token it signed has expired, and no earlier', async () => {
    const before = createKeyMaterial(start);
    const old = await tokenSignedBy(before, at(0));
    const rotated = rotateKeyMaterial(before, at(60), ttl);
    const grace = retirementGraceSeconds(ttl);
    expect(grace).toBeGreaterThan(ttl + 5);
    expect(pruneKeyMaterial(rotated, at(60 + grace - 1), ttl).keys).toHaveLength(2);
    const pruned = pruneKeyMaterial(rotated, at(60 + grace + 1), ttl);
    expect(pruned.keys.map((k) => k.kid)).toEqual([rotated.keys[0]?.kid]);
    // A token of the dropped key no longer verifies, whatever the clock says.
    expect(await verifyAccessToken(toSigningKeys(pruned), old, { ...options, now: at(10) })).toBeNull();
    // Rotating twice within the grace keeps both earlier keys.
    const twice = rotateKeyMaterial(rotated, at(120), ttl);
    expect(twice.keys).toHaveLength(3);
  });

  it('never exposes a private member in the JWKS', () => {
    const material = rotateKeyMaterial(rotateKeyMaterial(createKeyMaterial(start), at(60), ttl), at(120), ttl);
    const jwks = toSigningKeys(material).jwks;
    expect(jwks.keys).toHaveLength(3);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
    expect(JSON.stringify(jwks)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });
});

describe('npm run keys:rotate', () => {
  it('rotates the key file and says when a running dev server signs with the new key, as the README does', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'serverless-auth-keys-'));
    try {
      const file = join(dataDir, 'signing-keys.json');
      await ensureKeyFile(file);
      const before = JSON.parse(await readFile(file, 'utf8'));

      const { stdout } = await promisify(execFile)(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bin/rotate-keys.ts'], {
        env: { ...process.env, LOCAL_DATA_DIR: dataDir },
      });

      const after = JSON.parse(await readFile(file, 'utf8'));
      expect(after.keys.map((key: { kid: string }) => key.kid)).toEqual([expect.any(String), before.keys[0].kid]);
      expect(stdout).toBe(
        `Rotated: key ${after.keys[0].kid} is the new signing key; 2 key(s) in the JWKS.\n` +
          'A running npm run dev signs with it within 5 minutes (restart it to switch at once); ' +
          'tokens signed with the old key stay valid, since it stays in the JWKS.\n',
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
