/**
 * POST /auth/refresh as a client sees it: where the token may travel,
 * rotation, the grace window for racing tabs, reuse, and every refusal.
 * (Reuse after the grace window, which needs a short window, is in
 * refresh-reuse.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import {
  bearer,
  decodeAccessToken,
  detailPaths,
  expectDemoUser,
  expectError,
  send,
  startSessionServer,
  tokenBody,
  utf8,
} from '../fixtures/e2e.ts';
import { type Answer, call, login } from '../fixtures/local.ts';
import { addAccount } from '../fixtures/accounts.ts';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer();
});

afterAll(async () => {
  await server?.close();
});

const refresh = (refreshToken: string) => call(server.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

const me = (accessToken: string) => call(server.url, '/auth/me', { headers: bearer(accessToken) });

/** A successful refresh: the login body, with the tokens in headers too. */
function expectTokens(answer: Answer) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual(tokenBody());
  expect(answer.headers.get('x-access-token')).toBe(answer.body.access_token);
  expect(answer.headers.get('x-refresh-token')).toBe(answer.body.refresh_token);
  expect(answer.headers.get('cache-control')).toBe('no-store');
}

describe('POST /auth/refresh', () => {
  describe('rotation', () => {
    it('answers the login body with a new access token and a new refresh token for a token in the body', async () => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expectTokens(answer);
      expectDemoUser(answer.body.user, { email: 'cashier@example.com', role: 'CASHIER', tenant_id: 'demo', username: 'pos-001' });
      expect(answer.body.user).toEqual(session.user);
      expect(answer.body.refresh_token).not.toBe(session.refresh_token);
      expect(answer.body.access_token).not.toBe(session.access_token);
      expect(answer.body.refresh_expires_at).toBe(session.refresh_expires_at);
    });

    it('answers with the user as it is after a profile change, though the refresh reads no user', async () => {
      // Prepare
      const email = 'renamed-before-refresh@example.com';
      await addAccount({ email, password: 'Renamed passphrase 2026' });
      const session = await login(server.url, email, 'Renamed passphrase 2026');
      const changed = await call(server.url, '/auth/me', {
        method: 'PATCH',
        headers: bearer(session.access_token),
        body: { first_name: 'Ada' },
      });
      expect(changed.status, changed.text).toBe(200);

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expectTokens(answer);
      expect(answer.body.user).toEqual({ ...session.user, first_name: 'Ada' });
      expect(answer.body.user).toEqual(changed.body);
    });

    it.each([
      ['X-Refresh-Token', (token: string) => ({ 'x-refresh-token': token })],
      ['Authorization: Bearer', (token: string) => bearer(token)],
    ])('takes the refresh token in %s, with no body', async (_, headers) => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');

      // Act
      const answer = await call(server.url, '/auth/refresh', { method: 'POST', headers: headers(session.refresh_token) });

      // Assess
      expectTokens(answer);
      expect(answer.body.refresh_token).not.toBe(session.refresh_token);
      expect(answer.body.refresh_expires_at).toBe(session.refresh_expires_at);
    });

    it('gives tokens that work: the new access token on /auth/me, the new refresh token on the next refresh', async () => {
      // Prepare
      const session = await login(server.url, 'customer@example.com');
      const first = await refresh(session.refresh_token);

      // Act
      const profile = await me(first.body.access_token);
      const second = await refresh(first.body.refresh_token);

      // Assess
      expect(profile.status).toBe(200);
      expect(profile.body).toEqual(session.user);
      expectTokens(second);
      expect(new Set([session.refresh_token, first.body.refresh_token, second.body.refresh_token]).size).toBe(3);
      expect(second.body.refresh_expires_at).toBe(session.refresh_expires_at);
    });

    it('keeps the session: the new access token carries the login’s sid, and the old access token still works', async () => {
      // Prepare
      const session = await login(server.url, 'customer@example.com');

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expect(decodeAccessToken(answer.body.access_token).claims.sid).toBe(decodeAccessToken(session.access_token).claims.sid);
      expect((await me(session.access_token)).status).toBe(200);
    });
  });

  describe('races and retries', () => {
    it('gives the same successor to a token spent within the grace window', async () => {
      // Prepare
      const session = await login(server.url, 'agent@example.com');
      const first = await refresh(session.refresh_token);

      // Act
      const retry = await refresh(session.refresh_token);

      // Assess
      expectTokens(retry);
      expect(retry.body.refresh_token).toBe(first.body.refresh_token);
      expect(retry.body.refresh_expires_at).toBe(session.refresh_expires_at);
      expect(decodeAccessToken(retry.body.access_token).claims.jti).not.toBe(decodeAccessToken(first.body.access_token).claims.jti);
      expect((await me(retry.body.access_token)).status).toBe(200);
    });

    it('keeps the session after a grace-window retry: the successor still rotates', async () => {
      // Prepare
      const session = await login(server.url, 'agent@example.com');
      const first = await refresh(session.refresh_token);
      await refresh(session.refresh_token);

      // Act
      const next = await refresh(first.body.refresh_token);

      // Assess
      expectTokens(next);
      expect(next.body.refresh_token).not.toBe(first.body.refresh_token);
      expect((await me(next.body.access_token)).status).toBe(200);
    });

    it('gives all of 10 concurrent refreshes of one token 200 and one successor, and the user stays logged in', async () => {
      // Prepare
      const session = await login(server.url, 'manager@example.com');

      // Act
      const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(session.refresh_token)));

      // Assess
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      const successors = new Set(answers.map((answer) => answer.body.refresh_token));
      expect(successors.size).toBe(1);
      expect(successors.has(session.refresh_token)).toBe(false);
      const [successor] = successors as Set<string>;
      const next = await refresh(successor!);
      expectTokens(next);
      expect((await me(next.body.access_token)).status).toBe(200);
      expect((await me(answers[9]!.body.access_token)).status).toBe(200);
    });
  });

  describe('reuse', () => {
    it('revokes the session when a token older than the just-spent one comes back', async () => {
      // Prepare: t0 → t1 → t2, so t0 is two generations old.
      const session = await login(server.url, 'customer@example.com');
      const first = await refresh(session.refresh_token);
      const second = await refresh(first.body.refresh_token);
      expect([first.status, second.status]).toEqual([200, 200]);

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expectError(answer, 401, 'invalid_grant');
      expectError(await refresh(second.body.refresh_token), 401, 'invalid_grant');
      for (const accessToken of [session.access_token, first.body.access_token, second.body.access_token]) {
        expectError(await me(accessToken), 401, 'unauthorized');
      }
    });

    it('revokes only the session the token belongs to, not the user’s others', async () => {
      // Prepare
      const stolen = await login(server.url, 'cashier@example.com');
      const other = await login(server.url, 'cashier@example.com');
      const first = await refresh(stolen.refresh_token);
      await refresh(first.body.refresh_token);

      // Act
      const answer = await refresh(stolen.refresh_token);

      // Assess
      expectError(answer, 401, 'invalid_grant');
      expect((await me(other.access_token)).status).toBe(200);
      expectTokens(await refresh(other.refresh_token));
    });
  });

  describe('refusals', () => {
    it('answers 401 invalid_grant to the refresh token of a logged-out session', async () => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');
      const out = await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(session.access_token) });
      expect(out.status).toBe(204);

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expectError(answer, 401, 'invalid_grant');
    });

    it('answers 401 invalid_grant to a just-spent token after logout, even within the grace window', async () => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');
      const rotated = await refresh(session.refresh_token);
      const out = await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(rotated.body.access_token) });
      expect([rotated.status, out.status]).toEqual([200, 204]);

      // Act
      const answer = await refresh(session.refresh_token);

      // Assess
      expectError(answer, 401, 'invalid_grant');
      expect(answer.headers.get('x-refresh-token')).toBeNull();
    });

    it.each<[string, () => Promise<string>]>([
      ['garbage', async () => 'garbage'],
      [
        'a refresh token with its last character changed',
        async () => {
          const token = (await login(server.url, 'cashier@example.com')).refresh_token;
          return `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
        },
      ],
      [
        'a refresh token with its generation changed',
        async () => {
          const parts = (await login(server.url, 'cashier@example.com')).refresh_token.split('.');
          return parts.map((part, i) => (i === parts.length - 2 ? '1' : part)).join('.');
        },
      ],
      ['a truncated refresh token', async () => (await login(server.url, 'cashier@example.com')).refresh_token.slice(0, 40)],
      ['a token of 1024 characters', async () => 'x'.repeat(1024)],
    ])('answers 401 invalid_grant to %s', async (_, token) => {
      // Prepare
      const refreshToken = await token();

      // Act
      const answer = await refresh(refreshToken);

      // Assess
      const body = expectError(answer, 401, 'invalid_grant');
      expect(body).toEqual({ error: 'invalid_grant', message: expect.any(String) });
      expect(answer.headers.get('x-access-token')).toBeNull();
    });

    it.each([
      ['the body', (token: string) => ({ body: { refresh_token: token } })],
      ['X-Refresh-Token', (token: string) => ({ method: 'POST', headers: { 'x-refresh-token': token } })],
      ['Authorization: Bearer', (token: string) => ({ method: 'POST', headers: bearer(token) })],
    ])('answers 401 invalid_grant to an access token sent as the refresh token in %s', async (_, options) => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');

      // Act
      const answer = await call(server.url, '/auth/refresh', options(session.access_token));

      // Assess
      expectError(answer, 401, 'invalid_grant');
      expect(answer.body).toEqual({ error: 'invalid_grant', message: expect.any(String) });
    });

    it('answers the same invalid_grant body to an unknown, a revoked and a reused token', async () => {
      // Prepare
      const revoked = await login(server.url, 'agent@example.com');
      await call(server.url, '/auth/logout', { method: 'POST', headers: bearer(revoked.access_token) });
      const reused = await login(server.url, 'agent@example.com');
      const first = await refresh(reused.refresh_token);
      await refresh(first.body.refresh_token);

      // Act
      const answers = await Promise.all([refresh('unknown'), refresh(revoked.refresh_token), refresh(reused.refresh_token)]);

      // Assess
      expect(answers.map((answer) => ({ status: answer.status, body: answer.body }))).toEqual(
        Array(3).fill({ status: 401, body: answers[0]!.body }),
      );
    });

    it.each<[string, Parameters<typeof call>[2]]>([
      ['no body and no header', { method: 'POST' }],
      ['an empty JSON object', { body: {} }],
      ['an Authorization header that is not Bearer', { method: 'POST', headers: { authorization: 'Basic Zm9vOmJhcg==' } }],
      ['an empty X-Refresh-Token', { method: 'POST', headers: { 'x-refresh-token': '' } }],
    ])('answers 400 invalid_request when no token is sent anywhere: %s', async (_, options) => {
      // Act
      const answer = await call(server.url, '/auth/refresh', options);

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toEqual(['refresh_token']);
    });

    it.each<[string, unknown, string]>([
      ['an empty refresh_token', { refresh_token: '' }, 'refresh_token'],
      ['a refresh_token that is not a string', { refresh_token: 42 }, 'refresh_token'],
      ['a null refresh_token', { refresh_token: null }, 'refresh_token'],
      ['an unknown field', { refresh_token: 'x', grant_type: 'refresh_token' }, 'grant_type'],
    ])('answers 400 invalid_request to %s', async (_, body, path) => {
      // Act
      const answer = await call(server.url, '/auth/refresh', { body });

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain(path);
    });

    it.each<[string, string]>([
      ['a JSON array', '["a-refresh-token"]'],
      ['a JSON string', '"a-refresh-token"'],
      ['JSON null', 'null'],
      ['broken JSON', '{"refresh_token": "a-refresh-token"'],
    ])('answers 400 invalid_request to a body that is %s', async (_, body) => {
      // Act
      const answer = await call(server.url, '/auth/refresh', { body, headers: { 'content-type': 'application/json' } });

      // Assess
      expectError(answer, 400, 'invalid_request');
    });

    it('answers 415 to a body without Content-Type: application/json', async () => {
      // Prepare
      const session = await login(server.url, 'manager2@example.com');
      const body = JSON.stringify({ refresh_token: session.refresh_token });

      // Act
      const plain = await send(server.url, '/auth/refresh', { headers: { 'content-type': 'text/plain' }, body });
      const untyped = await send(server.url, '/auth/refresh', { body: utf8(body) });

      // Assess
      expectError(plain, 415, 'unsupported_media_type');
      expectError(untyped, 415, 'unsupported_media_type');
    });

    it('answers 413 to a body over 16 KiB', async () => {
      // Act
      const answer = await call(server.url, '/auth/refresh', { body: { refresh_token: 'x'.repeat(17 * 1024) } });

      // Assess
      expectError(answer, 413, 'payload_too_large');
    });
  });
});
