/**
 * Faults: DynamoDB failing at each step of each operation, injected into the
 * handlers' own client at the SDK level (test/fixtures/db-faults.ts), and SES
 * failing. For every step the caller gets `503 service_unavailable` in the
 * error shape, never a 500 and never a token, a 401 or a 200 that the store
 * did not back; a retry then succeeds with nothing lost or doubled.
 *
 * Each write step fails twice: once before it reaches the store, and once
 * after the store applied it with its answer lost (a `TimeoutError`), which
 * is what a request that times out mid-way leaves behind. The state after
 * each is read from the tables and must be one a retry can build on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deps, setDeps, type Deps } from '../../functions/core/deps.ts';
import { createDb } from '../../functions/core/infra/db.ts';
import { sesMailer } from '../../functions/core/infra/mail.ts';
import { failedLoginsKey, resetCodeKey, sessionKey, windowCounterKey } from '../../functions/core/records/keys.ts';
import { hashToken } from '../../functions/core/crypto/refresh-tokens.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { describeCall, isWrite, sdkErrors, watchDb, type FailOptions } from '../fixtures/db-faults.ts';
import { bearer, decodeAccessToken, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { mailbox, latestCode as latestCodeOf } from '../fixtures/mail.ts';
import { readItem, scanTable } from '../fixtures/tables.ts';

const PASSWORD = 'Faulty passphrase 2026';
const NEW_PASSWORD = 'Recovered passphrase 88';
const THRESHOLD = 3;
const SERVICE_UNAVAILABLE = { error: 'service_unavailable', message: 'The service is temporarily unavailable; try again' };
const RESET_DONE = { status: true, message: 'Password reset successfully' };
const ACCEPTED = { status: true, message: 'If the account exists, a reset code has been sent.' };

const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
// One local server for the file: the handlers read process.env.
let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({
    clock,
    env: { LOCKOUT_THRESHOLD: String(THRESHOLD), RESET_IP_LIMIT: '100000', RESET_EMAIL_LIMIT: '100', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  await mailbox(local).clear();
});
afterAll(() => local.close());

let accounts = 0;
async function freshAccount(role: 'CASHIER' | 'MANAGER' = 'CASHIER') {
  const email = `faulty-${++accounts}@example.com`;
  const id = await addAccount({ email, password: PASSWORD, role });
  return { email, id };
}

const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
const refresh = (token: string) => call(local.url, '/auth/refresh', { body: { refresh_token: token } });
const me = (headers: Record<string, string>) => call(local.url, '/auth/me', { headers });
const forgot = (email: string) => call(local.url, '/auth/password/forgot', { body: { email } });
const reset = (email: string, code: string, password = NEW_PASSWORD) =>
  call(local.url, '/auth/password/reset', { body: { email, code, password } });

const sessionsOf = async (userId: string) => (await scanTable(local, 'SESSIONS_TABLE')).filter((item) => item.userId === userId);
const eventsOf = async (userId: string, type: string, outcome?: 'success' | 'failure') =>
  (await scanTable(local, 'AUDIT_TABLE')).filter(
    (event) => event.user_id === userId && event.type === type && (!outcome || event.outcome === outcome),
  );
const failuresOf = (userId: string) => readItem(local, 'LOCKOUTS_TABLE', failedLoginsKey({ userId }));
const latestCode = (email: string) => latestCodeOf(local, email);

/** A 503 in the error shape of API.md, and no token anywhere in it. */
function expectUnavailable(answer: Answer) {
  expectError(answer, 503, 'service_unavailable');
  expect(answer.body).toEqual(SERVICE_UNAVAILABLE);
  expect(answer.headers.get('x-access-token')).toBeNull();
  expect(answer.headers.get('x-refresh-token')).toBeNull();
}

/** The failures a store and a network give, round-robin over the steps that fail before the store. */
const BEFORE = [sdkErrors.throttling, sdkErrors.provisionedThroughput, sdkErrors.internal, sdkErrors.connectionReset];

const nameOf = (error: Error) => (error.name === 'Error' ? ((error as { code?: string }).code ?? 'Error') : error.name);

