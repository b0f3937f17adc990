/**
 * GET /auth/sessions and DELETE /auth/sessions/{id}: a user sees where it is
 * logged in and ends any one of those sessions, its tokens stopping at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, decodeAccessToken, expectError, startSessionServer } from '../fixtures/e2e.ts';
import { call, demoPassword, login } from '../fixtures/local.ts';

interface Session {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly user: { id: string };
  /** The access token's `sid`: the id the sessions API names it by. */
  readonly sid: string;
}

describe('sessions API', () => {
  // The local server lives in this process (its handlers read process.env), so one runs at a time.
  let local: LocalEnvironment;
  const clock = new FakeClock(new Date('2026-11-23T08:00:00.000Z'));
  beforeAll(async () => {
    local = await startSessionServer({ clock });
  });
  afterAll(() => local.close());

  /** Logs in with a User-Agent of its own; fails the test on anything but 200. */
  async function loginWith(email: string, userAgent: string): Promise<Session> {
    const answer = await call(local.url, '/auth/login', { body: { email, password: demoPassword }, headers: { 'user-agent': userAgent } });
    expect(answer.status, answer.text).toBe(200);
    return { ...answer.body, sid: decodeAccessToken(answer.body.access_token).claims.sid };
  }

  /** An account of its own, so that no other test's sessions show up in its list. */
  const account = async (email: string, role: 'CASHIER' | 'AGENT' = 'CASHIER') => {
    await addAccount({ email, password: demoPassword, role });
    return email;
  };

  const sessions = (headers: Record<string, string>) => call(local.url, '/auth/sessions', { headers });
  const revoke = (headers: Record<string, string>, id: string) =>
    call(local.url, `/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE', headers });
  const me = (headers: Record<string, string>) => call(local.url, '/auth/me', { headers });
  const refresh = (refreshToken: string) => call(local.url, '/auth/refresh', { body: { refresh_token: refreshToken } });
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

  describe('GET /auth/sessions', () => {
    it("lists both logins of a user, marking only the caller's session current", async () => {
      // Prepare
      const email = await account('two-logins@example.com');
      clock.advance(1);
      const laptopAt = clock.now().toISOString();
      const laptop = await loginWith(email, 'laptop-browser/1.0');
      clock.advance(1);
      const phoneAt = clock.now().toISOString();
      const phone = await loginWith(email, 'phone-app/2.0');

      // Act
      const fromLaptop = await sessions(bearer(laptop.access_token));
      const fromPhone = await sessions(bearer(phone.access_token));

      // Assess
      expect(fromLaptop.status).toBe(200);
      expect(fromLaptop.headers.get('cache-control')).toBe('no-store');
      const laptopItem = {
        id: laptop.sid,
        created_at: laptopAt,
        last_used_at: laptopAt,
        ip: '127.0.0.1',
        user_agent: 'laptop-browser/1.0',
      };
      const phoneItem = { id: phone.sid, created_at: phoneAt, last_used_at: phoneAt, ip: '127.0.0.1', user_agent: 'phone-app/2.0' };
      expect(Object.keys(fromLaptop.body)).toEqual(['items']);
      expect([...fromLaptop.body.items].sort(byId)).toEqual(
        [
          { ...laptopItem, current: true },
          { ...phoneItem, current: false },
        ].sort(byId),
      );
      expect([...fromPhone.body.items].sort(byId)).toEqual(
        [
          { ...laptopItem, current: false },
          { ...phoneItem, current: true },
        ].sort(byId),
      );
    });

    it('shows the last refresh of a session as its last use', async () => {
      // Prepare
      const email = await account('refreshing@example.com');
      const session = await loginWith(email, 'first-agent/1');
      clock.advance(60);
      const refreshedAt = clock.now().toISOString();

      // Act
      const refreshed = await call(local.url, '/auth/refresh', {
        body: { refresh_token: session.refresh_token },
        headers: { 'user-agent': 'second-agent/2' },
      });
      const answer = await sessions(bearer(refreshed.body.access_token));

      // Assess
      expect(refreshed.status).toBe(200);
      expect(answer.body.items).toEqual([
        {
          id: session.sid,
          created_at: new Date(Date.parse(refreshedAt) - 60_000).toISOString(),
          last_used_at: refreshedAt,
          ip: '127.0.0.1',
          user_agent: 'second-agent/2',
          current: true,
        },
      ]);
    });

    it("lists the user's sessions, none current, when the credential is an API token", async () => {
      // Prepare
      const email = await account('token-and-sessions@example.com', 'AGENT');
      const one = await loginWith(email, 'one/1');
      const two = await loginWith(email, 'two/2');
      const made = await call(local.url, '/auth/api-tokens', {
        method: 'POST',
        headers: bearer(one.access_token),
        body: { name: 'sessions-reader', expires_in: '24h' },
      });
      expect(made.status).toBe(201);

      // Act
      const answer = await sessions({ 'x-auth-token': made.body.token });

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body.items.map((s: { id: string }) => s.id).sort()).toEqual([one.sid, two.sid].sort());
      expect(answer.body.items.map((s: { current: boolean }) => s.current)).toEqual([false, false]);
    });

    it('answers 401 without a credential', async () => {
      expectError(await sessions({}), 401, 'unauthorized');
    });
  });

  describe('DELETE /auth/sessions/{id}', () => {
    it("revokes another session: its access and refresh tokens stop, the caller's keep working", async () => {
      // Prepare
      const email = await account('revoke-other@example.com');
      const keeper = await loginWith(email, 'keeper/1');
      const victim = await loginWith(email, 'victim/1');
      expect((await me(bearer(victim.access_token))).status).toBe(200);

      // Act
      const answer = await revoke(bearer(keeper.access_token), victim.sid);
      const victimMe = await me(bearer(victim.access_token));
      const victimRefresh = await refresh(victim.refresh_token);
      const keeperMe = await me(bearer(keeper.access_token));
      const keeperRefresh = await refresh(keeper.refresh_token);
      const listed = await sessions(bearer(keeper.access_token));

      // Assess
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
      expectError(victimMe, 401, 'unauthorized');
      expectError(victimRefresh, 401, 'invalid_grant');
      expect(keeperMe.status).toBe(200);
      expect(keeperRefresh.status).toBe(200);
      expect(listed.body.items).toEqual([expect.objectContaining({ id: keeper.sid, current: true })]);
    });

    it('leaves no working token when a refresh of the session races its revocation', async () => {
      for (let round = 0; round < 3; round++) {
        // Prepare
        const email = await account(`revoke-race-${round}@example.com`);
        const keeper = await loginWith(email, 'keeper/1');
        const victim = await loginWith(email, 'victim/1');

        // Act
        const [revoked, refreshed] = await Promise.all([revoke(bearer(keeper.access_token), victim.sid), refresh(victim.refresh_token)]);

        // Assess
        expect(revoked.status).toBe(204);
        expect([200, 401]).toContain(refreshed.status);
        expectError(await me(bearer(victim.access_token)), 401, 'unauthorized');
        expectError(await refresh(victim.refresh_token), 401, 'invalid_grant');
        if (refreshed.status === 200) {
          expectError(await me(bearer(refreshed.body.access_token)), 401, 'unauthorized');
          expectError(await refresh(refreshed.body.refresh_token), 401, 'invalid_grant');
        }
        expect((await sessions(bearer(keeper.access_token))).body.items.map((s: { id: string }) => s.id)).toEqual([keeper.sid]);
      }
    });

    it("answers 404 for another user's session, an unknown id, and a session already revoked", async () => {
      // Prepare
      const email = await account('revoke-404@example.com');
      const caller = await loginWith(email, 'caller/1');
      const spare = await loginWith(email, 'spare/1');
      const someoneElse = await loginWith(await account('someone-else@example.com'), 'other/1');
      const otherTenant = await login(local.url, 'manager2@example.com');
      const otherTenantSid = decodeAccessToken(otherTenant.access_token).claims.sid;
      expect((await revoke(bearer(caller.access_token), spare.sid)).status).toBe(204);

      // Act
      const answers = [
        await revoke(bearer(caller.access_token), someoneElse.sid),
        await revoke(bearer(caller.access_token), otherTenantSid),
        await revoke(bearer(caller.access_token), 'AAAAAAAAAAAAAAAAAAAAAA'),
        await revoke(bearer(caller.access_token), 'no such session'),
        await revoke(bearer(caller.access_token), spare.sid),
      ];

      // Assess
      for (const answer of answers) expectError(answer, 404, 'not_found');
      expect((await me(bearer(someoneElse.access_token))).status).toBe(200);
      expect((await me(bearer(otherTenant.access_token))).status).toBe(200);
      expect((await me(bearer(caller.access_token))).status).toBe(200);
    });

    it("revokes the caller's own session, after which its tokens are refused", async () => {
      // Prepare
      const email = await account('revoke-self@example.com');
      const session = await loginWith(email, 'self/1');

      // Act
      const answer = await revoke(bearer(session.access_token), session.sid);
      const after = await me(bearer(session.access_token));
      const listAfter = await sessions(bearer(session.access_token));
      const refreshAfter = await refresh(session.refresh_token);

      // Assess
      expect(answer.status).toBe(204);
      expectError(after, 401, 'unauthorized');
      expectError(listAfter, 401, 'unauthorized');
      expectError(refreshAfter, 401, 'invalid_grant');
    });

    it('revokes a session with an API token as the credential', async () => {
      // Prepare
      const email = await account('token-revokes@example.com', 'AGENT');
      const session = await loginWith(email, 'browser/1');
      const made = await call(local.url, '/auth/api-tokens', {
        method: 'POST',
        headers: bearer(session.access_token),
        body: { name: 'revoker', expires_in: '24h' },
      });

      // Act
      const answer = await revoke({ 'x-auth-token': made.body.token }, session.sid);

      // Assess
      expect(answer.status).toBe(204);
      expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
      expect((await sessions({ 'x-auth-token': made.body.token })).body).toEqual({ items: [] });
    });

    it('records session.revoked for the user', async () => {
      // Prepare
      const email = await account('revoke-audited@example.com');
      const caller = await loginWith(email, 'audited/1');
      const other = await loginWith(email, 'audited/2');
      clock.advance(1);
      const revokedAt = clock.now().toISOString();

      // Act
      const answer = await revoke(
        { ...bearer(caller.access_token), 'user-agent': 'audited/1', 'x-request-id': 'revoke-audited-1' },
        other.sid,
      );
      const manager = await login(local.url, 'manager@example.com');
      const events = await call(local.url, `/audit/events?user_id=${caller.user.id}&type=session.revoked`, {
        headers: bearer(manager.access_token),
      });

      // Assess
      expect(answer.status).toBe(204);
      expect(events.status).toBe(200);
      // The reason is the server's own note; the contract fixes the rest.
      expect(events.body.items.map(({ reason: _reason, ...event }: { reason: unknown }) => event)).toEqual([
        {
          id: expect.any(String),
          time: revokedAt,
          type: 'session.revoked',
          outcome: 'success',
          user_id: caller.user.id,
          actor_id: null,
          ip: '127.0.0.1',
          user_agent: 'audited/1',
          request_id: 'revoke-audited-1',
        },
      ]);
      expect(JSON.stringify(events.body)).not.toContain(other.refresh_token);
    });
  });
});
