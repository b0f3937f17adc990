/**
 * SES's bounces and complaints, as its configuration set publishes them to
 * SNS, through the handler the stack subscribes to the topic
 * (functions/mail-feedback.ts), on the local server's tables. What they change
 * is seen as a client and an administrator see it: the user object, the
 * audit trail, the mail that goes out (or not), and the admin CLI that
 * clears a mark.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/mail-feedback.ts';
import { DECOY_RECIPIENT } from '../../functions/core/infra/mail.ts';
import { resetCodeKey } from '../../functions/core/records/keys.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { runAdmin } from '../../local/admin.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { bearer } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';
import { mailbox } from '../fixtures/mail.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PASSWORD = 'Bouncing passphrase 2026';
const ACCEPTED = { status: true, message: 'If the account exists, a reset code has been sent.' };

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { RESET_IP_LIMIT: '100000', RESET_EMAIL_LIMIT: '1000', POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  await mailbox(local).clear();
});
afterAll(() => local.close());

let accounts = 0;
async function freshAccount() {
  const email = `feedback-${++accounts}@example.com`;
  return { email, id: await addAccount({ email, password: PASSWORD }) };
}

type Message = Record<string, unknown>;
const sentAt = (secondsAgo = 60) => new Date(Date.now() - secondsAgo * 1000).toISOString();
/** SES's event record of a bounce (its documented example, for one recipient). */
const bounceOf = (address: string, bounceType = 'Permanent', mailSentAt = sentAt()): Message => ({
  eventType: 'Bounce',
  bounce: {
    bounceType,
    bounceSubType: 'General',
    bouncedRecipients: [{ emailAddress: address, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
    timestamp: new Date().toISOString(),
    feedbackId: `feedback-${accounts}`,
  },
  mail: { timestamp: mailSentAt, messageId: `message-${accounts}`, source: 'no-reply@auth.example.com', destination: [address] },
});
const complaintOf = (address: string, complaintFeedbackType?: string): Message => ({
  eventType: 'Complaint',
  complaint: {
    complainedRecipients: [{ emailAddress: address }],
    timestamp: new Date().toISOString(),
    feedbackId: `feedback-${accounts}`,
    ...(complaintFeedbackType ? { complaintFeedbackType } : {}),
  },
  mail: { timestamp: sentAt(), messageId: `message-${accounts}`, source: 'no-reply@auth.example.com', destination: [address] },
});

let deliveries = 0;
/** One SNS delivery of one message to the handler, as Lambda gets it. */
const deliver = (message: Message | string) =>
  handler({
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: {
          Type: 'Notification',
          MessageId: `sns-${++deliveries}`,
          Message: typeof message === 'string' ? message : JSON.stringify(message),
        },
      },
    ],
  });

const asManager = async () => bearer((await login(local.url, 'manager@example.com')).access_token);
const userSeenByManager = async (id: string) => (await call(local.url, `/users/${id}`, { headers: await asManager() })).body;
const eventsOf = async (id: string, type: string) =>
  (await scanTable(local, 'AUDIT_TABLE')).filter((event) => event.user_id === id && event.type === type);
const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
const admin = (positionals: string[], email: string) => runAdmin(positionals, { email, env: local.env });