interface FaultCase {
  readonly step: number;
  readonly call: string;
  readonly when: 'before' | 'after';
  /** `3:before`, `3:after`: the key of a case's expected outcome. */
  readonly key: string;
  readonly fail: FailOptions;
}

/** Every step fails before the store; every write fails once more after the store applied it. */
function casesOf(steps: readonly string[]): [string, FaultCase][] {
  return steps.flatMap((call, step) => {
    const error = BEFORE[step % BEFORE.length]!;
    const cases: [string, FaultCase][] = [
      [`step ${step}, ${call}: ${nameOf(error())}`, { step, call, when: 'before', key: `${step}:before`, fail: { at: step, error } }],
    ];
    if (isWrite({ command: call.split(' ')[0]! })) {
      cases.push([
        `step ${step}, ${call}: applied, its answer lost (TimeoutError)`,
        { step, call, when: 'after', key: `${step}:after`, fail: { at: step, error: sdkErrors.timeout, when: 'after' } },
      ]);
    }
    return cases;
  });
}

/** Runs `act` with the fault in place; returns once whatever the handler left running has landed too. */
async function underFault(fault: FaultCase, act: () => Promise<Answer>): Promise<Answer> {
  const watch = watchDb({ fail: fault.fail });
  try {
    const answer = await act();
    await watch.idle();
    expect(watch.failed && describeCall(watch.failed), 'the call that failed').toBe(fault.call);
    return answer;
  } finally {
    watch.remove();
  }
}

/** The DynamoDB calls `act` makes when nothing fails, in order. */
async function callsOf(act: () => Promise<Answer>): Promise<{ answer: Answer; calls: string[] }> {
  const watch = watchDb();
  try {
    const answer = await act();
    await watch.idle();
    return { answer, calls: watch.calls.map(describeCall) };
  } finally {
    watch.remove();
  }
}

describe('POST /auth/login with the right password', () => {
  const STEPS = [
    'UpdateItem lockouts', // the source IP's window
    'GetItem users', // the identifier's pointer
    'GetItem users', // the user, read while…
    'UpdateItem lockouts', // …a place in the lockout budget is reserved
    // One round trip: these four are sent together.
    'PutItem sessions', // the session
    'UpdateItem users', // last login and the session's name, on condition that the user is as read
    'UpdateItem lockouts', // the success forgets the places up to its own
    'PutItem audit', // login.succeeded
  ];

  it('makes these DynamoDB calls, in this order', async () => {
    const { email } = await freshAccount();

    const { answer, calls } = await callsOf(() => attempt(email, PASSWORD));

    expect(answer.status).toBe(200);
    expect(calls).toEqual(STEPS);
  });

  /**
   * login.succeeded events after the fault and the retry. The event is
   * written alongside the session and last-login writes, so when one of them
   * fails the event of the refused attempt stays: it records a right
   * password presented, not a session handed out.
   */
  const succeededEvents: Record<string, number> = {
    '4:before': 2,
    '4:after': 2,
    '5:before': 2,
    '5:after': 2,
    '6:before': 2,
    '6:after': 2,
    '7:after': 2,
  };

  it.each(casesOf(STEPS))('%s: 503 without a token; the retry logs in with exactly one session', async (_, fault) => {
    // Prepare
    const { email, id } = await freshAccount();

    // Act
    const answer = await underFault(fault, () => attempt(email, PASSWORD));
    const afterFault = await sessionsOf(id);
    const retry = await attempt(email, PASSWORD);

    // Assess
    expectUnavailable(answer);
    // Whichever write failed, the session (even one written with its answer lost) is taken back.
    expect(afterFault).toEqual([]);
    expect(retry.status, retry.text).toBe(200);
    expect((await me(bearer(retry.body.access_token))).status).toBe(200);
    const retrySession = decodeAccessToken(retry.body.access_token).claims.sid;
    const sessions = await sessionsOf(id);
    expect(sessions.filter((s) => s.sessionId === retrySession)).toHaveLength(1);
    expect(sessions).toHaveLength(1);
    expect(await eventsOf(id, 'login.succeeded')).toHaveLength(succeededEvents[fault.key] ?? 1);
    // A place the faulted attempt reserved is forgotten by the retry's success with its own.
    expect((await failuresOf(id))?.failures ?? 0).toBe(0);
  });
});

