/**
 * Sessions end at the tenant's midnight and access tokens after
 * ACCESS_TOKEN_TTL, as login, refresh and /auth/me show them. Tenant `demo`
 * runs on Paris time (TENANT_TIMEZONES), `demo-2` on the default, UTC. The
 * server's clock is a fake the test sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, decodeAccessToken, expectError, startSessionServer } from '../fixtures/e2e.ts';
import { call, login } from '../fixtures/local.ts';

const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer({ clock, env: { TENANT_TIMEZONES: JSON.stringify({ demo: 'Europe/Paris' }) } });
});

afterAll(async () => {
  await server?.close();
});

const refresh = (refreshToken: string) => call(server.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

const me = (accessToken: string) => call(server.url, '/auth/me', { headers: bearer(accessToken) });

describe('session midnight', () => {
  it('ends a session at the next midnight of its tenant’s time zone', async () => {
    // Prepare: 11:00 in Paris (UTC+1 in November), 10:00 in UTC.
    clock.set('2026-11-23T10:00:00.000Z');

    // Act
    const paris = await login(server.url, 'cashier@example.com');
    const utc = await login(server.url, 'manager2@example.com');

    // Assess
    expect(paris.refresh_expires_at).toBe('2026-11-23T23:00:00.000Z');
    expect(utc.refresh_expires_at).toBe('2026-11-24T00:00:00.000Z');
  });

  it.each([
    ['the day before the clocks go back (CEST, UTC+2)', '2026-10-24T12:00:00.000Z', '2026-10-24T22:00:00.000Z'],
    ['the day the clocks go back (CET from 03:00, UTC+1)', '2026-10-25T12:00:00.000Z', '2026-10-25T23:00:00.000Z'],
    ['just after midnight on the day the clocks go back', '2026-10-24T22:30:00.000Z', '2026-10-25T23:00:00.000Z'],
    ['the day the clocks go forward (CEST from 02:00)', '2026-03-29T12:00:00.000Z', '2026-03-29T22:00:00.000Z'],
  ])('finds midnight across daylight saving time: %s', async (_, now, midnight) => {
    // Prepare
    clock.set(now);

    // Act
    const session = await login(server.url, 'customer@example.com');

    // Assess
    expect(session.refresh_expires_at).toBe(midnight);
  });

  it('caps the access token at the session’s midnight when fewer than ACCESS_TOKEN_TTL seconds are left', async () => {
    // Prepare: ten minutes before midnight in Paris.
    clock.set('2026-11-23T22:50:00.000Z');

    // Act
    const session = await login(server.url, 'cashier@example.com');

    // Assess
    const { claims } = decodeAccessToken(session.access_token);
    expect(session).toMatchObject({
      expires_in: 600,
      expires_at: '2026-11-23T23:00:00.000Z',
      refresh_expires_at: '2026-11-23T23:00:00.000Z',
    });
    expect(claims.exp).toBe(Date.parse('2026-11-23T23:00:00.000Z') / 1000);
  });

  it('never moves the midnight on rotation, and caps the refreshed access token too', async () => {
    // Prepare
    clock.set('2026-11-23T20:00:00.000Z');
    const session = await login(server.url, 'agent@example.com');
    clock.set('2026-11-23T22:59:30.000Z');

    // Act
    const answer = await refresh(session.refresh_token);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      expires_in: 30,
      expires_at: '2026-11-23T23:00:00.000Z',
      refresh_expires_at: '2026-11-23T23:00:00.000Z',
    });
    expect(decodeAccessToken(answer.body.access_token).claims.exp).toBe(Date.parse('2026-11-23T23:00:00.000Z') / 1000);
  });

  it('refuses the refresh token after midnight with 401 invalid_grant, and the access token with 401 unauthorized', async () => {
    // Prepare
    clock.set('2026-11-23T22:55:00.000Z');
    const session = await login(server.url, 'agent@example.com');
    clock.set('2026-11-23T23:00:01.000Z');

    // Act
    const answer = await refresh(session.refresh_token);

    // Assess
    expectError(answer, 401, 'invalid_grant');
    expectError(await me(session.access_token), 401, 'unauthorized');
  });

  it('lets the new day start with a new login', async () => {
    // Prepare
    clock.set('2026-11-23T22:55:00.000Z');
    await login(server.url, 'agent@example.com');
    clock.set('2026-11-23T23:00:01.000Z');

    // Act
    const session = await login(server.url, 'agent@example.com');

    // Assess
    expect(session.refresh_expires_at).toBe('2026-11-24T23:00:00.000Z');
    expect((await me(session.access_token)).status).toBe(200);
  });
});

describe('access token lifetime', () => {
  it('is ACCESS_TOKEN_TTL (900 s) away from midnight', async () => {
    // Prepare
    clock.set('2026-11-23T10:00:00.000Z');

    // Act
    const session = await login(server.url, 'manager2@example.com');

    // Assess
    const { claims } = decodeAccessToken(session.access_token);
    expect(session).toMatchObject({ expires_in: 900, expires_at: '2026-11-23T10:15:00.000Z' });
    expect([claims.iat, claims.exp]).toEqual([
      Date.parse('2026-11-23T10:00:00.000Z') / 1000,
      Date.parse('2026-11-23T10:15:00.000Z') / 1000,
    ]);
  });

  it('ends: past its expiry and the 5 s of clock skew it gets 401, while the refresh token still gives a new one', async () => {
    // Prepare
    clock.set('2026-11-23T10:00:00.000Z');
    const session = await login(server.url, 'manager2@example.com');
    clock.advance(900 + 6);

    // Act
    const expired = await me(session.access_token);
    const renewed = await refresh(session.refresh_token);

    // Assess
    expectError(expired, 401, 'unauthorized');
    expect(renewed.status).toBe(200);
    expect(renewed.body.expires_at).toBe('2026-11-23T10:30:06.000Z');
    expect((await me(renewed.body.access_token)).status).toBe(200);
  });
});
