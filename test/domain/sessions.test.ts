import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { verifyAccessToken } from '../../functions/core/crypto/access-tokens.ts';
import { refreshGrant } from '../../functions/core/flows/refresh.ts';
import {
  copyUserToSessions,
  getSession,
  listSessions,
  openSession,
  revokeAllSessions,
  sessionUserOf,
} from '../../functions/core/records/sessions.ts';
import { audit, listAuditEvents } from '../../functions/core/records/audit.ts';
import { issueTokens } from '../../functions/core/flows/tokens.ts';
import { createUser, type UserRecord } from '../../functions/core/records/users.ts';
import type { Deps } from '../../functions/core/deps.ts';
import { startDomain, type DomainFixture } from '../fixtures/domain.ts';

const client = { ip: '203.0.113.7', userAgent: 'vitest', requestId: null };
const ISSUER = 'https://auth.example.com';
let fx: DomainFixture;
let user: UserRecord;
let counter = 0;

async function newUser(d: Deps, tenantId = 'acme'): Promise<UserRecord> {
  const result = await createUser(d, {
    tenantId,
    role: 'CASHIER',
    email: `user${++counter}@example.com`,
    username: null,
    passwordHash: null,
    createdBy: null,
  });
  if (result.kind !== 'created') throw new Error('user not created');
  return result.user;
}

beforeAll(async () => {
  fx = await startDomain('2026-11-23T21:30:00.000Z', {
    TENANT_TIMEZONES: JSON.stringify({ tonga: 'Pacific/Tongatapu', ny: 'America/New_York' }),
  });
  user = await newUser(fx.deps);
});
afterAll(() => fx.close());

describe('openSession', () => {
  it('ends the session at the next midnight of the default zone', async () => {
    fx.clock.set('2026-11-23T21:30:00.000Z');
    const { session } = await openSession(fx.deps, user, client);
    expect(session.endsAt).toBe('2026-11-24T00:00:00.000Z');
    expect(session.expiresAt).toBe(Date.parse('2026-11-24T00:00:00.000Z') / 1000);
  });

  it("ends the session at the tenant's own midnight (Tonga, UTC+13)", async () => {
    fx.clock.set('2026-11-23T21:30:00.000Z'); // 10:30 on the 24th in Tonga
    const tongan = await newUser(fx.deps, 'tonga');
    const { session } = await openSession(fx.deps, tongan, client);
    expect(session.endsAt).toBe('2026-11-24T11:00:00.000Z');
  });

  it('stores only a hash of the refresh token', async () => {
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const stored = await getSession(fx.deps, user.id, session.sessionId);
    expect(JSON.stringify(stored)).not.toContain(refreshToken);
    expect(JSON.stringify(stored)).not.toContain(refreshToken.split('.').at(-1));
  });
});

describe('issueTokens', () => {
  it('caps the access token at the session midnight', async () => {
    fx.clock.set('2026-11-23T23:55:00.000Z');
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const tokens = await issueTokens(fx.deps, session, refreshToken, ISSUER);
    expect(tokens.expires_at).toBe('2026-11-24T00:00:00.000Z');
    expect(tokens.expires_in).toBe(300);
    expect(decodeJwt(tokens.access_token).exp).toBe(Date.parse('2026-11-24T00:00:00.000Z') / 1000);
  });

  it('gives ACCESS_TOKEN_TTL when midnight is further away', async () => {
    fx.clock.set('2026-11-23T12:00:00.000Z');
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const tokens = await issueTokens(fx.deps, session, refreshToken, ISSUER);
    expect(tokens.expires_in).toBe(900);
    expect(tokens.expires_at).toBe('2026-11-23T12:15:00.000Z');
    expect(tokens.refresh_expires_at).toBe('2026-11-24T00:00:00.000Z');
  });

  it('signs a token that verifies until its expiry plus 5 s of skew, and not after', async () => {
    fx.clock.set('2026-11-23T12:00:00.000Z');
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const tokens = await issueTokens(fx.deps, session, refreshToken, ISSUER);
    const keys = await fx.deps.keys.get();
    const verify = (at: string) =>
      verifyAccessToken(keys, tokens.access_token, { issuer: ISSUER, audience: 'serverless-auth', now: new Date(at) });
    expect(await verify('2026-11-23T12:15:04.000Z')).toMatchObject({ userId: user.id, sessionId: session.sessionId, role: 'CASHIER' });
    expect(await verify('2026-11-23T12:15:06.000Z')).toBeNull();
    expect(
      await verifyAccessToken(keys, tokens.access_token, {
        issuer: 'https://other.example.com',
        audience: 'serverless-auth',
        now: fx.clock.now(),
      }),
    ).toBeNull();
  });
});

