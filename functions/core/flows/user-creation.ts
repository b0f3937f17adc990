/**
 * Creating users on behalf of a caller: the role rules, the password policy,
 * and an invitation code by email when no password is given.
 */
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Principal } from './authorize.ts';
import type { Deps } from '../deps.ts';
import { inviteEmail } from './emails.ts';
import { refused, type Refusal } from './outcomes.ts';
import { sendQuietly } from '../infra/mail.ts';
import { weakPassword } from './password-policy.ts';
import { hashPassword } from '../crypto/passwords.ts';
import type { Role } from '../infra/permissions.ts';
import { issueResetCode } from '../records/reset-codes.ts';
import { mayCreate } from './user-management.ts';
import { createUser, type UserRecord } from '../records/users.ts';
import { settleAll } from '../infra/settle.ts';

export interface NewUserInput {
  readonly email: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly role: Role;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phone: string | null;
}


/** A user in the caller's tenant; without a password, an invitation code goes out by email. */
export async function createManagedUser(
  d: Deps,
  caller: Principal,
  input: NewUserInput,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'created'; readonly user: UserRecord } | Extract<Refusal, { kind: 'forbidden' | 'weak_password' | 'conflict' }>> {
  if (!mayCreate(caller, input.role)) return refused.forbidden;
  const weak = input.password === null ? null : weakPassword(input.password, { minLength: d.settings.passwordMinLength, email: input.email, username: input.username });
  if (weak) return weak;
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
  if (result.kind === 'conflict') return { kind: 'conflict', field: result.field };
  const user = result.user;
  const about = { userId: user.id, tenantId: user.tenantId, actorId: caller.userId };
  await settleAll([
    audit(d, origin, { type: 'user.created', outcome: 'success', reason: input.password === null ? 'invited' : null, ...about }),
    input.password === null ? invite(d, user) : Promise.resolve(),
  ]);
  return { kind: 'created', user };
}

async function invite(d: Deps, user: UserRecord): Promise<void> {
  const code = await issueResetCode(d, user.id, d.settings.inviteCodeTtl);
  await sendQuietly(d.mailer, inviteEmail(d.settings.productName, user.email, code, d.settings.inviteCodeTtl));
}
