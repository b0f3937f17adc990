/**
 * POST /auth/password/forgot and POST /auth/password/reset, end to end: the
 * code travels through the local SES server, as a real user's would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deps, setDeps, type Deps } from '../../functions/core/deps.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount, setUserAttributes } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { postFrom } from '../fixtures/from-address.ts';
import { call, demoPassword, login, startTestServer } from '../fixtures/local.ts';
import { codeIn, mailbox, latestCode as latestCodeOf } from '../fixtures/mail.ts';
import { scanTable } from '../fixtures/tables.ts';

const ACCEPTED = { status: true, message: 'If the account exists, a reset code has been sent.' };
const RESET_DONE = { status: true, message: 'Password reset successfully' };
const INVALID_CODE = { error: 'invalid_code', message: 'The reset code is invalid or expired' };
const RATE_LIMITED = { error: 'rate_limit_exceeded', message: 'Too many requests' };

const OLD_PASSWORD = 'Original passphrase 2026';
const NEW_PASSWORD = 'Brand new passphrase 77';

// The local server lives in this process (its handlers read process.env): one at a time, one per describe.
let local: LocalEnvironment;
let accounts = 0;
/** A fresh account of tenant `demo`, so no test shares a code, a rate window or a lockout with another. */
async function freshAccount(password = OLD_PASSWORD) {
  const email = `reset-user-${++accounts}@example.com`;
  const id = await addAccount({ email, password });
  return { email, id };
}

