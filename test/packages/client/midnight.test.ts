/**
 * The session's midnight as the client honours it against the local server:
 * tenant `demo` runs on Paris time, so its midnight is 23:00 UTC in November.
 * The client refreshes up to that moment, never past it, and then reports
 * the session ended without calling the API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionEndedError, type AuthClient, type StoredSession } from '@serverless-auth/client';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { FakeClock } from '../../fixtures/clock.ts';
import { clientOn, recordingFetch } from '../../fixtures/client.ts';
import { demoPassword, startTestServer } from '../../fixtures/local.ts';

const clock = new FakeClock(new Date('2026-11-23T20:00:00.000Z'));
let server: LocalEnvironment;

const MIDNIGHT_IN_PARIS = '2026-11-23T23:00:00.000Z';

const loginAs = (client: AuthClient, email: string) => client.login({ email, password: demoPassword });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('auth client: the session’s midnight', () => {
  beforeAll(async () => {
    server = await startTestServer({ clock, env: { TENANT_TIMEZONES: JSON.stringify({ demo: 'Europe/Paris' }) } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('refreshes up to midnight, keeps the capped token without refreshing it, and ends the session at midnight without a request', async () => {
    // Prepare
    const requests = recordingFetch();
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
    clock.set('2026-11-23T22:40:00.000Z');
    const tokens = await loginAs(client, 'cashier@example.com');

    // Act
    clock.set('2026-11-23T22:52:00.000Z');
    const refreshed = await client.authorizedFetch('/auth/me');
    const capped = (await client.session())!;
    clock.set('2026-11-23T22:58:00.000Z');
    const late = await client.authorizedFetch('/auth/me');
    clock.set('2026-11-23T22:59:59.999Z');
    const last = await client.authorizedFetch('/auth/me');
    const sentBeforeMidnight = requests.sent.length;
    clock.set(MIDNIGHT_IN_PARIS);
    const error = await failure(client.authorizedFetch('/auth/me'));

    // Assess
    expect(tokens).toMatchObject({ expires_at: '2026-11-23T22:55:00.000Z', refresh_expires_at: MIDNIGHT_IN_PARIS });
    expect([refreshed.status, late.status, last.status]).toEqual([200, 200, 200]);
    expect(capped).toMatchObject({ expires_in: 480, expires_at: MIDNIGHT_IN_PARIS, refresh_expires_at: MIDNIGHT_IN_PARIS });
    expect(requests.count('POST', '/auth/refresh')).toBe(1);
    expect(requests.sent.length).toBe(sentBeforeMidnight);
    expect(error).toBeInstanceOf(SessionEndedError);
    expect(error).toMatchObject({ reason: 'midnight' });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledWith(error);
    expect(await client.session()).toBeNull();
  });

  it('never stores an access token that outlives the session, and never calls refresh at or past midnight', async () => {
    // Prepare: a call every seven minutes from 20:00 UTC to past midnight in Paris.
    const requests = recordingFetch();
    const client = clientOn(server.url, clock, { fetch: requests.fetch });
    const refreshTimes: string[] = [];
    const seen: StoredSession[] = [];
    clock.set('2026-11-23T20:00:00.000Z');
    await loginAs(client, 'customer@example.com');

    // Act
    let outcome: unknown;
    while (clock.now().toISOString() < '2026-11-23T23:10:00.000Z') {
      clock.advance(7 * 60);
      const refreshesBefore = requests.count('POST', '/auth/refresh');
      outcome = await client.authorizedFetch('/auth/me').then(
        (response) => response.status,
        (error: unknown) => error,
      );
      if (requests.count('POST', '/auth/refresh') > refreshesBefore) refreshTimes.push(clock.now().toISOString());
      const session = await client.session();
      if (session) seen.push(session);
      if (outcome instanceof SessionEndedError) break;
    }

    // Assess
    expect(outcome).toMatchObject({ name: 'SessionEndedError', reason: 'midnight' });
    expect(refreshTimes.length).toBeGreaterThan(5);
    expect(refreshTimes.every((time) => time < MIDNIGHT_IN_PARIS)).toBe(true);
    for (const session of seen) {
      expect(session.refresh_expires_at).toBe(MIDNIGHT_IN_PARIS);
      expect(Date.parse(session.expires_at)).toBeLessThanOrEqual(Date.parse(session.refresh_expires_at));
    }
    expect(seen.at(-1)?.expires_at).toBe(MIDNIGHT_IN_PARIS);
  });

  it('answers refresh() past midnight with SessionEndedError, without calling the API', async () => {
    // Prepare
    const requests = recordingFetch();
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
    clock.set('2026-11-23T22:50:00.000Z');
    await loginAs(client, 'agent@example.com');
    clock.set('2026-11-23T23:00:01.000Z');

    // Act
    const error = await failure(client.refresh());

    // Assess
    expect(error).toMatchObject({ name: 'SessionEndedError', reason: 'midnight' });
    expect(requests.count('POST', '/auth/refresh')).toBe(0);
    expect(requests.sent.length).toBe(1);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('ends once for 30 concurrent callers past midnight, with no request at all', async () => {
    // Prepare
    const requests = recordingFetch();
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { fetch: requests.fetch, onSessionEnded: ended });
    clock.set('2026-11-23T22:30:00.000Z');
    await loginAs(client, 'manager@example.com');
    clock.set('2026-11-23T23:30:00.000Z');

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => client.authorizedFetch('/auth/me')));

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'SessionEndedError', reason: 'midnight' } });
    }
    expect(requests.sent.map(({ method, path }) => `${method} ${path}`)).toEqual(['POST /auth/login']);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('starts the next day with a new login', async () => {
    // Prepare
    const ended = vi.fn();
    const client = clientOn(server.url, clock, { onSessionEnded: ended });
    clock.set('2026-11-23T22:55:00.000Z');
    await loginAs(client, 'agent@example.com');
    clock.set('2026-11-23T23:00:01.000Z');
    await failure(client.me());

    // Act
    const tokens = await loginAs(client, 'agent@example.com');
    const user = await client.me();

    // Assess
    expect(tokens.refresh_expires_at).toBe('2026-11-24T23:00:00.000Z');
    expect(user.email).toBe('agent@example.com');
    expect(ended).toHaveBeenCalledTimes(1);
  });
});
