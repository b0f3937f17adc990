import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';

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
});