describe(`POST /auth/login with a wrong password that reaches the threshold (${THRESHOLD})`, () => {
  const STEPS = [
    'UpdateItem lockouts', // the source IP's window
    'GetItem users', // the identifier's pointer
    'GetItem users', // the user, read while…
    'UpdateItem lockouts', // …the last place in the lockout budget is reserved
    'UpdateItem lockouts', // the guess was wrong: the lock
    'PutItem audit', // lockout.locked
    'PutItem audit', // login.failed
  ];

  /** An account with THRESHOLD - 1 failures on record. */
  async function nearlyLocked() {
    const account = await freshAccount();
    for (let i = 1; i < THRESHOLD; i++) expect((await attempt(account.email, `wrong-before-${i}`)).status).toBe(401);
    return account;
  }

  it('makes these DynamoDB calls, in this order', async () => {
    const { email } = await nearlyLocked();

    const { answer, calls } = await callsOf(() => attempt(email, 'wrong-now'));

    expect(answer.status).toBe(401);
    expect(calls).toEqual(STEPS);
  });

  interface Outcome {
    /** The count and the lock right after the faulted attempt. */
    readonly failures: number;
    readonly locked: boolean;
    /** What the same wrong password gets on retry. */
    readonly retry: 401 | 429;
    readonly finalFailures: number;
    readonly lockedEvents: number;
  }
  const notCounted: Outcome = { failures: THRESHOLD - 1, locked: false, retry: 401, finalFailures: THRESHOLD, lockedEvents: 1 };
  /** The last place was taken and no verdict reached: every place is held, so every later guess is refused unchecked. */
  const placeHeld: Outcome = { failures: THRESHOLD, locked: false, retry: 429, finalFailures: THRESHOLD, lockedEvents: 0 };
  const outcomes: Record<string, Outcome> = {
    '0:before': notCounted,
    '0:after': notCounted,
    '1:before': notCounted,
    // The user's read failed beside the reservation, which landed.
    '2:before': placeHeld,
    '3:before': notCounted,
    '3:after': placeHeld,
    '4:before': placeHeld,
    // Locked, the answer lost: the lock holds, but no lockout.locked item was written (nor logged).
    '4:after': { failures: THRESHOLD, locked: true, retry: 429, finalFailures: THRESHOLD, lockedEvents: 0 },
    // Locked; the event's own write failed: it is in the log line audit() writes first, not in the table.
    '5:before': { failures: THRESHOLD, locked: true, retry: 429, finalFailures: THRESHOLD, lockedEvents: 0 },
    '5:after': { failures: THRESHOLD, locked: true, retry: 429, finalFailures: THRESHOLD, lockedEvents: 1 },
    // login.failed was not written, yet the count, the lock and its event were.
    '6:before': { failures: THRESHOLD, locked: true, retry: 429, finalFailures: THRESHOLD, lockedEvents: 1 },
    '6:after': { failures: THRESHOLD, locked: true, retry: 429, finalFailures: THRESHOLD, lockedEvents: 1 },
  };

  it.each(casesOf(STEPS))('%s: 503, never a 401 that was not counted, and the lock holds after the retry', async (_, fault) => {
    // Prepare
    const { email, id } = await nearlyLocked();
    const expected = outcomes[fault.key]!;

    // Act
    const answer = await underFault(fault, () => attempt(email, 'wrong-now'));
    const afterFault = await failuresOf(id);
    const retry = await attempt(email, 'wrong-now');
    const right = await attempt(email, PASSWORD);

    // Assess
    expectUnavailable(answer);
    expect(afterFault?.failures).toBe(expected.failures);
    expect(afterFault?.lockedUntil !== undefined).toBe(expected.locked);
    expect(retry.status).toBe(expected.retry);
    expect((await failuresOf(id))?.failures).toBe(expected.finalFailures);
    // No fault lets the right password in once THRESHOLD wrong ones have been judged.
    expectError(right, 429, 'account_locked');
    expect(await eventsOf(id, 'lockout.locked')).toHaveLength(expected.lockedEvents);
  });
});

