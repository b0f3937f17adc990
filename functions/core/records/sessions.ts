/**
 * Sessions: one item per login under its user, holding the hash of the
 * current refresh token and its generation. Rotation is one conditional
 * update; a spent token inside the grace window gets the same successor back,
 * any other spent token is reuse and revokes the session.
 */
import { randomBytes } from 'node:crypto';
import { queryAll } from '../infra/db.ts';
import { and, is, itemExists, putNew, updateIf } from '../infra/conditions.ts';
import { epochSeconds } from '../infra/clock.ts';
import { tenantTimeZone } from '../infra/config.ts';
import { SESSION_PREFIX, sessionKey, sessionsOfUser } from './keys.ts';
import type { Deps } from '../deps.ts';
import { nextMidnight } from '../infra/midnight.ts';
import type { Role } from '../infra/permissions.ts';
import { deriveRefreshToken, hashToken } from '../crypto/refresh-tokens.ts';
import { settleAll } from '../infra/settle.ts';
import type { UserRecord } from './users.ts';

/**
 * The user as the session's login saw it (never the password hash): what a
 * refresh answers and mints from without reading the user. A role change or
 * disabling revokes the session, and a profile change rewrites this copy on
 * the user's live sessions, so it cannot go stale while the session lives.
 */
export type SessionUser = Omit<UserRecord, 'passwordHash' | 'openingSessions'>;

export interface SessionRecord {
  readonly userId: string;
  readonly sessionId: string;
  readonly tenantId: string;
  readonly role: Role;
  readonly generation: number;
  readonly tokenHash: string;
  /** When the current generation was issued: the grace window runs from here. */
  readonly rotatedAt: string;
  readonly createdAt: string;
  readonly lastUsedAt: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly revoked: boolean;
  /** The tenant's next midnight after login, ISO; the refresh token's expiry. */
  readonly endsAt: string;
  /** `endsAt` in epoch seconds: DynamoDB's TTL attribute. */
  readonly expiresAt: number;
  /** Missing on sessions opened before the copy existed: their refresh reads the user. */
  readonly user?: SessionUser;
}

export interface SessionOwner {
  readonly id: string;
  readonly tenantId: string;
  readonly role: Role;
}

export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export const sessionUserOf = ({ passwordHash: _hash, openingSessions: _opening, ...user }: UserRecord): SessionUser => user;

export const isLive = (session: SessionRecord, now: Date): boolean => !session.revoked && now.getTime() < Date.parse(session.endsAt);

/** A new session of generation 0 and its refresh token, not yet stored (`putSession`). */
export async function newSession(
  d: Deps,
  owner: SessionOwner,
  client: ClientInfo,
  /** The user as this login leaves it, copied onto the session for its refreshes. */
  user?: SessionUser,
): Promise<{ session: SessionRecord; refreshToken: string }> {
  const now = d.clock.now();
  const refreshSecret = await d.keys.tokenSecret();
  const endsAt = nextMidnight(now, tenantTimeZone(d.settings, owner.tenantId));
  const sessionId = randomBytes(16).toString('base64url');
  const refreshToken = deriveRefreshToken(refreshSecret, { userId: owner.id, sessionId, generation: 0 });
  const session: SessionRecord = {
    userId: owner.id,
    sessionId,
    tenantId: owner.tenantId,
    role: owner.role,
    generation: 0,
    tokenHash: hashToken(refreshToken),
    rotatedAt: now.toISOString(),
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    ip: client.ip,
    userAgent: client.userAgent,
    revoked: false,
    endsAt: endsAt.toISOString(),
    expiresAt: epochSeconds(endsAt),
    ...(user ? { user } : {}),
  };
  return { session, refreshToken };
}

/** Stores a new session; `false` when its id is taken: a change ended it before it landed (`revokeAllSessions`). */
export async function putSession(d: Deps, session: SessionRecord): Promise<boolean> {
  // Its own, when sent again after a lost answer: the same token hash, and not revoked since it landed.
  return putNew(d.db, { TableName: d.tables.sessions, Item: { ...sessionKey(session.userId, session.sessionId), ...session } }, [
    'tokenHash',
    'revoked',
  ]);
}

