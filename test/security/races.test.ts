/**
 * Races: every contested write, each asserting the one correct outcome.
 * Where the natural race rarely lands on the dangerous interleaving, the
 * test forces it by holding one DynamoDB call of one request until the other
 * request has finished (test/fixtures/db-faults.ts).
 *
 * Covered elsewhere, not repeated here: concurrent creates of one email and
 * of one username (test/e2e/users.test.ts, "gives five concurrent creates of
 * one email…", "gives three concurrent creates of one username…"), two resets
 * with one code (test/e2e/passwords-reset.test.ts, "lets exactly one of two
 * concurrent resets…"), API-token uses racing a rotation and a deletion
 * (test/e2e/api-tokens.test.ts), a refresh racing a session's revocation
 * (test/e2e/sessions-api.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey, failedLoginsKey, resetCodeKey, sessionKey, usernameKey } from '../../functions/core/records/keys.ts';
import { hashToken } from '../../functions/core/crypto/refresh-tokens.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { watchDb, type DbCall } from '../fixtures/db-faults.ts';
import { bearer, decodeAccessToken, expectError } from '../fixtures/e2e.ts';
import { call, demoPassword, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PASSWORD = 'Racing passphrase 2026';
const OTHER_PASSWORD = 'Another racing phrase 77';
const THRESHOLD = 3;

// One local server for the file: the handlers read process.env.
let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({
    env: { LOCKOUT_THRESHOLD: String(THRESHOLD), RESET_IP_LIMIT: '100000', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  await mailbox(local).clear();
});
afterAll(() => local.close());

let accounts = 0;
async function freshAccount(role: 'CASHIER' | 'MANAGER' = 'CASHIER', password = PASSWORD) {
  const email = `racer-${++accounts}@example.com`;
  const id = await addAccount({ email, password, role });
  return { email, id };
}

const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
const refresh = (token: string) => call(local.url, '/auth/refresh', { body: { refresh_token: token } });
const me = (accessToken: string) => call(local.url, '/auth/me', { headers: bearer(accessToken) });
const sidOf = (accessToken: string) => decodeAccessToken(accessToken).claims.sid;
const eventsOf = async (userId: string, type: string) =>
  (await scanTable(local, 'AUDIT_TABLE')).filter((event) => event.user_id === userId && event.type === type);

/** Asserts that neither token of a login or refresh answer works any more. */
async function expectDead(tokens: { access_token: string; refresh_token: string }) {
  expectError(await me(tokens.access_token), 401, 'unauthorized');
  expectError(await refresh(tokens.refresh_token), 401, 'invalid_grant');
}

/** Runs `first` until the call `hold` picks is reached, runs `second` to its end, then lets `first` finish. */
async function interleave<A, B>(hold: (call: DbCall) => boolean, first: () => Promise<A>, second: () => Promise<B>) {
  const watch = watchDb({ hold });
  try {
    const firstDone = first();
    await watch.held;
    const secondAnswer = await second();
    watch.release();
    return { first: await firstDone, second: secondAnswer };
  } finally {
    watch.remove();
  }
}

describe('concurrent refreshes of one token', () => {
  it('gives all 20 a 200 with one successor, and moves the session exactly one generation on', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    // Act
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(session.refresh_token)));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const successors = new Set(answers.map((answer) => answer.body.refresh_token as string));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    expect(successor).not.toBe(session.refresh_token);
    const stored = await readItem(local, 'SESSIONS_TABLE', sessionKey(id, sidOf(session.access_token)));
    expect(stored).toMatchObject({ generation: 1, tokenHash: hashToken(successor), revoked: false });
    for (const answer of answers) expect((await me(answer.body.access_token)).status).toBe(200);
    // Every 200 is a refresh the caller got, and each is audited once.
    expect(await eventsOf(id, 'refresh.succeeded')).toHaveLength(20);
    expect((await refresh(successor)).status).toBe(200);
  });
});

