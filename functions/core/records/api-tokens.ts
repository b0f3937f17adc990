/**
 * API tokens for server-to-server callers: created, listed, rotated and
 * deleted by their owner, and accepted in `X-Auth-Token` as the owner with
 * the owner's current role. Only a keyed hash of each token is stored.
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../infra/db.ts';
import { hashTokenSecret, newTokenId, newTokenText, parseTokenText, sameSecretHash } from '../crypto/api-token-text.ts';
import { epochSeconds } from '../infra/clock.ts';
import { apiTokenKey, userKey } from './keys.ts';
import { and, below, conditionInput, deleteIf, is, isNull, itemExists, lacks, or, putNew, updateIf } from '../infra/conditions.ts';
import type { Deps } from '../deps.ts';
import { expiryOf, type ExpiryChoice } from '../crypto/token-expiry.ts';
import { getUser, type UserRecord } from './users.ts';
import { settleAll } from '../infra/settle.ts';

export interface ApiTokenRecord {
  readonly tokenId: string;
  readonly userId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly createdAt: string;
  readonly validUntil: string;
  readonly lastUsedAt: string | null;
  readonly lastUsedIp: string | null;
  readonly revoked: boolean;
}

/** The public view: never the hash; the token text only at create and rotate. */
export const toPublicToken = (record: ApiTokenRecord, token?: string) => ({
  id: record.tokenId,
  name: record.name,
  ...(token ? { token } : {}),
  created_at: record.createdAt,
  expires_at: record.validUntil,
  last_used_at: record.lastUsedAt,
});

const fromItem = (item: Record<string, unknown>): ApiTokenRecord => {
  const { pk: _pk, expiresAt: _ttl, ...rest } = item;
  return rest as unknown as ApiTokenRecord;
};

async function secretHash(d: Deps, tokenId: string, secret: string): Promise<string> {
  return hashTokenSecret(await d.keys.tokenSecret(), tokenId, secret);
}

export async function createApiToken(
  d: Deps,
  owner: { userId: string; tenantId: string },
  name: string,
  expiresIn: ExpiryChoice,
): Promise<{ record: ApiTokenRecord; token: string } | null> {
  const now = d.clock.now();
  const tokenId = newTokenId();
  const { token, secret } = newTokenText(tokenId);
  const validUntil = expiryOf(expiresIn, now);
  const record: ApiTokenRecord = {
    tokenId,
    userId: owner.userId,
    tenantId: owner.tenantId,
    name,
    secretHash: await secretHash(d, tokenId, secret),
    createdAt: now.toISOString(),
    validUntil: validUntil.toISOString(),
    lastUsedAt: null,
    lastUsedIp: null,
    revoked: false,
  };
  const item = { ...apiTokenKey(tokenId), ...record, expiresAt: epochSeconds(validUntil) + 86_400 };
  // Its own, when sent again after a lost answer: the same secret hash.
  if (!(await putNew(d.db, { TableName: d.tables.apiTokens, Item: item }, ['secretHash']))) throw new Error('API token id taken');
  // A disable racing this request may have listed the owner's tokens before this one was stored, and stamped the
  // owner before its date: the token reads its owner once stored, and revokes itself if a disable got in first.
  if (ownerRefuses(await getUser(d, owner.userId), record)) {
    await markRevoked(d, tokenId);
    return null;
  }
  return { record, token };
}

/** Whether a token's owner stops it: not active, or every token made before a date revoked. */
function ownerRefuses(owner: UserRecord | null, record: ApiTokenRecord): boolean {
  const revokedAt = (owner as { apiTokensRevokedAt?: string } | null)?.apiTokensRevokedAt;
  return owner?.status !== 'active' || (revokedAt !== undefined && revokedAt >= record.createdAt);
}

const markRevoked = (d: Deps, tokenId: string) =>
  updateIf(
    d.db,
    {
      TableName: d.tables.apiTokens,
      Key: apiTokenKey(tokenId),
      UpdateExpression: 'SET revoked = :true',
      ExpressionAttributeValues: { ':true': true },
    },
    itemExists,
  );

/** The owner's tokens, newest first. */
export async function listApiTokens(d: Deps, userId: string): Promise<ApiTokenRecord[]> {
  const items = await queryAll(d.db, {
    TableName: d.tables.apiTokens,
    IndexName: 'byUser',
    KeyConditionExpression: 'userId = :user',
    ExpressionAttributeValues: { ':user': userId },
    ScanIndexForward: false,
  });
  return items.map(fromItem);
}

