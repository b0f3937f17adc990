/**
 * Least privilege, from the code's side: the local server lets each function
 * send DynamoDB only what its role may send in AWS (local/grants.ts), so a
 * missing grant fails here, not first in AWS; and a walk through every
 * function shows that each table's grant is exactly the calls its code sends
 * there, so a grant wider than the code fails too.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deps } from '../../functions/core/deps.ts';
import { handler as mailFeedback } from '../../functions/mail-feedback.ts';
import { authorizerFunction, fallbackFunction, mailFeedbackFunction, operations, type FunctionDefinition } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { runAs } from '../../local/grants.ts';
import { sdkErrors, watchDb } from '../fixtures/db-faults.ts';
import { openDirectSession } from '../fixtures/direct-sessions.ts';
import { bearer, decodeAccessToken } from '../fixtures/e2e.ts';
import { call, demoPassword, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { latestCode } from '../fixtures/mail.ts';

/** Wrong guesses that lock an account. */
const LOCKOUT_THRESHOLD = 3;

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { POWERTOOLS_LOG_LEVEL: 'SILENT', LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD) } });
});
afterAll(() => local.close());

describe('the local server, like IAM', () => {
  const reader: FunctionDefinition = { handler: 'reader', needs: { tables: { users: ['GetItem'] } } };
  const get = () => deps().db.get({ TableName: deps().tables.users, Key: { pk: 'USER#nobody' } });
  const put = (table: 'users' | 'sessions') =>
    deps().db.put({ TableName: deps().tables[table], Item: { pk: 'GRANTS#probe', sk: 'probe' } });

  it('refuses a running function a call its grants do not name, on its tables and on the others', async () => {
    await expect(runAs(reader, () => put('users'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'reader is not authorized to perform dynamodb:PutItem on table users',
    });
    await expect(runAs(reader, () => put('sessions'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('lets the calls its grants name through, and leaves calls made outside any function alone', async () => {
    await expect(runAs(reader, get)).resolves.toEqual({});
    await expect(put('sessions')).resolves.toEqual({});
    const probe = { pk: 'GRANTS#probe', sk: 'probe' };
    expect((await deps().db.get({ TableName: deps().tables.sessions, Key: probe, ConsistentRead: true })).Item).toEqual(probe);
  });
});

/**
 * Calls that only a failure makes, which the walk does not provoke: withdrawing
 * an invitation's code when its mail could not be sent (flows/user-creation.ts),
 * giving a reset code back when the new password could not be written
 * (flows/password-reset.ts), and a login or a new API token reading its own
 * item when the write was sent again after its answer was lost
 * (records/sessions.ts, records/api-tokens.ts).
 */
const failureOnlyCalls: Readonly<Record<string, readonly string[]>> = {
  'users-create lockouts': ['DeleteItem'],
  'password-reset lockouts': ['PutItem'],
  'login sessions': ['GetItem'],
  'api-tokens-create apiTokens': ['GetItem', 'UpdateItem'],
};

describe('each function’s access to each table', () => {
  const PASSWORD = 'Grants walk passphrase 2026';
  const url = () => local.url;
  const expectStatus = (answer: Answer, status: number) => expect(answer.status, answer.text).toBe(status);

  /** Every function once or more, on the paths that make each kind of call, as the demo manager and agents it creates. */
  async function walk(): Promise<void> {
    // A login whose user write fails takes back the session it wrote, then answers 503 (the watch fails that write).
    expectStatus(await call(url(), '/auth/login', { body: { email: 'manager@example.com', password: demoPassword } }), 503);
    const manager = await login(url(), 'manager@example.com');
    const asManager = bearer(manager.access_token);
    expectStatus(await call(url(), '/auth/refresh', { body: { refresh_token: manager.refresh_token } }), 200);
    expectStatus(await call(url(), '/auth/me', { headers: asManager }), 200);
    expectStatus(await call(url(), '/auth/me', { method: 'PATCH', headers: asManager, body: { first_name: 'Grace' } }), 200);
    // A change of nothing answers the user as it is, read afresh.
    expectStatus(await call(url(), '/auth/me', { method: 'PATCH', headers: asManager, body: {} }), 200);
    expectStatus(await call(url(), '/auth/sessions', { headers: asManager }), 200);
    // A session from before sessions carried a copy of their user: me and refresh read the user.
    const older = await openDirectSession(local, 'manager@example.com');
    expectStatus(await call(url(), '/auth/me', { headers: bearer(older.accessToken) }), 200);
    expectStatus(await call(url(), '/auth/refresh', { body: { refresh_token: older.refreshToken } }), 200);
    const spare = decodeAccessToken((await login(url(), 'manager@example.com')).access_token).claims.sid;
    expectStatus(await call(url(), `/auth/sessions/${spare}`, { method: 'DELETE', headers: asManager }), 204);

    /** An agent with a live session and an API token. */
    const agent = async (name: string) => {
      const email = `${name}@example.com`;
      const created = await call(url(), '/users', { headers: asManager, body: { email, role: 'AGENT', password: PASSWORD } });
      expectStatus(created, 201);
      const session = await login(url(), email, PASSWORD);
      const token = await call(url(), '/auth/api-tokens', {
        headers: bearer(session.access_token),
        body: { name: 'walk', expires_in: '24h' },
      });
      expectStatus(token, 201);
      return { id: created.body.id as string, email, asAgent: bearer(session.access_token), apiToken: token.body };
    };

    const first = await agent('walk-agent-1');
    expectStatus(await call(url(), '/auth/api-tokens', { headers: first.asAgent }), 200);
    const rotated = await call(url(), `/auth/api-tokens/${first.apiToken.id}/rotate`, { headers: first.asAgent, body: {} });
    expectStatus(rotated, 200);
    // The text before the rotation is refused (an audit event); the new one is used (its last use recorded).
    expectStatus(await call(url(), '/auth/me', { headers: { 'x-auth-token': first.apiToken.token } }), 401);
    expectStatus(await call(url(), '/auth/me', { headers: { 'x-auth-token': rotated.body.token } }), 200);
    const spareToken = await call(url(), '/auth/api-tokens', { headers: first.asAgent, body: { name: 'spare', expires_in: '24h' } });
    expectStatus(await call(url(), `/auth/api-tokens/${spareToken.body.id}`, { method: 'DELETE', headers: first.asAgent }), 204);
    await login(url(), first.email, PASSWORD); // another session, which the change below revokes
    const change = { currentPassword: PASSWORD, newPassword: `${PASSWORD} changed` };
    expectStatus(await call(url(), '/auth/password/change', { headers: first.asAgent, body: change }), 200);
    // Wrong guesses up to the lockout, then one more: a locked login and a locked change read the count.
    for (let guess = 0; guess < LOCKOUT_THRESHOLD; guess++)
      expectStatus(await call(url(), '/auth/login', { body: { email: first.email, password: 'not the password' } }), 401);
    expectStatus(await call(url(), '/auth/login', { body: { email: first.email, password: 'not the password' } }), 429);
    expectStatus(await call(url(), '/auth/password/change', { headers: first.asAgent, body: { ...change, currentPassword: 'x' } }), 429);
    expectStatus(await call(url(), `/users/${first.id}/unlock`, { headers: asManager, body: {} }), 204);
    expectStatus(await call(url(), '/auth/password/forgot', { body: { email: first.email } }), 202);
    const reset = { email: first.email, code: await latestCode(local, first.email), password: `${PASSWORD} reset` };
    expectStatus(await call(url(), '/auth/password/reset', { body: reset }), 200);

    // A username that is taken, after the email was claimed: the email's claim is released.
    const taken = { email: 'walk-clash@example.com', username: 'pos-001', role: 'CASHIER', password: PASSWORD };
    expectStatus(await call(url(), '/users', { headers: asManager, body: taken }), 409);
    expectStatus(await call(url(), '/users', { headers: asManager, body: { email: 'walk-invitee@example.com', role: 'CASHIER' } }), 201);
    expectStatus(await call(url(), '/users', { headers: asManager }), 200);
    expectStatus(await call(url(), `/users/${first.id}`, { headers: asManager }), 200);
    const second = await agent('walk-agent-2');
    expectStatus(await call(url(), `/users/${second.id}`, { method: 'PATCH', headers: asManager, body: { status: 'disabled' } }), 200);
    const third = await agent('walk-agent-3');
    expectStatus(await call(url(), `/users/${third.id}`, { method: 'DELETE', headers: asManager }), 204);
    expectStatus(await call(url(), '/audit/events', { headers: asManager }), 200);
    expectStatus(await call(url(), '/auth/logout', { headers: asManager, body: { all: true } }), 204);

    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration', '/openapi.json', '/docs', '/docs/swagger-ui.css'])
      expectStatus(await call(url(), path), 200);
    expectStatus(await call(url(), '/nowhere'), 404);
    const bounce = JSON.parse(await readFile(new URL('../../events/mail-feedback-bounce.json', import.meta.url), 'utf8'));
    await runAs(mailFeedbackFunction, () => mailFeedback(bounce));
  }

  it('is exactly the calls its code sends: a wider grant fails, as a narrower one does', async () => {
    // Act
    const watch = watchDb({
      fail: { at: (c) => c.handler === 'login' && c.command === 'UpdateItem' && c.table === 'users', error: sdkErrors.internal },
    });
    try {
      await walk();
      await watch.idle();
    } finally {
      watch.remove();
    }

    // Assess: by function and table (`handler table`), the actions granted and the actions sent, both sorted.
    const sent = new Map<string, Set<string>>(Object.entries(failureOnlyCalls).map(([key, actions]) => [key, new Set(actions)]));
    for (const c of watch.calls) {
      if (c.handler === null) continue; // the test's own setup (an older session)
      const key = `${c.handler} ${c.table}`;
      sent.set(key, (sent.get(key) ?? new Set<string>()).add(c.command));
    }
    const granted = Object.fromEntries(
      [...operations, authorizerFunction, mailFeedbackFunction, fallbackFunction].flatMap(({ handler, needs }) =>
        Object.entries(needs.tables ?? {}).map(([table, grant]) => [`${handler} ${table}`, [...(grant ?? [])].sort()]),
      ),
    );
    expect(granted).toEqual(Object.fromEntries([...sent].map(([key, actions]) => [key, [...actions].sort()])));
  });
});
