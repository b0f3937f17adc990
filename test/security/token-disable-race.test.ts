/**
 * An API token whose creation was authorized a moment before its owner was
 * disabled: the disable lists and revokes the owner's tokens and stamps the
 * owner, and this token is stored after both. API.md says a disable revokes
 * API tokens for good, so it must not work again when the owner is
 * re-enabled. The race is made on purpose: a hook holds the authorizer's
 * answer after it has read the still-live session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deps } from '../../functions/core/deps.ts';
import { listApiTokens } from '../../functions/core/records/api-tokens.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { runningFunction } from '../../local/grants.ts';
import { expectError, startSessionServer } from '../fixtures/e2e.ts';
import { call, login } from '../fixtures/local.ts';

let server: LocalEnvironment;
let manager: string;

beforeAll(async () => {
  server = await startSessionServer();
  manager = (await login(server.url, 'manager@example.com')).access_token;
});

afterAll(async () => {
  await server?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const apiToken = (token: string) => ({ 'x-auth-token': token });
const PASSWORD = 'Racing passphrase 2026';
let agents = 0;

async function newAgent(): Promise<{ id: string; token: string }> {
  const email = `racing-agent-${++agents}@example.com`;
  const created = await call(server.url, '/users', { headers: bearer(manager), body: { email, role: 'AGENT', password: PASSWORD } });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id, token: (await login(server.url, email, PASSWORD)).access_token };
}

/** Holds the authorizer's answer once it has read `userId`'s session; `release` lets it go on. */
function holdAuthorizerOf(userId: string): { reached: Promise<void>; release: () => void; done: () => void } {
  const db = deps().db;
  let armed = true;
  let reached!: () => void;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const hook = 'hold-authorizer';
  db.addHook(hook, async (command, next) => {
    const result = await next();
    const key = (command.input as { Key?: { pk?: string; sk?: string } }).Key;
    if (
      armed &&
      command.operation === 'GetItem' &&
      key?.pk === `USER#${userId}` &&
      String(key.sk ?? '').startsWith('SESSION#') &&
      runningFunction()?.handler === 'authorizer'
    ) {
      armed = false;
      reached();
      await gate;
    }
    return result;
  });
  return {
    reached: new Promise<void>((resolve) => {
      reached = resolve;
    }),
    release,
    done: () => db.removeHook(hook),
  };
}

describe('an API token created while its owner is being disabled', () => {
  it('is refused with 401, and stays dead after the owner is enabled again', async () => {
    const agent = await newAgent();
    const hold = holdAuthorizerOf(agent.id);
    try {
      const creating = call(server.url, '/auth/api-tokens', { headers: bearer(agent.token), body: { name: 'racing', expires_in: '1y' } });
      await hold.reached;
      expect((await call(server.url, `/users/${agent.id}`, { method: 'DELETE', headers: bearer(manager) })).status).toBe(204);
      hold.release();
      const created = await creating;

      expectError(created, 401, 'unauthorized');
      expect(created.text).not.toMatch(/sat_/);
    } finally {
      hold.release();
      hold.done();
    }
    const enabled = await call(server.url, `/users/${agent.id}`, { method: 'PATCH', headers: bearer(manager), body: { status: 'active' } });
    expect(enabled.status, enabled.text).toBe(200);
    // The racing token was stored, and revoked itself once it read its owner disabled.
    const stored = await listApiTokens(deps(), agent.id);
    expect(stored.map(({ name, revoked }) => ({ name, revoked }))).toEqual([{ name: 'racing', revoked: true }]);
  });

  it('a token created just before the disable dies with it, and one created after the re-enable works (controls)', async () => {
    const agent = await newAgent();
    const before = await call(server.url, '/auth/api-tokens', { headers: bearer(agent.token), body: { name: 'before', expires_in: '1y' } });
    expect(before.status).toBe(201);
    expect((await call(server.url, '/auth/me', { headers: apiToken(before.body.token) })).status).toBe(200);

    expect((await call(server.url, `/users/${agent.id}`, { method: 'DELETE', headers: bearer(manager) })).status).toBe(204);
    expect(
      (await call(server.url, `/users/${agent.id}`, { method: 'PATCH', headers: bearer(manager), body: { status: 'active' } })).status,
    ).toBe(200);

    expect((await call(server.url, '/auth/me', { headers: apiToken(before.body.token) })).status).toBe(401);
    const again = (await login(server.url, `racing-agent-${agents}@example.com`, PASSWORD)).access_token;
    const after = await call(server.url, '/auth/api-tokens', { headers: bearer(again), body: { name: 'after', expires_in: '1y' } });
    expect(after.status, after.text).toBe(201);
    expect((await call(server.url, '/auth/me', { headers: apiToken(after.body.token) })).status).toBe(200);
  });
});
