/**
 * POST /auth/refresh around the end of the grace window (REFRESH_REUSE_GRACE,
 * default 10 s). The server's clock is a fake the test moves, so nothing
 * here waits or measures time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, expectError, send, startSessionServer, utf8 } from '../fixtures/e2e.ts';
import { call, login } from '../fixtures/local.ts';

const GRACE_SECONDS = 10;
const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer({ clock });
});

beforeEach(() => {
  // Every test starts mid-morning, far from the sessions' midnight.
  clock.set('2026-11-23T10:00:00.000Z');
});

afterAll(async () => {
  await server?.close();
});

const refresh = (refreshToken: string) => call(server.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

const me = (accessToken: string) => call(server.url, '/auth/me', { headers: bearer(accessToken) });

describe('POST /auth/refresh and the grace window', () => {
  it('gives the just-spent token the same successor until the grace window ends', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');
    const rotated = await refresh(session.refresh_token);
    clock.advance(GRACE_SECONDS - 1);

    // Act
    const retry = await refresh(session.refresh_token);

    // Assess
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(rotated.body.refresh_token);
    expect((await me(retry.body.access_token)).status).toBe(200);
  });

  it('revokes the session when the just-spent token comes back after the grace window: 401 invalid_grant, then its newest refresh token and its access tokens stop', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');
    const rotated = await refresh(session.refresh_token);
    expect(rotated.status).toBe(200);
    clock.advance(GRACE_SECONDS + 1);

    // Act
    const answer = await refresh(session.refresh_token);

    // Assess
    expectError(answer, 401, 'invalid_grant');
    expect(answer.body).toEqual({ error: 'invalid_grant', message: expect.any(String) });
    expectError(await refresh(rotated.body.refresh_token), 401, 'invalid_grant');
    expectError(await me(rotated.body.access_token), 401, 'unauthorized');
    expectError(await me(session.access_token), 401, 'unauthorized');
  });

  it('leaves the user’s other sessions alone when it revokes one for reuse', async () => {
    // Prepare
    const reused = await login(server.url, 'customer@example.com');
    const other = await login(server.url, 'customer@example.com');
    await refresh(reused.refresh_token);
    clock.advance(GRACE_SECONDS + 1);

    // Act
    const answer = await refresh(reused.refresh_token);

    // Assess
    expectError(answer, 401, 'invalid_grant');
    expect((await me(other.access_token)).status).toBe(200);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it('lets the newest token rotate at any time before midnight', async () => {
    // Prepare
    const session = await login(server.url, 'agent@example.com');
    const rotated = await refresh(session.refresh_token);
    clock.advance(6 * 3600);

    // Act
    const answer = await refresh(rotated.body.refresh_token);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).not.toBe(rotated.body.refresh_token);
    expect(answer.body.refresh_expires_at).toBe(session.refresh_expires_at);
  });

  it('does not spend a token on a refused request: after 400, 413 and 415 answers it still rotates once the grace is over', async () => {
    // Prepare
    const session = await login(server.url, 'manager@example.com');
    const token = session.refresh_token;
    const refused = [
      await call(server.url, '/auth/refresh', { body: { refresh_token: token, grant_type: 'refresh_token' } }),
      await call(server.url, '/auth/refresh', { body: { refresh_token: token, padding: 'x'.repeat(17 * 1024) } }),
      await send(server.url, '/auth/refresh', {
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ refresh_token: token }),
      }),
      await send(server.url, '/auth/refresh', { headers: { 'x-refresh-token': token }, body: utf8('{}') }),
    ];
    expect(refused.map((answer) => answer.status)).toEqual([400, 413, 415, 415]);
    clock.advance(GRACE_SECONDS + 1);

    // Act
    const answer = await refresh(token);

    // Assess
    expect(answer.status, answer.text).toBe(200);
    expect((await me(answer.body.access_token)).status).toBe(200);
  });
});