describe('concurrent logins past the lockout threshold', () => {
  it(`checks at most ${THRESHOLD} of 10 wrong passwords sent at once with the right one, locks once, and audits lockout.locked once (threshold ${THRESHOLD})`, async () => {
    // Prepare
    const { email, id } = await freshAccount();

    // Act
    const [right, ...wrong] = await Promise.all([
      attempt(email, PASSWORD),
      ...Array.from({ length: 10 }, (_, i) => attempt(email, `wrong-${i}`)),
    ]);

    // Assess
    for (const answer of wrong) expect([401, 429]).toContain(answer.status);
    const unauthorized = wrong.filter((answer) => answer.status === 401).length;
    // The right password was judged with a place in the budget or refused unchecked, never let in past the lock.
    expect([200, 429]).toContain(right?.status);
    // Refused, it took no place: exactly the budget was checked. Let in, it reset the places up to its
    // own, so the wrong ones before it and a full budget after it may have been checked.
    if (right?.status === 429) expect(unauthorized).toBe(THRESHOLD);
    else expect(unauthorized).toBeLessThanOrEqual(2 * THRESHOLD - 1);
    const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: id }));
    expect(counter?.lockedUntil).toEqual(expect.any(Number));
    expect(await eventsOf(id, 'lockout.locked')).toHaveLength(1);
    expect(await eventsOf(id, 'login.failed')).toHaveLength(10);
    expectError(await attempt(email, PASSWORD), 429, 'account_locked');
  });

  it('keeps the place and the lock that a wrong password took while a right one, which held an earlier place, was resetting the count', async () => {
    // Prepare: one failure on record, so the right password's success has a count to reset.
    const { email, id } = await freshAccount();
    expect((await attempt(email, 'wrong-before')).status).toBe(401);

    // Act: the right password has read the count and its reset of the count is held,
    // so that it lands after three wrong ones.
    const { first: right, second: wrong } = await interleave(
      (c) => c.command === 'UpdateItem' && c.table === 'lockouts' && c.input.UpdateExpression === 'ADD failures :forget',
      () => attempt(email, PASSWORD),
      async () => {
        const answers: Answer[] = [];
        for (let i = 0; i < THRESHOLD; i++) answers.push(await attempt(email, `wrong-${i}`));
        return answers;
      },
    );

    // Assess: the right password held the second place, so the first wrong one took the last
    // place and locked the account; the success forgets its own place and the one before it,
    // never the wrong one's place or its lock.
    expect(right.status).toBe(200);
    expect(wrong.map((answer) => answer.status)).toEqual([401, 429, 429]);
    const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: id }));
    expect(counter?.failures).toBe(THRESHOLD - 2);
    expect(counter?.lockedUntil).toEqual(expect.any(Number));
    expectError(await attempt(email, PASSWORD), 429, 'account_locked');
    expect(await eventsOf(id, 'lockout.locked')).toHaveLength(1);
  });
});

describe('concurrent creates of two users', () => {
  it('gives two users with one email and different usernames one 201 and one 409, and leaves the loser’s username free', async () => {
    // Prepare
    const manager = await login(local.url, 'manager@example.com', demoPassword);
    const email = `shared-${++accounts}@example.com`;
    const usernames = [`till-a-${accounts}`, `till-b-${accounts}`];
    const create = (username: string) =>
      call(local.url, '/users', { headers: bearer(manager.access_token), body: { email, username, role: 'CASHIER', password: PASSWORD } });

    // Act
    const answers = await Promise.all(usernames.map(create));

    // Assess
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const winner = answers.find((answer) => answer.status === 201) as Answer;
    const loser = answers.find((answer) => answer.status === 409) as Answer;
    expectError(loser, 409, 'conflict');
    expect(loser.body.details).toEqual([{ path: 'email', message: 'Already taken' }]);
    const loserUsername = usernames.find((username) => username !== winner.body.username) as string;
    expect((await readItem(local, 'USERS_TABLE', emailKey(email)))?.userId).toBe(winner.body.id);
    expect((await readItem(local, 'USERS_TABLE', usernameKey(winner.body.username)))?.userId).toBe(winner.body.id);
    expect(await readItem(local, 'USERS_TABLE', usernameKey(loserUsername))).toBeUndefined();
    const users = (await scanTable(local, 'USERS_TABLE')).filter((item) => item.email === email);
    expect(users.map((user) => user.id)).toEqual([winner.body.id]);
    const reuse = await call(local.url, '/users', {
      headers: bearer(manager.access_token),
      body: { email: `other-${accounts}@example.com`, username: loserUsername, role: 'CASHIER', password: PASSWORD },
    });
    expect(reuse.status, reuse.text).toBe(201);
  });
});