describe('POST /auth/refresh', () => {
  const STEPS = [
    'UpdateItem sessions', // the rotation, on condition of the generation and hash the token names: no read before it
    'PutItem audit', // refresh.succeeded
  ];

  it('makes these DynamoDB calls, in this order', async () => {
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    const { answer, calls } = await callsOf(() => refresh(session.refresh_token));

    expect(answer.status).toBe(200);
    expect(calls).toEqual(STEPS);
  });

  /** Whether the rotation landed in the faulted request. */
  const rotated = new Set(['0:after', '1:before', '1:after']);

  it.each(casesOf(STEPS))('%s: 503; the old token still refreshes, to one successor', async (_, fault) => {
    // Prepare
    const { email, id } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);
    const key = sessionKey(id, decodeAccessToken(session.access_token).claims.sid);

    // Act
    const answer = await underFault(fault, () => refresh(session.refresh_token));
    const afterFault = await readItem(local, 'SESSIONS_TABLE', key);
    // A client retries at once, well inside REFRESH_REUSE_GRACE: a rotation that landed unseen gives the same successor.
    const retry = await refresh(session.refresh_token);

    // Assess
    expectUnavailable(answer);
    expect(afterFault).toMatchObject({ generation: rotated.has(fault.key) ? 1 : 0, revoked: false });
    expect(retry.status, retry.text).toBe(200);
    expect(await readItem(local, 'SESSIONS_TABLE', key)).toMatchObject({
      generation: 1,
      tokenHash: hashToken(retry.body.refresh_token),
      revoked: false,
    });
    expect((await me(bearer(retry.body.access_token))).status).toBe(200);
    expect(await eventsOf(id, 'refresh.succeeded')).toHaveLength(fault.key === '1:after' ? 2 : 1);
  });
});

/*
 * API.md: forgot "always" answers 202, so that the answer says nothing of the
 * account. A store that fails is not an outcome of the account: a 202 would
 * promise a code that was never stored (or a request never counted), while a
 * 503 says "retry" and is the same for every email, existing or not (see the
 * unknown email below), so it reveals nothing either. Forgot answers 503.
 */
describe('POST /auth/password/forgot for an existing account', () => {
  const STEPS = [
    'UpdateItem lockouts', // the email's window
    'UpdateItem lockouts', // the source IP's window
    'GetItem users', // the email's pointer
    'GetItem users', // the user
    'PutItem lockouts', // the code
    'PutItem audit', // password.reset_requested, after the mail
  ];

  it('makes these DynamoDB calls, in this order', async () => {
    const { email } = await freshAccount();

    const { answer, calls } = await callsOf(() => forgot(email));

    expect(answer.status).toBe(202);
    expect(calls).toEqual(STEPS);
  });

  it.each(casesOf(STEPS))('%s: 503; the retry mails a code that resets the password', async (_, fault) => {
    // Prepare
    const { email, id } = await freshAccount();
    const now = Math.floor(clock.now().getTime() / 1000);
    const window = windowCounterKey('forgot', email, now - (now % 3600));

    // Act
    const answer = await underFault(fault, () => forgot(email));
    const mailedOnFault = (await mailbox(local).to(email)).length;
    const retry = await forgot(email);
    const done = await reset(email, await latestCode(email));

    // Assess
    expectUnavailable(answer);
    // The code goes out before its audit event: only a fault of that last write comes after the mail.
    expect(mailedOnFault).toBe(fault.step === 5 ? 1 : 0);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(ACCEPTED);
    expect(done.status, done.text).toBe(200);
    expect((await attempt(email, NEW_PASSWORD)).status).toBe(200);
    // The window counts every request that reached it, the faulted one too.
    expect((await readItem(local, 'LOCKOUTS_TABLE', window))?.attempts).toBe(fault.key === '0:before' ? 1 : 2);
    expect(await eventsOf(id, 'password.reset_requested', 'success')).toHaveLength(fault.key === '5:after' ? 2 : 1);
  });
});

