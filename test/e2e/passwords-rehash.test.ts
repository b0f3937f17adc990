/** Stored hashes made with older argon2 parameters are upgraded on the next good login. */
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userKey } from '../../functions/core/records/keys.ts';
import { verifyPassword } from '../../functions/core/crypto/passwords.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount, setUserAttributes } from '../fixtures/accounts.ts';
import { call, startTestServer } from '../fixtures/local.ts';
import { readItem } from '../fixtures/tables.ts';

const PASSWORD = 'Legacy hashed passphrase 1';
const CURRENT = { algorithm: 'argon2id', m: 19456, t: 2, p: 1 };

/** The algorithm and cost parameters of a PHC string such as `$argon2id$v=19$m=19456,p=1,t=2$salt$hash`. */
function parameters(hash: string) {
  const [, algorithm, , costs = ''] = hash.split('$');
  const pairs = Object.fromEntries(
    costs
      .split(',')
      .map((pair) => pair.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  return { algorithm, m: pairs.m, t: pairs.t, p: pairs.p };
}

describe('rehash on login', () => {
  let local: LocalEnvironment;
  beforeAll(async () => {
    local = await startTestServer();
  });
  afterAll(() => local.close());

  const storedHash = async (userId: string) => (await readItem(local, 'USERS_TABLE', userKey(userId)))?.passwordHash as string;
  const attemptLogin = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });

  it('rewrites a hash made with older parameters as m=19456,t=2,p=1 on a good login, and the new hash still verifies', async () => {
    const email = 'legacy-hash@example.com';
    const id = await addAccount({ email, password: 'placeholder passphrase 9' });
    const legacy = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await setUserAttributes(local, id, { passwordHash: legacy });
    expect(parameters(await storedHash(id))).toEqual({ algorithm: 'argon2id', m: 4096, t: 1, p: 1 });

    const answer = await attemptLogin(email, PASSWORD);

    expect(answer.status).toBe(200);
    const upgraded = await storedHash(id);
    expect(parameters(upgraded)).toEqual(CURRENT);
    expect(upgraded).not.toBe(legacy);
    expect(await verifyPassword(upgraded, PASSWORD)).toBe(true);
    expect(await verifyPassword(upgraded, 'Legacy hashed passphrase 2')).toBe(false);
    expect((await attemptLogin(email, PASSWORD)).status).toBe(200);
  });

  it('leaves an old hash alone when the password is wrong', async () => {
    const email = 'legacy-hash-2@example.com';
    const id = await addAccount({ email, password: 'placeholder passphrase 9' });
    const legacy = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await setUserAttributes(local, id, { passwordHash: legacy });

    const answer = await attemptLogin(email, 'Not the passphrase 0');

    expect(answer.status).toBe(401);
    expect(await storedHash(id)).toBe(legacy);
  });

  it('keeps a hash made with the current parameters as it is', async () => {
    const email = 'current-hash@example.com';
    const id = await addAccount({ email, password: PASSWORD });
    const before = await storedHash(id);

    const answer = await attemptLogin(email, PASSWORD);

    expect(answer.status).toBe(200);
    expect(parameters(before)).toEqual(CURRENT);
    expect(await storedHash(id)).toBe(before);
  });
});
