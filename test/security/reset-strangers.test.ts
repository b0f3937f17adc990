/**
 * Password reset from a stranger's side: what someone who knows only an
 * owner's email can do to the owner's codes, and what reset and forgot tell
 * about whether an account exists. A stranger can spend the tries of the one
 * code that is live; nothing they do spoils a code the owner requests after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetCodeKey } from '../../functions/core/records/keys.ts';
import { DECOY_RECIPIENT } from '../../functions/core/infra/mail.ts';
import { MAX_CODE_TRIES } from '../../functions/core/records/reset-codes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { describeCall, watchDb } from '../fixtures/db-faults.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { latestCode, mailbox } from '../fixtures/mail.ts';
import { readItem } from '../fixtures/tables.ts';

const PASSWORD = 'Owner passphrase 2026';
const NEW_PASSWORD = 'A fresh owner passphrase 99';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { RESET_IP_LIMIT: '100000', RESET_EMAIL_LIMIT: '100000', POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  await mailbox(local).clear();
});
afterAll(() => local.close());

let accounts = 0;
async function owner(username: string | null = null) {
  const email = `owner-${++accounts}@example.com`;
  const id = await addAccount({ email, password: PASSWORD, username });
  return { email, id };
}

const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
const reset = (email: string, code: string, password = NEW_PASSWORD) =>
  call(local.url, '/auth/password/reset', { body: { email, code, password } });
const loginWith = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
/** A code the owner does not have: the right length, and never the live one. */
const wrongCode = (right: string, i = 0) => String((Number(right) + 1 + i) % 1_000_000).padStart(right.length, '0');

describe('a stranger who knows only the email', () => {
  it('cannot spoil a code the owner requests after 60 guesses made while no code was live', async () => {
    // Prepare
    const { email } = await owner();
    for (let i = 0; i < 60; i++) expectError(await reset(email, String(100000 + i)), 400, 'invalid_code');

    // Act: the owner asks for a code now.
    await forgot(email);
    const answer = await reset(email, await latestCode(local, email));

    // Assess: not delayed at all.
    expect(answer.status, answer.text).toBe(200);
    expect((await loginWith(email, NEW_PASSWORD)).status).toBe(200);
  });

  it('can spend the live code’s tries, but never the tries of the owner’s next code', async () => {
    // Prepare: the stranger triggers a code (mailed to the owner) and burns it, then keeps guessing.
    const { email } = await owner();
    await forgot(email);
    const burnt = await latestCode(local, email);
    for (let i = 0; i < 30; i++) expectError(await reset(email, wrongCode(burnt, i)), 400, 'invalid_code');
    expectError(await reset(email, burnt), 400, 'invalid_code');

    // Act: the owner requests a fresh code.
    await forgot(email);
    const fresh = await latestCode(local, email);
    const answer = await reset(email, fresh);

    // Assess
    expect(fresh).not.toBe(burnt);
    expect(answer.status, answer.text).toBe(200);
  });

  it(`compares at most ${MAX_CODE_TRIES} guesses of a burst of 40 against one live code`, async () => {
    // Prepare
    const { email, id } = await owner();
    await forgot(email);
    const right = await latestCode(local, email);

    // Act
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => reset(email, wrongCode(right, i))));

    // Assess: every try was taken before its comparison, so the stored count is the number compared.
    for (const answer of answers) expectError(answer, 400, 'invalid_code');
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toMatchObject({ tries: MAX_CODE_TRIES });
    expectError(await reset(email, right), 400, 'invalid_code');
  });
});

describe('an invited user, who has no password yet', () => {
  it('sets a first password with a fresh code from forgot, after a stranger burnt the invitation’s tries and more', async () => {
    // Prepare: a manager invites a user, whose invitation code is mailed; a stranger burns it, and keeps guessing.
    const email = `invitee-${++accounts}@example.com`;
    const manager = await login(local.url, 'manager@example.com');
    const invited = await call(local.url, '/users', { headers: bearer(manager.access_token), body: { email, role: 'CASHIER' } });
    expect(invited.status, invited.text).toBe(201);
    const invitation = await latestCode(local, email);
    for (let i = 0; i < 30; i++) expectError(await reset(email, wrongCode(invitation, i)), 400, 'invalid_code');
    expectError(await reset(email, invitation), 400, 'invalid_code');

    // Act: the invitee asks for a new code and sets its first password with it.
    const asked = await forgot(email);
    const fresh = await latestCode(local, email);
    const answer = await reset(email, fresh);

    // Assess
    expect(asked.status).toBe(202);
    expect(fresh).not.toBe(invitation);
    expect(answer.status, answer.text).toBe(200);
    const session = await loginWith(email, NEW_PASSWORD);
    expect(session.status, session.text).toBe(200);
    expect(session.body.user).toMatchObject({ id: invited.body.id, email });
  });
});

