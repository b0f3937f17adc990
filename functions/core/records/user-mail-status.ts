/**
 * Whether mail may go to a user's address: SES's bounces and complaints mark
 * the user (`emailStatus`), an administrator clears the mark. A mark is set
 * once and only grows (a complaint outranks a bounce), so a notification
 * delivered twice changes nothing the second time; and a notification about
 * mail sent before the last clear changes nothing at all, so a late one
 * cannot undo the administrator's decision.
 */
import { userKey } from './keys.ts';
import { and, below, has, is, lacks, or, updateIf } from '../infra/conditions.ts';
import type { Deps } from '../deps.ts';
import { userFromItem, type EmailStatus, type UserRecord } from './users.ts';

/** How many marks outrank each: a complaint replaces a bounce, never the reverse. */
const outranked: Record<EmailStatus, readonly EmailStatus[]> = { bounced: [], complained: ['bounced'] };

/**
 * Marks the user whose address `address` still is, from a notification about
 * a message sent at `sentAt` (ISO). The user as it now is, or `null` when
 * nothing changed (already marked so, cleared since the message, or no such
 * user with that address).
 */
export async function markEmail(d: Deps, userId: string, address: string, status: EmailStatus, sentAt: string): Promise<UserRecord | null> {
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.users,
      Key: userKey(userId),
      UpdateExpression: 'SET emailStatus = :status, emailStatusAt = :now',
      ExpressionAttributeValues: { ':status': status, ':now': d.clock.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    },
    and(
      is('email', address),
      or(lacks('emailStatus'), ...outranked[status].map((lower) => is('emailStatus', lower))),
      or(lacks('emailClearedAt'), below('emailClearedAt', sentAt)),
    ),
  );
  return out?.Attributes ? userFromItem(out.Attributes) : null;
}

/** Lets mail go to the user's address again. The user as it now is, or `null` when it carried no mark. */
export async function clearEmailStatus(d: Deps, userId: string): Promise<UserRecord | null> {
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.users,
      Key: userKey(userId),
      UpdateExpression: 'REMOVE emailStatus, emailStatusAt SET emailClearedAt = :now',
      ExpressionAttributeValues: { ':now': d.clock.now().toISOString() },
      ReturnValues: 'ALL_NEW',
    },
    has('emailStatus'),
  );
  return out?.Attributes ? userFromItem(out.Attributes) : null;
}