export async function openSession(
  d: Deps,
  owner: SessionOwner,
  client: ClientInfo,
  user?: SessionUser,
): Promise<{ session: SessionRecord; refreshToken: string }> {
  const opened = await newSession(d, owner, client, user);
  if (!(await putSession(d, opened.session))) throw new Error('session id taken');
  return opened;
}

/** Takes back a session whose tokens never left: its login failed after writing it. */
export async function deleteSession(d: Deps, userId: string, sessionId: string): Promise<void> {
  await d.db.delete({ TableName: d.tables.sessions, Key: sessionKey(userId, sessionId) });
}

export async function getSession(d: Deps, userId: string, sessionId: string): Promise<SessionRecord | null> {
  const out = await d.db.get({ TableName: d.tables.sessions, Key: sessionKey(userId, sessionId), ConsistentRead: true });
  return out.Item ? sessionFromItem(out.Item) : null;
}

/** Revokes one session; `null` when there is no such session. */
export async function revokeSession(d: Deps, userId: string, sessionId: string): Promise<SessionRecord | null> {
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.sessions,
      Key: sessionKey(userId, sessionId),
      UpdateExpression: 'SET revoked = :true, revokedAt = :now',
      ExpressionAttributeValues: { ':true': true, ':now': d.clock.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    },
    itemExists,
  );
  return out === null ? null : sessionFromItem(out.Attributes ?? {});
}

/** Every session of a user that has not ended, read consistently. */
export async function listSessions(d: Deps, userId: string): Promise<SessionRecord[]> {
  const items = await queryAll(d.db, {
    TableName: d.tables.sessions,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': sessionsOfUser(userId).pk, ':prefix': SESSION_PREFIX },
    ConsistentRead: true,
  });
  return items.map(sessionFromItem);
}

/**
 * Revokes every live session of a user but `keep`, and ends the sessions its
 * logins are `opening` whose items have not landed yet (records/user-logins.ts);
 * returns how many live sessions it revoked.
 */
export async function revokeAllSessions(d: Deps, userId: string, keep?: string, opening: readonly string[] = []): Promise<number> {
  const now = d.clock.now();
  const sessions = await listSessions(d, userId);
  const live = sessions.filter((s) => isLive(s, now) && s.sessionId !== keep);
  const listed = new Set(sessions.map((s) => s.sessionId));
  const unlanded = opening.filter((id) => id !== keep && !listed.has(id));
  await settleAll([...live.map((s) => revokeSession(d, userId, s.sessionId)), ...unlanded.map((id) => endUnlandedSession(d, userId, id))]);
  return live.length;
}

/** Revokes a session whether or not its item is there yet: if not, the revoked item takes its id, so its put fails. */
async function endUnlandedSession(d: Deps, userId: string, sessionId: string): Promise<void> {
  const now = d.clock.now();
  await d.db.update({
    TableName: d.tables.sessions,
    Key: sessionKey(userId, sessionId),
    UpdateExpression: 'SET revoked = :true, revokedAt = :now, expiresAt = if_not_exists(expiresAt, :gone)',
    // Collected a day later when it never landed; a landed session keeps its own midnight.
    ExpressionAttributeValues: { ':true': true, ':now': now.toISOString(), ':gone': epochSeconds(now) + 86_400 },
  });
}

/** Rewrites the user's copy on each of its live sessions, after a change that leaves them live. */
export async function copyUserToSessions(d: Deps, user: UserRecord): Promise<void> {
  const now = d.clock.now();
  const live = (await listSessions(d, user.id)).filter((s) => isLive(s, now));
  const copy = sessionUserOf(user);
  await settleAll(
    live.map((s) =>
      updateIf(
        d.db,
        {
          TableName: d.tables.sessions,
          Key: sessionKey(user.id, s.sessionId),
          UpdateExpression: 'SET #user = :user',
          ExpressionAttributeNames: { '#user': 'user' },
          ExpressionAttributeValues: { ':user': copy },
        },
        // A session revoked meanwhile stays as it is.
        and(itemExists, is('revoked', false)),
      ),
    ),
  );
}

export function sessionFromItem(item: Record<string, unknown>): SessionRecord {
  const { pk: _pk, sk: _sk, revokedAt: _revokedAt, ...rest } = item;
  return rest as unknown as SessionRecord;
}
