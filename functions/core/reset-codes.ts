/**
 * One-time numeric codes for password reset and invitations: drawn from a
 * CSPRNG, stored as a keyed hash with an expiry and a count of wrong tries,
 * replaced by a newer code, spent by one conditional delete.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds } from './clock.ts';
import { resetCodeKey } from './db-keys.ts';
import { unlessConditionFails } from './db.ts';
import type { Deps } from './deps.ts';

/** Wrong tries after which a code is dead. */
export const MAX_CODE_TRIES = 5;

async function codeHash(d: Deps, userId: string, code: string): Promise<string> {
  const { refreshSecret } = await d.keys.get();
  // A key of its own, derived from the key set's secret, so a code hash is useless elsewhere.
  const key = createHmac('sha256', refreshSecret).update('reset-code').digest();
  return createHmac('sha256', key).update(`${userId}:${code}`).digest('base64url');
}

/** Issues a new code for a user, replacing any earlier one, and returns it (for the email only). */
export async function issueResetCode(d: Deps, userId: string, ttlSeconds = d.settings.resetCodeTtl): Promise<string> {
  const length = d.settings.resetCodeLength;
  const code = Array.from({ length }, () => randomInt(10)).join('');
  const now = epochSeconds(d.clock.now());
  await d.db.send(
    new PutCommand({
      TableName: d.tables.lockouts,
      Item: { ...resetCodeKey(userId), codeHash: await codeHash(d, userId, code), tries: 0, validUntil: now + ttlSeconds, expiresAt: now + ttlSeconds + 3600 },
    }),
  );
  return code;
}

/** A spent code as it was stored, to put back if what it was spent on fails. */
export type SpentCode = Readonly<Record<string, unknown>>;

/**
 * Spends a user's code: the spent code for exactly one caller with the right
 * code, while it is live and has had fewer than five wrong tries; else `null`.
 */
export async function spendResetCode(d: Deps, userId: string, code: string): Promise<SpentCode | null> {
  const now = epochSeconds(d.clock.now());
  const { Item: item } = await d.db.send(new GetCommand({ TableName: d.tables.lockouts, Key: resetCodeKey(userId), ConsistentRead: true }));
  if (!item || Number(item.validUntil) <= now || Number(item.tries) >= MAX_CODE_TRIES) return null;
  const given = Buffer.from(await codeHash(d, userId, code));
  const stored = Buffer.from(String(item.codeHash));
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
    // A code replaced or spent meanwhile has nothing left to count against.
    await unlessConditionFails(
      d.db.send(
        new UpdateCommand({
          TableName: d.tables.lockouts,
          Key: resetCodeKey(userId),
          UpdateExpression: 'ADD tries :one',
          ConditionExpression: 'codeHash = :hash',
          ExpressionAttributeValues: { ':one': 1, ':hash': item.codeHash },
        }),
      ),
    );
    return null;
  }
  const out = await unlessConditionFails(
    d.db.send(
      new DeleteCommand({
        TableName: d.tables.lockouts,
        Key: resetCodeKey(userId),
        ConditionExpression: 'codeHash = :hash AND tries < :max AND validUntil > :now',
        ExpressionAttributeValues: { ':hash': item.codeHash, ':max': MAX_CODE_TRIES, ':now': now },
      }),
    ),
  );
  return out === null ? null : item;
}

/**
 * Puts a code this request spent back as it was, unless a newer code has
 * replaced it: what it was spent on failed, and the caller's retry must be
 * able to finish it.
 */
export async function restoreResetCode(d: Deps, spent: SpentCode): Promise<void> {
  await unlessConditionFails(
    d.db.send(new PutCommand({ TableName: d.tables.lockouts, Item: { ...spent }, ConditionExpression: 'attribute_not_exists(pk)' })),
  );
}