describe('refreshGrant', () => {
  it('rotates: a new token, one generation on, the same midnight', async () => {
    fx.clock.set('2026-11-23T12:00:00.000Z');
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    fx.clock.advance(60);
    const result = await refreshGrant(fx.deps, refreshToken, client);
    expect(result.kind).toBe('rotated');
    if (result.kind !== 'rotated') return;
    expect(result.refreshToken).not.toBe(refreshToken);
    expect(result.session.generation).toBe(1);
    expect(result.session.endsAt).toBe(session.endsAt);
    expect(result.user.id).toBe(user.id);
  });

  it('gives the same successor to the spent token within the grace window', async () => {
    const { refreshToken } = await openSession(fx.deps, user, client);
    const first = await refreshGrant(fx.deps, refreshToken, client);
    fx.clock.advance(10);
    const again = await refreshGrant(fx.deps, refreshToken, client);
    expect(first.kind).toBe('rotated');
    expect(again.kind).toBe('rotated');
    if (first.kind === 'rotated' && again.kind === 'rotated') expect(again.refreshToken).toBe(first.refreshToken);
  });

  it('treats the spent token after the grace window as reuse and revokes the session', async () => {
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const first = await refreshGrant(fx.deps, refreshToken, client);
    fx.clock.advance(11);
    const reuse = await refreshGrant(fx.deps, refreshToken, client);
    expect(reuse.kind).toBe('reuse');
    expect((await getSession(fx.deps, user.id, session.sessionId))?.revoked).toBe(true);
    if (first.kind !== 'rotated') throw new Error('first refresh failed');
    expect((await refreshGrant(fx.deps, first.refreshToken, client)).kind).toBe('invalid');
  });

  it('treats any older token as reuse, even inside the grace window', async () => {
    const { refreshToken: t0 } = await openSession(fx.deps, user, client);
    const r1 = await refreshGrant(fx.deps, t0, client);
    if (r1.kind !== 'rotated') throw new Error('rotation failed');
    const r2 = await refreshGrant(fx.deps, r1.refreshToken, client);
    expect(r2.kind).toBe('rotated');
    expect((await refreshGrant(fx.deps, t0, client)).kind).toBe('reuse');
  });

  it('gives every concurrent refresh of one token the one successor', async () => {
    const { session, refreshToken } = await openSession(fx.deps, user, client);
    const results = await Promise.all(Array.from({ length: 10 }, () => refreshGrant(fx.deps, refreshToken, client)));
    const successors = new Set(results.map((r) => (r.kind === 'rotated' ? r.refreshToken : r.kind)));
    expect(successors.size).toBe(1);
    expect([...successors][0]).not.toMatch(/^(invalid|reuse)$/);
    expect((await getSession(fx.deps, user.id, session.sessionId))?.generation).toBe(1);
  });

  it('refuses a token after the session midnight', async () => {
    fx.clock.set('2026-11-23T23:59:00.000Z');
    const { refreshToken } = await openSession(fx.deps, user, client);
    fx.clock.set('2026-11-24T00:00:00.000Z');
    expect((await refreshGrant(fx.deps, refreshToken, client)).kind).toBe('invalid');
  });

  it('refuses tokens that were altered or never issued', async () => {
    const { refreshToken } = await openSession(fx.deps, user, client);
    const [uid, sid, gen, mac] = refreshToken.split('.') as [string, string, string, string];
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [`${uid}.${sid}.${gen}.${flipped}`, `${uid}.${sid}.${Number(gen) + 1}.${mac}`, 'garbage', '']) {
      expect((await refreshGrant(fx.deps, forged, client)).kind).toBe('invalid');
    }
  });

  it('refuses the token of a disabled user', async () => {
    const other = await newUser(fx.deps);
    const { refreshToken } = await openSession(fx.deps, other, client);
    const { userKey } = await import('../../functions/core/records/keys.ts');
    await fx.deps.db.update({
      TableName: fx.deps.tables.users,
      Key: userKey(other.id),
      UpdateExpression: 'SET #s = :d',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':d': 'disabled' },
    });
    expect((await refreshGrant(fx.deps, refreshToken, client)).kind).toBe('invalid');
  });
});

