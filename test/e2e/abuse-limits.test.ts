import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { MAX_CODE_GUESSES_PER_DAY } from '../../functions/core/password-reset.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';

describe('limits on abuse of a stolen or guessed credential', () => {
  let local: LocalEnvironment;
  beforeAll(async () => {
    local = await startTestServer({ env: { RESET_IP_LIMIT: '1000', RESET_EMAIL_LIMIT: '1000' } });
  });
  afterAll(() => local.close());

  it('refuses API tokens on the routes that manage API tokens, so a leaked token cannot mint more', async () => {
    const manager = await login(local.url, 'manager@example.com');
    const bearer = { authorization: `Bearer ${manager.access_token}` };
    const created = await call(local.url, '/auth/api-tokens', { headers: bearer, body: { name: 'job', expires_in: '24h' } });
    expect(created.status).toBe(201);
    const asToken = { 'x-auth-token': created.body.token as string };
    const attempts = [
      await call(local.url, '/auth/api-tokens', { headers: asToken, body: { name: 'more', expires_in: '1y' } }),
      await call(local.url, '/auth/api-tokens', { headers: asToken }),
      await call(local.url, `/auth/api-tokens/${created.body.id}/rotate`, { method: 'POST', headers: asToken }),
      await call(local.url, `/auth/api-tokens/${created.body.id}`, { method: 'DELETE', headers: asToken }),
    ];
    for (const attempt of attempts) {
      expect(attempt.status).toBe(403);
      expect(attempt.body).toEqual({ error: 'forbidden', message: 'You are not allowed to do this', role: 'MANAGER' });
    }
    // The token still does what it is for.
    expect((await call(local.url, '/auth/me', { headers: asToken })).status).toBe(200);
    expect((await call(local.url, '/auth/api-tokens', { headers: bearer })).body.items).toHaveLength(1);
  });

  it(`stops accepting reset codes for an email after ${MAX_CODE_GUESSES_PER_DAY} tries in a day, however many codes were sent`, async () => {
    const email = 'customer@example.com';
    const reset = (code: string) => call(local.url, '/auth/password/reset', { body: { email, code, password: 'a perfectly fine passphrase' } });
    const mail = mailbox(local);
    for (let i = 0; i < MAX_CODE_GUESSES_PER_DAY; i += 4) {
      await call(local.url, '/auth/password/forgot', { body: { email } });
      for (let j = 0; j < 4; j++) expect((await reset('000000')).body.error).toBe('invalid_code');
    }
    await mail.clear();
    await call(local.url, '/auth/password/forgot', { body: { email } });
    const [sent] = await mail.to(email);
    const code = codeIn(sent as Parameters<typeof codeIn>[0]);
    // A fresh, right code: refused all the same.
    const answer = await reset(code);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_code');
    expect((await call(local.url, '/auth/login', { body: { email, password: 'a perfectly fine passphrase' } })).status).toBe(401);
  });
});
