/** POST /auth/login as a client sees it: who can log in, how, and what comes back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, decodeAccessToken, expectDemoUser, expectError, startSessionServer, tokenBody } from '../fixtures/e2e.ts';
import { type Answer, call, demoPassword } from '../fixtures/local.ts';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer();
});

afterAll(async () => {
  await server?.close();
});

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

const postLogin = (body: unknown, headers: Record<string, string> = {}) =>
  call(server.url, '/auth/login', { method: 'POST', body, headers });

/** Everything a caller can compare between two answers: status, body, and headers but the per-request ones. */
function observable(answer: Answer) {
  const headers = [...answer.headers.entries()].filter(([name]) => !['x-request-id', 'date'].includes(name));
  return { status: answer.status, body: answer.body, headers: Object.fromEntries(headers) };
}

describe('POST /auth/login', () => {
  it('logs in by email and answers the token body, the user object and the tokens in headers', async () => {
    // Prepare
    const credentials = { email: 'manager@example.com', password: demoPassword };

    // Act
    const answer = await postLogin(credentials);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(tokenBody());
    expectDemoUser(answer.body.user, { email: 'manager@example.com', role: 'MANAGER', tenant_id: 'demo' });
    expect(answer.headers.get('x-access-token')).toBe(answer.body.access_token);
    expect(answer.headers.get('x-refresh-token')).toBe(answer.body.refresh_token);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // The tokens are random text that may spell anything; the rest of the body names no hash.
    const { access_token: _a, refresh_token: _r, ...rest } = answer.body;
    expect(JSON.stringify(rest)).not.toMatch(/hash|argon2/i);
  });

  it('logs in by username', async () => {
    // Act
    const answer = await postLogin({ username: 'pos-001', password: demoPassword });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(tokenBody());
    expectDemoUser(answer.body.user, { email: 'cashier@example.com', role: 'CASHIER', tenant_id: 'demo', username: 'pos-001' });
  });

  it('logs in by posId, the alias of username', async () => {
    // Act
    const answer = await postLogin({ posId: 'pos-001', password: demoPassword });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(tokenBody());
    expectDemoUser(answer.body.user, { email: 'cashier@example.com', role: 'CASHIER', tenant_id: 'demo', username: 'pos-001' });
  });

  it('takes currentPassword as the alias of password', async () => {
    // Act
    const answer = await postLogin({ email: 'agent@example.com', currentPassword: demoPassword });

    // Assess
    expect(answer.status).toBe(200);
    expectDemoUser(answer.body.user, { email: 'agent@example.com', role: 'AGENT', tenant_id: 'demo' });
  });

  it('takes the email and the password both in base64 when the email has no @', async () => {
    // Prepare
    const credentials = { email: base64('customer@example.com'), password: base64(demoPassword) };

    // Act
    const answer = await postLogin(credentials);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(tokenBody());
    expectDemoUser(answer.body.user, { email: 'customer@example.com', role: 'CUSTOMER', tenant_id: 'demo' });
  });

  it.each([
    ['an email in another case, with spaces around it', { email: '  Cashier@Example.COM ', password: demoPassword }],
    ['a username in another case', { username: 'POS-001', password: demoPassword }],
    ['a posId in another case', { posId: ' Pos-001', password: demoPassword }],
  ])('matches %s to the user', async (_, credentials) => {
    // Act
    const answer = await postLogin(credentials);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.user.email).toBe('cashier@example.com');
  });

  it('compares passwords after NFKC normalization', async () => {
    // Prepare: the full-width form of the demo password normalizes to the demo password.
    const fullWidth = [...demoPassword].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    expect(fullWidth.normalize('NFKC')).toBe(demoPassword);

    // Act
    const answer = await postLogin({ email: 'manager2@example.com', password: fullWidth });

    // Assess
    expect(answer.status).toBe(200);
    expectDemoUser(answer.body.user, { email: 'manager2@example.com', role: 'MANAGER', tenant_id: 'demo-2' });
  });

  it('opens a new session at each login, each with its own tokens, all of them working', async () => {
    // Act
    const first = await postLogin({ email: 'agent@example.com', password: demoPassword });
    const second = await postLogin({ email: 'agent@example.com', password: demoPassword });

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(decodeAccessToken(first.body.access_token).claims.sid).not.toBe(decodeAccessToken(second.body.access_token).claims.sid);
    expect(first.body.refresh_token).not.toBe(second.body.refresh_token);
    const [meFirst, meSecond] = await Promise.all([
      call(server.url, '/auth/me', { headers: bearer(first.body.access_token) }),
      call(server.url, '/auth/me', { headers: bearer(second.body.access_token) }),
    ]);
    expect([meFirst.status, meSecond.status]).toEqual([200, 200]);
  });

  it('ends the session at the next midnight in UTC, the default time zone', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const answer = await postLogin({ email: 'customer@example.com', password: demoPassword });

    // Assess
    const after = Date.now();
    const midnightAfter = (time: number) => {
      const day = new Date(time);
      return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
    };
    expect(answer.status).toBe(200);
    expect([midnightAfter(before), midnightAfter(after)]).toContain(Date.parse(answer.body.refresh_expires_at));
    expect(answer.body.refresh_expires_at).toMatch(/T00:00:00\.000Z$/);
  });

  it('records the login in last_login_at, as /auth/me shows', async () => {
    // Prepare
    const answer = await postLogin({ email: 'customer@example.com', password: demoPassword });

    // Act
    const me = await call(server.url, '/auth/me', { headers: bearer(answer.body.access_token) });

    // Assess
    expect(me.status).toBe(200);
    expect(me.body).toEqual(answer.body.user);
  });

  describe('invalid credentials', () => {
    it('answers an unknown email and a wrong password with the same status, body and headers', async () => {
      // Act
      const unknown = await postLogin({ email: 'nobody@example.com', password: demoPassword });
      const wrong = await postLogin({ email: 'manager@example.com', password: 'not the password' });

      // Assess
      expectError(unknown, 401, 'invalid_credentials');
      expect(unknown.body).not.toHaveProperty('details');
      expect(observable(wrong)).toEqual(observable(unknown));
    });

    it('answers an unknown username and a wrong password for a username alike', async () => {
      // Act
      const unknown = await postLogin({ username: 'pos-999', password: demoPassword });
      const wrong = await postLogin({ posId: 'pos-001', password: `${demoPassword}x` });
      const email = await postLogin({ email: 'nobody@example.com', password: demoPassword });

      // Assess
      expectError(unknown, 401, 'invalid_credentials');
      expect(observable(wrong)).toEqual(observable(unknown));
      expect(observable(email)).toEqual(observable(unknown));
    });

    it.each([
      ['a wrong password', { email: 'agent@example.com', password: 'LocalDemo#2025' }],
      ['the password in another case', { email: 'agent@example.com', password: demoPassword.toUpperCase() }],
      ['the password with a space added', { email: 'agent@example.com', password: `${demoPassword} ` }],
      ['a base64 email with a wrong base64 password', { email: base64('agent@example.com'), password: base64('nope') }],
    ])('refuses %s with 401 invalid_credentials', async (_, credentials) => {
      // Act
      const answer = await postLogin(credentials);

      // Assess
      expectError(answer, 401, 'invalid_credentials');
      expect(answer.headers.get('x-access-token')).toBeNull();
      expect(answer.headers.get('x-refresh-token')).toBeNull();
    });
  });
});