describe('concurrent reset-code uses', () => {
  const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
  const reset = (email: string, code: string, password: string) =>
    call(local.url, '/auth/password/reset', { body: { email, code, password } });
  const wrongCode = (code: string, i: number) => `${(Number(code[0]) + 1 + (i % 9)) % 10}${code.slice(1)}`;
  async function codeFor(email: string) {
    expect((await forgot(email)).status).toBe(202);
    return codeIn((await mailbox(local).to(email)).at(-1)!);
  }

  it('lets the right code through once among 4 wrong ones at once, each wrong one answered invalid_code', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const code = await codeFor(email);

    // Act
    const [right, ...wrong] = await Promise.all([
      reset(email, code, OTHER_PASSWORD),
      ...Array.from({ length: 4 }, (_, i) => reset(email, wrongCode(code, i), `Wrong racer phrase ${i}`)),
    ]);

    // Assess: four wrong tries cannot kill the code, so the right one wins, once.
    expect(right?.status).toBe(200);
    for (const answer of wrong) expectError(answer, 400, 'invalid_code');
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toBeUndefined();
    expect((await attempt(email, OTHER_PASSWORD)).status).toBe(200);
    expectError(await reset(email, code, 'Yet another phrase 55'), 400, 'invalid_code');
    expect(await eventsOf(id, 'password.reset')).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'success' })]));
    expect((await eventsOf(id, 'password.reset')).filter((event) => event.outcome === 'success')).toHaveLength(1);
  });

  it('lets at most one of the right code and 9 wrong ones at once through, and counts every wrong try while the code lives', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const code = await codeFor(email);

    // Act
    const [right, ...wrong] = await Promise.all([
      reset(email, code, OTHER_PASSWORD),
      ...Array.from({ length: 9 }, (_, i) => reset(email, wrongCode(code, i), `Wrong racer phrase ${i}`)),
    ]);

    // Assess
    for (const answer of wrong) expectError(answer, 400, 'invalid_code');
    const stored = await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id));
    if (right?.status === 200) {
      // Spent: the wrong tries that came after it had nothing left to count against.
      expect(stored).toBeUndefined();
      expect((await attempt(email, OTHER_PASSWORD)).status).toBe(200);
    } else {
      // Five wrong tries landed before the right one's delete: the code died, every try counted.
      expectError(right as Answer, 400, 'invalid_code');
      expect(stored?.tries).toBe(9);
      expect((await attempt(email, PASSWORD)).status).toBe(200);
    }
    expectError(await reset(email, code, 'Yet another phrase 55'), 400, 'invalid_code');
  });

  it('lets the right code that took its try before five wrong ones finish, and compares only four of them', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const code = await codeFor(email);

    // Act: the right code has taken its try and is held before its spending delete while five wrong tries come.
    const { first: right, second: wrong } = await interleave(
      (c) => c.command === 'DeleteItem' && c.table === 'lockouts',
      () => reset(email, code, OTHER_PASSWORD),
      async () => {
        const answers: Answer[] = [];
        for (let i = 0; i < 5; i++) answers.push(await reset(email, wrongCode(code, i), `Wrong racer phrase ${i}`));
        return answers;
      },
    );

    // Assess: the right code held one of the five tries, so four wrong ones were compared and the fifth refused unchecked.
    for (const answer of wrong) expectError(answer, 400, 'invalid_code');
    expect(right.status, right.text).toBe(200);
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toBeUndefined();
    expect((await attempt(email, OTHER_PASSWORD)).status).toBe(200);
  });
});

