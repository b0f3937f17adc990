/**
 * Consecutive failed password checks. The count belongs to the account when
 * the identifier names one and to the normalized identifier otherwise, and
 * both behave the same, so a lockout reveals nothing.
 *
 * A guess is counted before it is checked: one conditional `ADD` reserves a
 * place in the budget of `LOCKOUT_THRESHOLD`, and only a guess holding a
 * place is verified. However many guesses arrive at once, on however many
 * routes, at most that many are verified before the lock; the one holding
 * the last place sets the lock when it turns out wrong. A right password
 * forgets the places up to its own, so a success resets the count. Failures
 * older than `LOCKOUT_SECONDS` that did not lock are forgotten.
 */
import { above, and, atLeast, atMost, below, is, lacks, or, updateIf } from '../infra/conditions.ts';
import { epochSeconds } from '../infra/clock.ts';
import { failedLoginsKey } from './keys.ts';
import type { Deps } from '../deps.ts';

export type LockoutSubject = { readonly userId: string } | { readonly identifier: string };

/** A place in the subject's budget: the `place`-th guess since the count last started. */
export interface Reservation {
  readonly subject: LockoutSubject;
  readonly place: number;
}

export type ReserveOutcome =
  | { readonly kind: 'reserved'; readonly reservation: Reservation }
  /** Locked, or every place is held by a guess still being checked. */
  | { readonly kind: 'locked'; readonly retryAfter: number };

interface FailureState {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly lockedUntil?: number;
}

const stateOf = (item: Record<string, unknown> | undefined): FailureState | null =>
  item
    ? {
        failures: Number(item.failures ?? 0),
        lastFailureAt: Number(item.lastFailureAt ?? 0),
        ...(item.lockedUntil !== undefined ? { lockedUntil: Number(item.lockedUntil) } : {}),
      }
    : null;

/** How often a reservation that lost a race to a start-over tries again before it counts as busy. */
const RESERVE_TRIES = 3;

/**
 * Takes one place in the subject's budget, or says why there is none. One
 * round trip when a place is free; a read and a start-over when the count is
 * stale.
 */
export async function reserveAttempt(d: Deps, subject: LockoutSubject): Promise<ReserveOutcome> {
  const key = failedLoginsKey(subject);
  for (let i = 0; i < RESERVE_TRIES; i++) {
    const now = epochSeconds(d.clock.now());
    const keep = now + d.settings.lockoutSeconds * 2 + 86_400; // TTL only collects garbage; the logic never waits for it
    const out = await updateIf(
      d.db,
      {
        TableName: d.tables.lockouts,
        Key: key,
        UpdateExpression: 'ADD failures :one SET lastFailureAt = :now, expiresAt = :keep',
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':keep': keep },
        ReturnValues: 'UPDATED_NEW',
      },
      // A place is free, the subject is not locked, and the count is recent enough to add to.
      and(
        or(lacks('failures'), below('failures', d.settings.lockoutThreshold)),
        lacks('lockedUntil'),
        or(lacks('lastFailureAt'), above('lastFailureAt', now - d.settings.lockoutSeconds)),
      ),
    );
    if (out) return { kind: 'reserved', reservation: { subject, place: Number(out.Attributes?.failures ?? 1) } };

    const state = stateOf((await d.db.get({ TableName: d.tables.lockouts, Key: key, ConsistentRead: true })).Item);
    if (!state) continue; // cleared meanwhile: the next ADD starts a new count
    // A concurrent guess may have read the clock a second later than this one: never promise more than LOCKOUT_SECONDS.
    const wait = (until: number) => Math.min(d.settings.lockoutSeconds, Math.max(1, until - now));
    if (state.lockedUntil !== undefined && state.lockedUntil > now) return { kind: 'locked', retryAfter: wait(state.lockedUntil) };
    const stale = state.lockedUntil !== undefined || state.lastFailureAt + d.settings.lockoutSeconds <= now;
    if (!stale) {
      // Every place is held by a guess in flight; when they fail, they lock for LOCKOUT_SECONDS.
      return { kind: 'locked', retryAfter: wait(state.lastFailureAt + d.settings.lockoutSeconds) };
    }
    if (await startOver(d, subject, state, now, keep)) return { kind: 'reserved', reservation: { subject, place: 1 } };
  }
  return { kind: 'locked', retryAfter: 1 };
}

/** Restarts a stale count at this one guess; `false` when someone else changed it first. */
async function startOver(d: Deps, subject: LockoutSubject, seen: FailureState, now: number, keep: number): Promise<boolean> {
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.lockouts,
      Key: failedLoginsKey(subject),
      UpdateExpression: 'SET failures = :one, lastFailureAt = :now, expiresAt = :keep REMOVE lockedUntil',
      ExpressionAttributeValues: { ':one': 1, ':now': now, ':keep': keep },
    },
    is('lastFailureAt', seen.lastFailureAt),
  );
  return out !== null;
}

/**
 * A reserved guess was wrong: its place stays counted. The guess that held
 * the last place locks the subject, once; `true` for that one.
 */
export async function failAttempt(d: Deps, reservation: Reservation): Promise<boolean> {
  if (reservation.place < d.settings.lockoutThreshold) return false;
  const now = epochSeconds(d.clock.now());
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.lockouts,
      Key: failedLoginsKey(reservation.subject),
      UpdateExpression: 'SET lockedUntil = :until',
      ExpressionAttributeValues: { ':until': now + d.settings.lockoutSeconds },
    },
    or(lacks('lockedUntil'), atMost('lockedUntil', now)),
  );
  return out !== null;
}

/**
 * A reserved guess was right: forgets its place and the places before it,
 * and only those. Guesses reserved after it, and a lock they set, stay.
 */
export async function forgetAttempts(d: Deps, reservation: Reservation): Promise<void> {
  await giveBack(d, reservation.subject, reservation.place);
}

/** A reserved guess that was neither right nor wrong for the count (a disabled account): gives its place back. */
export async function releaseAttempt(d: Deps, reservation: Reservation): Promise<void> {
  await giveBack(d, reservation.subject, 1);
}

async function giveBack(d: Deps, subject: LockoutSubject, places: number): Promise<void> {
  // Cleared or started over meanwhile: nothing of what it counted is left to give back.
  await updateIf(
    d.db,
    {
      TableName: d.tables.lockouts,
      Key: failedLoginsKey(subject),
      UpdateExpression: 'ADD failures :forget',
      ExpressionAttributeValues: { ':forget': -places },
    },
    atLeast('failures', places),
  );
}

/** Forgets failures and any lock: an unlock, a password reset. */
export async function clearFailures(d: Deps, subject: LockoutSubject): Promise<boolean> {
  const out = await d.db.delete({ TableName: d.tables.lockouts, Key: failedLoginsKey(subject), ReturnValues: 'ALL_OLD' });
  return out.Attributes !== undefined;
}
