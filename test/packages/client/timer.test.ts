/**
 * The proactive refresh: a timer renews the access token ahead of expiry,
 * timed by the server's clock (learnt from `expires_in`), so a device whose
 * clock is hours off refreshes exactly as one whose clock is right. The
 * server issues 6 s tokens here, so the timer runs within the test.
 */
import { createAuthClient, type AuthEvent } from '@serverless-auth/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { recordingFetch } from '../../fixtures/client.ts';
import { startSessionServer } from '../../fixtures/e2e.ts';
import { demoPassword } from '../../fixtures/local.ts';

const HOUR = 3_600_000;
const TTL_SECONDS = 6;
let server: LocalEnvironment;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('auth client: refresh timer', () => {
  beforeAll(async () => {
    server = await startSessionServer({ env: { ACCESS_TOKEN_TTL: String(TTL_SECONDS) } });
  });

  afterAll(async () => {
    await server?.close();
  });

  // Concurrent: each case mostly waits for its timer.
  it.concurrent.each([
    ['right', 0],
    ['three hours fast', 3 * HOUR],
    ['three hours slow', -3 * HOUR],
  ])('refreshes once, half way through the token’s life, when the device clock is %s', async (_name, skew) => {
    // Prepare: the buffer (300 s) is capped at half the 6 s lifetime, so the refresh is due 3 s after login.
    const requests = recordingFetch();
    const events: { type: AuthEvent['type']; at: number }[] = [];
    const client = createAuthClient({ baseUrl: server.url, fetch: requests.fetch, now: () => Date.now() + skew });
    let refreshed = () => {};
    const firstRefresh = new Promise<void>((resolve) => (refreshed = resolve));
    client.onAuthStateChange((event) => {
      events.push({ type: event.type, at: performance.now() });
      if (event.type === 'refreshed') refreshed();
    });
    const tokens = await client.login({ email: 'agent@example.com', password: demoPassword });
    const start = performance.now();

    // Act: wait for the refresh (at most 8 s), then a second more to see that no other follows at once.
    await Promise.race([firstRefresh, sleep(8_000)]);
    await sleep(1_000);
    client.dispose();

    // Assess
    expect(events.map((event) => event.type)).toEqual(['signed_in', 'refreshed']);
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    const refreshedAfter = events[1]!.at - start;
    // Due 3 s after the token was issued (on the server's second-granular clock, so up to a second either way of that).
    expect(refreshedAfter).toBeGreaterThan(1_500);
    expect(refreshedAfter).toBeLessThan(4_500);
    const session = await client.session();
    expect(session?.access_token).not.toBe(tokens.access_token);
    expect(Math.abs((session?.clock_offset_ms ?? 0) + skew)).toBeLessThan(2_000);
  });

  it('stops when the client logs out', async () => {
    // Prepare
    const requests = recordingFetch();
    const client = createAuthClient({ baseUrl: server.url, fetch: requests.fetch });
    await client.login({ email: 'cashier@example.com', password: demoPassword });

    // Act
    await client.logout();
    await sleep(4_500);

    // Assess
    expect(requests.count('POST', '/auth/refresh')).toBe(0);
  });
});
