/**
 * The refresh grant: one conditional write on the session, which carries what
 * the next access token and the answer need (its user as of the login). Only
 * a session opened before it carried that copy costs a read of the user.
 */
import type { Deps } from '../deps.ts';
import { parseRefreshToken } from '../crypto/refresh-tokens.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import { rotateRefreshToken } from '../records/session-rotation.ts';
import { sessionUserOf, type SessionRecord, type SessionUser } from '../records/sessions.ts';
import { getUser } from '../records/users.ts';

export type RefreshResult =
  | { readonly kind: 'rotated'; readonly session: SessionRecord; readonly refreshToken: string; readonly user: SessionUser }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reuse'; readonly session: SessionRecord };

/** The user of a session without its copy, read now; a user who is gone or disabled has no session worth rotating. */
async function activeUser(d: Deps, session: SessionRecord): Promise<SessionUser | null> {
  const user = await getUser(d, session.userId);
  return user?.status === 'active' ? sessionUserOf(user) : null;
}

/** Spends a refresh token for its successor, and records what happened: a refresh, or the reuse that revoked the session. */
export async function refreshGrant(d: Deps, token: string, origin: AuditOrigin): Promise<RefreshResult> {
  const refreshSecret = await d.keys.tokenSecret();
  const parts = parseRefreshToken(refreshSecret, token);
  if (!parts) return { kind: 'invalid' };
  const result = await rotateRefreshToken(d, refreshSecret, token, parts, origin, (session) => activeUser(d, session));
  if (result.kind === 'reuse') {
    const { userId, tenantId } = result.session;
    await audit(d, origin, { type: 'refresh.reuse_detected', outcome: 'failure', reason: 'spent_token', userId, tenantId });
  }
  if (result.kind !== 'rotated') return result;
  // Inside the grace window a session rotated by an older deployment may still lack the copy.
  const user = result.session.user ?? (await activeUser(d, result.session));
  if (!user) return { kind: 'invalid' };
  await audit(d, origin, { type: 'refresh.succeeded', outcome: 'success', userId: user.id, tenantId: user.tenantId });
  return { ...result, user };
}
