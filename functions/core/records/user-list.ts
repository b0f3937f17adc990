/** A tenant's users, oldest first, on the users table's `byTenant` index. */
import type { Deps } from '../deps.ts';
import type { Role } from '../infra/permissions.ts';
import { userFromItem, type UserRecord, type UserStatus } from './users.ts';

export interface UserListQuery {
  readonly tenantId: string;
  /** Only users of these roles. */
  readonly roles?: readonly Role[];
  readonly status?: UserStatus;
  /** Only users this user created. */
  readonly createdBy?: string;
  readonly limit: number;
  /** The index key of the last user already returned. */
  readonly after?: UserCursor;
}

export interface UserCursor {
  readonly pk: string;
  readonly tenantId: string;
  readonly createdAt: string;
}

/** A tenant's users, oldest first, filtered; `next` is where the following page starts. */
export async function listUsers(d: Deps, query: UserListQuery): Promise<{ items: UserRecord[]; next: UserCursor | null }> {
  const filters: string[] = [];
  const values: Record<string, unknown> = { ':tenant': query.tenantId };
  const names: Record<string, string> = {};
  if (query.roles) {
    const placeholders = query.roles.map((role, i) => {
      values[`:role${i}`] = role;
      return `:role${i}`;
    });
    filters.push(`#role IN (${placeholders.join(', ')})`);
    names['#role'] = 'role';
  }
  if (query.status) {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = query.status;
  }
  if (query.createdBy) {
    filters.push('createdBy = :createdBy');
    values[':createdBy'] = query.createdBy;
  }
  const found: UserRecord[] = [];
  let start: Record<string, unknown> | undefined = query.after ? { ...query.after } : undefined;
  let lastKey: UserCursor | null = null;
  do {
    const out = await d.db.query({
      TableName: d.tables.users,
      IndexName: 'byTenant',
      KeyConditionExpression: 'tenantId = :tenant',
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      Limit: query.limit + 1 - found.length,
      ExclusiveStartKey: start,
    });
    for (const item of out.Items ?? []) {
      if (found.length === query.limit) return { items: found, next: lastKey };
      found.push(userFromItem(item));
      lastKey = { pk: item.pk as string, tenantId: item.tenantId as string, createdAt: item.createdAt as string };
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { items: found, next: null };
}
