/**
 * The optional revocation check: reads the token's session from the auth
 * service's sessions table, as the service's own authorizer does. The key
 * and the fields read here mirror the service's `db-keys.ts` and
 * `sessions.ts`; a test keeps them in step.
 */
import type { Principal } from './verifier.js';

/** The part of `DynamoDBDocumentClient` the check uses. */
export interface DocumentClientLike {
  send(command: never): Promise<unknown>;
}

export interface SessionsTable {
  /** A `DynamoDBDocumentClient` (from `@aws-sdk/lib-dynamodb`) with read access to the table. */
  readonly client: DocumentClientLike;
  /** The sessions table's name (the stack's `SessionsTableName` output). */
  readonly tableName: string;
}

/** The key of a session's item: under its user, one item per login. */
export const sessionKey = (userId: string, sessionId: string) => ({ pk: `USER#${userId}`, sk: `SESSION#${sessionId}` });

/** A session is live while it exists, is not revoked, and has not reached its midnight (`endsAt`). */
export function isLiveSession(item: Record<string, unknown> | undefined, now: Date): boolean {
  if (item?.revoked !== false) return false;
  return typeof item.endsAt === 'string' && now.getTime() < Date.parse(item.endsAt);
}

export function sessionCheck(table: SessionsTable): (principal: Principal, now: Date) => Promise<boolean> {
  return async (principal, now) => {
    // Loaded only by callers who pass a DocumentClient, and so have the SDK installed.
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const command = new GetCommand({
      TableName: table.tableName,
      Key: sessionKey(principal.userId, principal.sessionId),
      ConsistentRead: true,
    });
    const out = (await table.client.send(command as never)) as { Item?: Record<string, unknown> };
    return isLiveSession(out.Item, now);
  };
}
