/**
 * API tokens as a server-to-server client lives them: made by a MANAGER or an
 * AGENT, sent in X-Auth-Token only, listed without their text, rotated and
 * deleted with immediate effect, acting with the owner's current role, and
 * refused for good once the owner is disabled.
 */
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newTokenId, newTokenText } from '../../functions/core/crypto/api-token-text.ts';
import { apiTokenKey } from '../../functions/core/records/keys.ts';
import { deps } from '../../functions/core/deps.ts';
import { logger } from '../../functions/core/infra/logger.ts';
import { expiryChoices, expiryOf } from '../../functions/core/crypto/token-expiry.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, challenge, detailPaths, expectError, ISO_UTC_MS, permissionsOfRole, startSessionServer } from '../fixtures/e2e.ts';
import { call, demoPassword, login } from '../fixtures/local.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const TOKEN_TEXT = /^sat_[0-9a-f]{24}_[0-9a-f]{64}[0-9a-f]{8}$/;

interface CreatedToken {
  readonly id: string;
  readonly name: string;
  readonly token: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly last_used_at: string | null;
}

describe('API tokens', () => {
  // The local server lives in this process (its handlers read process.env), so one runs at a time.
  let local: LocalEnvironment;
  const clock = new FakeClock(new Date('2026-01-31T10:00:00.000Z'));
  beforeAll(async () => {
    local = await startSessionServer({ clock });
  });
  afterAll(() => local.close());

  const create = (headers: Record<string, string>, body: unknown) => call(local.url, '/auth/api-tokens', { method: 'POST', headers, body });
  const list = (headers: Record<string, string>) => call(local.url, '/auth/api-tokens', { headers });
  const rotate = (headers: Record<string, string>, id: string) =>
    call(local.url, `/auth/api-tokens/${encodeURIComponent(id)}/rotate`, { method: 'POST', headers });
  const remove = (headers: Record<string, string>, id: string) =>
    call(local.url, `/auth/api-tokens/${encodeURIComponent(id)}`, { method: 'DELETE', headers });
  const me = (headers: Record<string, string>, path = '/auth/me') => call(local.url, path, { headers });
  const apiToken = (token: string) => ({ 'x-auth-token': token });

  /** Logs in and makes a token; fails the test on anything but 201. */
  async function tokenOf(email: string, name = 'billing-sync', expiresIn = '1mo') {
    const session = await login(local.url, email);
    const answer = await create(bearer(session.access_token), { name, expires_in: expiresIn });
    expect(answer.status, answer.text).toBe(201);
    return { session, created: answer.body as CreatedToken };
  }

  /** An account of its own for a test that changes it or counts its tokens. */
  async function account(email: string, role: 'MANAGER' | 'AGENT' = 'AGENT') {
    const id = await addAccount({ email, password: demoPassword, role });
    return { id, email };
  }

  const asManager = async () => bearer((await login(local.url, 'manager@example.com')).access_token);

  describe('POST /auth/api-tokens', () => {
    it.each([
      ['MANAGER', 'manager@example.com'],
      ['AGENT', 'agent@example.com'],
    ] as const)('makes a token for a %s that acts as its owner in X-Auth-Token', async (role, email) => {
      // Prepare
      const session = await login(local.url, email);
      const now = clock.now();

      // Act
      const answer = await create(bearer(session.access_token), { name: `ci-${role}`, expires_in: '1mo' });
      const asOwner = await me(apiToken(answer.body.token));

      // Assess
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: expect.any(String),
        name: `ci-${role}`,
        token: expect.stringMatching(TOKEN_TEXT),
        created_at: now.toISOString(),
        expires_at: expiryOf('1mo', now).toISOString(),
        last_used_at: null,
      });
      expect(Object.keys(answer.body).sort()).toEqual(['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'token']);
      expect(answer.body.expires_at).toBe('2026-02-28T10:00:00.000Z');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(asOwner.status).toBe(200);
      expect(asOwner.body).toEqual(session.user);
      expect(asOwner.body.role).toBe(role);
      expect([...asOwner.body.permissions].sort()).toEqual(permissionsOfRole[role]);
    });

    it('refuses an API token anywhere but X-Auth-Token: Bearer, X-Access-Token and the query string', async () => {
      // Prepare
      const { created } = await tokenOf('manager@example.com');
      const query = ['token', 'x-auth-token', 'X-Auth-Token', 'api_token', 'access_token', 'auth_token']
        .map((name) => `${name}=${encodeURIComponent(created.token)}`)
        .join('&');

      // Act
      const answers = [
        await me(bearer(created.token)),
        await me({ 'x-access-token': created.token }),
        await me({}, `/auth/me?${query}`),
        await me({ authorization: created.token }),
      ];

      // Assess
      for (const answer of answers) expectError(answer, 401, 'unauthorized');
      expect((await me(apiToken(created.token))).status).toBe(200);
    });

    it.each(expiryChoices)('sets expires_at for %s from the time of the request', async (choice) => {
      // Prepare
      clock.advance(3600);
      const session = await login(local.url, 'agent@example.com');
      const now = clock.now();

      // Act
      const answer = await create(bearer(session.access_token), { name: `expiry ${choice}`, expires_in: choice });

      // Assess
      expect(answer.status).toBe(201);
      expect(answer.body.created_at).toBe(now.toISOString());
      expect(answer.body.expires_at).toBe(expiryOf(choice, now).toISOString());
      expect(answer.body.expires_at).toMatch(ISO_UTC_MS);
    });

    it('refuses a token once its expires_at has come, and says it expired only to its current text', async () => {
      // Prepare: a text rotated away stays one that is refused for another reason.
      const { session, created } = await tokenOf('agent@example.com', 'short-lived', '24h');
      const lifetime = (Date.parse(created.expires_at) - clock.now().getTime()) / 1000;
      expect(lifetime).toBe(86_400);
      const { token } = (await rotate(bearer(session.access_token), created.id)).body as CreatedToken;

      // Act
      clock.advance(lifetime - 1);
      const lastSecond = await me(apiToken(token));
      clock.advance(1);
      const atExpiry = await me(apiToken(token));
      const oldText = await me(apiToken(created.token));
      clock.advance(3600);
      const later = await me(apiToken(token));

      // Assess
      expect(lastSecond.status).toBe(200);
      for (const answer of [atExpiry, later]) {
        expectError(answer, 401, 'unauthorized');
        expect(answer.headers.get('www-authenticate')).toBe(challenge.expired);
      }
      expectError(oldText, 401, 'unauthorized');
      expect(oldText.headers.get('www-authenticate')).toBe(challenge.invalid);
    });

    it.each([
      ['no body field at all', {}, ['name', 'expires_in']],
      ['no name', { expires_in: '1mo' }, ['name']],
      ['no expires_in', { name: 'ci' }, ['expires_in']],
      ['an empty name', { name: '', expires_in: '1mo' }, ['name']],
      ['a 101-character name', { name: 'n'.repeat(101), expires_in: '1mo' }, ['name']],
      ['a name that is not a string', { name: 42, expires_in: '1mo' }, ['name']],
      ['expires_in 2d', { name: 'ci', expires_in: '2d' }, ['expires_in']],
      ['expires_in 1w', { name: 'ci', expires_in: '1w' }, ['expires_in']],
      ['expires_in 5', { name: 'ci', expires_in: 5 }, ['expires_in']],
      ['expires_in 1Y', { name: 'ci', expires_in: '1Y' }, ['expires_in']],
      ['an unknown field', { name: 'ci', expires_in: '1mo', scopes: ['all'] }, []],
    ])('answers 400 invalid_request for %s', async (_, body, paths) => {
      // Prepare
      const session = await login(local.url, 'manager@example.com');

      // Act
      const answer = await create(bearer(session.access_token), body);

      // Assess
      expectError(answer, 400, 'invalid_request');
      for (const path of paths) expect(detailPaths(answer)).toContain(path);
    });

    it('answers 400 invalid_request without a body', async () => {
      const session = await login(local.url, 'manager@example.com');
      const answer = await call(local.url, '/auth/api-tokens', { method: 'POST', headers: bearer(session.access_token) });
      expectError(answer, 400, 'invalid_request');
    });

    it('takes names of 1 and of 100 characters', async () => {
      const session = await login(local.url, 'manager@example.com');
      const short = await create(bearer(session.access_token), { name: 'x', expires_in: '24h' });
      const long = await create(bearer(session.access_token), { name: 'y'.repeat(100), expires_in: '24h' });
      expect([short.status, short.body.name]).toEqual([201, 'x']);
      expect([long.status, long.body.name]).toEqual([201, 'y'.repeat(100)]);
    });

    it.each([
      ['CUSTOMER', 'customer@example.com'],
      ['CASHIER', 'cashier@example.com'],
    ])('answers 403 forbidden with the role to a %s, on every API token route', async (role, email) => {
      // Prepare
      const session = await login(local.url, email);
      const headers = bearer(session.access_token);

      // Act
      const answers = [
        await create(bearer(session.access_token), { name: 'nope', expires_in: '1mo' }),
        await list(headers),
        await rotate(headers, newTokenId()),
        await remove(headers, newTokenId()),
      ];

      // Assess
      for (const answer of answers) {
        expect(answer.status).toBe(403);
        expect(answer.body).toEqual({ error: 'forbidden', message: expect.any(String), role });
      }
    });

    it('answers 401 without a credential', async () => {
      expectError(await create({}, { name: 'ci', expires_in: '1mo' }), 401, 'unauthorized');
      expectError(await list({}), 401, 'unauthorized');
    });
  });

  describe('the token text', () => {
    const written: string[] = [];
    afterEach(() => {
      vi.restoreAllMocks();
      logger.setLogLevel('WARN');
    });

    it('appears only in the create and rotate answers: never in a list, the tables or the logs', async () => {
      // Prepare
      logger.setLogLevel('DEBUG');
      // Kept for the assertions, not shown: the test's output stays readable.
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });

      // Act
      const { session, created } = await tokenOf('manager@example.com', 'secret-keeper');
      const used = await me(apiToken(created.token));
      const rotated = await rotate(bearer(session.access_token), created.id);
      const usedNew = await me(apiToken(rotated.body.token));
      const refusedOld = await me(apiToken(created.token));
      const listed = await list(bearer(session.access_token));
      const listedWithToken = await list(apiToken(rotated.body.token));
      const storedBeforeDelete = JSON.stringify(await scanTable(local, 'API_TOKENS_TABLE'));
      clock.advance(1);
      const deleted = await remove(bearer(session.access_token), created.id);

      // Assess
      expect([used.status, rotated.status, usedNew.status, refusedOld.status, listed.status, deleted.status]).toEqual([
        200, 200, 200, 401, 200, 204,
      ]);
      const texts = [created.token, rotated.body.token as string];
      const secrets = texts.map((text) => text.slice(29, 93));
      expect(secrets.every((secret) => /^[0-9a-f]{64}$/.test(secret))).toBe(true);
      const audit = JSON.stringify(await scanTable(local, 'AUDIT_TABLE'));
      const tokens = storedBeforeDelete + JSON.stringify(await scanTable(local, 'API_TOKENS_TABLE'));
      const logs = written.join('');
      expect(logs).toContain('"audit"');
      expect(storedBeforeDelete).toContain(created.id);
      for (const text of [...texts, ...secrets]) {
        expect(listed.text).not.toContain(text);
        expect(listedWithToken.text).not.toContain(text);
        expect(audit).not.toContain(text);
        expect(tokens).not.toContain(text);
        expect(logs).not.toContain(text);
      }
      for (const item of listed.body.items) expect(item).not.toHaveProperty('token');
    });
  });

  describe('GET /auth/api-tokens', () => {
    it("lists the caller's tokens only, without their text", async () => {
      // Prepare
      const owner = await account('token-lister@example.com', 'MANAGER');
      const other = await account('token-neighbour@example.com', 'MANAGER');
      const first = (await tokenOf(owner.email, 'first', '24h')).created;
      clock.advance(1);
      const { session, created: second } = await tokenOf(owner.email, 'second', '1y');
      const theirs = (await tokenOf(other.email, 'theirs')).created;

      // Act
      const answer = await list(bearer(session.access_token));

      // Assess
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body)).toEqual(['items']);
      expect([...answer.body.items].sort((a, b) => a.name.localeCompare(b.name))).toEqual([withoutToken(first), withoutToken(second)]);
      expect(answer.text).not.toContain(theirs.id);
    });

    it('shows last_used_at after a use, writes it at most once a minute, and records the IP', async () => {
      // Prepare
      const owner = await account('token-user@example.com');
      const { session, created } = await tokenOf(owner.email, 'last-used');
      const base = local.url.replace('localhost', '127.0.0.1');
      const stored = async () => readItem(local, 'API_TOKENS_TABLE', apiTokenKey(created.id));
      clock.advance(5);
      const firstUse = clock.now().toISOString();

      // Act
      const first = await getFrom('127.0.0.7', `${base}/auth/me`, apiToken(created.token));
      const afterFirst = await stored();
      clock.advance(30);
      const second = await getFrom('127.0.0.8', `${base}/auth/me`, apiToken(created.token));
      const afterSecond = await stored();
      clock.advance(31);
      const thirdUse = clock.now().toISOString();
      const third = await getFrom('127.0.0.9', `${base}/auth/me`, apiToken(created.token));
      const afterThird = await stored();
      const listed = await list(bearer(session.access_token));

      // Assess
      expect([first, second, third]).toEqual([200, 200, 200]);
      expect(afterFirst).toMatchObject({ lastUsedAt: firstUse, lastUsedIp: '127.0.0.7' });
      expect(afterSecond).toMatchObject({ lastUsedAt: firstUse, lastUsedIp: '127.0.0.7' });
      expect(afterThird).toMatchObject({ lastUsedAt: thirdUse, lastUsedIp: '127.0.0.9' });
      expect(listed.body.items).toEqual([{ ...withoutToken(created), last_used_at: thirdUse }]);
    });
  });

  describe('POST /auth/api-tokens/{id}/rotate', () => {
    it('gives a new text with the same id, name and dates; the old text stops at once', async () => {
      // Prepare
      const { session, created } = await tokenOf('agent@example.com', 'rotate-me', '3mo');
      clock.advance(120);

      // Act
      const answer = await rotate(bearer(session.access_token), created.id);
      const oldText = await me(apiToken(created.token));
      const newText = await me(apiToken(answer.body.token));

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        id: created.id,
        name: 'rotate-me',
        token: expect.stringMatching(TOKEN_TEXT),
        created_at: created.created_at,
        expires_at: created.expires_at,
        last_used_at: null,
      });
      expect(answer.body.token).not.toBe(created.token);
      expect(answer.body.token.slice(0, 29)).toBe(created.token.slice(0, 29));
      expectError(oldText, 401, 'unauthorized');
      expect(newText.status).toBe(200);
      expect(newText.body.email).toBe('agent@example.com');
    });

    it('leaves only the new text working when uses of the old one race the rotation', async () => {
      for (let round = 0; round < 3; round++) {
        // Prepare
        const { session, created } = await tokenOf('manager@example.com', `race-${round}`);

        // Act
        const [rotated, ...uses] = await Promise.all([
          rotate(bearer(session.access_token), created.id),
          ...Array.from({ length: 4 }, () => me(apiToken(created.token))),
        ]);

        // Assess
        expect(rotated?.status).toBe(200);
        for (const use of uses) expect([200, 401]).toContain(use.status);
        expectError(await me(apiToken(created.token)), 401, 'unauthorized');
        expect((await me(apiToken(rotated?.body.token))).status).toBe(200);
      }
    });

    it("answers 404 for another user's token id, in the tenant or not, and for an unknown id", async () => {
      // Prepare
      const { created } = await tokenOf('agent@example.com', 'not-yours');
      const others = [
        bearer((await login(local.url, 'manager@example.com')).access_token),
        bearer((await login(local.url, 'manager2@example.com')).access_token),
      ];
      const ownerHeaders = bearer((await login(local.url, 'agent@example.com')).access_token);

      // Act
      const answers = [
        ...(await Promise.all(others.map((headers) => rotate(headers, created.id)))),
        ...(await Promise.all(others.map((headers) => remove(headers, created.id)))),
        await rotate(ownerHeaders, newTokenId()),
        await remove(ownerHeaders, newTokenId()),
        await rotate(ownerHeaders, 'no-such-token'),
        await remove(ownerHeaders, 'no-such-token'),
      ];

      // Assess
      for (const answer of answers) {
        expectError(answer, 404, 'not_found');
      }
      expect((await me(apiToken(created.token))).status).toBe(200);
    });
  });

  describe('DELETE /auth/api-tokens/{id}', () => {
    it('answers 204 and the token stops at once', async () => {
      // Prepare
      const owner = await account('token-deleter@example.com');
      const { session, created } = await tokenOf(owner.email, 'delete-me');
      expect((await me(apiToken(created.token))).status).toBe(200);

      // Act
      const answer = await remove(bearer(session.access_token), created.id);
      const after = await me(apiToken(created.token));
      const again = await remove(bearer(session.access_token), created.id);
      const listed = await list(bearer(session.access_token));

      // Assess
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
      expectError(after, 401, 'unauthorized');
      expectError(again, 404, 'not_found');
      expect(listed.body).toEqual({ items: [] });
    });
  });

  describe('uses racing a deletion', () => {
    it('never bring the token back', async () => {
      // Prepare
      const owner = await account('token-race-delete@example.com');
      const { session, created } = await tokenOf(owner.email, 'race-delete');

      // Act
      const [deleted, ...uses] = await Promise.all([
        remove(bearer(session.access_token), created.id),
        ...Array.from({ length: 4 }, () => me(apiToken(created.token))),
      ]);
      clock.advance(61);
      const after = await me(apiToken(created.token));

      // Assess
      expect(deleted?.status).toBe(204);
      for (const use of uses) expect([200, 401]).toContain(use.status);
      expectError(after, 401, 'unauthorized');
      expect(await readItem(local, 'API_TOKENS_TABLE', apiTokenKey(created.id))).toBeUndefined();
      expect((await list(bearer((await login(local.url, owner.email)).access_token))).body).toEqual({ items: [] });
    });
  });

  describe('routes reserved to a role', () => {
    it("let a MANAGER's token in, and refuse an AGENT's with 403", async () => {
      // Prepare
      const manager = (await tokenOf('manager@example.com', 'auditor')).created;
      const agent = (await tokenOf('agent@example.com', 'not-an-auditor')).created;

      // Act
      const asManager = await call(local.url, '/audit/events?limit=1', { headers: apiToken(manager.token) });
      const asAgent = await call(local.url, '/audit/events?limit=1', { headers: apiToken(agent.token) });

      // Assess
      expect(asManager.status).toBe(200);
      expect(asManager.body.items).toHaveLength(1);
      expect(asAgent.status).toBe(403);
      expect(asAgent.body).toEqual({ error: 'forbidden', message: expect.any(String), role: 'AGENT' });
    });
  });

  describe('a token that cannot be ours', () => {
    let calls: string[] = [];
    beforeAll(() => {
      deps().db.addHook('countApiTokenTestCalls', async ({ operation }, next) => {
        calls.push(operation);
        return next();
      });
    });
    afterAll(() => {
      deps().db.removeHook('countApiTokenTestCalls');
    });

    /** The DynamoDB calls one request makes. */
    async function callsOf(headers: Record<string, string>) {
      calls = [];
      const answer = await me(headers);
      return { answer, calls: [...calls] };
    }

    it('is refused without a DynamoDB call when its checksum is broken', async () => {
      // Prepare
      const { created } = await tokenOf('manager@example.com', 'checksum');
      const last = created.token.at(-1) === '0' ? '1' : '0';
      const broken = `${created.token.slice(0, -1)}${last}`;
      const flippedSecret = `${created.token.slice(0, 40)}${created.token[40] === 'a' ? 'b' : 'a'}${created.token.slice(41)}`;

      // Act
      const good = await callsOf(apiToken(created.token));
      const badChecksum = await callsOf(apiToken(broken));
      const badSecret = await callsOf(apiToken(flippedSecret));
      const malformed = await callsOf(apiToken('sat_not-a-token'));

      // Assess
      expect(good.answer.status).toBe(200);
      expect(good.calls.length).toBeGreaterThan(0);
      for (const refused of [badChecksum, badSecret, malformed]) {
        expectError(refused.answer, 401, 'unauthorized');
        expect(refused.calls).toEqual([]);
      }
    });

    it('is refused when well formed but unknown', async () => {
      const { token } = newTokenText(newTokenId());
      expectError(await me(apiToken(token)), 401, 'unauthorized');
    });
  });

  describe("the owner's current role and status", () => {
    it('acts with the role the owner has at each call', async () => {
      // Prepare
      const owner = await account('token-role@example.com');
      const { session, created } = await tokenOf(owner.email, 'role-follower');
      const before = await me(apiToken(created.token));
      const manager = await asManager();

      // Act
      const demoted = await call(local.url, `/users/${owner.id}`, { method: 'PATCH', headers: manager, body: { role: 'CASHIER' } });
      const asCashier = await me(apiToken(created.token));
      const createAsCashier = await create(apiToken(created.token), { name: 'more', expires_in: '1mo' });
      const listAsCashier = await list(apiToken(created.token));
      const oldSession = await me(bearer(session.access_token));
      const promoted = await call(local.url, `/users/${owner.id}`, { method: 'PATCH', headers: manager, body: { role: 'MANAGER' } });
      // A route reserved to managers now lets the token through.
      const auditAsManager = await call(local.url, '/audit/events?limit=1', { headers: apiToken(created.token) });

      // Assess
      expect(before.body.role).toBe('AGENT');
      expect(demoted.status).toBe(200);
      expect(asCashier.status).toBe(200);
      expect(asCashier.body.role).toBe('CASHIER');
      expect([...asCashier.body.permissions].sort()).toEqual(permissionsOfRole.CASHIER);
      expect(createAsCashier.status).toBe(403);
      expect(createAsCashier.body).toEqual({ error: 'forbidden', message: expect.any(String), role: 'CASHIER' });
      expect(listAsCashier.body).toEqual({ error: 'forbidden', message: expect.any(String), role: 'CASHIER' });
      // A role change revokes the owner's sessions, not its API tokens.
      expectError(oldSession, 401, 'unauthorized');
      expect(promoted.status).toBe(200);
      expect(auditAsManager.status).toBe(200);
      expect(auditAsManager.body.items).toHaveLength(1);
    });

    it('refuses every token of a disabled owner, for good', async () => {
      // Prepare
      const owner = await account('token-disabled@example.com');
      const one = (await tokenOf(owner.email, 'one', '1y')).created;
      const two = (await tokenOf(owner.email, 'two', '24h')).created;
      expect((await me(apiToken(one.token))).status).toBe(200);
      const manager = await asManager();

      // Act
      const disabled = await call(local.url, `/users/${owner.id}`, { method: 'DELETE', headers: manager });
      const whileDisabled = [await me(apiToken(one.token)), await me(apiToken(two.token))];
      clock.advance(1);
      const enabled = await call(local.url, `/users/${owner.id}`, { method: 'PATCH', headers: manager, body: { status: 'active' } });
      const afterEnabling = [await me(apiToken(one.token)), await me(apiToken(two.token))];
      clock.advance(1);
      const fresh = (await tokenOf(owner.email, 'after', '24h')).created;

      // Assess
      expect(disabled.status).toBe(204);
      expect(enabled.status).toBe(200);
      expect(enabled.body.status).toBe('active');
      for (const answer of [...whileDisabled, ...afterEnabling]) {
        expectError(answer, 401, 'unauthorized');
        expect(answer.headers.get('www-authenticate')).toBe(challenge.invalid);
      }
      expect((await me(apiToken(fresh.token))).status).toBe(200);
      expectError(await me(apiToken(one.token)), 401, 'unauthorized');
      // Past its expires_at, a revoked token is expired like any other: expiry never tells revoked from not.
      clock.advance(86_400);
      expect((await me(apiToken(two.token))).headers.get('www-authenticate')).toBe(challenge.expired);
    });
  });

  describe('audit events', () => {
    it('records created, rotated, rejected and deleted for the owner', async () => {
      // Prepare
      const owner = await account('token-audited@example.com');
      const { session, created } = await tokenOf(owner.email, 'audited');
      const headers = bearer(session.access_token);

      // Act
      clock.advance(1);
      const rotated = await rotate(headers, created.id);
      clock.advance(1);
      const rejected = await me(apiToken(created.token));
      clock.advance(1);
      const second = await create(bearer(session.access_token), { name: 'doomed', expires_in: '24h' });
      clock.advance(1);
      const deleted = await remove(headers, second.body.id);
      clock.advance(1);
      const expiredToken = second.body.token;
      const manager = await asManager();
      const events = await call(local.url, `/audit/events?user_id=${owner.id}&limit=100`, { headers: manager });
      const rejections = await call(local.url, `/audit/events?user_id=${owner.id}&type=api_token.rejected`, { headers: manager });

      // Assess
      expect([rotated.status, rejected.status, second.status, deleted.status]).toEqual([200, 401, 201, 204]);
      expect(events.status).toBe(200);
      const tokenEvents = events.body.items.filter((e: { type: string }) => e.type.startsWith('api_token.'));
      expect(tokenEvents.map((e: { type: string; outcome: string }) => `${e.type}:${e.outcome}`)).toEqual([
        'api_token.deleted:success',
        'api_token.created:success',
        'api_token.rejected:failure',
        'api_token.rotated:success',
        'api_token.created:success',
      ]);
      for (const event of tokenEvents) {
        expect(event).toMatchObject({ user_id: owner.id, actor_id: null, ip: '127.0.0.1', time: expect.stringMatching(ISO_UTC_MS) });
        expect(JSON.stringify(event)).not.toContain(created.token);
        expect(JSON.stringify(event)).not.toContain(expiredToken);
      }
      expect(rejections.body.items).toHaveLength(1);
      expect(rejections.body.items[0]).toMatchObject({ type: 'api_token.rejected', outcome: 'failure', user_id: owner.id });
    });

    it('records a rejection for an expired token and for a disabled owner', async () => {
      // Prepare
      const owner = await account('token-rejected@example.com');
      const expiring = (await tokenOf(owner.email, 'expiring', '24h')).created;
      const lasting = (await tokenOf(owner.email, 'lasting', '1y')).created;

      // Act
      clock.advance(86_400);
      const expired = await me(apiToken(expiring.token));
      clock.advance(1);
      const manager = await asManager();
      const disabled = await call(local.url, `/users/${owner.id}`, { method: 'DELETE', headers: manager });
      clock.advance(1);
      const refused = await me(apiToken(lasting.token));
      const events = await call(local.url, `/audit/events?user_id=${owner.id}&type=api_token.rejected`, { headers: manager });

      // Assess
      expect([expired.status, disabled.status, refused.status]).toEqual([401, 204, 401]);
      expect(events.body.items).toHaveLength(2);
      for (const event of events.body.items) {
        expect(event).toMatchObject({ type: 'api_token.rejected', outcome: 'failure', user_id: owner.id, reason: expect.any(String) });
      }
      expect(events.body.items.at(-1).reason).toBe('expired');
    });
  });
});

const withoutToken = ({ token: _token, ...rest }: CreatedToken) => rest;

/** A GET from a chosen loopback address, so that a test can act as a given client IP; answers the status. */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', localAddress, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
