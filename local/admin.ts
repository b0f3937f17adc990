/**
 * The admin commands, as a function the CLI and its tests call. It builds the
 * domain's dependencies for the chosen tables and runs the same domain code
 * the handlers run.
 */
import { resolve } from 'node:path';
import { audit } from '../functions/core/records/audit.ts';
import { depsFromEnvironment, type Deps } from '../functions/core/deps.ts';
import { isEmail, normalizeIdentifier, USERNAME } from '../functions/core/infra/identifiers.ts';
import { clearFailures } from '../functions/core/records/lockouts.ts';
import { isRole, roles } from '../functions/core/infra/permissions.ts';
import { applyUserChanges } from '../functions/core/flows/user-admin.ts';
import { createAccount } from '../functions/core/flows/user-creation.ts';
import { findUserByIdentifier, getUser, listUsers, type UserCursor, type UserRecord } from '../functions/core/records/users.ts';
import { clearEmailStatus } from '../functions/core/records/user-mail-status.ts';
import { settingNames } from '../functions/core/infra/setting-names.ts';
import { tableList } from '../lib/tables.ts';
import { localTableName } from './dynamo.ts';

export const adminUsage = `Usage: npm run admin -- <command> [flags] (--local | --outputs outputs.json | table names in the environment)

Commands:
  create-user  --tenant T --role ${roles.join('|')} --email E [--username U] [--password P]
               Without --password the user is invited: SES sends a code for /auth/password/reset.
               If the invitation cannot be sent, nothing is created.
  disable-user --email E | --id ID     Disables the user and revokes its sessions.
  unlock       --email E | --id ID     Clears a login lockout.
  clear-email-status --email E | --id ID
               Mail goes to the user's address again after SES reported it bounced or complained of.
  list-users   --tenant T [--role R] [--status active|disabled]

Where:
  --local                 the tables of \`npm run dev\` (it must be running; DYNAMODB_PORT, default 8006)
  --outputs FILE          the outputs of \`npx cdk deploy --outputs-file FILE\` (AWS credentials from the usual chain):
                          the tables, the token secret, the region and the functions' settings (sender, mail on or off)
  --stack NAME            the stack's name in that file (default: its only stack)
  --region R, --endpoint URL
Otherwise USERS_TABLE, SESSIONS_TABLE, LOCKOUTS_TABLE, AUDIT_TABLE (and TOKEN_SECRET_ARN or
SIGNING_KEYS_FILE, MAIL_FROM, SES_ENDPOINT for invitations) come from the environment.`;

export class AdminUsageError extends Error {
  override name = 'AdminUsageError';
}

export interface AdminOptions {
  readonly tenant?: string | undefined;
  readonly role?: string | undefined;
  readonly email?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly id?: string | undefined;
  readonly status?: string | undefined;
  readonly local?: boolean | undefined;
  readonly outputs?: Record<string, Record<string, string>> | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  /** The environment to read settings and table names from. @default process.env */
  readonly env?: Record<string, string | undefined>;
}

const required = (value: string | undefined, flag: string): string => {
  if (!value) throw new AdminUsageError(`Missing --${flag}`);
  return value;
};

/** The environment the commands run with: the caller's, plus what --local or --outputs say. */
function environment(options: AdminOptions): Record<string, string | undefined> {
  const env = { ...(options.env ?? process.env) };
  if (options.local) {
    env.DYNAMODB_ENDPOINT = options.endpoint ?? `http://127.0.0.1:${env.DYNAMODB_PORT || 8006}`;
    env.SIGNING_KEYS_FILE ??= resolve(env.LOCAL_DATA_DIR || '.local', 'signing-keys.json');
    env.SES_ENDPOINT ??= `http://127.0.0.1:${env.SES_PORT || 8005}`;
    for (const table of tableList) env[table.envVar] = localTableName('local-', table);
  } else if (options.outputs) {
    const stacks = Object.keys(options.outputs);
    const name = options.stack ?? (stacks.length === 1 ? stacks[0] : undefined);
    const outputs = name ? options.outputs[name] : undefined;
    if (!outputs) throw new AdminUsageError(`Name the stack with --stack (the file has ${stacks.join(', ') || 'none'})`);
    for (const table of tableList) {
      const value = outputs[`${table.id}TableName`];
      if (!value) throw new AdminUsageError(`The outputs have no ${table.id}TableName`);
      env[table.envVar] = value;
    }
    // Invitation codes need the token secret, and only that part of the key set.
    if (outputs.TokenSecretArn) env.TOKEN_SECRET_ARN = outputs.TokenSecretArn;
    // The functions' own settings (sender, configuration set, mail off, code lengths…), so the CLI acts as they do.
    Object.assign(env, deployedSettings(outputs.Settings));
    if (outputs.Region) env.AWS_REGION = outputs.Region;
    if (options.endpoint) env.DYNAMODB_ENDPOINT = options.endpoint;
  } else if (options.endpoint) {
    env.DYNAMODB_ENDPOINT = options.endpoint;
  }
  if (options.region) env.AWS_REGION = options.region;
  return env;
}

/** The `Settings` output: a JSON object of the settings every function of the stack runs with. */
function deployedSettings(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AdminUsageError("The outputs' Settings is not JSON");
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AdminUsageError("The outputs' Settings is not an object");
  return Object.fromEntries(
    Object.entries(parsed).filter(([name, value]) => (settingNames as readonly string[]).includes(name) && typeof value === 'string'),
  );
}

