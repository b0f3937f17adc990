/** A user changing its own profile fields (never its role, status or names). */
import type { Deps } from '../deps.ts';
import { settleAll } from '../infra/settle.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import { copyUserToSessions } from '../records/sessions.ts';
import { updateUser, type UserChanges, type UserRecord } from '../records/users.ts';
import type { Principal } from './authorize.ts';
import { refused, type Refusal } from './outcomes.ts';

export type ProfileChanges = Pick<UserChanges, 'firstName' | 'lastName' | 'phone'>;

export async function updateOwnProfile(
  d: Deps,
  caller: Principal,
  changes: ProfileChanges,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'updated'; readonly user: UserRecord } | Extract<Refusal, { kind: 'unauthorized' }>> {
  const user = await updateUser(d, caller.userId, changes);
  // The credential was live a moment ago; a user removed or disabled since then is no longer anyone.
  if (user?.status !== 'active') return refused.unauthorized;
  const changed = Object.keys(changes).sort();
  if (changed.length > 0) {
    await settleAll([
      // The sessions carry the user as GET /auth/me answers it.
      copyUserToSessions(d, user),
      audit(d, origin, { type: 'user.updated', outcome: 'success', reason: changed.join(','), userId: user.id, tenantId: user.tenantId }),
    ]);
  }
  return { kind: 'updated', user };
}