describe('logout racing refresh', () => {
  it('leaves no working refresh or access token of the session, in 20 rounds', async () => {
    const { email } = await freshAccount();
    for (let round = 0; round < 20; round++) {
      // Prepare
      const session = await login(local.url, email, PASSWORD);

      // Act
      const [out, refreshed] = await Promise.all([
        call(local.url, '/auth/logout', { method: 'POST', headers: bearer(session.access_token) }),
        refresh(session.refresh_token),
      ]);

      // Assess
      expect(out.status).toBe(204);
      expect([200, 401]).toContain(refreshed.status);
      await expectDead(session);
      if (refreshed.status === 200) await expectDead(refreshed.body);
      else expectError(refreshed, 401, 'invalid_grant');
    }
  });

  it('refuses a refresh whose rotation lands after the logout', async () => {
    // Prepare
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    // Act: the refresh has read the live session; the logout happens before its rotating write.
    const { first: refreshed, second: out } = await interleave(
      (c) => c.command === 'UpdateItem' && c.table === 'sessions',
      () => refresh(session.refresh_token),
      () => call(local.url, '/auth/logout', { method: 'POST', headers: bearer(session.access_token) }),
    );

    // Assess
    expect(out.status).toBe(204);
    expectError(refreshed, 401, 'invalid_grant');
    await expectDead(session);
  });
});

describe('password change racing login', () => {
  const change = (accessToken: string, current: string, next: string) =>
    call(local.url, '/auth/password/change', { headers: bearer(accessToken), body: { currentPassword: current, newPassword: next } });

  it('leaves no working session opened with the old password, in 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      // Prepare
      const { email } = await freshAccount();
      const changer = await login(local.url, email, PASSWORD);

      // Act
      const [changed, loggedIn] = await Promise.all([change(changer.access_token, PASSWORD, OTHER_PASSWORD), attempt(email, PASSWORD)]);

      // Assess
      expect(changed.status, changed.text).toBe(200);
      expect([200, 401, 503]).toContain(loggedIn.status);
      if (loggedIn.status === 200) await expectDead(loggedIn.body);
      expect((await me(changer.access_token)).status).toBe(200);
      expectError(await attempt(email, PASSWORD), 401, 'invalid_credentials');
    }
  });

  it('leaves no working session when the login read the old password and writes its session after the change', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const changer = await login(local.url, email, PASSWORD);

    // Act: the login has verified the old password; the change runs to its end before the login's session is written.
    const { first: loggedIn, second: changed } = await interleave(
      (c) => c.command === 'PutItem' && c.table === 'sessions',
      () => attempt(email, PASSWORD),
      () => change(changer.access_token, PASSWORD, OTHER_PASSWORD),
    );

    // Assess
    expect(changed.status, changed.text).toBe(200);
    if (loggedIn.status === 200) await expectDead(loggedIn.body);
    const live = (await scanTable(local, 'SESSIONS_TABLE')).filter((s) => s.userId === id && s.revoked !== true);
    expect(live.map((s) => s.sessionId)).toEqual([sidOf(changer.access_token)]);
  });
});

