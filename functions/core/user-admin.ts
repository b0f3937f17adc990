/**
 * Creating and changing users on behalf of a caller, with the rules of
 * `user-management.ts`, the password policy, invitations by email, the
 * revocations a change implies, and audit events.
 */
import { randomUUID } from 'node:crypto';
import { revokeApiTokensOf } from './api-tokens.ts';
import { audit, type AuditOrigin } from './audit.ts';
import type { Principal } from './authorize.ts';
import type { Deps } from './deps.ts';
import { inviteEmail } from './emails.ts';
import { ApiError } from './errors.ts';
import { sendQuietly } from './mail.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import type { Role } from './permissions.ts';
import { issueResetCode } from './reset-codes.ts';
import { revokeAllSessions } from './sessions.ts';
import { accessTo, mayCreate } from './user-management.ts';
import { createUser, getUser, updateUser, type UserChanges, type UserRecord, type UserStatus } from './users.ts';

export interface NewUserInput {
  readonly email: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly role: Role;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phone: string | null;
}

const forbidden = (caller: Principal) => new ApiError('forbidden', { extra: { role: caller.role } });

/** A user in the caller's tenant; without a password, an invitation code goes out by email. */
export async function createManagedUser(d: Deps, caller: Principal, input: NewUserInput, origin: AuditOrigin): Promise<UserRecord> {
  if (!mayCreate(caller, input.role)) throw forbidden(caller);
  if (input.password !== null) {
    assertStrongPassword(input.password, { minLength: d.settings.passwordMinLength, email: input.email, username: input.username });
  }
  const result = await createUser(d, {
    tenantId: caller.tenantId,
    role: input.role,
    email: input.email,
    username: input.username,
    passwordHash: input.password === null ? null : await hashPassword(input.password),
    firstName: input.firstName,
    lastName: input.lastName,
    phone: input.phone,
    createdBy: caller.userId,
  });
  if (result.kind === 'conflict') {
    throw new ApiError('conflict', { message: `That ${result.field} is already taken`, details: [{ path: result.field, message: 'Already taken' }] });
  }
  const user = result.user;
  const about = { userId: user.id, tenantId: user.tenantId, actorId: caller.userId };
  await Promise.all([
    audit(d, origin, { type: 'user.created', outcome: 'success', reason: input.password === null ? 'invited' : null, ...about }),
    input.password === null ? invite(d, user) : Promise.resolve(),
  ]);
  return user;
}

async function invite(d: Deps, user: UserRecord): Promise<void> {
  const code = await issueResetCode(d, user.id, d.settings.inviteCodeTtl);
  await sendQuietly(d.mailer, inviteEmail(d.settings.productName, user.email, code, d.settings.inviteCodeTtl));
}

/** The user behind `/users/{id}`, if the caller may manage it. */
export async function managedUser(d: Deps, caller: Principal, userId: string): Promise<UserRecord> {
  const user = await getUser(d, userId);
  const access = accessTo(caller, user);
  if (access === 'not_found') throw new ApiError('not_found');
  if (access === 'forbidden') throw forbidden(caller);
  return user as UserRecord;
}

export interface ManagedChanges extends UserChanges {
  /** Only the caller's own tenant is accepted: users never move between tenants. */
  readonly tenantId?: string;
}

/** `PATCH /users/{id}`: a role change revokes the user's sessions; disabling revokes its sessions and API tokens. */
export async function changeManagedUser(
  d: Deps,
  caller: Principal,
  userId: string,
  changes: ManagedChanges,
  origin: AuditOrigin,
): Promise<UserRecord> {
  const target = await managedUser(d, caller, userId);
  const { tenantId, ...userChanges } = changes;
  if (tenantId !== undefined && tenantId !== target.tenantId) throw forbidden(caller);
  const roleChanges = userChanges.role !== undefined && userChanges.role !== target.role;
  const statusChanges = userChanges.status !== undefined && userChanges.status !== target.status;
  // Nobody changes their own role, or disables or enables themselves.
  if (target.id === caller.userId && (roleChanges || statusChanges)) throw forbidden(caller);
  if (roleChanges && !mayCreate(caller, userChanges.role as Role)) throw forbidden(caller);

  return applyUserChanges(d, target, userChanges, origin, caller.userId);
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
): Promise<UserRecord> {
  const roleChanges = changes.role !== undefined && changes.role !== target.role;
  const disabled = changes.status === 'disabled' && target.status !== 'disabled';
  // Customers, and only customers, carry a customer id.
  const customerId = roleChanges ? { customerId: changes.role === 'CUSTOMER' ? (target.customerId ?? randomUUID()) : null } : {};
  const updated = await updateUser(d, target.id, { ...changes, ...customerId });
  if (!updated) throw new ApiError('not_found');
  await Promise.all([
    roleChanges || disabled ? revokeAllSessions(d, target.id) : Promise.resolve(),
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
  return updated;
}

/** `DELETE /users/{id}`: disables. */
export const disableManagedUser = (d: Deps, caller: Principal, userId: string, origin: AuditOrigin) =>
  changeManagedUser(d, caller, userId, { status: 'disabled' satisfies UserStatus }, origin);
