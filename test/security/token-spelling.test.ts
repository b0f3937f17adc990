/**
 * One token, one spelling: a refresh token respelled so that it decodes to
 * the same bytes (its MAC's unused bits set, a generation with a leading
 * zero) is not that token. It is refused, and it is not taken for a spent
 * token either, which would revoke the owner's session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer();
});
afterAll(() => local.close());

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const refresh = (token: string) => call(local.url, '/auth/refresh', { body: { refresh_token: token } });

/** `user.session.generation.mac` with the MAC's last character's two unused bits set: the same bytes. */
function macRespelled(token: string): string {
  const parts = token.split('.');
  const mac = parts[3] as string;
  const last = ALPHABET.indexOf(mac.at(-1) as string);
  const respelled = `${mac.slice(0, -1)}${ALPHABET[last | 0b11]}`;
  if (respelled === mac) return macRespelled(`${parts.slice(0, 3).join('.')}.${mac.slice(0, -1)}A`); // already set: cannot happen for our MACs
  expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
  return [...parts.slice(0, 3), respelled].join('.');
}

describe('a respelled refresh token', () => {
  it.each([
    ['its MAC’s unused bits set', macRespelled],
    [
      'a leading zero on its generation',
      (t: string) =>
        t
          .split('.')
          .map((p, i) => (i === 2 ? `0${p}` : p))
          .join('.'),
    ],
  ])('with %s is invalid_grant, and the session and its genuine token live on', async (_, respell) => {
    // Prepare
    const session = await login(local.url, 'customer@example.com');

    // Act
    const answer = await refresh(respell(session.refresh_token));

    // Assess
    expectError(answer, 401, 'invalid_grant');
    expect((await call(local.url, '/auth/me', { headers: bearer(session.access_token) })).status).toBe(200);
    expect((await refresh(session.refresh_token)).status).toBe(200);
  });
});
