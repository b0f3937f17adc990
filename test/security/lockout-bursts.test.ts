/**
 * The lockout from the attacker's side: bursts of concurrent wrong guesses on
 * every route that checks a password, counted by the argon2 verifications
 * that actually ran. With `LOCKOUT_THRESHOLD = N`, no burst verifies more
 * than N wrong passwords before the lock, the lock is set once, and one
 * `lockout.locked` event is written.
 */
import argon2 from 'argon2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { failedLoginsKey } from '../../functions/core/records/keys.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PASSWORD = 'Burst-proof passphrase 2026';
const THRESHOLD = 5;

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { LOCKOUT_THRESHOLD: String(THRESHOLD), POWERTOOLS_LOG_LEVEL: 'SILENT' } });
});
afterAll(() => local.close());
afterEach(() => vi.restoreAllMocks());

let accounts = 0;
async function freshAccount() {
  const email = `burst-${++accounts}@example.com`;
  const id = await addAccount({ email, password: PASSWORD });
  const { access_token } = await login(local.url, email, PASSWORD);
  return { email, id, accessToken: access_token };
}

const loginGuess = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
const changeGuess = (accessToken: string, currentPassword: string) =>
  call(local.url, '/auth/password/change', {
    headers: bearer(accessToken),
    body: { currentPassword, newPassword: 'A brand new passphrase 99' },
  });
const eventsOf = async (userId: string, type: string) =>
  (await scanTable(local, 'AUDIT_TABLE')).filter((event) => event.user_id === userId && event.type === type);

/** Counts the argon2 verifications that run while `act` does. */
async function countingVerifications<T>(act: () => Promise<T>): Promise<{ result: T; verifications: number }> {
  const verify = vi.spyOn(argon2, 'verify');
  const result = await act();
  const verifications = verify.mock.calls.length;
  verify.mockRestore();
  return { result, verifications };
}

const statuses = (answers: Answer[]) => answers.map((answer) => answer.status).sort();

type Route = 'login' | 'change' | 'mixed';
function burst(route: Route, size: number, account: { email: string; accessToken: string }) {
  return Promise.all(
    Array.from({ length: size }, (_, i) => {
      const useLogin = route === 'login' || (route === 'mixed' && i % 2 === 0);
      return useLogin ? loginGuess(account.email, `wrong-${i}`) : changeGuess(account.accessToken, `wrong-${i}`);
    }),
  );
}

describe('a burst of concurrent wrong passwords', () => {
  for (const route of ['login', 'change', 'mixed'] as const) {
    for (const size of [10, 30, 60]) {
      it(`verifies exactly ${THRESHOLD} of ${size} guesses on ${route}, locks once and audits one lockout.locked`, async () => {
        // Prepare
        const account = await freshAccount();

        // Act
        const { result: answers, verifications } = await countingVerifications(() => burst(route, size, account));

        // Assess: N guesses were checked and refused as wrong; every other one was refused unchecked.
        expect(verifications).toBe(THRESHOLD);
        expect(statuses(answers)).toEqual([...Array(THRESHOLD).fill(401), ...Array(size - THRESHOLD).fill(429)]);
        for (const answer of answers.filter((a) => a.status === 429)) {
          expectError(answer, 429, 'account_locked');
          expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(900);
        }
        const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: account.id }));
        expect(counter).toMatchObject({ failures: THRESHOLD, lockedUntil: expect.any(Number) });
        expect(await eventsOf(account.id, 'lockout.locked')).toHaveLength(1);
        // The lock holds against the right password too, on both routes.
        expectError(await loginGuess(account.email, PASSWORD), 429, 'account_locked');
        expectError(await changeGuess(account.accessToken, PASSWORD), 429, 'account_locked');
      });
    }
  }

  it(`verifies at most one more guess when the account is one failure short of the threshold`, async () => {
    // Prepare: N-1 failures on record.
    const account = await freshAccount();
    for (let i = 0; i < THRESHOLD - 1; i++) expect((await loginGuess(account.email, `before-${i}`)).status).toBe(401);

    // Act
    const { result: answers, verifications } = await countingVerifications(() => burst('mixed', 30, account));

    // Assess
    expect(verifications).toBe(1);
    expect(statuses(answers)).toEqual([401, ...Array(29).fill(429)]);
    expect(await eventsOf(account.id, 'lockout.locked')).toHaveLength(1);
  });

  it('verifies an unknown identifier’s guesses the same way, so a burst tells it from an account by nothing', async () => {
    // Act
    const { result: answers, verifications } = await countingVerifications(() =>
      Promise.all(Array.from({ length: 30 }, (_, i) => loginGuess('nobody-bursts@example.com', `wrong-${i}`))),
    );

    // Assess
    expect(verifications).toBe(THRESHOLD);
    expect(statuses(answers)).toEqual([...Array(THRESHOLD).fill(401), ...Array(30 - THRESHOLD).fill(429)]);
  });
});

describe('a right password within the budget', () => {
  it('still succeeds after N-1 failures and clears the places it reserved', async () => {
    // Prepare
    const account = await freshAccount();
    for (let i = 0; i < THRESHOLD - 1; i++) expect((await loginGuess(account.email, `before-${i}`)).status).toBe(401);

    // Act
    const answer = await loginGuess(account.email, PASSWORD);

    // Assess
    expect(answer.status).toBe(200);
    const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: account.id }));
    expect(counter?.failures).toBe(0);
    expect(counter?.lockedUntil).toBeUndefined();
    // A whole budget is free again: N more wrong guesses before the lock.
    const { result: next } = await countingVerifications(() => burst('login', 10, account));
    expect(statuses(next)).toEqual([...Array(THRESHOLD).fill(401), ...Array(10 - THRESHOLD).fill(429)]);
  });

  it('on password change, clears what it reserved even when the new password is refused as weak', async () => {
    // Prepare
    const account = await freshAccount();
    expect((await changeGuess(account.accessToken, 'wrong-once')).status).toBe(401);

    // Act
    const weak = await call(local.url, '/auth/password/change', {
      headers: bearer(account.accessToken),
      body: { currentPassword: PASSWORD, newPassword: 'password' },
    });

    // Assess
    expectError(weak, 400, 'weak_password');
    const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: account.id }));
    expect(counter?.failures).toBe(0);
  });
});

describe('password change and the per-IP limit', () => {
  let limited: LocalEnvironment;
  beforeAll(async () => {
    limited = await startTestServer({ env: { LOGIN_RATE_LIMIT: '3', POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  });
  afterAll(() => limited.close());

  it('counts change attempts with logins from the same address: the fourth in a minute is 429 and verifies nothing', async () => {
    // Prepare: one login (1 of 3) for a token, in the first seconds of a minute so the window cannot roll over.
    vi.useFakeTimers({ now: new Date('2026-12-04T10:00:01.000Z'), toFake: ['Date'] });
    try {
      const email = `limited-${++accounts}@example.com`;
      await addAccount({ email, password: PASSWORD });
      const { access_token } = await login(limited.url, email, PASSWORD);
      const change = (currentPassword: string) =>
        call(limited.url, '/auth/password/change', {
          headers: bearer(access_token),
          body: { currentPassword, newPassword: 'Another new phrase 2026' },
        });

      // Act
      const { result: answers, verifications } = await countingVerifications(async () => [
        await change('wrong-1'),
        await change('wrong-2'),
        await change(PASSWORD),
      ]);

      // Assess
      expect(answers.map((a) => a.status)).toEqual([401, 401, 429]);
      expectError(answers[2] as Answer, 429, 'rate_limit_exceeded');
      expect(verifications).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
