/** When to use the access token, when to refresh it, and when the session is over. */
import type { StoredSession } from './types.ts';

export type Plan = 'use' | 'refresh' | 'ended';

type Times = Pick<StoredSession, 'expires_in' | 'expires_at' | 'refresh_expires_at'>;

/**
 * - `ended` from the session's midnight (`refresh_expires_at`) on: no refresh
 *   can outlive it;
 * - `refresh` within `bufferSeconds` of the access token's `expires_at`, unless
 *   that token already runs to midnight: a new one would end at the same moment;
 * - `use` otherwise.
 *
 * The buffer is at most half the token's lifetime, so that short-lived tokens
 * are not refreshed on every call.
 */
export function plan(session: Times, nowMs: number, bufferSeconds: number): Plan {
  const midnight = Date.parse(session.refresh_expires_at);
  const expires = Date.parse(session.expires_at);
  if (!(nowMs < midnight)) return 'ended';
  if (expires >= midnight) return 'use';
  const buffer = Math.min(bufferSeconds, session.expires_in / 2) * 1000;
  return nowMs >= expires - buffer ? 'refresh' : 'use';
}
