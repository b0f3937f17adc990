/**
 * Creating users on behalf of a caller: the role rules, the password policy,
 * and an invitation code by email when no password is given (all or nothing).
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
import { issueResetCode, withdrawResetCode } from '../records/reset-codes.ts';
import { mayCreate } from './user-management.ts';
import { createUser, withdrawNewUser, type UserRecord } from '../records/users.ts';
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

export interface AccountInput extends NewUserInput {
  readonly tenantId: string;
  /** The user who creates it; `null` for the admin CLI and the demo seed. */
  readonly createdBy: string | null;
}

export type AccountCreation =
  | { readonly kind: 'created'; readonly user: UserRecord; readonly invitation: 'none' | 'sent' }
  | Extract<Refusal, { kind: 'weak_password' | 'conflict' | 'password_required' | 'unavailable' }>;

/**
 * The one way a user comes to be, for the API, the admin CLI and the demo
 * seed: the password policy, the unique names, the `user.created` event,
 * and an invitation code by email when no password is given. An invitation
 * is all or nothing: when its mail cannot be sent, the user, its names and
 * its code are taken back and the caller is told to try again (`unavailable`).
 */
export async function createAccount(
  d: Deps,
  input: AccountInput,
  origin: AuditOrigin,
  reason: string | null = null,
): Promise<AccountCreation> {
  const invited = input.password === null;
  if (invited && d.settings.mailDelivery === 'off') return refused.passwordRequired;
  const weak =
    input.password === null
      ? null
      : weakPassword(input.password, { minLength: d.settings.passwordMinLength, email: input.email, username: input.username });
  if (weak) return weak;
  const result = await createUser(d, {
    tenantId: input.tenantId,
    role: input.role,
    email: input.email,
    username: input.username,
    passwordHash: input.password === null ? null : await hashPassword(input.password),
    firstName: input.firstName,
    lastName: input.lastName,
    phone: input.phone,
    createdBy: input.createdBy,
  });
  if (result.kind === 'conflict') return { kind: 'conflict', field: result.field };
  const user = result.user;
  if (invited && !(await invite(d, user))) {
    // Without transactions (dynalite has none) the user exists before its mail goes; it leaves again here.
    await settleAll([
      withdrawNewUser(d, user),
      withdrawResetCode(d, user.id),
      audit(d, origin, {
        type: 'user.created',
        outcome: 'failure',
        reason: 'mail_failed',
        tenantId: user.tenantId,
        actorId: input.createdBy,
      }),
    ]);
    return refused.unavailable;
  }
  await audit(d, origin, {
    type: 'user.created',
    outcome: 'success',
    reason: reason ?? (invited ? 'invited' : null),
    userId: user.id,
    tenantId: user.tenantId,
    actorId: input.createdBy,
  });
  return { kind: 'created', user, invitation: invited ? 'sent' : 'none' };
}

/** A user in the caller's tenant, of a role the caller may create. */
export async function createManagedUser(
  d: Deps,
  caller: Principal,
  input: NewUserInput,
  origin: AuditOrigin,
): Promise<AccountCreation | Extract<Refusal, { kind: 'forbidden' }>> {
  if (!mayCreate(caller, input.role)) return refused.forbidden;
  return createAccount(d, { ...input, tenantId: caller.tenantId, createdBy: caller.userId }, origin);
}

/** Mails a new user its invitation code; `false` when SES would not take the mail. */
async function invite(d: Deps, user: UserRecord): Promise<boolean> {
  const code = await issueResetCode(d, user.id, d.settings.inviteCodeTtl);
  return sendQuietly(d.mailer, inviteEmail(d.settings.productName, user.email, code, d.settings.inviteCodeTtl));
}
