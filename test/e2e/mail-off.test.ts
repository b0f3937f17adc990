/**
 * A service deployed with mail off (`-c mail=off`: every function gets
 * `MAIL_DELIVERY=off`): nothing reaches SES. Forgot answers exactly as
 * always and keeps no code, the same for every email; a user can only be
 * created with a password, through the API and the admin CLI alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetCodeKey } from '../../functions/core/records/keys.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { AdminUsageError, runAdmin } from '../../local/admin.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';
import { mailbox } from '../fixtures/mail.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PASSWORD = 'Quiet service passphrase 9';
const ACCEPTED = { status: true, message: 'If the account exists, a reset code has been sent.' };
const PASSWORD_REQUIRED = {
  error: 'invalid_request',
  message: 'password: Required: this service sends no email, so it cannot invite',
  details: [{ path: 'password', message: 'Required: this service sends no email, so it cannot invite' }],
};

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { MAIL_DELIVERY: 'off', RESET_IP_LIMIT: '100000' } });
  await mailbox(local).clear();
});
afterAll(() => local.close());

const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
const asManager = async () => bearer((await login(local.url, 'manager@example.com')).access_token);
const eventsOf = async (type: string) => (await scanTable(local, 'AUDIT_TABLE')).filter((event) => event.type === type);

describe('with mail off', () => {
  it('answers forgot as always, for an account and for an email of nobody, and sends and keeps nothing', async () => {
    // Prepare
    const email = 'quiet-account@example.com';
    const id = await addAccount({ email, password: PASSWORD });

    // Act
    const known = await forgot(email);
    const unknown = await forgot('quiet-nobody@example.com');

    // Assess
    for (const answer of [known, unknown]) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual(ACCEPTED);
    }
    expect(await mailbox(local).all()).toEqual([]);
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toBeUndefined();
    const requested = await eventsOf('password.reset_requested');
    expect(requested.find((event) => event.user_id === id)).toMatchObject({ outcome: 'failure', reason: 'mail_off' });
    expect(requested.find((event) => event.user_id === null)).toMatchObject({ outcome: 'failure', reason: 'unknown_identifier' });
  });

  it('refuses POST /users without a password (400, on the password field) and creates nobody', async () => {
    const headers = await asManager();
    const email = 'quiet-invitee@example.com';

    const answer = await call(local.url, '/users', { headers, body: { email, role: 'AGENT' } });

    expectError(answer, 400, 'invalid_request');
    expect(answer.body).toEqual(PASSWORD_REQUIRED);
    const listed = await call(local.url, '/users?role=AGENT', { headers });
    expect((listed.body.items as { email: string }[]).map((u) => u.email)).not.toContain(email);
    expect(await mailbox(local).all()).toEqual([]);
    // The email stays free: with a password the same user is created.
    const created = await call(local.url, '/users', { headers, body: { email, role: 'AGENT', password: PASSWORD } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ email, email_status: null });
    expect(await mailbox(local).all()).toEqual([]);
  });

  it('has the admin CLI refuse create-user without --password, and create nobody', async () => {
    const email = 'quiet-first-manager@example.com';

    const run = runAdmin(['create-user'], { tenant: 'quiet', role: 'MANAGER', email, env: local.env });

    await expect(run).rejects.toBeInstanceOf(AdminUsageError);
    await expect(run).rejects.toThrow('--password is required: mail is off, so no invitation can be sent');
    expect(await runAdmin(['list-users'], { tenant: 'quiet', env: local.env })).toEqual(['No users in tenant quiet']);
    expect(await runAdmin(['create-user'], { tenant: 'quiet', role: 'MANAGER', email, password: PASSWORD, env: local.env })).toEqual([
      expect.stringMatching(/^Created .* {2}MANAGER {2}active {2}tenant quiet$/),
    ]);
  });
});
