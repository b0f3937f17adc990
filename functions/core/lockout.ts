/**
 * Consecutive failed logins. The count belongs to the account when the
 * identifier names one and to the normalized identifier otherwise, and both
 * behave the same, so a lockout reveals nothing. Failures older than
 * `LOCKOUT_SECONDS` that did not lock are forgotten.
 */
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from './clock.ts';
import { failedLoginsKey } from './db-keys.ts';
import { unlessConditionFails } from './db.ts';
import type { Deps } from './deps.ts';

export type LockoutSubject = { readonly userId: string } | { readonly identifier: string };

export interface FailureState {
  readonly failures: number;
  readonly lastFailureAt: number;
  /** Epoch seconds; absent when not locked. */
  readonly lockedUntil?: number;
}

export const failureStateOf = (item: Record<string, unknown> | undefined): FailureState | null =>
  item ? { failures: Number(item.failures ?? 0), lastFailureAt: Number(item.lastFailureAt ?? 0), ...(item.lockedUntil ? { lockedUntil: Number(item.lockedUntil) } : {}) } : null;

/** Seconds the subject stays locked, or 0. */
export function lockedFor(d: Deps, state: FailureState | null): number {
  const now = epochSeconds(d.clock.now());
  return state?.lockedUntil && state.lockedUntil > now ? state.lockedUntil - now : 0;
}

/** A state whose lock has run out, or whose last failure is older than the horizon, starts over. */
function isStale(d: Deps, state: FailureState): boolean {
  const now = epochSeconds(d.clock.now());
  if (state.lockedUntil) return state.lockedUntil <= now;
  return state.lastFailureAt + d.settings.lockoutSeconds <= now;
}

/**
 * Counts one failure atomically; `locked` is true for the one failure that
 * locks the subject (it still answers 401; the attempts after it get 429).
 */
export async function recordFailure(d: Deps, subject: LockoutSubject, seen: FailureState | null): Promise<{ locked: boolean }> {
  const now = epochSeconds(d.clock.now());
  const key = failedLoginsKey(subject);
  const keep = now + d.settings.lockoutSeconds * 2 + 86_400; // TTL only collects garbage; the logic never waits for it
  let failures: number | undefined;
  if (seen && isStale(d, seen)) {
    failures = await startOver(d, key, seen, now, keep);
  }
  if (failures === undefined) {
    const out = await d.db.send(
      new UpdateCommand({
        TableName: d.tables.lockouts,
        Key: key,
        UpdateExpression: 'ADD failures :one SET lastFailureAt = :now, expiresAt = :keep',
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':keep': keep },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    failures = Number(out.Attributes?.failures ?? 1);
  }
  if (failures < d.settings.lockoutThreshold) return { locked: false };
  return { locked: await lock(d, key, now) };
}

/** Resets a stale count to this one failure; `undefined` when someone else changed it first. */
async function startOver(d: Deps, key: { pk: string }, seen: FailureState, now: number, keep: number): Promise<number | undefined> {
  const out = await unlessConditionFails(
    d.db.send(
      new UpdateCommand({
        TableName: d.tables.lockouts,
        Key: key,
        UpdateExpression: 'SET failures = :one, lastFailureAt = :now, expiresAt = :keep REMOVE lockedUntil',
        ConditionExpression: 'lastFailureAt = :seen',
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':keep': keep, ':seen': seen.lastFailureAt },
      }),
    ),
  );
  return out === null ? undefined : 1;
}

/** Sets the lock once: of concurrent failures past the threshold, one locks. */
async function lock(d: Deps, key: { pk: string }, now: number): Promise<boolean> {
  const out = await unlessConditionFails(
    d.db.send(
      new UpdateCommand({
        TableName: d.tables.lockouts,
        Key: key,
        UpdateExpression: 'SET lockedUntil = :until',
        ConditionExpression: 'attribute_not_exists(lockedUntil) OR lockedUntil <= :now',
        ExpressionAttributeValues: { ':until': now + d.settings.lockoutSeconds, ':now': now },
      }),
    ),
  );
  return out === null ? false : true;
}

/**
 * Forgets the failures a successful login read, and only those: failures
 * counted since then, and a lock they set, stay (a delete would erase them).
 */
export async function forgetFailures(d: Deps, subject: LockoutSubject, seen: FailureState): Promise<void> {
  // Cleared or started over meanwhile: nothing of what it read is left to forget.
  await unlessConditionFails(
    d.db.send(
      new UpdateCommand({
        TableName: d.tables.lockouts,
        Key: failedLoginsKey(subject),
        UpdateExpression: 'ADD failures :forget',
        ConditionExpression: 'failures >= :seen',
        ExpressionAttributeValues: { ':forget': -seen.failures, ':seen': seen.failures },
      }),
    ),
  );
}

/** Forgets failures and any lock: an unlock, a password reset. */
export async function clearFailures(d: Deps, subject: LockoutSubject): Promise<boolean> {
  const out = await d.db.send(
    new DeleteCommand({ TableName: d.tables.lockouts, Key: failedLoginsKey(subject), ReturnValues: 'ALL_OLD' }),
  );
  return out.Attributes !== undefined;
}

export async function readFailures(d: Deps, subject: LockoutSubject): Promise<FailureState | null> {
  const out = await d.db.send(new GetCommand({ TableName: d.tables.lockouts, Key: failedLoginsKey(subject), ConsistentRead: true }));
  return failureStateOf(out.Item);
}