const origin = { ip: null, userAgent: 'admin-cli', requestId: null };

async function target(d: Deps, options: AdminOptions): Promise<UserRecord> {
  if (options.id && options.email) throw new AdminUsageError('Give --email or --id, not both');
  const user = options.id
    ? await getUser(d, options.id)
    : await findUserByIdentifier(d, { kind: 'email', value: normalizeIdentifier(required(options.email, 'email or --id')) });
  if (!user) throw new Error('No such user');
  return user;
}

const describe = (u: UserRecord) =>
  `${u.id}  ${u.email}${u.username ? ` (${u.username})` : ''}  ${u.role}  ${u.status}${u.emailStatus ? ` (email ${u.emailStatus})` : ''}  tenant ${u.tenantId}`;

/** Runs one command; returns the lines to print. */
export async function runAdmin(positionals: readonly string[], options: AdminOptions): Promise<string[]> {
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new AdminUsageError(`Unexpected argument: ${extra.join(' ')}`);
  const known = ['create-user', 'disable-user', 'unlock', 'clear-email-status', 'list-users'];
  if (!command || !known.includes(command)) throw new AdminUsageError(`Unknown command: ${command ?? '(none)'}`);
  const d = depsFromEnvironment(environment(options));
  try {
    switch (command) {
      case 'create-user':
        return [await createCommand(d, options)];
      case 'disable-user': {
        const user = await target(d, options);
        if (user.status === 'disabled') return [`${user.email} is already disabled`];
        const outcome = await applyUserChanges(d, user, { status: 'disabled' }, origin, null);
        if (outcome.kind !== 'changed') throw new Error(`${user.email} was deleted meanwhile`);
        return [`Disabled ${user.email}; its sessions and API tokens are revoked`];
      }
      case 'unlock': {
        const user = await target(d, options);
        const wasLocked = await clearFailures(d, { userId: user.id });
        if (wasLocked)
          await audit(d, origin, {
            type: 'lockout.unlocked',
            outcome: 'success',
            reason: 'admin_cli',
            userId: user.id,
            tenantId: user.tenantId,
          });
        return [wasLocked ? `Unlocked ${user.email}` : `${user.email} had no failed logins to clear`];
      }
      case 'clear-email-status':
        return [await clearEmailCommand(d, options)];
      default:
        return await listCommand(d, options);
    }
  } finally {
    d.db.destroy();
  }
}

async function createCommand(d: Deps, options: AdminOptions): Promise<string> {
  const tenantId = required(options.tenant, 'tenant');
  const role = required(options.role, 'role');
  if (!isRole(role)) throw new AdminUsageError(`--role must be one of ${roles.join(', ')}`);
  const email = normalizeIdentifier(required(options.email, 'email'));
  if (!isEmail(email)) throw new AdminUsageError('--email must be an email address');
  const username = options.username ? normalizeIdentifier(options.username) : null;
  if (username !== null && !USERNAME.test(username))
    throw new AdminUsageError('--username: 3 to 64 letters, digits, dots, dashes or underscores');
  const outcome = await createAccount(
    d,
    { tenantId, role, email, username, password: options.password ?? null, firstName: null, lastName: null, phone: null, createdBy: null },
    origin,
    'admin_cli',
  );
  if (outcome.kind === 'weak_password') throw new AdminUsageError(`--password: ${outcome.problems.map((p) => p.message).join('; ')}`);
  if (outcome.kind === 'password_required') throw new AdminUsageError('--password is required: mail is off, so no invitation can be sent');
  if (outcome.kind === 'conflict') throw new Error(`That ${outcome.field} is already taken`);
  if (outcome.kind === 'unavailable') {
    throw new Error(
      `The invitation to ${email} could not be sent (the SES error is logged above); nothing was created. Try again, or give --password.`,
    );
  }
  const { user, invitation } = outcome;
  return invitation === 'sent' ? `Created ${describe(user)}; an invitation went to ${user.email}` : `Created ${describe(user)}`;
}

async function clearEmailCommand(d: Deps, options: AdminOptions): Promise<string> {
  const user = await target(d, options);
  const cleared = await clearEmailStatus(d, user.id);
  if (!cleared) return `${user.email} had no bounce or complaint to clear`;
  await audit(d, origin, { type: 'user.updated', outcome: 'success', reason: 'email_status', userId: user.id, tenantId: user.tenantId });
  return `Mail goes to ${user.email} again (it was marked ${user.emailStatus})`;
}

async function listCommand(d: Deps, options: AdminOptions): Promise<string[]> {
  const tenantId = required(options.tenant, 'tenant');
  if (options.role !== undefined && !isRole(options.role)) throw new AdminUsageError(`--role must be one of ${roles.join(', ')}`);
  if (options.status !== undefined && options.status !== 'active' && options.status !== 'disabled') {
    throw new AdminUsageError('--status must be active or disabled');
  }
  const lines: string[] = [];
  let after: UserCursor | undefined;
  do {
    const page = await listUsers(d, {
      tenantId,
      limit: 100,
      ...(options.role ? { roles: [options.role as (typeof roles)[number]] } : {}),
      ...(options.status ? { status: options.status as 'active' | 'disabled' } : {}),
      ...(after ? { after } : {}),
    });
    lines.push(...page.items.map(describe));
    after = page.next ?? undefined;
  } while (after);
  return lines.length ? lines : [`No users in tenant ${tenantId}`];
}
