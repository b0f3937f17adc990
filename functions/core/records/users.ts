/**
 * Users: one item per user, created only once its login names are claimed
 * (records/user-names.ts), so an email or username names one user at most.
 */
import { randomUUID } from 'node:crypto';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { userKey } from './keys.ts';
import { claimName, releaseName, userIdNamedBy } from './user-names.ts';
import { and, conditionInput, deleteIf, is, isNull, itemExists, lacks, updateIf } from '../infra/conditions.ts';
import type { Deps } from '../deps.ts';
import type { Identifier } from '../infra/identifiers.ts';
import { permissionsOf, type Role } from '../infra/permissions.ts';
import { settleAll } from '../infra/settle.ts';

export type UserStatus = 'active' | 'disabled';
/** Why no more mail goes to a user's address: SES reported a permanent bounce, or the recipient's complaint. */
export type EmailStatus = 'bounced' | 'complained';

export interface UserRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly role: Role;
  readonly email: string;
  readonly username: string | null;
  readonly passwordHash: string | null;
  readonly status: UserStatus;
  readonly customerId: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phone: string | null;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly lastLoginAt: string | null;
  /** Set from SES's bounces and complaints (records/user-mail-status.ts); absent while mail goes to the address. */
  readonly emailStatus?: EmailStatus;
  /**
   * Sessions that logins are opening, by id, with when each began
   * (records/user-logins.ts): a change that ends the user's sessions also
   * ends these, whose items may not have landed yet. Never shown.
   */
  readonly openingSessions?: Readonly<Record<string, string>>;
}

/** The user object of API.md: never a hash, never a secret. */
export function toPublicUser(user: Omit<UserRecord, 'passwordHash'>) {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role,
    tenant_id: user.tenantId,
    customer_id: user.customerId,
    first_name: user.firstName,
    last_name: user.lastName,
    phone: user.phone,
    status: user.status,
    created_at: user.createdAt,
    created_by: user.createdBy,
    last_login_at: user.lastLoginAt,
    email_status: user.emailStatus ?? null,
    permissions: [...permissionsOf(user.role)],
  };
}
export type PublicUser = ReturnType<typeof toPublicUser>;

/** Whether mail may go to the user's address: not after SES reported it bounced or complained of. */
export const acceptsMail = (user: Pick<UserRecord, 'emailStatus'>): boolean => user.emailStatus === undefined;

export async function getUser(d: Deps, userId: string): Promise<UserRecord | null> {
  const out = await d.db.get({ TableName: d.tables.users, Key: userKey(userId), ConsistentRead: true });
  return out.Item ? userFromItem(out.Item) : null;
}

/** A user id that names nobody: read in place of a missing user so that both paths cost the same. */
export const NOBODY_ID = '00000000-0000-0000-0000-000000000000';

/** The user a normalized email or username names, or `null`; two reads either way. */
export async function findUserByIdentifier(d: Deps, identifier: Identifier): Promise<UserRecord | null> {
  return getUser(d, (await userIdNamedBy(d, identifier)) ?? NOBODY_ID);
}

export interface NewUser {
  readonly tenantId: string;
  readonly role: Role;
  /** Normalized. */
  readonly email: string;
  /** Normalized. */
  readonly username: string | null;
  readonly passwordHash: string | null;
  readonly customerId?: string | null;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly phone?: string | null;
  readonly createdBy: string | null;
}

export type CreateUserResult =
  | { readonly kind: 'created'; readonly user: UserRecord }
  | { readonly kind: 'conflict'; readonly field: 'email' | 'username' };

