import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpdateCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { userKey } from '../../functions/core/records/keys.ts';
import { logger } from '../../functions/core/infra/logger.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { call, demoPassword, login, startTestServer } from '../fixtures/local.ts';
import { findUser, scanTable } from '../fixtures/tables.ts';

// The local server lives in this process (its handlers read process.env), so one runs at a time.
let local: LocalEnvironment;
const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const events = async (token: string, query = '') => call(local.url, `/audit/events${query}`, { headers: bearer(token) });
const attempt = (body: Record<string, string>, headers: Record<string, string> = {}) => call(local.url, '/auth/login', { body, headers });

describe('audit trail', () => {
  beforeAll(async () => {
    local = await startTestServer({ clock });
  });
  afterAll(() => local.close());

  describe('audit events', () => {
    it('records each authentication event with its fields', async () => {
      const agent = await findUser(local, 'agent@example.com');
      clock.advance(1);
      const session = await attempt(
        { email: 'agent@example.com', password: demoPassword },
        { 'x-request-id': 'req-login-1', 'user-agent': 'audit-test/1' },
      );
      clock.advance(1);
      await attempt({ email: 'agent@example.com', password: 'wrong-one' });
      clock.advance(1);
      const refreshed = await call(local.url, '/auth/refresh', { body: { refresh_token: session.body.refresh_token } });
      clock.advance(11);
      await call(local.url, '/auth/refresh', { body: { refresh_token: session.body.refresh_token } }); // reuse
      clock.advance(1);
      const again = await login(local.url, 'agent@example.com');
      clock.advance(1);
      await call(local.url, '/auth/logout', { method: 'POST', headers: bearer(again.access_token) });
      expect(refreshed.status).toBe(200);

      const manager = await login(local.url, 'manager@example.com');
      const list = await events(manager.access_token, `?user_id=${agent.id}`);
      expect(list.status).toBe(200);
      const types = list.body.items.map((e: { type: string; reason: string | null }) => `${e.type}${e.reason ? `:${e.reason}` : ''}`);
      expect(types).toEqual([
        'logout:this_session',
        'login.succeeded',
        'refresh.reuse_detected:spent_token',
        'refresh.succeeded',
        'login.failed:bad_password',
        'login.succeeded',
        // The demo seed creates its users through the same path as the API, so it records them too.
        'user.created:demo_seed',
      ]);
      const first = list.body.items.at(-2);
      expect(first).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        time: '2026-11-23T10:00:01.000Z',
        type: 'login.succeeded',
        outcome: 'success',
        reason: null,
        user_id: agent.id,
        actor_id: null,
        ip: '127.0.0.1',
        user_agent: 'audit-test/1',
        request_id: 'req-login-1',
      });
    });

    it('records lockouts, refusals of a locked account, rate limits, disabled accounts and unlocks', async () => {
      const customer = await findUser(local, 'customer@example.com');
      for (let i = 0; i < 6; i++) await attempt({ email: 'customer@example.com', password: `bad-${i}` });
      const manager = await login(local.url, 'manager@example.com');
      await call(local.url, `/users/${customer.id}/unlock`, { method: 'POST', headers: bearer(manager.access_token) });
      // Disable the customer directly in its table: the users API is a route of its own.
      const db = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: local.dynamoEndpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
        }),
      );
      await db.send(
        new UpdateCommand({
          TableName: local.env.USERS_TABLE,
          Key: userKey(customer.id),
          UpdateExpression: 'SET #s = :d',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':d': 'disabled' },
        }),
      );
      expect((await attempt({ email: 'customer@example.com', password: demoPassword })).status).toBe(403);

      const list = await events(manager.access_token, `?user_id=${customer.id}&limit=100`);
      const reasons = list.body.items.map((e: { type: string; reason: string | null }) => `${e.type}:${e.reason}`);
      expect(reasons).toContain('lockout.locked:too_many_failures');
      expect(reasons).toContain('login.failed:locked');
      expect(reasons).toContain('login.failed:disabled');
      const unlocked = list.body.items.find((e: { type: string }) => e.type === 'lockout.unlocked');
      expect(unlocked).toMatchObject({ outcome: 'success', user_id: customer.id, actor_id: manager.user.id });
    });

    it('keeps events of unknown identifiers out of every tenant list', async () => {
      await attempt({ email: 'nobody-here@example.com', password: 'whatever-1' });
      const stored = (await scanTable(local, 'AUDIT_TABLE')).filter((i) => i.reason === 'unknown_identifier');
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.every((i) => i.pk === 'AUDIT#UNATTRIBUTED' && i.tenantId === null)).toBe(true);
      for (const email of ['manager@example.com', 'manager2@example.com']) {
        const list = await events((await login(local.url, email)).access_token, '?type=login.failed&limit=100');
        expect(list.body.items.some((e: { reason: string }) => e.reason === 'unknown_identifier')).toBe(false);
      }
    });
  });

  describe('GET /audit/events', () => {
    it("lists only the caller's tenant, newest first", async () => {
      const other = await login(local.url, 'manager2@example.com');
      const list = await events(other.access_token, '?limit=100');
      const ids = new Set((await Promise.all(['manager2@example.com'].map((e) => findUser(local, e)))).map((u) => u.id));
      expect(list.body.items.length).toBeGreaterThan(0);
      expect(list.body.items.every((e: { user_id: string }) => ids.has(e.user_id))).toBe(true);
      const times = list.body.items.map((e: { time: string }) => e.time);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('walks every event exactly once with a small limit and the cursor', async () => {
      const manager = await login(local.url, 'manager@example.com');
      const all = (await events(manager.access_token, '?limit=100')).body.items.map((e: { id: string }) => e.id);
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; cursor: string | null } } = await events(
          manager.access_token,
          `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.body.items.length).toBeLessThanOrEqual(3);
        walked.push(...page.body.items.map((e) => e.id));
        cursor = page.body.cursor;
      } while (cursor);
      expect(walked).toEqual(all);
    });

    it('filters by type and by time', async () => {
      const manager = await login(local.url, 'manager@example.com');
      const failed = await events(manager.access_token, '?type=login.failed&limit=100');
      expect(failed.body.items.length).toBeGreaterThan(0);
      expect(failed.body.items.every((e: { type: string }) => e.type === 'login.failed')).toBe(true);
      const window = await events(manager.access_token, '?since=2026-11-23T10:00:01.000Z&until=2026-11-23T10:00:01.999Z');
      expect(window.body.items.map((e: { time: string }) => e.time)).toEqual(['2026-11-23T10:00:01.000Z']);
    });

    it('refuses non-managers and bad parameters', async () => {
      const agent = await login(local.url, 'agent@example.com');
      expect((await events(agent.access_token)).body).toEqual({
        error: 'forbidden',
        message: 'You are not allowed to do this',
        role: 'AGENT',
      });
      const manager = await login(local.url, 'manager@example.com');
      for (const query of [
        '?limit=0',
        '?limit=1000',
        '?type=nope',
        '?since=yesterday',
        '?cursor=abc',
        '?colour=blue',
        '?since=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z',
      ]) {
        const answer = await events(manager.access_token, query);
        expect(answer.status, query).toBe(400);
        expect(answer.body.error).toBe('invalid_request');
      }
    });
  });

  describe('secrets in the audit trail and the logs', () => {
    const written: string[] = [];
    afterEach(() => {
      vi.restoreAllMocks();
      logger.setLogLevel('WARN');
    });

    it('never records a password or a token, whatever they are', async () => {
      logger.setLogLevel('DEBUG');
      // Kept for the assertions, not shown: the test's output stays readable.
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      const secrets: string[] = [];
      await fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8),
          fc.constantFrom('manager@example.com', 'ghost@example.com'),
          async (password, email) => {
            secrets.push(password);
            await attempt({ email, password });
            await call(local.url, '/auth/refresh', { body: { refresh_token: `${password}.forged` } });
          },
        ),
        { numRuns: 25 },
      );
      const session = await login(local.url, 'cashier@example.com');
      const rotated = await call(local.url, '/auth/refresh', { body: { refresh_token: session.refresh_token } });
      secrets.push(demoPassword, session.access_token, session.refresh_token, rotated.body.access_token, rotated.body.refresh_token);

      const audit = JSON.stringify(await scanTable(local, 'AUDIT_TABLE'));
      const logs = written.join('');
      expect(logs).toContain('"audit"');
      for (const secret of secrets) {
        expect(audit.includes(JSON.stringify(secret).slice(1, -1))).toBe(false);
        expect(logs.includes(JSON.stringify(secret).slice(1, -1))).toBe(false);
      }
    });
  });
});

describe('a rate-limited login', () => {
  it('is audited', async () => {
    const limited = await startTestServer({ env: { LOGIN_RATE_LIMIT: '1' } });
    // A still clock, early in a minute: the two logins cannot fall into two windows.
    vi.useFakeTimers({ now: new Date('2026-12-04T10:00:01.000Z'), toFake: ['Date'] });
    try {
      await call(limited.url, '/auth/login', { body: { email: 'manager@example.com', password: demoPassword } });
      const refused = await call(limited.url, '/auth/login', { body: { email: 'manager@example.com', password: demoPassword } });
      expect(refused.status).toBe(429);
      const items = await scanTable(limited, 'AUDIT_TABLE');
      expect(items.filter((i) => i.reason === 'rate_limited')).toMatchObject([
        { type: 'login.failed', outcome: 'failure', tenantId: 'demo' },
      ]);
    } finally {
      vi.useRealTimers();
      await limited.close();
    }
  });
});
