/**
 * The refresh grant: one conditional write on the session, which carries what
 * the next access token and the answer need (its user as of the login). Only
 * a session opened before it carried that copy costs a read of the user.
 */
import type { Deps } from '../deps.ts';
import { parseRefreshToken } from '../crypto/refresh-tokens.ts';
import { rotateRefreshToken } from '../records/session-rotation.ts';
import { sessionUserOf, type ClientInfo, type SessionRecord, type SessionUser } from '../records/sessions.ts';
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

export async function refreshGrant(d: Deps, token: string, client: ClientInfo): Promise<RefreshResult> {
  const refreshSecret = await d.keys.tokenSecret();
  const parts = parseRefreshToken(refreshSecret, token);
  if (!parts) return { kind: 'invalid' };
  const result = await rotateRefreshToken(d, refreshSecret, token, parts, client, (session) => activeUser(d, session));
  if (result.kind !== 'rotated') return result;
  // Inside the grace window a session rotated by an older deployment may still lack the copy.
  const user = result.session.user ?? (await activeUser(d, result.session));
  return user ? { ...result, user } : { kind: 'invalid' };
}
