/**
 * What the local server cannot easily be made to do, with a fake API behind
 * the client's `fetch`: a refresh that fails for a passing reason, bodies
 * that are not the error shape, a retried request's body, asynchronous
 * storage, another tab rotating or logging in meanwhile, base URLs with a
 * stage, and the Web Storage adapter.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  createAuthClient,
  webStorage,
  type FetchLike,
  type StoredSession,
  type TokenStorage,
  type User,
} from '@serverless-auth/client';

const NOW = Date.parse('2026-11-23T10:14:00.000Z');
const BASE = 'https://api.example.com/prod';

const user = (id: string): User => ({
  id,
  email: `${id}@example.com`,
  username: null,
  role: 'CASHIER',
  tenant_id: 'demo',
  customer_id: null,
  first_name: null,
  last_name: null,
  phone: null,
  status: 'active',
  created_at: '2026-01-01T00:00:00.000Z',
  created_by: null,
  last_login_at: '2026-11-23T10:00:00.000Z',
  email_status: null,
  permissions: ['profile:read'],
});

/** A session opened at 10:00 for user `u1`: at NOW its access token is within the 300 s buffer. */
const stored = (overrides: Partial<StoredSession> = {}): StoredSession => ({
  access_token: 'access-1',
  expires_in: 900,
  expires_at: '2026-11-23T10:15:00.000Z',
  refresh_token: 'refresh-1',
  refresh_expires_at: '2026-11-24T00:00:00.000Z',
  user: user('u1'),
  ...overrides,
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const tokens = (n: number, id = 'u1') =>
  json(200, {
    ...stored({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_at: '2026-11-23T10:29:00.000Z', user: user(id) }),
    token_type: 'Bearer',
  });

interface SyncStorage extends TokenStorage {
  get(): StoredSession | null;
  set(session: StoredSession): void;
  clear(): void;
  current(): StoredSession | null;
}

function storageWith(session: StoredSession | null): SyncStorage {
  let value = session;
  return {
    get: () => value,
    set: (next) => {
      value = next;
    },
    clear: () => {
      value = null;
    },
    current: () => value,
  };
}

/** A fake API: `answer` decides each response; every request is recorded with its body. */
function fakeApi(answer: (request: Request, body: string) => Response | Promise<Response>) {
  const sent: { method: string; url: string; authorization: string | null; body: string }[] = [];
  const fetch: FetchLike = async (request) => {
    const body = await request.text();
    sent.push({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), body });
    return answer(request, body);
  };
  return { fetch, sent, paths: () => sent.map((request) => `${request.method} ${new URL(request.url).pathname}`) };
}

describe('auth client with a fake API', () => {
  it('keeps the session and throws ApiError when a refresh fails with 503, then tries again on the next call', async () => {
    // Prepare
    const api = fakeApi((request) =>
      request.url.endsWith('/auth/refresh') ? json(503, { error: 'service_unavailable', message: 'Try again' }) : json(200, {}),
    );
    const storage = storageWith(stored());
    const ended = vi.fn();
    const client = createAuthClient({ baseUrl: BASE, fetch: api.fetch, storage, now: () => NOW, onSessionEnded: ended });

    // Act
    const first = await client.authorizedFetch('/auth/me').catch((error: unknown) => error);
    const second = await client.authorizedFetch('/auth/me').catch((error: unknown) => error);

    // Assess
    expect(first).toBeInstanceOf(ApiError);
    expect(first).toMatchObject({ status: 503, error: 'service_unavailable', message: 'Try again', details: [] });
    expect(second).toMatchObject({ status: 503 });
    expect(api.paths()).toEqual(['POST /prod/auth/refresh', 'POST /prod/auth/refresh']);
    expect(storage.current()).toEqual(stored());
    expect(ended).not.toHaveBeenCalled();
  });

  it('reads a body that is not the error shape as ApiError invalid_response', async () => {
    // Act
    const error = await ApiError.from(new Response('<html>Bad gateway</html>', { status: 502 }));

    // Assess
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 502,
      error: 'invalid_response',
      message: 'HTTP 502',
      details: [],
      role: undefined,
    });
  });

  it('retries a Request with its body intact and the new token', async () => {
    // Prepare
    let calls = 0;
    const api = fakeApi((request) => {
      if (request.url.endsWith('/auth/refresh')) return tokens(2);
      calls += 1;
      return calls === 1 ? json(401, { error: 'unauthorized', message: 'A valid credential is required' }) : json(201, { ok: true });
    });
    const storage = storageWith(stored({ expires_at: '2026-11-23T10:30:00.000Z' }));
    const client = createAuthClient({ baseUrl: BASE, fetch: api.fetch, storage, now: () => NOW });
    const request = new Request(`${BASE}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":42}',
    });

    // Act
    const response = await client.authorizedFetch(request);

    // Assess
    expect(response.status).toBe(201);
    expect(api.sent).toEqual([
      { method: 'POST', url: `${BASE}/orders`, authorization: 'Bearer access-1', body: '{"amount":42}' },
      { method: 'POST', url: `${BASE}/auth/refresh`, authorization: null, body: '{"refresh_token":"refresh-1"}' },
      { method: 'POST', url: `${BASE}/orders`, authorization: 'Bearer access-2', body: '{"amount":42}' },
    ]);
  });

  it('refreshes once for 20 concurrent callers with an asynchronous storage', async () => {
    // Prepare: every storage call settles on a later turn of the event loop.
    const inner = storageWith(stored());
    const later = <T>(value: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(value()), 0));
    const storage: TokenStorage = {
      get: () => later(() => inner.get()),
      set: (session) => later(() => inner.set(session)),
      clear: () => later(() => inner.clear()),
    };
    const api = fakeApi((request) => (request.url.endsWith('/auth/refresh') ? tokens(2) : json(200, {})));
    const client = createAuthClient({ baseUrl: BASE, fetch: api.fetch, storage, now: () => NOW });

    // Act
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.authorizedFetch('/auth/me')));

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(api.paths().filter((path) => path === 'POST /prod/auth/refresh')).toHaveLength(1);
    expect(new Set(api.sent.filter((request) => request.url.endsWith('/auth/me')).map((request) => request.authorization))).toEqual(
      new Set(['Bearer access-2']),
    );
  });

  it('takes the token another tab stored when its own refresh is refused, instead of ending the session', async () => {
    // Prepare: while this tab's refresh is on its way, the other tab stores its successor.
    const storage = storageWith(stored());
    const api = fakeApi((request) => {
      if (!request.url.endsWith('/auth/refresh')) return json(200, {});
      storage.set(stored({ access_token: 'access-tab', refresh_token: 'refresh-tab', expires_at: '2026-11-23T10:29:00.000Z' }));
      return json(401, { error: 'invalid_grant', message: 'The refresh token is invalid, expired or revoked' });
    });
    const ended = vi.fn();
    const client = createAuthClient({ baseUrl: BASE, fetch: api.fetch, storage, now: () => NOW, onSessionEnded: ended });

    // Act
    const response = await client.authorizedFetch('/auth/me');

    // Assess
    expect(response.status).toBe(200);
    expect(api.sent.map((request) => request.authorization)).toEqual([null, 'Bearer access-tab']);
    expect(storage.current()?.refresh_token).toBe('refresh-tab');
    expect(ended).not.toHaveBeenCalled();
  });

  it('never replays a refused request as another user who logged in meanwhile', async () => {
    // Prepare: while the request is on its way, another user logs in through a client sharing the storage.
    const storage = storageWith(stored({ expires_at: '2026-11-23T10:30:00.000Z' }));
    const api = fakeApi(() => {
      storage.set(
        stored({ access_token: 'access-u2', refresh_token: 'refresh-u2', expires_at: '2026-11-23T10:29:00.000Z', user: user('u2') }),
      );
      return json(401, { error: 'unauthorized', message: 'A valid credential is required' });
    });
    const client = createAuthClient({ baseUrl: BASE, fetch: api.fetch, storage, now: () => NOW });

    // Act
    const response = await client.authorizedFetch('/orders', { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(401);
    expect(api.paths()).toEqual(['DELETE /prod/orders']);
    expect(storage.current()?.user.id).toBe('u2');
  });

  it.each([
    ['a path with a leading slash', '/auth/me', `${BASE}/auth/me`],
    ['a path without one', 'auth/me', `${BASE}/auth/me`],
    ['an absolute URL', 'https://other.example.com/x', 'https://other.example.com/x'],
    ['a URL object', new URL('https://other.example.com/y?z=1'), 'https://other.example.com/y?z=1'],
  ])('resolves %s against a base URL with a stage', async (_, input, url) => {
    // Prepare
    const api = fakeApi(() => json(200, {}));
    const client = createAuthClient({
      baseUrl: `${BASE}/`,
      fetch: api.fetch,
      storage: storageWith(stored({ expires_at: '2026-11-23T10:30:00.000Z' })),
      now: () => NOW,
    });

    // Act
    await client.authorizedFetch(input);

    // Assess
    expect(api.sent.map((request) => request.url)).toEqual([url]);
  });

  it('keeps the session as JSON under one key of a Web Storage, and reads a foreign value there as no session', async () => {
    // Prepare
    const items = new Map<string, string>();
    const store = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    const storage = webStorage(store, 'app.session');

    // Act
    await storage.set(stored());
    const roundTrip = await storage.get();
    const text = items.get('app.session');
    items.set('app.session', 'not json');
    const foreign = await storage.get();
    await storage.clear();

    // Assess
    expect(roundTrip).toEqual(stored());
    expect(JSON.parse(text!)).toEqual(stored());
    expect(foreign).toBeNull();
    expect(items.has('app.session')).toBe(false);
  });
});
