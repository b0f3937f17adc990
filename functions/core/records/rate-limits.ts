/**
 * Fixed-window counters shared by every Lambda instance: one atomic `ADD` on
 * the lockouts table per attempt. Refused attempts count too.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from '../infra/clock.ts';
import { windowCounterKey } from './keys.ts';
import type { AuditOrigin } from './audit.ts';
import type { Deps } from '../deps.ts';

export interface WindowLimit {
  /** What is counted, such as `login` or `password`. */
  readonly kind: string;
  /** Who is counted: a source IP, a normalized email. */
  readonly source: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export type WindowResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfter: number };

/** Counts one attempt and says whether it is within the limit. */
export async function hitWindow(d: Deps, window: WindowLimit): Promise<WindowResult> {
  const now = epochSeconds(d.clock.now());
  const start = now - (now % window.windowSeconds);
  const end = start + window.windowSeconds;
  const out = await d.db.send(
    new UpdateCommand({
      TableName: d.tables.lockouts,
      Key: windowCounterKey(window.kind, window.source, start),
      UpdateExpression: 'ADD attempts :one SET expiresAt = :expires',
      ExpressionAttributeValues: { ':one': 1, ':expires': end + 60 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const attempts = Number(out.Attributes?.attempts ?? 0);
  return attempts <= window.limit ? { allowed: true } : { allowed: false, retryAfter: Math.max(1, end - now) };
}

/**
 * Password guesses from one source IP, on every route that checks a
 * password (login, password change): `LOGIN_RATE_LIMIT` a minute.
 */
export const passwordGuessWindow = (d: Deps, origin: AuditOrigin): Promise<WindowResult> =>
  hitWindow(d, { kind: 'login', source: origin.ip ?? 'unknown', limit: d.settings.loginRateLimit, windowSeconds: 60 });
