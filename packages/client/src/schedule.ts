/** When to use the access token, when to refresh it, and when the session is over. */
import type { StoredSession, TokenResponse } from './types.js';

export type Plan = 'use' | 'refresh' | 'ended';

type Times = Pick<StoredSession, 'expires_in' | 'expires_at' | 'refresh_expires_at'>;

/**
 * - `ended` from the session's midnight (`refresh_expires_at`) on: no refresh
 *   can outlive it;
 * - `refresh` within `bufferSeconds` of the access token's `expires_at`, unless
 *   that token already runs to midnight: a new one would end at the same moment;
 * - `use` otherwise.
 *
 * `nowMs` is the server's time (see `serverNow`). The buffer is at most half
 * the token's lifetime, so that short-lived tokens are not refreshed on every call.
 */
export function plan(session: Times, nowMs: number, bufferSeconds: number): Plan {
  const midnight = Date.parse(session.refresh_expires_at);
  if (!(nowMs < midnight)) return 'ended';
  return nowMs >= refreshAt(session, bufferSeconds) ? 'refresh' : 'use';
}

/** The server time from which `plan` says `refresh` (or, for a token that runs to midnight, `ended`). */
export function refreshAt(session: Times, bufferSeconds: number): number {
  const midnight = Date.parse(session.refresh_expires_at);
  const expires = Date.parse(session.expires_at);
  if (expires >= midnight) return midnight;
  return expires - Math.min(bufferSeconds, session.expires_in / 2) * 1000;
}

/**
 * The server's clock minus the device's, learnt from a token body the moment
 * it arrives: `expires_in` counts from the server's own "now", so
 * `expires_at − expires_in` is the server's time of issue (to the second),
 * whatever the device's clock says. The device clock only measures how much
 * time has passed since.
 */
export const clockOffset = (body: Pick<TokenResponse, 'expires_in' | 'expires_at'>, deviceNowMs: number): number =>
  Date.parse(body.expires_at) - body.expires_in * 1000 - deviceNowMs;

/** The server's time now, as a session received earlier on this device puts it. */
export const serverNow = (session: Pick<StoredSession, 'clock_offset_ms'>, deviceNowMs: number): number =>
  deviceNowMs + (session.clock_offset_ms ?? 0);
