/**
 * The admin CLI (`npm run admin`) against the local server's tables: run in
 * process through `runAdmin`, with the server's environment (table names,
 * DYNAMODB_ENDPOINT, SIGNING_KEYS_FILE, SES_ENDPOINT), and its effects seen
 * over HTTP as a client would see them. The real binary runs once, for its
 * exit codes and usage text.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { AdminUsageError, adminUsage, runAdmin, type AdminOptions } from '../../local/admin.ts';
import { bearer, decodeAccessToken, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';

const PASSWORD = 'Admin made passphrase 31';
const NEW_PASSWORD = 'Invited user passphrase 64';
const LOCKOUT_THRESHOLD = 3;

describe('admin CLI (runAdmin) on the local server’s tables', () => {
  let local: LocalEnvironment;
  let sequence = 0;

  beforeAll(async () => {
    local = await startTestServer({
      env: { LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD), LOCKOUT_SECONDS: '900', RESET_IP_LIMIT: '100000' },
    });
    await mailbox(local).clear();
  });
  afterAll(() => local.close());

  const admin = (positionals: string[], flags: Omit<AdminOptions, 'env'> = {}) => runAdmin(positionals, { ...flags, env: local.env });
  const freshEmail = (label: string) => `cli-${label}-${++sequence}@example.com`;
  const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });

  describe('create-user', () => {
    it('creates a tenant’s first manager with --password: it logs in over HTTP, in its tenant, with its role', async () => {
      const email = freshEmail('first-manager');

      const lines = await admin(['create-user'], { tenant: 'acme', role: 'MANAGER', email: email.toUpperCase(), password: PASSWORD });

      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^Created [0-9a-f-]{36}  ${email.replace(/\./g, '\\.')}  MANAGER  active  tenant acme$`));
      const session = await login(local.url, email, PASSWORD);
      const { claims } = decodeAccessToken(session.access_token);
      expect({ role: claims.role, tenant_id: claims.tenant_id }).toEqual({ role: 'MANAGER', tenant_id: 'acme' });
      expect(session.user).toMatchObject({ email, role: 'MANAGER', tenant_id: 'acme', created_by: null, status: 'active' });
      const listed = await call(local.url, '/users', { headers: bearer(session.access_token) });
      expect(listed.status).toBe(200);
      expect((listed.body.items as { email: string }[]).map((u) => u.email)).toEqual([email]);
      const events = await call(local.url, `/audit/events?type=user.created&user_id=${session.user.id}`, {
        headers: bearer(session.access_token),
      });
      expect(events.body.items).toEqual([
        expect.objectContaining({ type: 'user.created', outcome: 'success', user_id: session.user.id, actor_id: null }),
      ]);
    });

    it('keeps the username: the user logs in with it too', async () => {
      const email = freshEmail('with-username');

      await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email, username: `Till-${sequence}`, password: PASSWORD });

      const answer = await call(local.url, '/auth/login', { body: { username: `till-${sequence}`, password: PASSWORD } });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.user).toMatchObject({ email, username: `till-${sequence}`, role: 'CASHIER', tenant_id: 'demo' });
    });

    it('invites a user created without --password: the mailed code works with /auth/password/reset, and then login', async () => {
      const email = freshEmail('invitee');

      const lines = await admin(['create-user'], { tenant: 'demo', role: 'AGENT', email });

      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^Created .*  AGENT  active  tenant demo; an invitation went to ${email.replace(/\./g, '\\.')}$`)),
      ]);
      const mails = await mailbox(local).to(email);
      expect(mails).toHaveLength(1);
      const code = codeIn(mails[0]!);
      expectError(await attempt(email, NEW_PASSWORD), 401, 'invalid_credentials');
      const reset = await call(local.url, '/auth/password/reset', { body: { email, code, password: NEW_PASSWORD } });
      expect(reset.status, reset.text).toBe(200);
      const session = await attempt(email, NEW_PASSWORD);
      expect(session.status).toBe(200);
      expect(session.body.user).toMatchObject({ email, role: 'AGENT', tenant_id: 'demo' });
    });

    it('refuses an email that is taken, in any letter case, with an error, and changes nothing', async () => {
      const email = freshEmail('twice');
      await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email, password: PASSWORD });

      await expect(
        admin(['create-user'], { tenant: 'demo-2', role: 'MANAGER', email: email.toUpperCase(), password: NEW_PASSWORD }),
      ).rejects.toThrow('That email is already taken');
      await expect(admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email: 'Manager@Example.com' })).rejects.toThrow(
        'That email is already taken',
      );
      const session = await login(local.url, email, PASSWORD);
      expect(session.user).toMatchObject({ role: 'CASHIER', tenant_id: 'demo' });
      expectError(await attempt(email, NEW_PASSWORD), 401, 'invalid_credentials');
    });

    it('refuses a username that is taken with an error', async () => {
      await expect(
        admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email: freshEmail('pos'), username: 'POS-001', password: PASSWORD }),
      ).rejects.toThrow('That username is already taken');
    });
  });

  describe('list-users', () => {
    it('lists one tenant’s users, and only them', async () => {
      const email = freshEmail('listed');
      await admin(['create-user'], { tenant: 'demo-2', role: 'CASHIER', email, password: PASSWORD });

      const lines = await admin(['list-users'], { tenant: 'demo-2' });

      expect(lines).toHaveLength(2);
      expect(lines.some((line) => line.includes('  manager2@example.com  MANAGER  active  tenant demo-2'))).toBe(true);
      expect(lines.some((line) => line.includes(`  ${email}  CASHIER  active  tenant demo-2`))).toBe(true);
      for (const line of lines) expect(line).toMatch(/ {2}tenant demo-2$/);
    });

    it('filters by --role and --status', async () => {
      const managers = await admin(['list-users'], { tenant: 'demo', role: 'MANAGER' });
      const cashiers = await admin(['list-users'], { tenant: 'demo', role: 'CASHIER', status: 'active' });

      expect(managers).toEqual([expect.stringMatching(/^[0-9a-f-]{36} {2}manager@example\.com {2}MANAGER {2}active {2}tenant demo$/)]);
      expect(cashiers.some((line) => line.includes('  cashier@example.com (pos-001)  CASHIER  active  tenant demo'))).toBe(true);
      for (const line of cashiers) expect(line).toMatch(/ {2}CASHIER {2}active {2}tenant demo$/);
    });

    it('says so when a tenant has no users', async () => {
      expect(await admin(['list-users'], { tenant: 'nobody-here' })).toEqual(['No users in tenant nobody-here']);
    });
  });

  describe('disable-user', () => {
    it('disables by --email: login then gives 403 account_disabled, and the user’s session stops', async () => {
      const email = freshEmail('disabled');
      await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email, password: PASSWORD });
      const session = await login(local.url, email, PASSWORD);

      const lines = await admin(['disable-user'], { email });

      expect(lines).toEqual([`Disabled ${email}; its sessions and API tokens are revoked`]);
      expectError(await attempt(email, PASSWORD), 403, 'account_disabled');
      expectError(await attempt(email, NEW_PASSWORD), 401, 'invalid_credentials');
      expectError(await call(local.url, '/auth/me', { headers: bearer(session.access_token) }), 401, 'unauthorized');
      expectError(await call(local.url, '/auth/refresh', { body: { refresh_token: session.refresh_token } }), 401, 'invalid_grant');
      expect(await admin(['disable-user'], { email })).toEqual([`${email} is already disabled`]);
      expect(await admin(['list-users'], { tenant: 'demo', status: 'disabled' })).toEqual([
        expect.stringContaining(`  ${email}  CASHIER  disabled  tenant demo`),
      ]);
    });

    it('disables by --id', async () => {
      const email = freshEmail('disabled-by-id');
      await admin(['create-user'], { tenant: 'demo', role: 'CUSTOMER', email, password: PASSWORD });
      const id = (await login(local.url, email, PASSWORD)).user.id as string;

      await admin(['disable-user'], { id });

      expectError(await attempt(email, PASSWORD), 403, 'account_disabled');
    });

    it('fails for an unknown user', async () => {
      await expect(admin(['disable-user'], { email: 'no-such-user@example.com' })).rejects.toThrow('No such user');
      await expect(admin(['disable-user'], { id: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow('No such user');
    });
  });

  describe('unlock', () => {
    it('clears a lockout: login works again, and the unlock is audited', async () => {
      const email = freshEmail('locked');
      await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email, password: PASSWORD });
      for (let i = 0; i < LOCKOUT_THRESHOLD; i++) expectError(await attempt(email, `wrong-${i}`), 401, 'invalid_credentials');
      expectError(await attempt(email, PASSWORD), 429, 'account_locked');

      const lines = await admin(['unlock'], { email });

      expect(lines).toEqual([`Unlocked ${email}`]);
      const session = await attempt(email, PASSWORD);
      expect(session.status).toBe(200);
      const manager = await login(local.url, 'manager@example.com');
      const events = await call(local.url, `/audit/events?type=lockout.unlocked&user_id=${session.body.user.id}`, {
        headers: bearer(manager.access_token),
      });
      expect(events.body.items).toEqual([
        expect.objectContaining({ type: 'lockout.unlocked', outcome: 'success', reason: 'admin_cli', user_id: session.body.user.id }),
      ]);
    });

    it('says so when there was nothing to clear', async () => {
      const email = freshEmail('never-locked');
      await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email, password: PASSWORD });

      expect(await admin(['unlock'], { email })).toEqual([`${email} had no failed logins to clear`]);
    });
  });

  describe('usage errors', () => {
    it.each([
      ['an unknown command', ['frobnicate'], {}, 'Unknown command: frobnicate'],
      ['no command', [], {}, 'Unknown command: (none)'],
      ['an extra argument', ['list-users', 'extra'], { tenant: 'demo' }, 'Unexpected argument: extra'],
      [
        'create-user without --tenant',
        ['create-user'],
        { role: 'CASHIER', email: 'no-tenant@example.com', password: PASSWORD },
        'Missing --tenant',
      ],
      [
        'create-user without --role',
        ['create-user'],
        { tenant: 'demo', email: 'no-role@example.com', password: PASSWORD },
        'Missing --role',
      ],
      ['create-user without --email', ['create-user'], { tenant: 'demo', role: 'CASHIER', password: PASSWORD }, 'Missing --email'],
      [
        'a bad role',
        ['create-user'],
        { tenant: 'demo', role: 'ADMIN', email: 'bad-role@example.com', password: PASSWORD },
        '--role must be one of MANAGER, AGENT, CASHIER, CUSTOMER',
      ],
      [
        'a bad email',
        ['create-user'],
        { tenant: 'demo', role: 'CASHIER', email: 'not-an-email', password: PASSWORD },
        '--email must be an email address',
      ],
      [
        'a bad username',
        ['create-user'],
        { tenant: 'demo', role: 'CASHIER', email: 'bad-username@example.com', username: 'a b' },
        '--username',
      ],
      [
        'a weak password',
        ['create-user'],
        { tenant: 'demo', role: 'CASHIER', email: 'weak@example.com', password: 'password' },
        '--password',
      ],
      ['list-users without --tenant', ['list-users'], {}, 'Missing --tenant'],
      ['a bad --status', ['list-users'], { tenant: 'demo', status: 'gone' }, '--status must be active or disabled'],
      ['both --id and --email', ['disable-user'], { id: 'x', email: 'agent@example.com' }, 'Give --email or --id, not both'],
      ['unlock with neither --id nor --email', ['unlock'], {}, 'Missing --email or --id'],
    ] as const)('refuses %s with an AdminUsageError that says what is wrong', async (_what, positionals, flags, message) => {
      const run = admin([...positionals], flags);

      await expect(run).rejects.toBeInstanceOf(AdminUsageError);
      await expect(run).rejects.toThrow(message);
    });

    it('creates nobody for a weak password, and the error names the broken rule', async () => {
      const error = await admin(['create-user'], { tenant: 'demo', role: 'CASHIER', email: 'weak-2@example.com', password: 'short' }).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(AdminUsageError);
      expect((error as Error).message).toMatch(/--password: .*at least 8 characters/);
      expect(await admin(['list-users'], { tenant: 'demo' })).not.toContainEqual(expect.stringContaining('weak-2@example.com'));
      expectError(await attempt('weak-2@example.com', 'short'), 401, 'invalid_credentials');
    });
  });
});

describe('the admin binary (npx tsx bin/admin.ts)', () => {
  const run = promisify(execFile);
  const cli = (args: string[]) =>
    run('npx', ['tsx', 'bin/admin.ts', ...args], { cwd: process.cwd(), timeout: 30_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );

  it('prints the usage on stdout for --help and exits 0; an unknown command or flag exits 2 with the usage on stderr', async () => {
    const [help, unknown, badFlag] = await Promise.all([cli(['--help']), cli(['frobnicate']), cli(['list-users', '--colour', 'red'])]);

    expect(help).toEqual({ code: 0, stdout: `${adminUsage}\n`, stderr: '' });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(`Unknown command: frobnicate\n\n${adminUsage}\n`);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--colour');
    expect(badFlag.stderr).toContain(adminUsage);
  });
});
