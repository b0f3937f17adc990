/**
 * The refresh grant: the session and its user are read in one round trip,
 * then the token is rotated with one conditional write.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { sessionKey, userKey } from '../records/keys.ts';
import { requireAllProcessed } from '../infra/db.ts';
import type { Deps } from '../deps.ts';
import { rotateRefreshToken, sessionFromItem, type ClientInfo, type SessionRecord } from '../records/sessions.ts';
import { userFromItem, type UserRecord } from '../records/users.ts';

export type RefreshResult =
  | { readonly kind: 'rotated'; readonly session: SessionRecord; readonly refreshToken: string; readonly user: UserRecord }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reuse'; readonly session: SessionRecord };

export async function refreshGrant(d: Deps, token: string, client: ClientInfo): Promise<RefreshResult> {
  let user: UserRecord | null = null;
  const result = await rotateRefreshToken(d, token, client, async ({ userId, sessionId }) => {
    const out = await d.db.send(
      new BatchGetCommand({
        RequestItems: {
          [d.tables.sessions]: { Keys: [sessionKey(userId, sessionId)], ConsistentRead: true },
          [d.tables.users]: { Keys: [userKey(userId)], ConsistentRead: true },
        },
      }),
    );
    const [sessionItem] = out.Responses?.[d.tables.sessions] ?? [];
    const [userItem] = out.Responses?.[d.tables.users] ?? [];
    requireAllProcessed(out);
    user = userItem ? userFromItem(userItem) : null;
    // A user who is gone or disabled has no session worth rotating.
    return sessionItem && user?.status === 'active' ? sessionFromItem(sessionItem) : null;
  });
  if (result.kind !== 'rotated') return result;
  return user ? { ...result, user } : { kind: 'invalid' };
}
