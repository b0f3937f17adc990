/**
 * The client's account calls and its auth events, against the local server
 * and its mail: forgot and reset password, change password, profile,
 * sessions, API tokens; signed in, refreshed, signed out, session ended.
 */
import { ApiError, createAuthClient, type AuthEvent } from '@serverless-auth/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { addAccount } from '../../fixtures/accounts.ts';
import { ISO_UTC_MS, startSessionServer } from '../../fixtures/e2e.ts';
import { call, demoPassword } from '../../fixtures/local.ts';
import { latestCode } from '../../fixtures/mail.ts';

let server: LocalEnvironment;

const clientWithEvents = () => {
  const client = createAuthClient({ baseUrl: server.url, autoRefresh: false });
  const events: AuthEvent[] = [];
  client.onAuthStateChange((event) => events.push(event));
  return {
    client,
    events,
    types: () => events.map((event) => (event.type === 'session_ended' ? `${event.type}:${event.reason}` : event.type)),
  };
};

describe('auth client: account', () => {
  beforeAll(async () => {
    server = await startSessionServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reports signed_in, refreshed and signed_out, each with the session where there is one', async () => {
    // Prepare
    const { client, events, types } = clientWithEvents();

    // Act
    await client.login({ email: 'agent@example.com', password: demoPassword });
    const refreshed = await client.refresh();
    await client.logout();

    // Assess
    expect(types()).toEqual(['signed_in', 'refreshed', 'signed_out']);
    expect(events[1]).toEqual({ type: 'refreshed', session: refreshed });
  });

  it('reports session_ended with its reason when another device revokes the session', async () => {
    // Prepare
    const { client, types } = clientWithEvents();
    const other = createAuthClient({ baseUrl: server.url, autoRefresh: false });
    await client.login({ email: 'manager2@example.com', password: demoPassword });
    await other.login({ email: 'manager2@example.com', password: demoPassword });

    // Act
    await other.logout({ all: true });
    const error = await client.me().catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'SessionEndedError', reason: 'invalid_grant' });
    expect(types()).toEqual(['signed_in', 'session_ended:invalid_grant']);
  });

  it('resets a forgotten password with the emailed code, and the new one logs in', async () => {
    // Prepare
    const email = 'client-reset@example.com';
    await addAccount({ email, password: 'Original#Pass1' });
    const { client } = clientWithEvents();

    // Act
    const asked = await client.forgotPassword(email);
    const code = await latestCode(server, email);
    const reset = await client.resetPassword({ email, code, password: 'Brand-new#Pass2' });
    const tokens = await client.login({ email, password: 'Brand-new#Pass2' });

    // Assess
    expect(asked).toEqual({ status: true, message: 'If the account exists, a reset code has been sent.' });
    expect(reset).toEqual({ status: true, message: 'Password reset successfully' });
    expect(tokens.user.email).toBe(email);
  });

  it('changes the password: this session stays, the others end, a wrong current password is ApiError', async () => {
    // Prepare
    const email = 'client-change@example.com';
    await addAccount({ email, password: 'Original#Pass1' });
    const { client } = clientWithEvents();
    const other = createAuthClient({ baseUrl: server.url, autoRefresh: false });
    await client.login({ email, password: 'Original#Pass1' });
    const otherTokens = await other.login({ email, password: 'Original#Pass1' });

    // Act
    const wrong = await client
      .changePassword({ currentPassword: 'not-it', newPassword: 'Brand-new#Pass2' })
      .catch((caught: unknown) => caught);
    const changed = await client.changePassword({ currentPassword: 'Original#Pass1', newPassword: 'Brand-new#Pass2' });

    // Assess
    expect(wrong).toBeInstanceOf(ApiError);
    expect(wrong).toMatchObject({ status: 401, error: 'invalid_credentials' });
    expect(changed).toMatchObject({ status: true });
    expect((await client.me()).email).toBe(email);
    expect((await call(server.url, '/auth/refresh', { body: { refresh_token: otherTokens.refresh_token } })).status).toBe(401);
  });

  it('updates the profile and keeps the stored user in step', async () => {
    // Prepare
    const { client } = clientWithEvents();
    await client.login({ email: 'customer@example.com', password: demoPassword });

    // Act
    const user = await client.updateProfile({ first_name: 'Ada', phone: '+44 20 7946 0000' });
    const invalid = await client.updateProfile({ phone: 'call me' }).catch((caught: unknown) => caught);

    // Assess
    expect(user).toMatchObject({ email: 'customer@example.com', first_name: 'Ada', phone: '+44 20 7946 0000' });
    expect((await client.session())?.user).toEqual(user);
    expect(invalid).toMatchObject({ status: 400, error: 'invalid_request', details: [expect.objectContaining({ path: 'phone' })] });
  });

  it('lists the sessions and revokes another one', async () => {
    // Prepare
    const email = 'client-sessions@example.com';
    await addAccount({ email, password: 'Original#Pass1' });
    const { client } = clientWithEvents();
    const other = createAuthClient({ baseUrl: server.url, autoRefresh: false });
    await client.login({ email, password: 'Original#Pass1' });
    await other.login({ email, password: 'Original#Pass1' });

    // Act
    const before = await client.listSessions();
    const otherId = before.find((session) => !session.current)!.id;
    await client.revokeSession(otherId);
    const after = await client.listSessions();
    const unknown = await client.revokeSession('no-such-session').catch((caught: unknown) => caught);

    // Assess
    expect(before).toHaveLength(2);
    expect(before).toEqual(
      expect.arrayContaining([expect.objectContaining({ current: true, created_at: expect.stringMatching(ISO_UTC_MS) })]),
    );
    expect(after.map((session) => session.current)).toEqual([true]);
    expect(unknown).toMatchObject({ status: 404, error: 'not_found' });
    expect(await other.me().catch((caught: unknown) => caught)).toMatchObject({ name: 'SessionEndedError', reason: 'invalid_grant' });
  });

  it('creates, lists, rotates and deletes an API token', async () => {
    // Prepare
    const { client } = clientWithEvents();
    await client.login({ email: 'manager@example.com', password: demoPassword });

    // Act
    const created = await client.createApiToken({ name: 'nightly report', expires_in: '24h' });
    const listed = await client.listApiTokens();
    const rotated = await client.rotateApiToken(created.id);
    const oldText = await call(server.url, '/auth/me', { headers: { 'x-auth-token': created.token } });
    const newText = await call(server.url, '/auth/me', { headers: { 'x-auth-token': rotated.token } });
    await client.deleteApiToken(created.id);
    const afterDelete = await client.listApiTokens();

    // Assess
    expect(listed).toContainEqual({
      id: created.id,
      name: 'nightly report',
      created_at: created.created_at,
      expires_at: created.expires_at,
      last_used_at: null,
    });
    expect(rotated).toMatchObject({ id: created.id, expires_at: created.expires_at });
    expect(rotated.token).not.toBe(created.token);
    expect([oldText.status, newText.status]).toEqual([401, 200]);
    expect(afterDelete.map((token) => token.id)).not.toContain(created.id);
  });
});