export async function createUser(d: Deps, input: NewUser): Promise<CreateUserResult> {
  const now = d.clock.now().toISOString();
  const user: UserRecord = {
    id: randomUUID(),
    tenantId: input.tenantId,
    role: input.role,
    email: input.email,
    username: input.username,
    passwordHash: input.passwordHash,
    status: 'active',
    customerId: input.customerId ?? (input.role === 'CUSTOMER' ? randomUUID() : null),
    firstName: input.firstName ?? null,
    lastName: input.lastName ?? null,
    phone: input.phone ?? null,
    createdAt: now,
    createdBy: input.createdBy,
    lastLoginAt: null,
    openingSessions: {},
  };
  const claimed: Identifier[] = [];
  for (const name of loginNamesOf(user)) {
    if (!(await claimName(d, name, user.id, now))) {
      await settleAll(claimed.map((taken) => releaseName(d, taken, user.id)));
      return { kind: 'conflict', field: name.kind };
    }
    claimed.push(name);
  }
  await d.db.put({ TableName: d.tables.users, Item: { ...userKey(user.id), ...user } });
  return { kind: 'created', user };
}

const loginNamesOf = (user: Pick<UserRecord, 'email' | 'username'>): Identifier[] => [
  { kind: 'email', value: user.email },
  ...(user.username ? [{ kind: 'username' as const, value: user.username }] : []),
];

/**
 * Takes back a user just created, item and login names, on condition that
 * nothing has happened to it since (no password, no login, no change): an
 * invitation that could not be sent leaves no user behind. `false`, and
 * nothing deleted, when the user was changed meanwhile.
 */
export async function withdrawNewUser(d: Deps, user: UserRecord): Promise<boolean> {
  const untouched = and(is('createdAt', user.createdAt), isNull('passwordHash'), isNull('lastLoginAt'), lacks('updatedAt'));
  if ((await deleteIf(d.db, { TableName: d.tables.users, Key: userKey(user.id) }, untouched)) === null) return false;
  await settleAll(loginNamesOf(user).map((name) => releaseName(d, name, user.id)));
  return true;
}

export function userFromItem(item: Record<string, unknown>): UserRecord {
  const { pk: _pk, ...rest } = item;
  return rest as unknown as UserRecord;
}

/** Sets a new password hash; returns the user as it now is, for the sessions its logins are opening. */
export async function setPasswordHash(d: Deps, userId: string, passwordHash: string): Promise<UserRecord> {
  const out = await d.db.update(
    conditionInput<UpdateCommandInput>(
      {
        TableName: d.tables.users,
        Key: userKey(userId),
        UpdateExpression: 'SET passwordHash = :hash, passwordChangedAt = :at',
        ExpressionAttributeValues: { ':hash': passwordHash, ':at': d.clock.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      },
      itemExists,
    ),
  );
  return userFromItem(out.Attributes ?? {});
}

export interface UserChanges {
  readonly role?: Role;
  readonly customerId?: string | null;
  readonly status?: UserStatus;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly phone?: string | null;
}

const changeAttributes: Record<keyof UserChanges, string> = {
  role: 'role',
  customerId: 'customerId',
  status: 'status',
  firstName: 'firstName',
  lastName: 'lastName',
  phone: 'phone',
};

/** Applies changes to an existing user and returns it as it now is. */
export async function updateUser(d: Deps, userId: string, changes: UserChanges): Promise<UserRecord | null> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as [keyof UserChanges, unknown][];
  if (entries.length === 0) return getUser(d, userId);
  const out = await updateIf(
    d.db,
    {
      TableName: d.tables.users,
      Key: userKey(userId),
      UpdateExpression: `SET ${entries.map(([name]) => `#${name} = :${name}`).join(', ')}, updatedAt = :updatedAt`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([name]) => [`#${name}`, changeAttributes[name]])),
      ExpressionAttributeValues: {
        ...Object.fromEntries(entries.map(([name, value]) => [`:${name}`, value])),
        ':updatedAt': d.clock.now().toISOString(),
      },
      ReturnValues: 'ALL_NEW',
    },
    itemExists,
  );
  return out === null ? null : out.Attributes ? userFromItem(out.Attributes) : null;
}

// Listing a tenant's users lives beside this file; importers keep finding it here.
export { listUsers, type UserCursor, type UserListQuery } from './user-list.ts';
