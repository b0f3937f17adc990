/** POST /auth/password/change, end to end on the local server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, detailPaths, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';

const CHANGED = { status: true, message: 'Password changed successfully' };
const OLD_PASSWORD = 'Original passphrase 2026';
const NEW_PASSWORD = 'Brand new passphrase 77';

// The local server lives in this process (its handlers read process.env): one at a time.
let local: LocalEnvironment;
let accounts = 0;
/** A fresh account, so no test shares sessions or a lockout with another. */
async function freshAccount() {
  const email = `change-user-${++accounts}@example.com`;
  await addAccount({ email, password: OLD_PASSWORD });
  return email;
}

const change = (accessToken: string | null, body: unknown) =>
  call(local.url, '/auth/password/change', { method: 'POST', body, headers: accessToken ? bearer(accessToken) : {} });
const attemptLogin = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
const me = (accessToken: string) => call(local.url, '/auth/me', { headers: bearer(accessToken) });
const refresh = (refreshToken: string) => call(local.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

describe('POST /auth/password/change', () => {
  const clock = new FakeClock(new Date('2026-11-23T09:00:00.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { LOCKOUT_THRESHOLD: '4', LOCKOUT_SECONDS: '900' } });
  });
  afterAll(() => local.close());

  it('changes the password: 200, the new one logs in and the old one does not', async () => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const answer = await change(session.access_token, { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(CHANGED);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    expectError(await attemptLogin(email, OLD_PASSWORD), 401, 'invalid_credentials');
  });

  it("keeps the caller's session (access and refresh token) and revokes every other session of the user", async () => {
    const email = await freshAccount();
    const caller = await login(local.url, email, OLD_PASSWORD);
    const others = [await login(local.url, email, OLD_PASSWORD), await login(local.url, email, OLD_PASSWORD)];

    const answer = await change(caller.access_token, { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD });

    expect(answer.status).toBe(200);
    expect((await me(caller.access_token)).status).toBe(200);
    const rotated = await refresh(caller.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);
    for (const other of others) {
      expectError(await me(other.access_token), 401, 'unauthorized');
      expectError(await refresh(other.refresh_token), 401, 'invalid_grant');
    }
  });

  it('refuses a wrong current password with 401 invalid_credentials and changes nothing', async () => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const answer = await change(session.access_token, { currentPassword: 'Not the password 1', newPassword: NEW_PASSWORD });

    expectError(answer, 401, 'invalid_credentials');
    expect(answer.body).toEqual({ error: 'invalid_credentials', message: 'Invalid credentials' });
    expect((await me(session.access_token)).status).toBe(200);
    expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
    expectError(await attemptLogin(email, NEW_PASSWORD), 401, 'invalid_credentials');
  });

  it('counts wrong current passwords toward the lockout: after LOCKOUT_THRESHOLD of them, login with the right password is 429 account_locked', async () => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await change(session.access_token, { currentPassword: `wrong-${i}-pass`, newPassword: NEW_PASSWORD })).status);
    const locked = await attemptLogin(email, OLD_PASSWORD);

    expect(statuses).toEqual([401, 401, 401, 401]);
    expectError(locked, 429, 'account_locked');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it.each([
    ['a common password', () => 'Password123', /common/i],
    ['a password shorter than PASSWORD_MIN_LENGTH', () => 'x1#Y', /at least 8/i],
    ['a password that holds the email local part', (email: string) => `new ${email.split('@')[0]} 2027`, /email/i],
  ])('refuses %s with 400 weak_password on newPassword, and keeps the old password', async (_, passwordFor, rule) => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const answer = await change(session.access_token, { currentPassword: OLD_PASSWORD, newPassword: passwordFor(email) });

    const body = expectError(answer, 400, 'weak_password');
    expect(body.details?.[0]).toEqual({ path: 'newPassword', message: expect.stringMatching(rule) });
    expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
  });

  it.each([
    ['no newPassword', { currentPassword: OLD_PASSWORD }, 'newPassword'],
    ['no currentPassword', { newPassword: NEW_PASSWORD }, 'currentPassword'],
    ['an unknown field', { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD, email: 'x@example.com' }, 'email'],
    ['a password field in place of currentPassword', { password: OLD_PASSWORD, newPassword: NEW_PASSWORD }, 'password'],
  ])('refuses a body with %s with 400 invalid_request naming the field', async (_, body, path) => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const answer = await change(session.access_token, body);

    expectError(answer, 400, 'invalid_request');
    expect(detailPaths(answer)).toContain(path);
    expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
  });

  it('refuses a request without a body with 400 invalid_request', async () => {
    const email = await freshAccount();
    const session = await login(local.url, email, OLD_PASSWORD);

    const answer = await call(local.url, '/auth/password/change', { method: 'POST', headers: bearer(session.access_token) });

    expectError(answer, 400, 'invalid_request');
  });

  it('refuses a request without a credential with 401 unauthorized', async () => {
    const email = await freshAccount();

    const answer = await change(null, { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD });

    expectError(answer, 401, 'unauthorized');
    expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
  });
});
