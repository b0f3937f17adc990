/**
 * Sessions: one item per login under its user, holding the hash of the
 * current refresh token and its generation. Rotation is one conditional
 * update; a spent token inside the grace window gets the same successor back,
 * any other spent token is reuse and revokes the session.
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, type PutCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { and, conditionInput, is, isNew, itemExists, updateIf } from '../infra/conditions.ts';
import { epochSeconds } from '../infra/clock.ts';
import { tenantTimeZone } from '../infra/config.ts';
import { SESSION_PREFIX, sessionKey, sessionsOfUser } from './keys.ts';
import type { Deps } from '../deps.ts';
import { nextMidnight } from '../infra/midnight.ts';
import type { Role } from '../infra/permissions.ts';
import { deriveRefreshToken, hashToken, parseRefreshToken, sameHash, type RefreshTokenParts } from '../crypto/refresh-tokens.ts';
import { settleAll } from '../infra/settle.ts';

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

export const isLive = (session: SessionRecord, now: Date): boolean =>
  !session.revoked && now.getTime() < Date.parse(session.endsAt);

export async function openSession(
  d: Deps,
  owner: SessionOwner,
  client: ClientInfo,
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
  };
  await d.db.send(new PutCommand(conditionInput<PutCommandInput>({ TableName: d.tables.sessions, Item: { ...sessionKey(owner.id, sessionId), ...session } }, isNew)));
  return { session, refreshToken };
}

/** Takes back a session whose tokens never left: its login failed after writing it. */
export async function deleteSession(d: Deps, userId: string, sessionId: string): Promise<void> {
  await d.db.send(new DeleteCommand({ TableName: d.tables.sessions, Key: sessionKey(userId, sessionId) }));
}

export async function getSession(d: Deps, userId: string, sessionId: string): Promise<SessionRecord | null> {
  const out = await d.db.send(
    new GetCommand({ TableName: d.tables.sessions, Key: sessionKey(userId, sessionId), ConsistentRead: true }),
  );
  return out.Item ? sessionFromItem(out.Item) : null;
}

export type RotationResult =
  | { readonly kind: 'rotated'; readonly session: SessionRecord; readonly refreshToken: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reuse'; readonly session: SessionRecord };

/**
 * Spends a refresh token for its successor. Concurrent calls with one token
 * all get the one successor; a token spent longer ago than the grace window
 * (or any older one) revokes the session.
 */
export async function rotateRefreshToken(
  d: Deps,
  token: string,
  client: ClientInfo,
  /** Reads the token's session first; a caller may read more in the same round trip. */
  load: (parts: RefreshTokenParts) => Promise<SessionRecord | null> = (parts) =>
    getSession(d, parts.userId, parts.sessionId),
): Promise<RotationResult> {
  const refreshSecret = await d.keys.tokenSecret();
  const parts = parseRefreshToken(refreshSecret, token);
  if (!parts) return { kind: 'invalid' };
  const now = d.clock.now();
  let session = await load(parts);

  for (let attempt = 0; attempt < 2 && session; attempt++) {
    if (!isLive(session, now)) return { kind: 'invalid' };
    const successor = { ...parts, generation: parts.generation + 1 };
    if (parts.generation === session.generation) {
      if (!sameHash(hashToken(token), session.tokenHash)) return { kind: 'invalid' };
      const refreshToken = deriveRefreshToken(refreshSecret, successor);
      const rotated = await advance(d, session, hashToken(refreshToken), now, client);
      if (rotated) return { kind: 'rotated', session: rotated, refreshToken };
      // Another request rotated this token a moment ago: read what it wrote and answer as it did.
      session = await getSession(d, parts.userId, parts.sessionId);
      continue;
    }
    if (parts.generation === session.generation - 1 && withinGrace(d, session, now)) {
      const refreshToken = deriveRefreshToken(refreshSecret, successor);
      if (!sameHash(hashToken(refreshToken), session.tokenHash)) return { kind: 'invalid' };
      return { kind: 'rotated', session, refreshToken };
    }
    if (parts.generation < session.generation) {
      const revoked = await revokeSession(d, session.userId, session.sessionId);
      return { kind: 'reuse', session: revoked ?? session };
    }
    return { kind: 'invalid' };
  }
  return { kind: 'invalid' };
}

const withinGrace = (d: Deps, session: SessionRecord, now: Date): boolean =>
  now.getTime() - Date.parse(session.rotatedAt) <= d.settings.refreshReuseGrace * 1000;

/** Moves the session one generation on, if nobody else did first and it is still live. */
async function advance(
  d: Deps,
  session: SessionRecord,
  tokenHash: string,
  now: Date,
  client: ClientInfo,
): Promise<SessionRecord | null> {
  const out = await updateIf(
    d.db,
    {
        TableName: d.tables.sessions,
        Key: sessionKey(session.userId, session.sessionId),
        UpdateExpression:
          'SET generation = :next, tokenHash = :hash, rotatedAt = :now, lastUsedAt = :now, ip = :ip, userAgent = :ua',
        ExpressionAttributeValues: {
          ':next': session.generation + 1,
          ':hash': tokenHash,
          ':now': now.toISOString(),
          ':ip': client.ip,
          ':ua': client.userAgent,
        },
        ReturnValues: 'ALL_NEW',
    },
    // Still the generation it read, and not revoked meanwhile.
    and(is('generation', session.generation), is('revoked', false)),
  );
  return out === null ? null : sessionFromItem(out.Attributes ?? {});
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
  const sessions: SessionRecord[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const out = await d.db.send(
      new QueryCommand({
        TableName: d.tables.sessions,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': sessionsOfUser(userId).pk, ':prefix': SESSION_PREFIX },
        ConsistentRead: true,
        ExclusiveStartKey: cursor,
      }),
    );
    sessions.push(...(out.Items ?? []).map(sessionFromItem));
    cursor = out.LastEvaluatedKey;
  } while (cursor);
  return sessions;
}

/** Revokes every live session of a user but `keep`; returns how many it revoked. */
export async function revokeAllSessions(d: Deps, userId: string, keep?: string): Promise<number> {
  const now = d.clock.now();
  const live = (await listSessions(d, userId)).filter((s) => isLive(s, now) && s.sessionId !== keep);
  await settleAll(live.map((s) => revokeSession(d, userId, s.sessionId)));
  return live.length;
}

export function sessionFromItem(item: Record<string, unknown>): SessionRecord {
  const { pk: _pk, sk: _sk, revokedAt: _revokedAt, ...rest } = item;
  return rest as unknown as SessionRecord;
}