describe('a weak password with the right code', () => {
  it('spends neither the code nor a try: four wrong tries later, the code still works', async () => {
    // Prepare
    const { email, id } = await owner();
    await forgot(email);
    const code = await latestCode(local, email);

    // Act
    const weak = await reset(email, code, 'password');
    const wrong = [];
    for (let i = 0; i < MAX_CODE_TRIES - 1; i++) wrong.push(await reset(email, wrongCode(code, i)));
    const stored = await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id));
    const answer = await reset(email, code);

    // Assess
    expectError(weak, 400, 'weak_password');
    for (const w of wrong) expectError(w, 400, 'invalid_code');
    expect(stored).toMatchObject({ tries: MAX_CODE_TRIES - 1 });
    expect(answer.status, answer.text).toBe(200);
  });
});

describe('reset and forgot tell nothing of whether an account exists', () => {
  it('answers a password that holds the account’s username with invalid_code, for a real email as for an unknown one', async () => {
    // Prepare: the policy refuses passwords that contain the username, which only a real account has.
    const username = `till-${accounts + 1}`;
    const { email } = await owner(username);
    const password = `my ${username} passphrase`;

    // Act
    const real = await reset(email, '123456', password);
    const unknown = await reset(`nobody-${accounts}@example.com`, '123456', password);

    // Assess
    expectError(real, 400, 'invalid_code');
    expectError(unknown, 400, 'invalid_code');
    expect(real.body).toEqual(unknown.body);
  });

  it('does the same work for an unknown email as for a real one, from the first request on: the same DynamoDB calls and one mail', async () => {
    // Prepare: a fresh server, so that nothing has been measured or warmed.
    const fresh = await startTestServer({ env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    const mail = mailbox(fresh);
    try {
      await mail.clear();
      const email = `owner-${++accounts}@example.com`;
      await addAccount({ email, password: PASSWORD });
      const traced = async (act: () => Promise<Answer>) => {
        const watch = watchDb();
        try {
          const answer = await act();
          await watch.idle();
          return { answer, calls: watch.calls.map((c) => `${describeCall(c)}`) };
        } finally {
          watch.remove();
        }
      };

      // Act: the first request of the instance is for an unknown email.
      const unknown = await traced(() => call(fresh.url, '/auth/password/forgot', { body: { email: 'nobody-at-all@example.com' } }));
      const afterUnknown = (await mail.all()).length;
      const real = await traced(() => call(fresh.url, '/auth/password/forgot', { body: { email } }));

      // Assess
      expect(unknown.answer.status).toBe(202);
      expect(real.answer.status).toBe(202);
      expect(unknown.answer.body).toEqual(real.answer.body);
      expect(unknown.calls).toEqual(real.calls);
      expect(afterUnknown).toBe(1);
      expect(await mail.to(DECOY_RECIPIENT)).toHaveLength(1);
      expect(await mail.to('nobody-at-all@example.com')).toHaveLength(0);
      expect(await mail.to(email)).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });
});

describe('a stranger who fills the email’s hourly forgot limit', () => {
  it('delays the owner’s next code to the end of the one-hour window at most; then a fresh code works at once', async () => {
    // Prepare: a server of its own with the default per-email limit and a clock that stands still;
    // every request comes from one address here, so the per-IP limit is set out of reach.
    const EMAIL_LIMIT = 5;
    const clock = new FakeClock(new Date('2026-11-23T10:20:00.000Z'));
    const limited = await startTestServer({
      clock,
      env: { RESET_EMAIL_LIMIT: String(EMAIL_LIMIT), RESET_IP_LIMIT: '100000', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    try {
      const email = `owner-${++accounts}@example.com`;
      await addAccount({ email, password: PASSWORD });
      const forgotThere = () => call(limited.url, '/auth/password/forgot', { body: { email } });
      const resetThere = (code: string) => call(limited.url, '/auth/password/reset', { body: { email, code, password: NEW_PASSWORD } });
      // The stranger: EMAIL_LIMIT forgot requests (each mails the owner a code), the last code's tries spent,
      // then more of both, refused or against no live code.
      for (let i = 0; i < EMAIL_LIMIT; i++) expect((await forgotThere()).status).toBe(202);
      const last = await latestCode(limited, email);
      for (let i = 0; i < MAX_CODE_TRIES; i++) expectError(await resetThere(wrongCode(last, i)), 400, 'invalid_code');
      for (let i = 0; i < 10; i++) {
        expectError(await forgotThere(), 429, 'rate_limit_exceeded');
        expectError(await resetThere(wrongCode(last, i)), 400, 'invalid_code');
      }

      // Act: the owner asks at 10:45, then again when the window ends at 11:00.
      clock.set('2026-11-23T10:45:00.000Z');
      const refused = await forgotThere();
      const mailedMeanwhile = (await mailbox(limited).to(email)).length;
      clock.set('2026-11-23T11:00:00.000Z');
      const asked = await forgotThere();
      const fresh = await latestCode(limited, email);
      const answer = await resetThere(fresh);

      // Assess: refused for the rest of the window and no later; every code of the stranger's went to the owner.
      expectError(refused, 429, 'rate_limit_exceeded');
      expect(refused.headers.get('retry-after')).toBe(String(15 * 60));
      expect(mailedMeanwhile).toBe(EMAIL_LIMIT);
      expect(asked.status).toBe(202);
      expect(answer.status, answer.text).toBe(200);
      expect((await call(limited.url, '/auth/login', { body: { email, password: NEW_PASSWORD } })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