const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
const reset = (body: Record<string, unknown>) => call(local.url, '/auth/password/reset', { body });
const attemptLogin = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
const me = (accessToken: string) => call(local.url, '/auth/me', { headers: bearer(accessToken) });
const refresh = (refreshToken: string) => call(local.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

const latestCode = (email: string) => latestCodeOf(local, email);

/** The same code with its first digit changed: right length, wrong value. */
const wrongCode = (code: string) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;

describe('password reset by emailed code', () => {
  const clock = new FakeClock(new Date('2026-11-23T01:00:00.000Z'));
  beforeAll(async () => {
    local = await startTestServer({
      clock,
      env: { MAIL_FROM: 'accounts@acme-pay.example', PRODUCT_NAME: 'Acme Pay', RESET_IP_LIMIT: '100000', RESET_CODE_TTL: '600' },
    });
    await mailbox(local).clear();
  });
  afterAll(() => local.close());

  describe('POST /auth/password/forgot', () => {
    it('answers 202 with the fixed body and mails a code of RESET_CODE_LENGTH digits, in text and HTML, from MAIL_FROM', async () => {
      const { email } = await freshAccount();

      const answer = await forgot(email);

      expect(answer.status).toBe(202);
      expect(answer.body).toEqual(ACCEPTED);
      const mails = await mailbox(local).to(email);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail).toMatchObject({ from: 'accounts@acme-pay.example', destination: { to: [email] } });
      expect(mail?.subject).toContain('Acme Pay');
      const code = codeIn(mail!);
      expect(code).toMatch(/^\d{6}$/);
      expect(mail?.body.text).toContain(code);
      expect(mail?.body.html).toMatch(/<html[\s>]/i);
      expect(mail?.body.html).toContain(code);
    });

    it('answers an unknown email and a disabled account exactly as an existing one, and mails neither', async () => {
      const active = await freshAccount();
      const disabled = await freshAccount();
      await setUserAttributes(local, disabled.id, { status: 'disabled' });
      const unknown = 'nobody-at-all@example.com';

      const answers = await Promise.all([forgot(active.email), forgot(unknown), forgot(disabled.email)]);

      expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
      expect(answers.map((a) => a.text)).toEqual([JSON.stringify(ACCEPTED), JSON.stringify(ACCEPTED), JSON.stringify(ACCEPTED)]);
      expect(await mailbox(local).to(active.email)).toHaveLength(1);
      expect(await mailbox(local).to(unknown)).toEqual([]);
      expect(await mailbox(local).to(disabled.email)).toEqual([]);
    });

    it('replaces the older code with a newer request: the old one is invalid_code, the new one works', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const older = await latestCode(email);
      clock.advance(1);
      await forgot(email);
      const newer = await latestCode(email);
      expect(await mailbox(local).to(email)).toHaveLength(2);

      const withOld = await reset({ email, code: older, password: NEW_PASSWORD });
      // Codes are random: in one case in a million the two are the same, and then the old one is the new one.
      if (older !== newer) {
        expectError(withOld, 400, 'invalid_code');
        expect(withOld.body).toEqual(INVALID_CODE);
      }
      const withNew = await reset({ email, code: newer, password: NEW_PASSWORD });

      expect(older === newer ? withOld.status : withNew.status).toBe(200);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    });
  });

  describe('POST /auth/password/reset', () => {
    it('sets the new password: it logs in, the old one is refused, every earlier session is dead, and a notice is mailed', async () => {
      const { email } = await freshAccount();
      const before = [await login(local.url, email, OLD_PASSWORD), await login(local.url, email, OLD_PASSWORD)];
      await forgot(email);
      const code = await latestCode(email);

      const answer = await reset({ email, code, password: NEW_PASSWORD });

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(RESET_DONE);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
      const old = await attemptLogin(email, OLD_PASSWORD);
      expectError(old, 401, 'invalid_credentials');
      for (const session of before) {
        expectError(await me(session.access_token), 401, 'unauthorized');
        expectError(await refresh(session.refresh_token), 401, 'invalid_grant');
      }
      const mails = await mailbox(local).to(email);
      expect(mails).toHaveLength(2);
      const notice = mails[1]!;
      expect(notice.from).toBe('accounts@acme-pay.example');
      expect(notice.subject).toContain('Acme Pay');
      expect(notice.subject).toMatch(/password was changed/i);
      expect(notice.body.text).toMatch(/password .*was changed/i);
      expect(notice.body.html).toMatch(/password .*was changed/i);
      expect(notice.body.text).not.toContain(code);
    });

    it('clears a lockout on the account', async () => {
      const { email } = await freshAccount();
      for (let i = 0; i < 5; i++) expect((await attemptLogin(email, `wrong-${i}`)).status).toBe(401);
      expectError(await attemptLogin(email, OLD_PASSWORD), 429, 'account_locked');
      await forgot(email);

      const answer = await reset({ email, code: await latestCode(email), password: NEW_PASSWORD });

      expect(answer.status).toBe(200);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    });

    it('takes the code as resetCode too', async () => {
      const { email } = await freshAccount();
      await forgot(email);

      const answer = await reset({ email, resetCode: await latestCode(email), password: NEW_PASSWORD });

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(RESET_DONE);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    });

    it('refuses code and resetCode together with 400, and neither spends the code', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const code = await latestCode(email);

      const both = await reset({ email, code, resetCode: code, password: NEW_PASSWORD });
      const neither = await reset({ email, password: NEW_PASSWORD });

      expectError(both, 400, 'invalid_request');
      expectError(neither, 400, 'invalid_request');
      expect((await reset({ email, code, password: NEW_PASSWORD })).status).toBe(200);
    });

    it('refuses unknown fields with 400 invalid_request', async () => {
      const answer = await reset({ email: 'someone@example.com', code: '123456', password: NEW_PASSWORD, tenant_id: 'demo' });

      const body = expectError(answer, 400, 'invalid_request');
      expect(body.details?.map((d) => d.path)).toContain('tenant_id');
    });

    it('accepts a code until RESET_CODE_TTL seconds have passed', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      clock.advance(599);

      const answer = await reset({ email, code: await latestCode(email), password: NEW_PASSWORD });

      expect(answer.status).toBe(200);
    });

    it('refuses a code older than RESET_CODE_TTL with invalid_code', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      clock.advance(601);

      const answer = await reset({ email, code: await latestCode(email), password: NEW_PASSWORD });

      expectError(answer, 400, 'invalid_code');
      expect(answer.body).toEqual(INVALID_CODE);
      expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
    });

    it('refuses a code that was already used with invalid_code', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const code = await latestCode(email);
      expect((await reset({ email, code, password: NEW_PASSWORD })).status).toBe(200);

      const again = await reset({ email, code, password: 'Yet another passphrase 3' });

      expectError(again, 400, 'invalid_code');
      expect(again.body).toEqual(INVALID_CODE);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    });

    it('kills a code after five wrong tries: the right one is then invalid_code too', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const code = await latestCode(email);

      const wrong = [];
      for (let i = 0; i < 5; i++) wrong.push(await reset({ email, code: wrongCode(code), password: NEW_PASSWORD }));
      const right = await reset({ email, code, password: NEW_PASSWORD });

      expect(wrong.map((a) => [a.status, a.body])).toEqual(Array.from({ length: 5 }, () => [400, INVALID_CODE]));
      expectError(right, 400, 'invalid_code');
      expect(right.body).toEqual(INVALID_CODE);
      expect((await attemptLogin(email, OLD_PASSWORD)).status).toBe(200);
    });

    it('lets exactly one of two concurrent resets with one code through', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const code = await latestCode(email);
      const passwords = ['First racer passphrase 1', 'Second racer passphrase 2'];

      const answers = await Promise.all(passwords.map((password) => reset({ email, code, password })));

      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      const loser = answers.find((a) => a.status === 400)!;
      expect(loser.body).toEqual(INVALID_CODE);
      const winner = passwords[answers.findIndex((a) => a.status === 200)]!;
      const other = passwords.find((p) => p !== winner)!;
      expect((await attemptLogin(email, winner)).status).toBe(200);
      expect((await attemptLogin(email, other)).status).toBe(401);
    });

    it.each([
      ['a common password', () => 'Password1', /common/i],
      ['a password shorter than PASSWORD_MIN_LENGTH', () => 'Ab#1x', /at least 8/i],
      ["a password that holds the email's local part", (email: string) => `my ${email.split('@')[0]!.toUpperCase()} pass`, /email/i],
    ])('refuses %s with weak_password naming the rule', async (_, passwordFor, rule) => {
      const { email } = await freshAccount();
      await forgot(email);

      const answer = await reset({ email, code: await latestCode(email), password: passwordFor(email) });

      const body = expectError(answer, 400, 'weak_password');
      expect(body.details?.[0]).toEqual({ path: 'password', message: expect.stringMatching(rule) });
    });

    it('spends neither the code nor a try on a weak password: after 4 wrong codes and a weak password the right code works', async () => {
      const { email } = await freshAccount();
      await forgot(email);
      const code = await latestCode(email);
      for (let i = 0; i < 4; i++) expect((await reset({ email, code: wrongCode(code), password: NEW_PASSWORD })).status).toBe(400);

      const weak = await reset({ email, code, password: 'qwerty123' });
      const right = await reset({ email, code, password: NEW_PASSWORD });

      expectError(weak, 400, 'weak_password');
      expect(right.status).toBe(200);
      expect(right.body).toEqual(RESET_DONE);
      expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
    });
  });

  describe('audit', () => {
    it('records password.reset_requested and password.reset, and keeps no code, password or token in the audit table', async () => {
      const { email, id } = await freshAccount();
      // The clock moves a second between steps, so the events' order is their time stamps' order.
      const session = await login(local.url, email, OLD_PASSWORD);
      clock.advance(1);
      await forgot(email);
      const code = await latestCode(email);
      clock.advance(1);
      await reset({ email, code: wrongCode(code), password: NEW_PASSWORD });
      clock.advance(1);
      expect((await reset({ email, code, password: NEW_PASSWORD })).status).toBe(200);
      clock.advance(1);
      const after = await login(local.url, email, NEW_PASSWORD);

      const manager = await login(local.url, 'manager@example.com', demoPassword);
      const list = await call(local.url, `/audit/events?user_id=${id}&limit=100`, { headers: bearer(manager.access_token) });

      expect(list.status).toBe(200);
      const kinds = list.body.items.map(
        (e: { type: string; outcome: string; reason: string | null }) => `${e.type}:${e.outcome}:${e.reason}`,
      );
      expect(kinds).toEqual([
        'login.succeeded:success:null',
        'password.reset:success:null',
        'password.reset:failure:invalid_code',
        'password.reset_requested:success:null',
        'login.succeeded:success:null',
      ]);
      const requested = list.body.items.find((e: { type: string }) => e.type === 'password.reset_requested');
      expect(requested).toMatchObject({ user_id: id, actor_id: null, ip: '127.0.0.1' });

      const stored = JSON.stringify(await scanTable(local, 'AUDIT_TABLE'));
      const secrets = [
        code,
        wrongCode(code),
        OLD_PASSWORD,
        NEW_PASSWORD,
        session.access_token,
        session.refresh_token,
        after.access_token,
        after.refresh_token,
      ];
      for (const secret of secrets) expect(stored).not.toContain(secret);
    });
  });
});

