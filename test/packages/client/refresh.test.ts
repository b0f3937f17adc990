/**
 * When the client refreshes against the local server: within the buffer
 * before the access token expires and not before, once for any number of
 * concurrent callers, once for clients sharing one storage, and safely for
 * tabs that each refresh on their own (the API's grace window).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryStorage, webStorage, type AuthClient, type WebStorageLike } from '@serverless-auth/client';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { FakeClock } from '../../fixtures/clock.ts';
import { clientOn, recordingFetch } from '../../fixtures/client.ts';
import { demoPassword, startTestServer } from '../../fixtures/local.ts';

const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
let server: LocalEnvironment;

const loginAs = (client: AuthClient, email: string) => client.login({ email, password: demoPassword });

/** `localStorage` as two tabs of one origin see it. */
function sharedLocalStorage(): WebStorageLike {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

describe('auth client: refresh', () => {
  beforeAll(async () => {
    server = await startTestServer({ clock });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    clock.set('2026-11-23T10:00:00.000Z');
  });

  it('refreshes exactly once for 50 concurrent calls at the moment the access token expires, and all 50 succeed', async () => {
    // Prepare
    const requests = recordingFetch();
    const client = clientOn(server.url, clock, { fetch: requests.fetch });
    const tokens = await loginAs(client, 'manager@example.com');
    clock.set(tokens.expires_at);

    // Act
    const responses = await Promise.all(Array.from({ length: 50 }, () => client.authorizedFetch('/auth/me')));

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(bodies).toEqual(Array(50).fill(tokens.user));
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    expect(requests.count('GET', '/auth/me')).toBe(50);
    const fresh = (await client.session())!;
    expect(fresh).toMatchObject({ expires_at: '2026-11-23T10:30:00.000Z', refresh_expires_at: tokens.refresh_expires_at });
    expect(fresh.refresh_token).not.toBe(tokens.refresh_token);
    // Every call waited for the refresh and went out with the new token.
    const sentTokens = requests.sent.filter((request) => request.path === '/auth/me').map((request) => request.authorization);
    expect(new Set(sentTokens)).toEqual(new Set([`Bearer ${fresh.access_token}`]));
    expect(requests.sent.findIndex((request) => request.path === '/auth/refresh')).toBe(1);
  });

  it.each([
    ['the default 300 s', undefined, '2026-11-23T10:09:59.999Z', '2026-11-23T10:10:00.000Z'],
    ['60 s', 60, '2026-11-23T10:13:59.999Z', '2026-11-23T10:14:00.000Z'],
  ])('refreshes within a buffer of %s before expiry, and not a moment earlier', async (_, refreshBufferSeconds, before, from) => {
    // Prepare
    const requests = recordingFetch();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, refreshBufferSeconds });
    const tokens = await loginAs(client, 'agent@example.com');

    // Act
    clock.set(before);
    const early = await client.authorizedFetch('/auth/me');
    const refreshesBefore = requests.count('POST', '/auth/refresh');
    clock.set(from);
    const due = await client.authorizedFetch('/auth/me');

    // Assess
    expect([early.status, due.status]).toEqual([200, 200]);
    expect(refreshesBefore).toBe(0);
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    expect(requests.sent.at(-1)?.authorization).not.toBe(`Bearer ${tokens.access_token}`);
    expect((await client.session())?.expires_at).toBe(new Date(Date.parse(from) + 900_000).toISOString());
  });

  it('refreshes on demand, with refresh() calls and a due authorizedFetch sharing one request', async () => {
    // Prepare
    const requests = recordingFetch();
    const client = clientOn(server.url, clock, { fetch: requests.fetch });
    const tokens = await loginAs(client, 'cashier@example.com');
    clock.set('2026-11-23T10:14:00.000Z');

    // Act
    const [first, second, response] = await Promise.all([client.refresh(), client.refresh(), client.authorizedFetch('/auth/me')]);

    // Assess
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    expect(second).toBe(first);
    expect(first).toMatchObject({ expires_in: 900, expires_at: '2026-11-23T10:29:00.000Z', refresh_expires_at: tokens.refresh_expires_at });
    expect(response.status).toBe(200);
    expect(await client.session()).toEqual(first);
  });

  it('refreshes once for two clients sharing one storage, one of which never logged in', async () => {
    // Prepare
    const storage = memoryStorage();
    const requests = recordingFetch();
    const a = clientOn(server.url, clock, { fetch: requests.fetch, storage });
    const b = clientOn(server.url, clock, { fetch: requests.fetch, storage });
    const tokens = await loginAs(a, 'customer@example.com');
    clock.set(tokens.expires_at);

    // Act
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).authorizedFetch('/auth/me')));

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    expect(await a.session()).toEqual(await b.session());
  });

  it('keeps two tabs logged in when each refreshes the same token from its own storage adapter', async () => {
    // Prepare: one localStorage, an adapter per tab, so each tab has its own single flight.
    const localStorage = sharedLocalStorage();
    const requests = recordingFetch();
    const tabA = clientOn(server.url, clock, { fetch: requests.fetch, storage: webStorage(localStorage) });
    const tabB = clientOn(server.url, clock, { fetch: requests.fetch, storage: webStorage(localStorage) });
    const tokens = await loginAs(tabA, 'agent@example.com');
    clock.set(tokens.expires_at);

    // Act
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? tabA : tabB).authorizedFetch('/auth/me')));
    const racing = requests.count('POST', '/auth/refresh');
    clock.set('2026-11-23T10:40:00.000Z');
    const later = await Promise.all([tabA.authorizedFetch('/auth/me'), tabB.authorizedFetch('/auth/me')]);

    // Assess: at most one refresh per tab; racing on one token, both got the same successor, so the session lives on.
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(racing).toBeGreaterThanOrEqual(1);
    expect(racing).toBeLessThanOrEqual(2);
    expect(later.map((response) => response.status)).toEqual([200, 200]);
    expect(requests.count('POST', '/auth/refresh') - racing).toBeGreaterThanOrEqual(1);
    expect(requests.count('POST', '/auth/refresh') - racing).toBeLessThanOrEqual(2);
    const stored = JSON.parse(localStorage.getItem('serverless-auth.session')!);
    expect(stored).toMatchObject({ expires_at: '2026-11-23T10:55:00.000Z', refresh_expires_at: tokens.refresh_expires_at });
  });
});
