/**
 * A login's write on its user, made in the same round trip as its session's
 * write. It holds only if the user is as the login read it (password hash,
 * role, active), and it names the session being opened in the user's
 * `openingSessions`. A password change, role change or disabling that lands
 * after it gets that name back from its own write (ALL_NEW) and ends that
 * session too, even if the session's item lands after the change listed the
 * user's sessions: its revocation then creates the item revoked, and the
 * login's conditional put of a new session fails.
 */
import { userKey } from './keys.ts';
import { and, is, lacks, updateIf, type Condition } from '../infra/conditions.ts';
import type { Deps } from '../deps.ts';
import type { UserRecord } from './users.ts';

/** Longer than any login can take (its function times out after 10 s), so no name leaves while its session may still land. */
const OPENING_KEPT_MS = 15 * 60_000;

/**
 * Records a login on the user as the login read it: `false`, and nothing
 * written, when its password hash, role or status has changed since.
 */
export async function recordLogin(d: Deps, seen: UserRecord, sessionId: string, at: Date, newHash?: string): Promise<boolean> {
  const names: Record<string, string> = { '#opening': 'openingSessions' };
  const values: Record<string, unknown> = { ':at': at.toISOString(), ...(newHash ? { ':hash': newHash } : {}) };
  const sets = ['lastLoginAt = :at', ...(newHash ? ['passwordHash = :hash'] : [])];
  const removes: string[] = [];
  let also: Condition;
  if (seen.openingSessions) {
    // Each login adds its own name and drops only names it saw grow old, so concurrent logins keep each other's.
    names['#new'] = sessionId;
    values[':began'] = at.toISOString();
    sets.push('#opening.#new = :began');
    Object.entries(seen.openingSessions)
      .filter(([, began]) => at.getTime() - Date.parse(began) > OPENING_KEPT_MS)
      .forEach(([old], i) => {
        names[`#old${i}`] = old;
        removes.push(`#opening.#old${i}`);
      });
    also = is('status', 'active');
  } else {
    // A user from before the map: the first login starts it; a concurrent first login fails and is retried.
    values[':opening'] = { [sessionId]: at.toISOString() };
    sets.push('#opening = :opening');
    also = and(is('status', 'active'), lacks('openingSessions'));
  }
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.users,
      Key: userKey(seen.id),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
    and(is('passwordHash', seen.passwordHash), is('role', seen.role), also),
  );
  return out !== null;
}

/** The sessions a user's logins may still be opening. */
export const openingSessionsOf = (user: Pick<UserRecord, 'openingSessions'> | null): string[] => Object.keys(user?.openingSessions ?? {});