describe('RESET_CODE_LENGTH', () => {
  beforeAll(async () => {
    local = await startTestServer({ env: { RESET_CODE_LENGTH: '8' } });
    await mailbox(local).clear();
  });
  afterAll(() => local.close());

  it('mails codes of 8 digits when set to 8, and such a code resets the password', async () => {
    const { email } = await freshAccount();
    await forgot(email);
    const code = await latestCode(email);

    const answer = await reset({ email, code, password: NEW_PASSWORD });

    expect(code).toMatch(/^\d{8}$/);
    expect(answer.status).toBe(200);
    expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
  });
});

describe('reset rate limit per email', () => {
  const clock = new FakeClock(new Date('2026-11-23T10:15:00.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { RESET_EMAIL_LIMIT: '5', RESET_IP_LIMIT: '100000' } });
    await mailbox(local).clear();
  });
  afterAll(() => local.close());

  it('refuses the 6th forgot for one email within the hour with 429 and Retry-After, and mails only five codes', async () => {
    const { email } = await freshAccount();
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await forgot(email)).status);

    const sixth = await forgot(email);

    expect(first).toEqual([202, 202, 202, 202, 202]);
    expectError(sixth, 429, 'rate_limit_exceeded');
    expect(sixth.body).toEqual(RATE_LIMITED);
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await mailbox(local).to(email)).toHaveLength(5);
    expect((await forgot('customer@example.com')).status).toBe(202);
  });

  it('counts unknown emails the same way', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await forgot('ghost-of-reset@example.com')).status);

    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });

  it('lets the email in again in the next hour', async () => {
    const { email } = await freshAccount();
    for (let i = 0; i < 6; i++) await forgot(email);
    clock.advance(3600);

    const answer = await forgot(email);

    expect(answer.status).toBe(202);
    expect(await mailbox(local).to(email)).toHaveLength(6);
  });
});

