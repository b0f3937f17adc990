/**
 * The typed client against the local server: login, /auth/me and logout;
 * the API's errors as `ApiError`; a session revoked elsewhere reported once
 * as ended, with a bounded number of requests; one refresh and one retry
 * after a 401, and never a second.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, SessionEndedError, type AuthClient } from '@serverless-auth/client';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { FakeClock } from '../../fixtures/clock.ts';
import { clientOn, recordingFetch } from '../../fixtures/client.ts';
import { bearer, expectDemoUser, expectError, tokenBody } from '../../fixtures/e2e.ts';
import { call, demoPassword, startTestServer } from '../../fixtures/local.ts';

const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
let server: LocalEnvironment;

/** What a caller of the client catches. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

const loginAs = (client: AuthClient, email: string) => client.login({ email, password: demoPassword });

describe('auth client: sessions', () => {
  beforeAll(async () => {
    server = await startTestServer({ clock });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    clock.set('2026-11-23T10:00:00.000Z');
  });

  it('logs in, reads /auth/me with the access token, and logs out on the API and locally', async () => {
    // Prepare
    const requests = recordingFetch();
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });

    // Act
    const tokens = await loginAs(client, 'manager@example.com');
    const stored = await client.session();
    const user = await client.me();
    await client.logout();

    // Assess
    expect(tokens).toEqual(tokenBody());
    expectDemoUser(tokens.user, { email: 'manager@example.com', role: 'MANAGER', tenant_id: 'demo' });
    expect(stored).toEqual({
      access_token: tokens.access_token,
      expires_in: 900,
      expires_at: '2026-11-23T10:15:00.000Z',
      refresh_token: tokens.refresh_token,
      refresh_expires_at: '2026-11-24T00:00:00.000Z',
      user: tokens.user,
      // The server's clock and the client's are the same here.
      clock_offset_ms: 0,
    });
    expect(user).toEqual(tokens.user);
    expect(requests.sent).toEqual([
      { method: 'POST', path: '/auth/login', authorization: null },
      { method: 'GET', path: '/auth/me', authorization: `Bearer ${tokens.access_token}` },
      { method: 'POST', path: '/auth/logout', authorization: `Bearer ${tokens.access_token}` },
    ]);
    expect(await client.session()).toBeNull();
    expectError(await call(server.url, '/auth/me', { headers: bearer(tokens.access_token) }), 401, 'unauthorized');
    expectError(await call(server.url, '/auth/refresh', { body: { refresh_token: tokens.refresh_token } }), 401, 'invalid_grant');
    expect(ended).not.toHaveBeenCalled();
  });

  it('answers a call after logout with SessionEndedError (no_session) without a request', async () => {
    // Prepare
    const requests = recordingFetch();
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
    await loginAs(client, 'agent@example.com');
    await client.logout();
    const before = requests.sent.length;

    // Act
    const error = await failure(client.me());

    // Assess
    expect(error).toBeInstanceOf(SessionEndedError);
    expect(error).toMatchObject({ name: 'SessionEndedError', reason: 'no_session' });
    expect(requests.sent.length).toBe(before);
    expect(ended).not.toHaveBeenCalled();
  });

  it('throws ApiError with the status and error body of a refused login, and stores nothing', async () => {
    // Prepare
    const client = clientOn(server.url, clock);

    // Act
    const wrong = await failure(client.login({ email: 'customer@example.com', password: 'not the password' }));
    const malformed = await failure(client.login({ email: 'customer@example.com' } as never));

    // Assess
    expect(wrong).toBeInstanceOf(ApiError);
    expect(wrong).toMatchObject({
      name: 'ApiError',
      status: 401,
      error: 'invalid_credentials',
      message: 'Invalid credentials',
      details: [],
    });
    expect(malformed).toMatchObject({
      status: 400,
      error: 'invalid_request',
      details: [{ path: 'password', message: expect.any(String) }],
    });
    expect(await client.session()).toBeNull();
  });

  it('hands answers other than 401 to the caller untouched, with ApiError.from for their body', async () => {
    // Prepare
    const requests = recordingFetch();
    const client = clientOn(server.url, clock, { fetch: requests.fetch });
    const tokens = await loginAs(client, 'customer@example.com');

    // Act
    const response = await client.authorizedFetch('/users');
    const error = await ApiError.from(response);

    // Assess
    expect(error).toMatchObject({ status: 403, error: 'forbidden', role: 'CUSTOMER' });
    expect(requests.sent).toEqual([
      { method: 'POST', path: '/auth/login', authorization: null },
      { method: 'GET', path: '/users', authorization: `Bearer ${tokens.access_token}` },
    ]);
  });

  it('passes method, headers and body through, resolving paths against a base URL with a path', async () => {
    // Prepare: a base URL ending in a slash, as a deployed stage's might.
    const requests = recordingFetch();
    const client = clientOn(`${server.url}/`, clock, { fetch: requests.fetch });
    await loginAs(client, 'cashier@example.com');

    // Act
    const response = await client.authorizedFetch('auth/me', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-test-1' },
      body: JSON.stringify({ first_name: 'Ada' }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-test-1');
    expect(await response.json()).toMatchObject({ email: 'cashier@example.com', first_name: 'Ada' });
    expect(requests.sent.at(-1)).toMatchObject({ method: 'PATCH', path: '/auth/me' });
  });

  describe('a session revoked elsewhere', () => {
    it('ends with SessionEndedError and one callback when another client logs out every session', async () => {
      // Prepare
      const requests = recordingFetch();
      const ended = vi.fn();
      const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
      const other = clientOn(server.url, clock);
      const tokens = await loginAs(client, 'agent@example.com');
      await loginAs(other, 'agent@example.com');
      await other.logout({ all: true });

      // Act
      const first = await failure(client.authorizedFetch('/auth/me'));
      const second = await failure(client.authorizedFetch('/auth/me'));

      // Assess: one request refused, one refresh refused, then nothing more.
      expect(first).toBeInstanceOf(SessionEndedError);
      expect(first).toMatchObject({ reason: 'invalid_grant' });
      expect(second).toMatchObject({ reason: 'invalid_grant' });
      expect(ended).toHaveBeenCalledTimes(1);
      expect(ended).toHaveBeenCalledWith(first);
      expect(requests.sent).toEqual([
        { method: 'POST', path: '/auth/login', authorization: null },
        { method: 'GET', path: '/auth/me', authorization: `Bearer ${tokens.access_token}` },
        { method: 'POST', path: '/auth/refresh', authorization: null },
      ]);
      expect(await client.session()).toBeNull();
    });

    it('ends once for 20 concurrent callers when the session was logged out by another holder of its token', async () => {
      // Prepare
      const requests = recordingFetch();
      const ended = vi.fn();
      const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
      const tokens = await loginAs(client, 'customer@example.com');
      expect((await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(tokens.access_token) })).status).toBe(204);

      // Act
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => client.authorizedFetch('/auth/me')));

      // Assess: 20 refused requests, a single refresh, no retry, one callback.
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('rejected'));
      for (const outcome of outcomes) {
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ name: 'SessionEndedError', reason: 'invalid_grant' });
      }
      expect(requests.count('GET', '/auth/me')).toBe(20);
      expect(requests.count('POST', '/auth/refresh')).toBe(1);
      expect(requests.sent.length).toBe(22);
      expect(ended).toHaveBeenCalledTimes(1);
    });

    it('reports each session’s end once: a new login after an end can end again', async () => {
      // Prepare
      const ended = vi.fn();
      const client = clientOn(server.url, clock);
      const unsubscribe = client.onSessionEnded(ended);
      const revoke = async () => {
        const { access_token } = (await client.session())!;
        await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(access_token) });
      };

      // Act
      await loginAs(client, 'cashier@example.com');
      await revoke();
      await failure(client.me());
      await failure(client.me());
      await loginAs(client, 'cashier@example.com');
      const user = await client.me();
      await revoke();
      await failure(client.refresh());
      unsubscribe();
      await loginAs(client, 'cashier@example.com');
      await revoke();
      await failure(client.me());

      // Assess
      expect(user.email).toBe('cashier@example.com');
      expect(ended).toHaveBeenCalledTimes(2);
      expect(ended.mock.calls.map(([error]) => (error as SessionEndedError).reason)).toEqual(['invalid_grant', 'invalid_grant']);
    });

    it('logs out quietly when the session is already revoked', async () => {
      // Prepare
      const ended = vi.fn();
      const client = clientOn(server.url, clock, { onSessionEnded: ended });
      const tokens = await loginAs(client, 'manager2@example.com');
      await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(tokens.access_token) });

      // Act
      await client.logout();

      // Assess
      expect(await client.session()).toBeNull();
      expect(ended).not.toHaveBeenCalled();
    });
  });

  describe('a 401 on a token that looks valid', () => {
    it('refreshes once and retries once when the API refuses a token the client still deems valid', async () => {
      // Prepare: the first /auth/me leaves with a token whose signature the API cannot accept.
      let spoiled = false;
      const requests = recordingFetch((request) => {
        if (spoiled || new URL(request.url).pathname !== '/auth/me') return request;
        spoiled = true;
        const copy = new Request(request);
        copy.headers.set('authorization', `${request.headers.get('authorization')}x`);
        return copy;
      });
      const ended = vi.fn();
      const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
      const tokens = await loginAs(client, 'agent@example.com');

      // Act
      const response = await client.authorizedFetch('/auth/me');

      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(tokens.user);
      const fresh = (await client.session())!;
      expect(fresh.access_token).not.toBe(tokens.access_token);
      expect(fresh.refresh_expires_at).toBe(tokens.refresh_expires_at);
      expect(requests.sent.slice(1)).toEqual([
        { method: 'GET', path: '/auth/me', authorization: `Bearer ${tokens.access_token}x` },
        { method: 'POST', path: '/auth/refresh', authorization: null },
        { method: 'GET', path: '/auth/me', authorization: `Bearer ${fresh.access_token}` },
      ]);
      expect(ended).not.toHaveBeenCalled();
    });

    it('times the token by the server’s clock: a device clock ten minutes slow still refreshes before sending an expired token', async () => {
      // Prepare: the device's clock is ten minutes behind the API's, so its own reading says the token has minutes left.
      const requests = recordingFetch();
      const client = clientOn(server.url, clock, { fetch: requests.fetch, now: () => clock.now().getTime() - 10 * 60_000 });
      const tokens = await loginAs(client, 'agent@example.com');
      clock.advance(16 * 60);

      // Act
      const response = await client.authorizedFetch('/auth/me');

      // Assess
      expect(response.status).toBe(200);
      const fresh = (await client.session())!;
      expect(requests.sent.slice(1)).toEqual([
        { method: 'POST', path: '/auth/refresh', authorization: null },
        { method: 'GET', path: '/auth/me', authorization: `Bearer ${fresh.access_token}` },
      ]);
      expect(fresh.access_token).not.toBe(tokens.access_token);
      expect(fresh.clock_offset_ms).toBeGreaterThan(10 * 60_000 - 1_000);
      expect(fresh.clock_offset_ms).toBeLessThanOrEqual(10 * 60_000);
    });

    it('returns a second 401 to the caller instead of refreshing again', async () => {
      // Prepare: every /auth/me leaves with a credential the API cannot accept.
      const requests = recordingFetch((request) => {
        if (new URL(request.url).pathname !== '/auth/me') return request;
        const spoiled = new Request(request);
        spoiled.headers.set('authorization', 'Bearer not-a-token');
        return spoiled;
      });
      const ended = vi.fn();
      const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
      const tokens = await loginAs(client, 'manager@example.com');

      // Act
      const response = await client.authorizedFetch('/auth/me');

      // Assess
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
      expect(requests.sent.map(({ method, path }) => `${method} ${path}`)).toEqual([
        'POST /auth/login',
        'GET /auth/me',
        'POST /auth/refresh',
        'GET /auth/me',
      ]);
      // The refresh worked: the session goes on.
      expect((await client.session())?.refresh_token).not.toBe(tokens.refresh_token);
      expect(ended).not.toHaveBeenCalled();
    });
  });
});
