/**
 * Changing users on behalf of a caller, with the rules of
 * `user-management.ts`, the revocations a change implies, and audit events.
 * (Creating them is `user-creation.ts`, which needs argon2; this does not.)
 */
import { randomUUID } from 'node:crypto';
import { revokeApiTokensOf } from '../records/api-tokens.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Principal } from './authorize.ts';
import type { Deps } from '../deps.ts';
import { refused, type Refusal } from './outcomes.ts';
import type { Role } from '../infra/permissions.ts';
import { clearFailures } from '../records/lockouts.ts';
import { copyUserToSessions, revokeAllSessions } from '../records/sessions.ts';
import { openingSessionsOf } from '../records/user-logins.ts';
import { accessTo, mayCreate } from './user-management.ts';
import { getUser, updateUser, type UserChanges, type UserRecord, type UserStatus } from '../records/users.ts';
import { settleAll } from '../infra/settle.ts';

export type ManagedUser = { readonly kind: 'found'; readonly user: UserRecord } | Extract<Refusal, { kind: 'not_found' | 'forbidden' }>;
export type UserChange = { readonly kind: 'changed'; readonly user: UserRecord } | Extract<Refusal, { kind: 'not_found' | 'forbidden' }>;

/** The user behind `/users/{id}`, if the caller may manage it. */
export async function managedUser(d: Deps, caller: Principal, userId: string): Promise<ManagedUser> {
  const user = await getUser(d, userId);
  const access = accessTo(caller, user);
  if (access === 'not_found') return refused.notFound;
  if (access === 'forbidden') return refused.forbidden;
  return { kind: 'found', user: user as UserRecord };
}

/** `PATCH /users/{id}`: a role change revokes the user's sessions; disabling revokes its sessions and API tokens. */
export async function changeManagedUser(
  d: Deps,
  caller: Principal,
  userId: string,
  changes: UserChanges,
  origin: AuditOrigin,
): Promise<UserChange> {
  const found = await managedUser(d, caller, userId);
  if (found.kind !== 'found') return found;
  const target = found.user;
  const roleChanges = changes.role !== undefined && changes.role !== target.role;
  const statusChanges = changes.status !== undefined && changes.status !== target.status;
  // Nobody changes their own role, or disables or enables themselves.
  if (target.id === caller.userId && (roleChanges || statusChanges)) return refused.forbidden;
  if (roleChanges && !mayCreate(caller, changes.role as Role)) return refused.forbidden;

  return applyUserChanges(d, target, changes, origin, caller.userId);
}

/**
 * Applies checked changes to a user, with what they imply: a role change
 * revokes its sessions; disabling revokes its sessions and API tokens.
 */
export async function applyUserChanges(
  d: Deps,
  target: UserRecord,
  changes: UserChanges,
  origin: AuditOrigin,
  actorId: string | null,
): Promise<UserChange> {
  const roleChanges = changes.role !== undefined && changes.role !== target.role;
  const disabled = changes.status === 'disabled' && target.status !== 'disabled';
  // A retried disable finishes the revocations a failed first try left, as refreshes no longer read the user.
  const revoke = roleChanges || changes.status === 'disabled';
  // Customers, and only customers, carry a customer id.
  const customerId = roleChanges ? { customerId: changes.role === 'CUSTOMER' ? (target.customerId ?? randomUUID()) : null } : {};
  const updated = await updateUser(d, target.id, { ...changes, ...customerId });
  if (!updated) return refused.notFound;
  await settleAll([
    revoke ? revokeAllSessions(d, target.id, undefined, openingSessionsOf(updated)) : copyUserToSessions(d, updated),
    disabled ? revokeApiTokensOf(d, target.id) : Promise.resolve(),
    audit(d, origin, {
      type: disabled ? 'user.disabled' : 'user.updated',
      outcome: 'success',
      reason: Object.keys(changes).sort().join(','),
      userId: target.id,
      tenantId: target.tenantId,
      actorId,
    }),
  ]);
  return { kind: 'changed', user: updated };
}

/** `DELETE /users/{id}`: disables. */
export const disableManagedUser = (d: Deps, caller: Principal, userId: string, origin: AuditOrigin) =>
  changeManagedUser(d, caller, userId, { status: 'disabled' satisfies UserStatus }, origin);

/** `POST /users/{id}/unlock`: clears a user's failures and lock; the event only when there was something to clear. */
export async function unlockUser(
  d: Deps,
  caller: Principal,
  userId: string,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'unlocked' } | Extract<Refusal, { kind: 'not_found' }>> {
  const user = userId ? await getUser(d, userId) : null;
  // Another tenant's user is as unknown as no user at all.
  if (!user || user.tenantId !== caller.tenantId) return refused.notFound;
  if (await clearFailures(d, { userId: user.id })) {
    await audit(d, origin, {
      type: 'lockout.unlocked',
      outcome: 'success',
      userId: user.id,
      tenantId: user.tenantId,
      actorId: caller.userId,
    });
  }
  return { kind: 'unlocked' };
}
