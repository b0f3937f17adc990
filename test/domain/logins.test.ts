/**
 * A login's write on its user (records/user-logins.ts): it names the session
 * being opened, so that a change ending the user's sessions also ends one
 * whose item has not landed yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLogin } from '../../functions/core/flows/login.ts';
import { hashPassword } from '../../functions/core/crypto/passwords.ts';
import { userKey } from '../../functions/core/records/keys.ts';
import { getSession, newSession, putSession, revokeAllSessions } from '../../functions/core/records/sessions.ts';
import { createUser, getUser, type UserRecord } from '../../functions/core/records/users.ts';
import { startDomain, type DomainFixture } from '../fixtures/domain.ts';

const PASSWORD = 'Opening passphrase 2026';
const origin = { ip: '203.0.113.9', userAgent: 'vitest', requestId: null };
let fx: DomainFixture;
let hash: string;
let counter = 0;

beforeAll(async () => {
  fx = await startDomain('2026-11-23T09:00:00.000Z');
  hash = await hashPassword(PASSWORD);
});
afterAll(() => fx.close());

async function newUser(): Promise<UserRecord> {
  const email = `opening-${++counter}@example.com`;
  const result = await createUser(fx.deps, {
    tenantId: 'acme',
    role: 'CASHIER',
    email,
    username: null,
    passwordHash: hash,
    createdBy: null,
  });
  if (result.kind !== 'created') throw new Error('user not created');
  return result.user;
}

const logIn = async (user: UserRecord) => {
  const outcome = await attemptLogin(fx.deps, { kind: 'email', value: user.email }, PASSWORD, origin);
  if (outcome.kind !== 'ok') throw new Error(`login refused: ${outcome.kind}`);
  return outcome.session.sessionId;
};

describe('a login’s write on its user', () => {
  it('names the session it opens, and never shows the names', async () => {
    const user = await newUser();

    const sessionId = await logIn(user);

    expect(Object.keys((await getUser(fx.deps, user.id))?.openingSessions ?? {})).toEqual([sessionId]);
    expect((await getSession(fx.deps, user.id, sessionId))?.user).not.toHaveProperty('openingSessions');
  });

  it('starts the names on a user stored before them', async () => {
    const user = await newUser();
    await fx.deps.db.update({ TableName: fx.deps.tables.users, Key: userKey(user.id), UpdateExpression: 'REMOVE openingSessions' });

    const sessionId = await logIn(user);

    expect(Object.keys((await getUser(fx.deps, user.id))?.openingSessions ?? {})).toEqual([sessionId]);
  });

  it('drops the names older than 15 minutes and keeps the others', async () => {
    const user = await newUser();
    const old = await logIn(user);
    fx.clock.advance(10 * 60);
    const recent = await logIn(user);
    fx.clock.advance(6 * 60);

    const latest = await logIn(user);

    expect(Object.keys((await getUser(fx.deps, user.id))?.openingSessions ?? {}).sort()).toEqual([recent, latest].sort());
    expect(old).not.toBe(recent);
  });
});

describe('revokeAllSessions with the sessions logins are opening', () => {
  it('ends a session whose item has not landed: its put then fails, and nothing of it is live', async () => {
    const user = await newUser();
    const { session } = await newSession(fx.deps, user, origin);

    await revokeAllSessions(fx.deps, user.id, undefined, [session.sessionId]);

    expect(await putSession(fx.deps, session)).toBe(false);
    expect(await getSession(fx.deps, user.id, session.sessionId)).toMatchObject({ revoked: true });
  });

  it('leaves the kept session alone', async () => {
    const user = await newUser();
    const { session } = await newSession(fx.deps, user, origin);

    await revokeAllSessions(fx.deps, user.id, session.sessionId, [session.sessionId]);

    expect(await putSession(fx.deps, session)).toBe(true);
    expect(await getSession(fx.deps, user.id, session.sessionId)).toMatchObject({ revoked: false });
  });
});