describe('mail feedback (SNS → functions/mail-feedback.ts)', () => {
  it('marks a permanently bounced address: email_status in the user object, a mail.bounced event, /auth/me from the next login', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const before = await login(local.url, email, PASSWORD);
    expect(before.user.email_status).toBeNull();

    // Act
    await deliver(bounceOf(email.toUpperCase()));

    // Assess
    expect(await userSeenByManager(id)).toMatchObject({ id, email, email_status: 'bounced', status: 'active' });
    expect(await eventsOf(id, 'mail.bounced')).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'General', user_id: id, actor_id: null, tenantId: 'demo' }),
    ]);
    // A session carries its user as its login left it; the next login carries the mark.
    const after = await login(local.url, email, PASSWORD);
    expect((await call(local.url, '/auth/me', { headers: bearer(after.access_token) })).body.email_status).toBe('bounced');
  });

  it('accepts an identity’s own feedback notification (notificationType) as well', async () => {
    const { email, id } = await freshAccount();
    const { eventType: _, ...rest } = bounceOf(email);

    await deliver({ notificationType: 'Bounce', ...rest });

    expect((await userSeenByManager(id)).email_status).toBe('bounced');
  });

  it('sends forgot for a marked address down the unknown email’s path: the same 202, no code kept, the mail to the simulator', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    await deliver(bounceOf(email));
    const decoysBefore = (await mailbox(local).to(DECOY_RECIPIENT)).length;

    // Act
    const answer = await forgot(email);

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual(ACCEPTED);
    expect(await mailbox(local).to(email)).toEqual([]);
    expect(await mailbox(local).to(DECOY_RECIPIENT)).toHaveLength(decoysBefore + 1);
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toBeUndefined();
    expect(await eventsOf(id, 'password.reset_requested')).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'email_bounced' }),
    ]);
    // The same as for an email of nobody.
    const unknown = await forgot(`nobody-${accounts}@example.com`);
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: answer.status, body: answer.body });
    expect(await mailbox(local).to(DECOY_RECIPIENT)).toHaveLength(decoysBefore + 2);
  });

  it('sends no "password changed" notice to a marked address, and the change works as before', async () => {
    const { email } = await freshAccount();
    await deliver(complaintOf(email, 'abuse'));
    const session = await login(local.url, email, PASSWORD);

    const answer = await call(local.url, '/auth/password/change', {
      headers: bearer(session.access_token),
      body: { currentPassword: PASSWORD, newPassword: 'A changed passphrase 31' },
    });

    expect(answer.status, answer.text).toBe(200);
    expect(await mailbox(local).to(email)).toEqual([]);
  });

  it('marks a complaint as complained; a later bounce does not lower it, and each notification writes its event once', async () => {
    const { email, id } = await freshAccount();

    await deliver(complaintOf(email, 'abuse'));
    await deliver(bounceOf(email));

    expect((await userSeenByManager(id)).email_status).toBe('complained');
    expect(await eventsOf(id, 'mail.complained')).toEqual([expect.objectContaining({ reason: 'abuse' })]);
    expect(await eventsOf(id, 'mail.bounced')).toEqual([]);
  });

  it('lets a complaint outrank an earlier bounce', async () => {
    const { email, id } = await freshAccount();

    await deliver(bounceOf(email));
    await deliver(complaintOf(email));

    expect((await userSeenByManager(id)).email_status).toBe('complained');
    expect(await eventsOf(id, 'mail.bounced')).toHaveLength(1);
    expect(await eventsOf(id, 'mail.complained')).toEqual([expect.objectContaining({ reason: null })]);
  });

  it('is idempotent: the same notification delivered twice marks once and writes one event', async () => {
    const { email, id } = await freshAccount();
    const message = bounceOf(email);

    await deliver(message);
    await deliver(message);

    expect((await userSeenByManager(id)).email_status).toBe('bounced');
    expect(await eventsOf(id, 'mail.bounced')).toHaveLength(1);
  });

  describe('changes nothing, and throws nothing, for', () => {
    it.each([
      ['a transient bounce', (email: string) => bounceOf(email, 'Transient')],
      ['an undetermined bounce', (email: string) => bounceOf(email, 'Undetermined')],
      ['a complaint its recipient took back (not-spam)', (email: string) => complaintOf(email, 'not-spam')],
      ['a delivery', (email: string) => ({ eventType: 'Delivery', delivery: { recipients: [email] }, mail: { timestamp: sentAt() } })],
      [
        'a bounce without recipients',
        (email: string) => ({ ...bounceOf(email), bounce: { bounceType: 'Permanent', bouncedRecipients: [] } }),
      ],
      ['a bounce without its mail', (email: string) => ({ ...bounceOf(email), mail: undefined })],
      ['a bounce whose mail time is no time', (email: string) => ({ ...bounceOf(email), mail: { timestamp: 'yesterday' } })],
      ['text that is not JSON', (email: string) => `{"eventType":"Bounce" ${email}`],
      ['JSON that is no object', () => '["Bounce"]'],
    ])('%s', async (_what, messageFor) => {
      const { email, id } = await freshAccount();

      await expect(deliver(messageFor(email))).resolves.toBeUndefined();

      expect((await userSeenByManager(id)).email_status).toBeNull();
      expect([...(await eventsOf(id, 'mail.bounced')), ...(await eventsOf(id, 'mail.complained'))]).toEqual([]);
    });

    it('an event that is not an SNS event at all, and an address that names no user', async () => {
      await expect(handler({ detail: 'not sns' })).resolves.toBeUndefined();
      await expect(handler(null)).resolves.toBeUndefined();
      await expect(deliver(bounceOf('nobody-at-all@example.com'))).resolves.toBeUndefined();
    });
  });

  describe('clearing a mark (npm run admin -- clear-email-status)', () => {
    it('lets mail go to the address again, audited; a late notice about older mail changes nothing; a new bounce marks again', async () => {
      // Prepare
      const { email, id } = await freshAccount();
      const oldMail = sentAt(120);
      await deliver(bounceOf(email, 'Permanent', oldMail));

      // Act
      const lines = await admin(['clear-email-status'], email);

      // Assess
      expect(lines).toEqual([`Mail goes to ${email} again (it was marked bounced)`]);
      expect((await userSeenByManager(id)).email_status).toBeNull();
      expect(await eventsOf(id, 'user.updated')).toEqual([expect.objectContaining({ reason: 'email_status', actor_id: null })]);
      expect((await forgot(email)).status).toBe(202);
      expect(await mailbox(local).to(email)).toHaveLength(1);
      // The same notification again (SNS redelivers), about mail sent before the clear: ignored.
      await deliver(bounceOf(email, 'Permanent', oldMail));
      expect((await userSeenByManager(id)).email_status).toBeNull();
      // A bounce of mail sent after the clear marks again.
      await deliver(bounceOf(email, 'Permanent', new Date(Date.now() + 1000).toISOString()));
      expect((await userSeenByManager(id)).email_status).toBe('bounced');
      expect(await runAdmin(['list-users'], { tenant: 'demo', env: local.env })).toContainEqual(
        expect.stringMatching(new RegExp(`  ${email.replace(/\./g, '\\.')}  CASHIER  active \\(email bounced\\)  tenant demo$`)),
      );
    });

    it('says so when there is nothing to clear', async () => {
      const { email } = await freshAccount();

      expect(await admin(['clear-email-status'], email)).toEqual([`${email} had no bounce or complaint to clear`]);
    });
  });

  it('marks the recipient of the sample event for sam local invoke (events/mail-feedback-bounce.json)', async () => {
    const sample = JSON.parse(await readFile(new URL('../../events/mail-feedback-bounce.json', import.meta.url), 'utf8'));
    const customer = (await login(local.url, 'customer@example.com')).user.id as string;

    await handler(sample);

    expect((await userSeenByManager(customer)).email_status).toBe('bounced');
    expect(await eventsOf(customer, 'mail.bounced')).toHaveLength(1);
  });
});
