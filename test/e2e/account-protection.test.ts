import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { postFrom } from '../fixtures/from-address.ts';
import { failedLoginsKey } from '../../functions/core/records/keys.ts';
import { call, demoPassword, login, startTestServer } from '../fixtures/local.ts';
import { findUser, readItem } from '../fixtures/tables.ts';

describe('lockout', () => {
  let local: LocalEnvironment;
  const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { LOCKOUT_THRESHOLD: '5', LOCKOUT_SECONDS: '900' } });
  });
  afterAll(() => local.close());

  const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });

  it('locks an account after 20 concurrent wrong passwords, refuses the right one, and lifts after LOCKOUT_SECONDS', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => attempt('agent@example.com', 'wrong-password')));
    // Every one of them was judged before the lock existed, or after it: none got in.
    for (const r of results) expect([401, 429]).toContain(r.status);
    expect(results.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(5);

    const locked = await attempt('agent@example.com', demoPassword);
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ error: 'account_locked', message: 'Too many failed attempts; try again later' });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);

    // No increment was lost to the race: every attempt judged a failure (401) was counted;
    // those that arrived after the lock (429) were refused before any password check.
    const agentId = (await findUser(local, 'agent@example.com')).id;
    const counter = await readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId: agentId }));
    expect(counter?.failures).toBe(results.filter((r) => r.status === 401).length);

    clock.advance(899);
    expect((await attempt('agent@example.com', demoPassword)).status).toBe(429);
    clock.advance(2);
    expect((await attempt('agent@example.com', demoPassword)).status).toBe(200);
  });

  it('answers 401 for the failure that reaches the threshold, and 429 from then on', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt('customer@example.com', `wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('shares the count between the email and the username of one account', async () => {
    for (let i = 0; i < 3; i++) await attempt('cashier@example.com', 'nope');
    for (let i = 0; i < 2; i++) await call(local.url, '/auth/login', { body: { username: 'pos-001', password: 'nope' } });
    expect((await call(local.url, '/auth/login', { body: { posId: 'pos-001', password: demoPassword } })).status).toBe(429);
  });

  it('locks unknown identifiers the same way, so a lockout reveals nothing', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt('ghost@example.com', 'whatever')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('resets the count on a success below the threshold', async () => {
    for (let i = 0; i < 4; i++) await attempt('manager2@example.com', 'wrong');
    expect((await attempt('manager2@example.com', demoPassword)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('manager2@example.com', 'wrong')).status).toBe(401);
    expect((await attempt('manager2@example.com', demoPassword)).status).toBe(200);
  });
});

describe('POST /users/{id}/unlock', () => {
  let local: LocalEnvironment;
  beforeAll(async () => {
    local = await startTestServer();
  });
  afterAll(() => local.close());

  it('lets a manager of the same tenant unlock, and no one else', async () => {
    const customerId = (await login(local.url, 'customer@example.com')).user.id as string;
    for (let i = 0; i < 5; i++) await call(local.url, '/auth/login', { body: { email: 'customer@example.com', password: 'wrong' } });
    expect((await call(local.url, '/auth/login', { body: { email: 'customer@example.com', password: demoPassword } })).status).toBe(429);
    const unlock = (token: string) =>
      call(local.url, `/users/${customerId}/unlock`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

    const byAgent = await unlock((await login(local.url, 'agent@example.com')).access_token);
    expect(byAgent.status).toBe(403);
    expect(byAgent.body).toEqual({ error: 'forbidden', message: 'You are not allowed to do this', role: 'AGENT' });
    expect((await unlock((await login(local.url, 'manager2@example.com')).access_token)).status).toBe(404);
    expect((await call(local.url, '/auth/login', { body: { email: 'customer@example.com', password: demoPassword } })).status).toBe(429);

    expect((await unlock((await login(local.url, 'manager@example.com')).access_token)).status).toBe(204);
    expect((await call(local.url, '/auth/login', { body: { email: 'customer@example.com', password: demoPassword } })).status).toBe(200);
  });

  it('answers 404 for an unknown id', async () => {
    const manager = await login(local.url, 'manager@example.com');
    const answer = await call(local.url, '/users/00000000-0000-4000-8000-000000000000/unlock', {
      method: 'POST',
      headers: { authorization: `Bearer ${manager.access_token}` },
    });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'not_found', message: 'Not found' });
  });
});

describe('per-IP login limit', () => {
  let local: LocalEnvironment;
  // A clock that stands still keeps all six attempts in one window, however slow the machine.
  const clock = new FakeClock(new Date('2026-11-23T10:00:10.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { LOGIN_RATE_LIMIT: '5' } });
  });
  afterAll(() => local.close());

  const url = () => `${local.url.replace('localhost', '127.0.0.1')}/auth/login`;
  const good = { email: 'manager@example.com', password: demoPassword };

  it('refuses the 6th login in a minute from one IP even with the right password; another IP is unaffected; X-Forwarded-For changes nothing', async () => {
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await postFrom('127.0.0.3', url(), good)).status);
    expect(first).toEqual([200, 200, 200, 200, 200]);

    const sixth = await postFrom('127.0.0.3', url(), good, { 'x-forwarded-for': '198.51.100.1' });
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ error: 'rate_limit_exceeded', message: 'Too many requests' });
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    expect((await postFrom('127.0.0.4', url(), good)).status).toBe(200);
  });
});

describe('no enumeration', () => {
  let local: LocalEnvironment;
  beforeAll(async () => {
    local = await startTestServer();
  });
  afterAll(() => local.close());

  /** The raw response: status line, header names and values, body; the request id and date taken out. */
  async function raw(body: Record<string, string>): Promise<string> {
    const response = await fetch(`${local.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'same-id' },
      body: JSON.stringify(body),
    });
    const headers = [...response.headers.entries()].filter(([name]) => name !== 'date').map(([n, v]) => `${n}: ${v}`);
    return [response.status, ...headers, await response.text()].join('\n');
  }

  it('answers an unknown email and a wrong password byte for byte alike', async () => {
    const unknown = await raw({ email: 'nobody@example.com', password: 'Wrong#Password1' });
    const wrong = await raw({ email: 'manager@example.com', password: 'Wrong#Password1' });
    expect(wrong).toBe(unknown);
    expect(unknown).toContain('{"error":"invalid_credentials","message":"Invalid credentials"}');
  });

  it('answers an unknown username and a wrong password byte for byte alike', async () => {
    expect(await raw({ username: 'pos-001', password: 'Wrong#Password1' })).toBe(
      await raw({ username: 'pos-999', password: 'Wrong#Password1' }),
    );
  });
});