describe('POST /auth/password/forgot for an unknown email', () => {
  // The same work as for an existing account: the code is stored for nobody, its mail goes to SES's mailbox simulator.
  const STEPS = ['UpdateItem lockouts', 'UpdateItem lockouts', 'GetItem users', 'GetItem users', 'PutItem lockouts', 'PutItem audit'];

  it('makes these DynamoDB calls, in this order', async () => {
    const { answer, calls } = await callsOf(() => forgot(`nobody-${++accounts}@example.com`));

    expect(answer.status).toBe(202);
    expect(calls).toEqual(STEPS);
  });

  it.each(casesOf(STEPS).filter(([, fault]) => fault.when === 'before'))(
    '%s: the same 503 as for an existing account',
    async (_, fault) => {
      const unknown = `nobody-${++accounts}@example.com`;

      const answer = await underFault(fault, () => forgot(unknown));

      expectUnavailable(answer);
      expect(answer.text).toBe(JSON.stringify(SERVICE_UNAVAILABLE));
      expect(await mailbox(local).to(unknown)).toEqual([]);
    },
  );
});

describe('POST /auth/password/reset', () => {
  const STEPS = [
    'UpdateItem lockouts', // the source IP's window
    'GetItem users', // the email's pointer
    'GetItem users', // the user
    'UpdateItem lockouts', // a try of the code, taken before it is compared
    'DeleteItem lockouts', // the code spent
    'UpdateItem users', // the new password hash
    'Query sessions', // the user's sessions
    'DeleteItem lockouts', // the lockout cleared
    'PutItem audit', // password.reset
    'UpdateItem sessions', // the one live session revoked
  ];

  /** An account with a live session, one failed login and a code on the way. */
  async function readyToReset() {
    const account = await freshAccount();
    const session = await login(local.url, account.email, PASSWORD);
    expect((await attempt(account.email, 'wrong-once')).status).toBe(401);
    expect((await forgot(account.email)).status).toBe(202);
    return { ...account, session, code: await latestCode(account.email) };
  }

  it('makes these DynamoDB calls, in this order', async () => {
    const { email, code } = await readyToReset();

    const { answer, calls } = await callsOf(() => reset(email, code));

    expect(answer.status).toBe(200);
    expect(calls).toEqual(STEPS);
  });

  /**
   * password.reset success events after the fault and the retry. The event is
   * written alongside revoking the sessions and clearing the lockout, so when
   * one of those fails, the refused attempt's event stays: it records a right
   * code and a new password set, which is what happened.
   */
  const resetEvents = (fault: FaultCase) => (fault.step >= 6 && fault.key !== '8:before' ? 2 : 1);

  it.each(casesOf(STEPS))('%s: 503; the retry with the same code finishes the reset', async (_, fault) => {
    // Prepare
    const { email, id, session, code } = await readyToReset();

    // Act
    const answer = await underFault(fault, () => reset(email, code));
    const passwordAfterFault = (await attempt(email, NEW_PASSWORD)).status === 200 ? 'new' : 'old';
    let retry = await reset(email, code);
    if (fault.key === '4:after') {
      // The code was spent and the answer lost; nothing else changed. Whether the delete landed is
      // unknowable here, and putting back a code that another request may have spent could let it
      // be used twice, so this code is gone: the user asks for a new one.
      expectError(retry, 400, 'invalid_code');
      expect((await attempt(email, PASSWORD)).status).toBe(200);
      expect((await me(bearer(session.access_token))).status).toBe(200);
      expect((await forgot(email)).status).toBe(202);
      retry = await reset(email, await latestCode(email));
    }

    // Assess
    expectUnavailable(answer);
    // The password changes only once the code is spent; everything after that is finished by the retry.
    expect(passwordAfterFault).toBe(fault.step > 5 || fault.key === '5:after' ? 'new' : 'old');
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toEqual(RESET_DONE);
    expect((await attempt(email, NEW_PASSWORD)).status).toBe(200);
    expectError(await attempt(email, PASSWORD), 401, 'invalid_credentials');
    expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
    expectError(await refresh(session.refresh_token), 401, 'invalid_grant');
    expect(await readItem(local, 'LOCKOUTS_TABLE', resetCodeKey(id))).toBeUndefined();
    expectError(await reset(email, code, 'Third passphrase of 2026'), 400, 'invalid_code');
    expect(await eventsOf(id, 'password.reset', 'success')).toHaveLength(resetEvents(fault));
  });
});