/** A new secret for the owner's token: same id, name and dates; the old text stops at once. `null` if not theirs. */
export async function rotateApiToken(d: Deps, userId: string, tokenId: string): Promise<{ record: ApiTokenRecord; token: string } | null> {
  const { token, secret } = newTokenText(tokenId);
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.apiTokens,
      Key: apiTokenKey(tokenId),
      UpdateExpression: 'SET secretHash = :hash, rotatedAt = :now',
      ExpressionAttributeValues: { ':hash': await secretHash(d, tokenId, secret), ':now': d.clock.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    },
    and(is('userId', userId), is('revoked', false)),
  );
  return out === null ? null : { record: fromItem(out.Attributes ?? {}), token };
}

/** Deletes the owner's token; `false` if it is not theirs. */
export async function deleteApiToken(d: Deps, userId: string, tokenId: string): Promise<boolean> {
  const out = await deleteIf(d.db, { TableName: d.tables.apiTokens, Key: apiTokenKey(tokenId) }, is('userId', userId));
  return out !== null;
}

/**
 * Revokes every token of a user for good: marks them, and stamps the user so
 * that a token the (eventually consistent) listing missed is refused too.
 */
export async function revokeApiTokensOf(d: Deps, userId: string): Promise<void> {
  const now = d.clock.now().toISOString();
  await d.db.update(
    conditionInput<UpdateCommandInput>(
      {
        TableName: d.tables.users,
        Key: userKey(userId),
        UpdateExpression: 'SET apiTokensRevokedAt = :now',
        ExpressionAttributeValues: { ':now': now },
      },
      itemExists,
    ),
  );
  const tokens = await listApiTokens(d, userId);
  await settleAll(tokens.map((t) => markRevoked(d, t.tokenId)));
}

export type ApiTokenCheck =
  | { readonly kind: 'ok'; readonly record: ApiTokenRecord; readonly owner: UserRecord }
  /** A token of ours that no longer works: worth an audit event. */
  | {
      readonly kind: 'refused';
      readonly record: ApiTokenRecord;
      readonly reason: 'revoked' | 'expired' | 'wrong_secret' | 'owner_disabled';
    }
  | { readonly kind: 'unknown' };

/** How often a token's `last_used_at` is written, at most. */
const TOUCH_EVERY_MS = 60_000;

/** Checks a token's text, its item and its owner; records its use at most once a minute, alongside. */
export async function checkApiToken(d: Deps, token: string, ip: string | null): Promise<ApiTokenCheck> {
  const parsed = parseTokenText(token);
  if (!parsed) return { kind: 'unknown' };
  const out = await d.db.get({ TableName: d.tables.apiTokens, Key: apiTokenKey(parsed.tokenId), ConsistentRead: true });
  if (!out.Item) return { kind: 'unknown' };
  const record = fromItem(out.Item);
  const now = d.clock.now();
  if (!sameSecretHash(await secretHash(d, parsed.tokenId, parsed.secret), record.secretHash)) {
    return { kind: 'refused', record, reason: 'wrong_secret' };
  }
  if (record.revoked) return { kind: 'refused', record, reason: 'revoked' };
  if (Date.parse(record.validUntil) <= now.getTime()) return { kind: 'refused', record, reason: 'expired' };
  const due = !record.lastUsedAt || now.getTime() - Date.parse(record.lastUsedAt) >= TOUCH_EVERY_MS;
  const [owner] = await settleAll([getUser(d, record.userId), due ? touch(d, record, now, ip) : Promise.resolve()]);
  if (!owner || ownerRefuses(owner, record)) return { kind: 'refused', record, reason: 'owner_disabled' };
  return { kind: 'ok', record, owner };
}

/** Records a use; of racing containers, one write wins the minute. */
async function touch(d: Deps, record: ApiTokenRecord, now: Date, ip: string | null): Promise<void> {
  const cutoff = new Date(now.getTime() - TOUCH_EVERY_MS).toISOString();
  await updateIf(
    d.db,
    {
      TableName: d.tables.apiTokens,
      Key: apiTokenKey(record.tokenId),
      UpdateExpression: 'SET lastUsedAt = :now, lastUsedIp = :ip',
      ExpressionAttributeValues: { ':now': now.toISOString(), ':ip': ip },
    },
    // Never used, or not in the last minute.
    and(itemExists, or(lacks('lastUsedAt'), isNull('lastUsedAt'), below('lastUsedAt', cutoff))),
  );
}
