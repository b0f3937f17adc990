/**
 * The unique login names: one pointer item per email and per username,
 * written with a condition before the user item, so two concurrent creates
 * of one name give one winner. A pointer left by a crash between the writes
 * names no user, and is taken over after a while.
 */
import type { DeleteCommandInput } from '@aws-sdk/lib-dynamodb';
import { conditionInput, is, isNew, putIf } from '../infra/conditions.ts';
import type { Deps } from '../deps.ts';
import type { Identifier } from '../infra/identifiers.ts';
import { emailKey, userKey, usernameKey } from './keys.ts';

const pointerKey = (identifier: Identifier) => (identifier.kind === 'email' ? emailKey(identifier.value) : usernameKey(identifier.value));

/** The id of the user a normalized email or username names, read from its pointer. */
export async function userIdNamedBy(d: Deps, identifier: Identifier): Promise<string | null> {
  const pointer = await d.db.get({ TableName: d.tables.users, Key: pointerKey(identifier), ConsistentRead: true });
  const userId = pointer.Item?.userId;
  return typeof userId === 'string' ? userId : null;
}

/** A pointer whose user item never came (a crash between the writes) may be taken over after this long. */
const ORPHAN_POINTER_AGE_MS = 60_000;

/** Claims a name for a user; `false` when another user holds it. */
export async function claimName(d: Deps, name: Identifier, userId: string, now: string): Promise<boolean> {
  const item = { ...pointerKey(name), userId, createdAt: now };
  const claimed = await putIf(d.db, { TableName: d.tables.users, Item: item }, isNew);
  return claimed !== null || takeOverOrphan(d, name, item, now);
}

/** Takes a name whose pointer is old and names no user; `false` when the name is really taken. */
async function takeOverOrphan(d: Deps, name: Identifier, item: Record<string, string>, now: string): Promise<boolean> {
  const existing = await d.db.get({ TableName: d.tables.users, Key: pointerKey(name), ConsistentRead: true });
  const owner = existing.Item?.userId as string | undefined;
  // A claim the client sent again after its answer was lost finds the pointer it wrote: the name is this user's.
  if (owner === item.userId) return true;
  const createdAt = Date.parse(String(existing.Item?.createdAt));
  if (!owner || Date.parse(now) - createdAt < ORPHAN_POINTER_AGE_MS || (await userExists(d, owner))) return false;
  const out = await putIf(d.db, { TableName: d.tables.users, Item: item }, is('userId', owner));
  return out !== null;
}

export async function releaseName(d: Deps, name: Identifier, userId: string): Promise<void> {
  await d.db.delete(conditionInput<DeleteCommandInput>({ TableName: d.tables.users, Key: pointerKey(name) }, is('userId', userId)));
}

/** Whether a user item exists, without reading more of it than its key. */
async function userExists(d: Deps, userId: string): Promise<boolean> {
  const out = await d.db.get({ TableName: d.tables.users, Key: userKey(userId), ConsistentRead: true, ProjectionExpression: 'pk' });
  return out.Item !== undefined;
}