describe('GET /auth/me with an API token (X-Auth-Token)', () => {
  const STEPS = [
    'GetItem apiTokens', // authorizer: the token
    'GetItem users', // authorizer: its owner, now
    'UpdateItem apiTokens', // authorizer: last use, once a minute
    // The handler takes the owner the authorizer read: no read of its own.
  ];

  async function tokenOfFreshManager() {
    const { email } = await freshAccount('MANAGER');
    const session = await login(local.url, email, PASSWORD);
    const created = await call(local.url, '/auth/api-tokens', {
      headers: bearer(session.access_token),
      body: { name: 'faulty', expires_in: '24h' },
    });
    expect(created.status, created.text).toBe(201);
    return { email, token: created.body.token as string, id: created.body.id as string };
  }

  it('makes these DynamoDB calls, in this order', async () => {
    const { token } = await tokenOfFreshManager();

    const { answer, calls } = await callsOf(() => me({ 'x-auth-token': token }));

    expect(answer.status).toBe(200);
    expect(calls).toEqual(STEPS);
  });

  it.each(casesOf(STEPS))('%s: 503, neither 401 nor 200; the retry works', async (_, fault) => {
    // Prepare
    const { email, token } = await tokenOfFreshManager();

    // Act
    const answer = await underFault(fault, () => me({ 'x-auth-token': token }));
    const retry = await me({ 'x-auth-token': token });

    // Assess
    expectUnavailable(answer);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.email).toBe(email);
  });
});

describe('the authorizer with an access token (GET /auth/me)', () => {
  // The session carries its user: the handler reads nothing more.
  const STEPS = ['GetItem sessions'];

  it('makes these DynamoDB calls, in this order', async () => {
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    const { answer, calls } = await callsOf(() => me(bearer(session.access_token)));

    expect(answer.status).toBe(200);
    expect(calls).toEqual(STEPS);
  });

  it.each(casesOf(STEPS))('%s: 503, not 401; the retry works', async (_, fault) => {
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    const answer = await underFault(fault, () => me(bearer(session.access_token)));
    const retry = await me(bearer(session.access_token));

    expectUnavailable(answer);
    expect(retry.status).toBe(200);
    expect(retry.body.email).toBe(email);
  });
});

describe('the authorizer while API Gateway caches its decisions', () => {
  afterEach(() => {
    delete process.env.AUTHORIZER_CACHE_TTL;
  });

  it('fails a request whose session read fails, so that no "unavailable" decision is cached; the next one is decided afresh', async () => {
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);
    process.env.AUTHORIZER_CACHE_TTL = '60';

    const answer = await underFault(casesOf(['GetItem sessions'])[0]![1], () => me(bearer(session.access_token)));
    const retry = await me(bearer(session.access_token));

    // API Gateway's own answer to an authorizer that failed, which it does not cache.
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
    expect(retry.status).toBe(200);
    expect(retry.body.email).toBe(email);
  });
});

describe('every transient DynamoDB failure', () => {
  const transient = Object.entries(sdkErrors).filter(([name]) => name !== 'validation');
  /** A fault of the first call named `call`. */
  const first = (call: string, error: () => Error): FaultCase => ({
    step: -1,
    call,
    when: 'before',
    key: call,
    fail: { at: (c) => describeCall(c) === call, error },
  });

  it.each(transient)('%s in a login’s read is a 503', async (_, error) => {
    const { email } = await freshAccount();

    const answer = await underFault(first('GetItem users', error), () => attempt(email, PASSWORD));

    expectUnavailable(answer);
  });

  it.each(transient)('%s in the authorizer’s session read is a 503', async (_, error) => {
    const { email } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);

    const answer = await underFault(first('GetItem sessions', error), () => me(bearer(session.access_token)));

    expectUnavailable(answer);
  });

  it('is told apart from a fault of ours: a ValidationException is a 500 that shows nothing of it', async () => {
    const { email } = await freshAccount();

    const answer = await underFault(first('GetItem users', sdkErrors.validation), () => attempt(email, PASSWORD));

    expectError(answer, 500, 'internal_server_error');
    expect(answer.body).toEqual({ error: 'internal_server_error', message: 'Internal server error' });
    expect(answer.text).not.toMatch(/Validation|parameter|FAULT-INJECTED/);
  });
});

