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

export interface AccountInput extends NewUserInput {
  readonly tenantId: string;
  /** The user who creates it; `null` for the admin CLI and the demo seed. */
  readonly createdBy: string | null;
}

export type AccountCreation =
  | { readonly kind: 'created'; readonly user: UserRecord; readonly invitation: 'none' | 'sent' | 'not_sent' }
  | Extract<Refusal, { kind: 'weak_password' | 'conflict' }>;

/**
 * The one way a user comes to be, for the API, the admin CLI and the demo
 * seed: the password policy, the unique names, the `user.created` event,
 * and an invitation code by email when no password is given.
 */
export async function createAccount(
  d: Deps,
  input: AccountInput,
  origin: AuditOrigin,
  reason: string | null = null,
): Promise<AccountCreation> {
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
  const about = { userId: user.id, tenantId: user.tenantId, actorId: input.createdBy };
  const [, invitation] = await settleAll([
    audit(d, origin, {
      type: 'user.created',
      outcome: 'success',
      reason: reason ?? (input.password === null ? 'invited' : null),
      ...about,
    }),
    input.password === null ? invite(d, user) : Promise.resolve('none' as const),
  ]);
  return { kind: 'created', user, invitation };
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

async function invite(d: Deps, user: UserRecord): Promise<'sent' | 'not_sent'> {
  const code = await issueResetCode(d, user.id, d.settings.inviteCodeTtl);
  return (await sendQuietly(d.mailer, inviteEmail(d.settings.productName, user.email, code, d.settings.inviteCodeTtl)))
    ? 'sent'
    : 'not_sent';
}