describe('the user copied onto a session', () => {
  it('answers a refresh with the copy of the login, and keeps it on the rotated session', async () => {
    fx.clock.set('2026-11-23T12:00:00.000Z');
    const owner = await newUser(fx.deps);
    const { session, refreshToken } = await openSession(fx.deps, owner, client, sessionUserOf(owner));

    const result = await refreshGrant(fx.deps, refreshToken, client);

    if (result.kind !== 'rotated') throw new Error(`refresh refused: ${result.kind}`);
    expect(result.user).toEqual(sessionUserOf(owner));
    expect(result.user).not.toHaveProperty('passwordHash');
    expect((await getSession(fx.deps, owner.id, session.sessionId))?.user).toEqual(sessionUserOf(owner));
  });

  it('rotates a session opened before the copy existed by reading its user once, and copies it for the next refresh', async () => {
    const owner = await newUser(fx.deps);
    const { session, refreshToken } = await openSession(fx.deps, owner, client);
    expect(session.user).toBeUndefined();

    const first = await refreshGrant(fx.deps, refreshToken, client);

    if (first.kind !== 'rotated') throw new Error(`refresh refused: ${first.kind}`);
    expect(first.user).toEqual(sessionUserOf(owner));
    expect((await getSession(fx.deps, owner.id, session.sessionId))?.user).toEqual(sessionUserOf(owner));
    expect((await refreshGrant(fx.deps, first.refreshToken, client)).kind).toBe('rotated');
  });

  it('takes a profile change to the live sessions, and leaves a revoked one revoked', async () => {
    const owner = await newUser(fx.deps);
    const live = await openSession(fx.deps, owner, client, sessionUserOf(owner));
    const ended = await openSession(fx.deps, owner, client, sessionUserOf(owner));
    await revokeAllSessions(fx.deps, owner.id, live.session.sessionId);

    await copyUserToSessions(fx.deps, { ...owner, firstName: 'Renamed' });

    const result = await refreshGrant(fx.deps, live.refreshToken, client);
    if (result.kind !== 'rotated') throw new Error(`refresh refused: ${result.kind}`);
    expect(result.user.firstName).toBe('Renamed');
    const revoked = await getSession(fx.deps, owner.id, ended.session.sessionId);
    expect(revoked).toMatchObject({ revoked: true, user: { firstName: null } });
  });

  it('refuses a token whose session was revoked, with the copy still on it', async () => {
    const owner = await newUser(fx.deps);
    const { refreshToken } = await openSession(fx.deps, owner, client, sessionUserOf(owner));
    await revokeAllSessions(fx.deps, owner.id);
    expect((await refreshGrant(fx.deps, refreshToken, client)).kind).toBe('invalid');
  });
});

describe('AUDIT_REFRESHES', () => {
  const eventsOf = async (d: Deps, owner: UserRecord) =>
    (await listAuditEvents(d, { tenantId: owner.tenantId, userId: owner.id, limit: 10 })).items.map((e) => e.type).sort();
  const origin = { ...client, requestId: null };
  const both = async (d: Deps, owner: UserRecord) => {
    await audit(d, origin, { type: 'refresh.succeeded', outcome: 'success', userId: owner.id, tenantId: owner.tenantId });
    await audit(d, origin, {
      type: 'refresh.reuse_detected',
      outcome: 'failure',
      reason: 'spent_token',
      userId: owner.id,
      tenantId: owner.tenantId,
    });
  };

  it('writes refresh.succeeded to the table by default', async () => {
    const owner = await newUser(fx.deps);
    await both(fx.deps, owner);
    expect(await eventsOf(fx.deps, owner)).toEqual(['refresh.reuse_detected', 'refresh.succeeded']);
  });

  it('with log, keeps refresh.succeeded out of the table and every other type in it', async () => {
    const d = fx.withSettings({ AUDIT_REFRESHES: 'log' });
    const owner = await newUser(d);
    await both(d, owner);
    expect(await eventsOf(d, owner)).toEqual(['refresh.reuse_detected']);
  });
});

describe('revokeAllSessions', () => {
  it('revokes every live session but the one kept', async () => {
    fx.clock.set('2026-11-23T12:00:00.000Z');
    const owner = await newUser(fx.deps);
    const a = await openSession(fx.deps, owner, client);
    const b = await openSession(fx.deps, owner, client);
    const c = await openSession(fx.deps, owner, client);
    expect(await revokeAllSessions(fx.deps, owner.id, b.session.sessionId)).toBe(2);
    const byId = new Map((await listSessions(fx.deps, owner.id)).map((s) => [s.sessionId, s.revoked]));
    expect(byId.get(a.session.sessionId)).toBe(true);
    expect(byId.get(b.session.sessionId)).toBe(false);
    expect(byId.get(c.session.sessionId)).toBe(true);
  });
});