describe('password change racing a login’s writes, sent in one round trip', () => {
  const change = (accessToken: string, current: string, next: string) =>
    call(local.url, '/auth/password/change', { headers: bearer(accessToken), body: { currentPassword: current, newPassword: next } });
  const liveSessionsOf = async (id: string) =>
    (await scanTable(local, 'SESSIONS_TABLE')).filter((s) => s.userId === id && s.revoked !== true).map((s) => s.sessionId);

  it('ends the session whose user write landed before the change and whose item lands after the change listed the sessions', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const changer = await login(local.url, email, PASSWORD);

    // Act: the login's write on the user (naming its session) lands; its session item is held until the change is done.
    const { first: loggedIn, second: changed } = await interleave(
      (c) => c.command === 'PutItem' && c.table === 'sessions',
      () => attempt(email, PASSWORD),
      () => change(changer.access_token, PASSWORD, OTHER_PASSWORD),
    );

    // Assess: the change took the session's id before its item came, so the item never landed live.
    expect(changed.status, changed.text).toBe(200);
    expectError(loggedIn, 503, 'service_unavailable');
    expect(await liveSessionsOf(id)).toEqual([sidOf(changer.access_token)]);
    expect((await me(changer.access_token)).status).toBe(200);
  });

  it('takes back the session when the change lands before the login’s user write', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const changer = await login(local.url, email, PASSWORD);

    // Act: the login's session item lands; its write on the user is held until the change is done.
    const { first: loggedIn, second: changed } = await interleave(
      (c) => c.command === 'UpdateItem' && c.table === 'users' && String(c.input.UpdateExpression).startsWith('SET lastLoginAt'),
      () => attempt(email, PASSWORD),
      () => change(changer.access_token, PASSWORD, OTHER_PASSWORD),
    );

    // Assess
    expect(changed.status, changed.text).toBe(200);
    expectError(loggedIn, 503, 'service_unavailable');
    expect(await liveSessionsOf(id)).toEqual([sidOf(changer.access_token)]);
  });
});

describe('role change racing refresh', () => {
  async function subject() {
    const manager = await login(local.url, 'manager@example.com', demoPassword);
    const { email, id } = await freshAccount('CASHIER');
    const session = await login(local.url, email, PASSWORD);
    const changeRole = () =>
      call(local.url, `/users/${id}`, { method: 'PATCH', headers: bearer(manager.access_token), body: { role: 'AGENT' } });
    return { email, id, session, changeRole };
  }

  /** A token that works must carry the new role. */
  async function expectNoOldRole(tokens: { access_token: string }) {
    const answer = await me(tokens.access_token);
    if (answer.status === 200) expect(decodeAccessToken(tokens.access_token).claims.role).toBe('AGENT');
    else expectError(answer, 401, 'unauthorized');
  }

  it('leaves no working token that carries the old role, in 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      // Prepare
      const { email, session, changeRole } = await subject();

      // Act
      const [changed, refreshed] = await Promise.all([changeRole(), refresh(session.refresh_token)]);

      // Assess
      expect(changed.status, changed.text).toBe(200);
      expect([200, 401]).toContain(refreshed.status);
      await expectDead(session);
      if (refreshed.status === 200) {
        await expectNoOldRole(refreshed.body);
        expectError(await refresh(refreshed.body.refresh_token), 401, 'invalid_grant');
      }
      const again = await login(local.url, email, PASSWORD);
      expect(decodeAccessToken(again.access_token).claims.role).toBe('AGENT');
    }
  });

  it('refuses a refresh that read the old role and rotates after the change', async () => {
    // Prepare
    const { session, changeRole } = await subject();

    // Act
    const { first: refreshed, second: changed } = await interleave(
      (c) => c.command === 'UpdateItem' && c.table === 'sessions',
      () => refresh(session.refresh_token),
      changeRole,
    );

    // Assess
    expect(changed.status).toBe(200);
    expectError(refreshed, 401, 'invalid_grant');
    await expectDead(session);
  });

  it('leaves no working session with the old role when a login read the user before the change and writes its session after it', async () => {
    // Prepare
    const { email, id, changeRole } = await subject();

    // Act
    const { first: loggedIn, second: changed } = await interleave(
      (c) => c.command === 'PutItem' && c.table === 'sessions',
      () => attempt(email, PASSWORD),
      changeRole,
    );

    // Assess
    expect(changed.status).toBe(200);
    if (loggedIn.status === 200) await expectNoOldRole(loggedIn.body);
    const live = (await scanTable(local, 'SESSIONS_TABLE')).filter((s) => s.userId === id && s.revoked !== true);
    for (const s of live) expect(s.role).toBe('AGENT');
  });
});