describe('SES failing', () => {
  let realMailer: Deps['mailer'];
  beforeAll(() => {
    realMailer = deps().mailer;
  });
  afterEach(() => {
    setDeps({ mailer: realMailer });
  });

  // Forgot with SES down (202, mail_failed) is in test/e2e/passwords-reset.test.ts.
  it('still resets the password (200) when the "password changed" notice cannot be sent', async () => {
    // Prepare
    const { email, id } = await freshAccount();
    const session = await login(local.url, email, PASSWORD);
    expect((await forgot(email)).status).toBe(202);
    const code = await latestCode(email);
    const before = (await mailbox(local).to(email)).length;
    setDeps({
      mailer: {
        send: async () => {
          throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
        },
      },
    });

    // Act
    const answer = await reset(email, code);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(RESET_DONE);
    expect(await mailbox(local).to(email)).toHaveLength(before);
    expect((await attempt(email, NEW_PASSWORD)).status).toBe(200);
    expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
    expect(await eventsOf(id, 'password.reset', 'success')).toHaveLength(1);
  });

  it('answers 503 to an invitation it cannot send, and leaves nothing of the user: the same invitation then works', async () => {
    // Prepare
    const { email: managerEmail } = await freshAccount('MANAGER');
    const headers = bearer((await login(local.url, managerEmail, PASSWORD)).access_token);
    const invitee = `invitee-${accounts}@example.com`;
    const invite = () => call(local.url, '/users', { headers, body: { email: invitee, username: `invitee-${accounts}`, role: 'AGENT' } });
    setDeps({
      mailer: {
        send: async () => {
          throw Object.assign(new Error('Email address is not verified'), { name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
        },
      },
    });

    // Act
    const answer = await invite();

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual(SERVICE_UNAVAILABLE);
    const users = await scanTable(local, 'USERS_TABLE');
    expect(users.filter((item) => item.email === invitee || String(item.pk).includes(`invitee-${accounts}`))).toEqual([]);
    // No invitation code is left for a user who is not there (codes of unknown emails' forgot requests aside).
    const codes = (await scanTable(local, 'LOCKOUTS_TABLE')).filter((item) => /^RESET#(?!NOBODY#)/.test(String(item.pk)));
    expect(codes.filter((item) => !users.some((user) => item.pk === `RESET#${user.id}`))).toEqual([]);
    expect(
      (await scanTable(local, 'AUDIT_TABLE')).filter((event) => event.type === 'user.created' && event.reason === 'mail_failed'),
    ).toHaveLength(1);
    setDeps({ mailer: realMailer });
    const retry = await invite();
    expect(retry.status, retry.text).toBe(201);
    expect(await mailbox(local).to(invitee)).toHaveLength(1);
  });
});

describe('a dependency that does not answer', () => {
  /**
   * Well before the functions' timeout (10 s, lib/auth-function.ts), where middy would answer
   * for a handler still waiting: a 503 even where the answer does not depend on the call (forgot).
   */
  const ANSWER_WITHIN_MS = 8_000;
  let real: Pick<Deps, 'db' | 'mailer'>;
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    real = { db: deps().db, mailer: deps().mailer };
    // Takes every connection and request, and never answers: a stalled network path.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    setDeps(real);
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const timed = async (act: () => Promise<Answer>) => {
    const started = performance.now();
    const answer = await act();
    return { answer, ms: performance.now() - started };
  };

  it('DynamoDB: a login answers 503 well before the Lambda timeout', async () => {
    const { email } = await freshAccount();
    setDeps({ db: createDb({ endpoint: silentUrl }) });

    const { answer, ms } = await timed(() => attempt(email, PASSWORD));

    expectUnavailable(answer);
    expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
  });

  it('SES: a forgot-password request answers 202 well before the Lambda timeout', async () => {
    const { email, id } = await freshAccount();
    setDeps({ mailer: sesMailer({ from: deps().settings.mailFrom, endpoint: silentUrl }) });

    const { answer, ms } = await timed(() => forgot(email));

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual(ACCEPTED);
    expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(await eventsOf(id, 'password.reset_requested')).toHaveLength(1);
  });
});
