/**
 * One-time numeric codes for password reset and invitations: drawn from a
 * CSPRNG, stored as a keyed hash with an expiry and a count of wrong tries,
 * replaced by a newer code, tried at most five times, spent by one
 * conditional delete.
 */
import { createHmac, createSecretKey, randomInt, timingSafeEqual } from 'node:crypto';
import { above, and, atLeast, below, deleteIf, has, is, isNew, putIf, updateIf } from '../infra/conditions.ts';
import { epochSeconds } from '../infra/clock.ts';
import { resetCodeKey } from './keys.ts';
import type { Deps } from '../deps.ts';

/** Wrong tries after which a code is dead. */
export const MAX_CODE_TRIES = 5;

async function codeHash(d: Deps, userId: string, code: string): Promise<string> {
  const refreshSecret = await d.keys.tokenSecret();
  // A key of its own, derived from the key set's secret, so a code hash is useless elsewhere.
  const key = createSecretKey(createHmac('sha256', refreshSecret).update('reset-code').digest());
  return createHmac('sha256', key).update(`${userId}:${code}`).digest('base64url');
}

/** Issues a new code for a user, replacing any earlier one, and returns it (for the email only). */
export async function issueResetCode(d: Deps, userId: string, ttlSeconds = d.settings.resetCodeTtl): Promise<string> {
  const length = d.settings.resetCodeLength;
  const code = Array.from({ length }, () => randomInt(10)).join('');
  const now = epochSeconds(d.clock.now());
  await d.db.put({
    TableName: d.tables.lockouts,
    Item: {
      ...resetCodeKey(userId),
      codeHash: await codeHash(d, userId, code),
      tries: 0,
      validUntil: now + ttlSeconds,
      expiresAt: now + ttlSeconds + 3600,
    },
  });
  return code;
}

/** Withdraws a user's code, whatever it is: for an invitation whose mail could not be sent. */
export async function withdrawResetCode(d: Deps, userId: string): Promise<void> {
  await d.db.delete({ TableName: d.tables.lockouts, Key: resetCodeKey(userId) });
}

/** A try of a live code whose text was right: whose code, and the code as stored after the try was taken. */
export interface RightCode {
  readonly userId: string;
  readonly stored: Readonly<Record<string, unknown>>;
}

/**
 * Takes one of a live code's tries before comparing, so that no burst of
 * guesses compares more than five: one conditional `ADD`. The code when it
 * was right; `null` when it was wrong (the try stays spent) or no live code
 * has a try left (nothing is counted, so guesses made while no code is live
 * never count against a code requested afterwards).
 */
export async function tryResetCode(d: Deps, userId: string, code: string): Promise<RightCode | null> {
  const now = epochSeconds(d.clock.now());
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.lockouts,
      Key: resetCodeKey(userId),
      UpdateExpression: 'ADD tries :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    },
    // A code is there, with a try left, and still valid.
    and(has('codeHash'), below('tries', MAX_CODE_TRIES), above('validUntil', now)),
  );
  const item = out?.Attributes;
  if (!item) return null;
  const given = Buffer.from(await codeHash(d, userId, code));
  const stored = Buffer.from(String(item.codeHash));
  return given.length === stored.length && timingSafeEqual(given, stored) ? { userId, stored: item } : null;
}

/** Gives back the try a right code took, unless the code was replaced or spent meanwhile: a weak password spends nothing. */
export async function giveBackTry(d: Deps, right: RightCode): Promise<void> {
  await updateIf(
    d.db,
    {
      TableName: d.tables.lockouts,
      Key: resetCodeKey(right.userId),
      UpdateExpression: 'ADD tries :back',
      ExpressionAttributeValues: { ':back': -1 },
    },
    and(is('codeHash', right.stored.codeHash), atLeast('tries', 1)),
  );
}

/** Spends a right code by one conditional delete: of two requests with the same code, one gets it. */
export async function spendResetCode(d: Deps, right: RightCode): Promise<boolean> {
  const out = await deleteIf(
    d.db,
    { TableName: d.tables.lockouts, Key: resetCodeKey(right.userId) },
    is('codeHash', right.stored.codeHash),
  );
  return out !== null;
}

/**
 * Puts a code this request spent back as it was before its try, unless a
 * newer code has replaced it: what it was spent on failed, and the caller's
 * retry must be able to finish it.
 */
export async function restoreResetCode(d: Deps, spent: RightCode): Promise<void> {
  const before = { ...spent.stored, tries: Math.max(0, Number(spent.stored.tries) - 1) };
  await putIf(d.db, { TableName: d.tables.lockouts, Item: before }, isNew);
}