describe('reset rate limit per IP', () => {
  beforeAll(async () => {
    local = await startTestServer({ env: { RESET_IP_LIMIT: '3' } });
    await mailbox(local).clear();
  });
  afterAll(() => local.close());

  const url = (path: string) => `${local.url.replace('localhost', '127.0.0.1')}${path}`;

  it('counts forgot and reset together per source IP; another IP is not affected', async () => {
    const a = await freshAccount();
    const b = await freshAccount();
    const fromOne = (path: string, body: unknown) => postFrom('127.0.0.5', url(path), body);

    const allowed = [await fromOne('/auth/password/forgot', { email: a.email })];
    const code = await latestCode(a.email);
    allowed.push(await fromOne('/auth/password/reset', { email: a.email, code: wrongCode(code), password: NEW_PASSWORD }));
    allowed.push(await fromOne('/auth/password/forgot', { email: b.email }));
    const overReset = await fromOne('/auth/password/reset', { email: a.email, code, password: NEW_PASSWORD });
    const overForgot = await fromOne('/auth/password/forgot', { email: b.email });
    const otherIp = await postFrom('127.0.0.6', url('/auth/password/forgot'), { email: a.email });

    expect(allowed.map((r) => r.status)).toEqual([202, 400, 202]);
    for (const refused of [overReset, overForgot]) {
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual(RATE_LIMITED);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
    }
    expect(otherIp.status).toBe(202);
    expect(otherIp.body).toEqual(ACCEPTED);
    // The refused reset changed nothing.
    expect((await attemptLogin(a.email, OLD_PASSWORD)).status).toBe(200);
  });
});

describe('forgot while SES is down', () => {
  let realMailer: Deps['mailer'];
  beforeAll(async () => {
    local = await startTestServer({ env: { RESET_IP_LIMIT: '100000' } });
    await mailbox(local).clear();
    realMailer = deps().mailer;
  });
  afterEach(() => {
    setDeps({ mailer: realMailer });
  });
  afterAll(() => local.close());

  it('still answers 202, audits mail_failed, and a retry after SES is back mails a code that works', async () => {
    const { email, id } = await freshAccount();
    setDeps({
      mailer: {
        send: async () => {
          throw Object.assign(new Error('down'), { name: 'ServiceUnavailable' });
        },
      },
    });

    const whileDown = await forgot(email);

    expect(whileDown.status).toBe(202);
    expect(whileDown.body).toEqual(ACCEPTED);
    expect(await mailbox(local).to(email)).toEqual([]);
    const events = (await scanTable(local, 'AUDIT_TABLE')).filter((e) => e.user_id === id && e.type === 'password.reset_requested');
    expect(events).toEqual([expect.objectContaining({ outcome: 'failure', reason: 'mail_failed' })]);

    setDeps({ mailer: realMailer });
    const retry = await forgot(email);
    const code = await latestCode(email);
    const answer = await reset({ email, code, password: NEW_PASSWORD });

    expect(retry.status).toBe(202);
    expect(answer.status).toBe(200);
    expect((await attemptLogin(email, NEW_PASSWORD)).status).toBe(200);
  });
});
