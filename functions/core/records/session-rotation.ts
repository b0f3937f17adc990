/**
 * Refresh-token rotation on the session item. The usual case is one
 * conditional update keyed by what the token names (session, generation,
 * hash) that returns the new state: no read before it. Only when its
 * condition fails is the session read, to tell a retry inside the grace
 * window (the same successor back) from reuse (the session revoked), or to
 * rotate a session opened before it carried its user.
 */
import type { KeyObject } from 'node:crypto';
import { above, and, has, is, updateIf, type Condition } from '../infra/conditions.ts';
import { sessionKey } from './keys.ts';
import type { Deps } from '../deps.ts';
import { deriveRefreshToken, hashToken, sameHash, type RefreshTokenParts } from '../crypto/refresh-tokens.ts';
import { getSession, isLive, revokeSession, sessionFromItem, type ClientInfo, type SessionRecord, type SessionUser } from './sessions.ts';

export type RotationResult =
  | { readonly kind: 'rotated'; readonly session: SessionRecord; readonly refreshToken: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reuse'; readonly session: SessionRecord };

/** What the fallback needs for a session without its user's copy: the user, read, or `null` to refuse. */
export type LegacyUser = (session: SessionRecord) => Promise<SessionUser | null>;

/**
 * Spends a refresh token whose MAC was checked (`parts`) for its successor.
 * Concurrent calls with one token all get the one successor; a token spent
 * longer ago than the grace window (or any older one) revokes the session.
 */
export async function rotateRefreshToken(
  d: Deps,
  secret: KeyObject,
  token: string,
  parts: RefreshTokenParts,
  client: ClientInfo,
  legacyUser: LegacyUser,
): Promise<RotationResult> {
  const now = d.clock.now();
  const refreshToken = deriveRefreshToken(secret, { ...parts, generation: parts.generation + 1 });
  const successorHash = hashToken(refreshToken);
  const tokenHash = hashToken(token);
  // The one write: the generation and hash the token names, live, and carrying its user.
  const spent = await advance(d, parts, successorHash, now, client, and(is('tokenHash', tokenHash), isLiveAt(now), has('user')));
  if (spent) return { kind: 'rotated', session: spent, refreshToken };

  let session = await getSession(d, parts.userId, parts.sessionId);
  for (let attempt = 0; attempt < 2 && session; attempt++) {
    if (!isLive(session, now)) return { kind: 'invalid' };
    if (parts.generation === session.generation) {
      if (!sameHash(tokenHash, session.tokenHash)) return { kind: 'invalid' };
      // A session opened before the copy: its user is read once, and copied for the refreshes after.
      const user = session.user ?? (await legacyUser(session));
      if (!user) return { kind: 'invalid' };
      const rotated = await advance(d, parts, successorHash, now, client, is('revoked', false), user);
      if (rotated) return { kind: 'rotated', session: rotated, refreshToken };
      // Another request rotated this token a moment ago: read what it wrote and answer as it did.
      session = await getSession(d, parts.userId, parts.sessionId);
      continue;
    }
    if (parts.generation === session.generation - 1 && withinGrace(d, session, now)) {
      if (!sameHash(successorHash, session.tokenHash)) return { kind: 'invalid' };
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

/** Not revoked, and before its midnight (ISO strings of one format order as times do). */
const isLiveAt = (now: Date): Condition => and(is('revoked', false), above('endsAt', now.toISOString()));

const withinGrace = (d: Deps, session: SessionRecord, now: Date): boolean =>
  now.getTime() - Date.parse(session.rotatedAt) <= d.settings.refreshReuseGrace * 1000;

/** Moves the session from the token's generation one on, if `also` holds; `null` when it did not. */
async function advance(
  d: Deps,
  parts: RefreshTokenParts,
  successorHash: string,
  now: Date,
  client: ClientInfo,
  also: Condition,
  user?: SessionUser,
): Promise<SessionRecord | null> {
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.sessions,
      Key: sessionKey(parts.userId, parts.sessionId),
      UpdateExpression: `SET generation = :next, tokenHash = :hash, rotatedAt = :now, lastUsedAt = :now, ip = :ip, userAgent = :ua${user ? ', #user = if_not_exists(#user, :user)' : ''}`,
      ...(user ? { ExpressionAttributeNames: { '#user': 'user' } } : {}),
      ExpressionAttributeValues: {
        ':next': parts.generation + 1,
        ':hash': successorHash,
        ':now': now.toISOString(),
        ':ip': client.ip,
        ':ua': client.userAgent,
        ...(user ? { ':user': user } : {}),
      },
      ReturnValues: 'ALL_NEW',
    },
    and(is('generation', parts.generation), also),
  );
  return out === null ? null : sessionFromItem(out.Attributes ?? {});
}
