/**
 * Roles, permissions and the users API end to end (API.md "Roles and
 * permissions", "The user object", "Users (tenant-scoped)", PATCH /auth/me):
 * what each role's tokens carry, creating and inviting users, disabling and
 * role changes that stop the user's tokens at once, listing with cursors,
 * the caller's own profile, and the audit trail of it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey } from '../../functions/core/records/keys.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount } from '../fixtures/accounts.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, decodeAccessToken, detailPaths, expectError, ISO_UTC_MS } from '../fixtures/e2e.ts';
import { call, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';
import { readItem } from '../fixtures/tables.ts';

type Role = 'MANAGER' | 'AGENT' | 'CASHIER' | 'CUSTOMER';

/** API.md "Roles and permissions", row by row, sorted. */
const permissionRows: Record<Role, string[]> = {
  MANAGER: [
    'transactions:read',
    'transactions:update',
    'users:read',
    'users:write',
    'kyc:configure',
    'settings:write',
    'refunds:process',
    'reports:read',
    'beneficiaries:manage',
    'plugins:manage',
    'agents:configure',
    'customers:read',
    'profile:read',
    'profile:update',
    'webhooks:manage',
    'crossborder:manage',
    'api_tokens:manage',
  ].sort(),
  AGENT: [
    'transactions:read',
    'transactions:update',
    'users:read:own',
    'users:write:own',
    'reports:read:limited',
    'rates:markup',
    'customers:read',
    'corridors:manage',
    'callover:read',
    'profile:read',
    'profile:update',
    'api_tokens:manage',
  ].sort(),
  CASHIER: [
    'transactions:create',
    'transactions:read:own',
    'transactions:update',
    'users:read:own',
    'users:write:own',
    'quotes:request',
    'payments:process',
    'cash:handle',
    'receipts:print',
    'profile:read',
    'profile:update',
  ].sort(),
  CUSTOMER: [
    'transactions:create:own',
    'transactions:read:own',
    'kyc:verify',
    'beneficiaries:manage:own',
    'quotes:request',
    'profile:read',
    'profile:update',
  ].sort(),
};

const sorted = (values: unknown) => [...(values as string[])].sort();

const PASSWORD = 'Users suite passphrase 42';
const OTHER_PASSWORD = 'Another fine passphrase 17';

/** The user object of API.md, exactly: every key, never a hash or a secret. */
function userObject(expected: {
  email: string;
  role: Role;
  createdBy: string;
  tenant?: string;
  username?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  status?: 'active' | 'disabled';
}) {
  return {
    id: expect.any(String),
    email: expected.email,
    username: expected.username ?? null,
    role: expected.role,
    tenant_id: expected.tenant ?? 'demo',
    customer_id: expected.role === 'CUSTOMER' ? expect.stringMatching(/\S/) : null,
    first_name: expected.first_name ?? null,
    last_name: expected.last_name ?? null,
    phone: expected.phone ?? null,
    status: expected.status ?? 'active',
    created_at: expect.stringMatching(ISO_UTC_MS),
    created_by: expected.createdBy,
    last_login_at: null,
    email_status: null,
    permissions: expect.any(Array),
  };
}

describe('users, roles and permissions', () => {
  let local: LocalEnvironment;
  let manager: { token: string; id: string };
  let sequence = 0;

  beforeAll(async () => {
    local = await startTestServer({ env: { MAIL_FROM: 'accounts@acme-pay.example', PRODUCT_NAME: 'Acme Pay', RESET_IP_LIMIT: '100000' } });
    await mailbox(local).clear();
    const session = await login(local.url, 'manager@example.com');
    manager = { token: session.access_token, id: session.user.id };
  });
  afterAll(() => local.close());

  const freshEmail = (label = 'user') => `${label}-${++sequence}@example.com`;
  const asManager = () => bearer(manager.token);
  const createUser = (body: Record<string, unknown>, headers = asManager()) => call(local.url, '/users', { headers, body });
  const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
  const me = (token: string) => call(local.url, '/auth/me', { headers: bearer(token) });
  const refresh = (token: string) => call(local.url, '/auth/refresh', { body: { refresh_token: token } });
  const patchUser = (id: string, body: Record<string, unknown>, headers = asManager()) =>
    call(local.url, `/users/${id}`, { method: 'PATCH', headers, body });

  /** A user created by the manager with a password; returns its id and email. */
  async function created(role: Role = 'CASHIER', extra: Record<string, unknown> = {}) {
    const email = freshEmail(role.toLowerCase());
    const answer = await createUser({ email, role, password: PASSWORD, ...extra });
    if (answer.status !== 201) throw new Error(`create ${email}: ${answer.status} ${answer.text}`);
    return { id: answer.body.id as string, email };
  }

  describe('the permission matrix', () => {
    it.each([
      ['manager@example.com', 'MANAGER'],
      ['agent@example.com', 'AGENT'],
      ['cashier@example.com', 'CASHIER'],
      ['customer@example.com', 'CUSTOMER'],
    ] as const)('gives %s (%s) exactly its row, in the access token and in /auth/me', async (email, role) => {
      const session = await login(local.url, email);

      const { claims } = decodeAccessToken(session.access_token);
      const profile = await me(session.access_token);

      expect(claims.role).toBe(role);
      expect(claims.tenant_id).toBe('demo');
      expect(sorted(claims.permissions)).toEqual(permissionRows[role]);
      expect(profile.status).toBe(200);
      expect(profile.body.role).toBe(role);
      expect(sorted(profile.body.permissions)).toEqual(permissionRows[role]);
      expect(sorted(session.user.permissions)).toEqual(permissionRows[role]);
    });

    it('gives the MANAGER of demo-2 the MANAGER row and its own tenant', async () => {
      const session = await login(local.url, 'manager2@example.com');

      const { claims } = decodeAccessToken(session.access_token);

      expect({ role: claims.role, tenant_id: claims.tenant_id }).toEqual({ role: 'MANAGER', tenant_id: 'demo-2' });
      expect(sorted(claims.permissions)).toEqual(permissionRows.MANAGER);
    });
  });

  describe('POST /users', () => {
    it('answers 201 with the user object: no hash, no secret, created_by the caller, the caller’s tenant', async () => {
      const email = freshEmail('full');

      const answer = await createUser({
        email: `  ${email.toUpperCase()} `,
        username: 'Till-42',
        password: PASSWORD,
        role: 'CASHIER',
        first_name: 'Grace',
        last_name: 'Hopper',
        phone: '+1 (555) 010-0042',
      });

      expect(answer.status, answer.text).toBe(201);
      expect(answer.body).toEqual(
        userObject({
          email,
          role: 'CASHIER',
          createdBy: manager.id,
          username: 'till-42',
          first_name: 'Grace',
          last_name: 'Hopper',
          phone: '+1 (555) 010-0042',
        }),
      );
      expect(sorted(answer.body.permissions)).toEqual(permissionRows.CASHIER);
      expect(answer.text).not.toMatch(/argon2|hash|secret/i);
      const fetched = await call(local.url, `/users/${answer.body.id}`, { headers: asManager() });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(answer.body);
      expect((await attempt(email, PASSWORD)).status).toBe(200);
      expect((await call(local.url, '/auth/login', { body: { username: 'TILL-42', password: PASSWORD } })).status).toBe(200);
    });

    it.each(['MANAGER', 'AGENT', 'CASHIER', 'CUSTOMER'] as const)('sets customer_id for a CUSTOMER only (creating a %s)', async (role) => {
      const email = freshEmail('kind');

      const answer = await createUser({ email, role });

      expect(answer.status, answer.text).toBe(201);
      expect(answer.body).toEqual(userObject({ email, role, createdBy: manager.id }));
      if (role === 'CUSTOMER') expect(typeof answer.body.customer_id).toBe('string');
      else expect(answer.body.customer_id).toBeNull();
    });

    it('puts a user created by a CASHIER in the cashier’s tenant with created_by the cashier', async () => {
      const cashier = await login(local.url, 'cashier@example.com');
      const email = freshEmail('by-cashier');

      const answer = await createUser({ email, role: 'CUSTOMER' }, bearer(cashier.access_token));

      expect(answer.status, answer.text).toBe(201);
      expect(answer.body).toEqual(userObject({ email, role: 'CUSTOMER', createdBy: cashier.user.id }));
    });

    it.each([
      ['an unknown field', { role: 'CASHIER', nickname: 'x' }, 'nickname'],
      ['a bad email', { role: 'CASHIER', email: 'not-an-email' }, 'email'],
      ['an email with a space', { role: 'CASHIER', email: 'two words@example.com' }, 'email'],
      ['no email', { role: 'CASHIER', email: undefined }, 'email'],
      ['a bad role', { role: 'ADMIN' }, 'role'],
      ['a lower-case role', { role: 'cashier' }, 'role'],
      ['no role', { role: undefined }, 'role'],
      ['a username with a space', { role: 'CASHIER', username: 'till 9' }, 'username'],
      ['a username with an @', { role: 'CASHIER', username: 'till@9' }, 'username'],
      ['a two-letter username', { role: 'CASHIER', username: 'ab' }, 'username'],
      ['a bad phone', { role: 'CASHIER', phone: 'call me' }, 'phone'],
      ['a number as first_name', { role: 'CASHIER', first_name: 7 }, 'first_name'],
      ['an empty password', { role: 'CASHIER', password: '' }, 'password'],
    ])('refuses %s with 400 invalid_request naming the field, and creates nobody', async (_what, fields, path) => {
      const email = freshEmail('bad');
      const body: Record<string, unknown> = { email, ...fields };
      for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];

      const answer = await createUser(body);

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain(path);
      expect(await readItem(local, 'USERS_TABLE', emailKey(email))).toBeUndefined();
    });

    it.each([
      ['too short', () => 'Short1!'],
      ['a common password', () => 'password123'],
      ['built on the email', (email: string) => `My ${email.split('@')[0]?.toUpperCase()} passphrase`],
    ])('refuses a password that is %s with 400 weak_password, and creates nobody', async (_what, passwordFor) => {
      const email = `weakling-${++sequence}@example.com`;

      const answer = await createUser({ email, role: 'CASHIER', password: passwordFor(email) });

      expectError(answer, 400, 'weak_password');
      expect(detailPaths(answer)).toContain('password');
      expect(await readItem(local, 'USERS_TABLE', emailKey(email))).toBeUndefined();
    });

    it('refuses a password containing the username with 400 weak_password', async () => {
      const answer = await createUser({
        email: freshEmail('named'),
        username: 'kiosk-77',
        role: 'CASHIER',
        password: 'my kiosk-77 passphrase',
      });

      expectError(answer, 400, 'weak_password');
      expect(detailPaths(answer)).toContain('password');
    });

    it('gives five concurrent creates of one email in different letter case exactly one 201 and four 409 conflict', async () => {
      const local_part = `race-${++sequence}`;
      const variants = [
        `${local_part}@example.com`,
        `${local_part.toUpperCase()}@example.com`,
        `${local_part}@EXAMPLE.COM`,
        `Race-${sequence}@Example.com`,
        ` ${local_part}@example.com `,
      ];

      const answers = await Promise.all(variants.map((email) => createUser({ email, role: 'CUSTOMER', password: PASSWORD })));

      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const answer of answers.filter((a) => a.status === 409)) {
        expectError(answer, 409, 'conflict');
        expect(detailPaths(answer)).toEqual(['email']);
      }
      const winner = answers.find((a) => a.status === 201) as Answer;
      expect(winner.body.email).toBe(`${local_part}@example.com`);
      const pointer = await readItem(local, 'USERS_TABLE', emailKey(`${local_part}@example.com`));
      expect(pointer?.userId).toBe(winner.body.id);
      const listed = await call(local.url, '/users?role=CUSTOMER&limit=100', { headers: asManager() });
      expect((listed.body.items as { email: string }[]).filter((u) => u.email === `${local_part}@example.com`)).toHaveLength(1);
    });

    it('refuses an email already taken in another tenant with 409: emails are unique across the deployment', async () => {
      const answer = await createUser({ email: 'MANAGER2@example.com', role: 'CASHIER' });

      expectError(answer, 409, 'conflict');
      expect(detailPaths(answer)).toEqual(['email']);
    });

    it('refuses a username already taken, in any case, with 409, and leaves the email free', async () => {
      const email = freshEmail('pos-clash');

      const answer = await createUser({ email, username: 'POS-001', role: 'CASHIER', password: PASSWORD });

      expectError(answer, 409, 'conflict');
      expect(detailPaths(answer)).toEqual(['username']);
      const retry = await createUser({ email, username: `pos-${sequence}-b`, role: 'CASHIER', password: PASSWORD });
      expect(retry.status, retry.text).toBe(201);
    });

    it('gives three concurrent creates of one username in different case exactly one 201 and two 409', async () => {
      const username = `till-race-${++sequence}`;
      const emails = [freshEmail('u-race'), freshEmail('u-race'), freshEmail('u-race')];
      const spellings = [username, username.toUpperCase(), `Till-Race-${username.split('-').at(-1)}`];

      const answers = await Promise.all(emails.map((email, i) => createUser({ email, username: spellings[i], role: 'CASHIER' })));

      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
      for (const answer of answers.filter((a) => a.status === 409)) expect(detailPaths(answer)).toEqual(['username']);
      // The losers' emails were released: each can be used again.
      const losers = emails.filter((_, i) => answers[i]?.status === 409);
      for (const email of losers) expect((await createUser({ email, role: 'CASHIER' })).status).toBe(201);
    });
  });

  describe('invitations', () => {
    it('mails a code to a user created without a password; it sets the password through /auth/password/reset, and then login works', async () => {
      const email = freshEmail('invitee');

      const answer = await createUser({ email, role: 'AGENT' });

      expect(answer.status, answer.text).toBe(201);
      expect(answer.body).toEqual(userObject({ email, role: 'AGENT', createdBy: manager.id }));
      const mails = await mailbox(local).to(email);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail?.from).toBe('accounts@acme-pay.example');
      expect(mail?.subject).toContain('Acme Pay');
      const code = codeIn(mail!);
      expect(mail?.body.html).toContain(code);
      for (const password of [OTHER_PASSWORD, PASSWORD, 'LocalDemo#2026'])
        expectError(await attempt(email, password), 401, 'invalid_credentials');

      const reset = await call(local.url, '/auth/password/reset', { body: { email, code, password: OTHER_PASSWORD } });

      expect(reset.status, reset.text).toBe(200);
      expect(reset.body).toEqual({ status: true, message: 'Password reset successfully' });
      const session = await attempt(email, OTHER_PASSWORD);
      expect(session.status).toBe(200);
      expect(session.body.user).toMatchObject({ id: answer.body.id, role: 'AGENT', tenant_id: 'demo' });
    });

    it('sends no invitation to a user created with a password', async () => {
      const { email } = await created('CASHIER');

      expect(await mailbox(local).to(email)).toEqual([]);
    });
  });

  describe('disabling a user', () => {
    it.each([
      ['DELETE /users/{id}', (id: string) => call(local.url, `/users/${id}`, { method: 'DELETE', headers: asManager() }), 204],
      ['PATCH /users/{id} status=disabled', (id: string) => patchUser(id, { status: 'disabled' }), 200],
    ] as const)(
      '%s stops its tokens at once, and login says account_disabled only to the right password',
      async (_how, disable, status) => {
        const user = await created('CASHIER');
        const session = await login(local.url, user.email, PASSWORD);
        expect((await me(session.access_token)).status).toBe(200);

        const answer = await disable(user.id);

        expect(answer.status, answer.text).toBe(status);
        if (status === 204) expect(answer.text).toBe('');
        else
          expect(answer.body).toEqual({
            ...userObject({ email: user.email, role: 'CASHIER', createdBy: manager.id, status: 'disabled' }),
            last_login_at: expect.stringMatching(ISO_UTC_MS),
          });
        expectError(await me(session.access_token), 401, 'unauthorized');
        expectError(await refresh(session.refresh_token), 401, 'invalid_grant');
        const right = await attempt(user.email, PASSWORD);
        expectError(right, 403, 'account_disabled');
        expect(right.body).toEqual({ error: 'account_disabled', message: 'The account is disabled' });
        expectError(await attempt(user.email, OTHER_PASSWORD), 401, 'invalid_credentials');
        const fetched = await call(local.url, `/users/${user.id}`, { headers: asManager() });
        expect(fetched.body.status).toBe('disabled');
      },
    );

    it('lets a re-enabled user log in again, while its old tokens stay dead', async () => {
      const user = await created('AGENT');
      const before = await login(local.url, user.email, PASSWORD);
      expect((await call(local.url, `/users/${user.id}`, { method: 'DELETE', headers: asManager() })).status).toBe(204);

      const enabled = await patchUser(user.id, { status: 'active' });

      expect(enabled.status, enabled.text).toBe(200);
      expect(enabled.body.status).toBe('active');
      const after = await attempt(user.email, PASSWORD);
      expect(after.status).toBe(200);
      expect((await me(after.body.access_token)).status).toBe(200);
      expectError(await me(before.access_token), 401, 'unauthorized');
      expectError(await refresh(before.refresh_token), 401, 'invalid_grant');
    });

    it('does not revoke anything on a profile change', async () => {
      const user = await created('CASHIER');
      const session = await login(local.url, user.email, PASSWORD);

      const answer = await patchUser(user.id, { first_name: 'Still', phone: '+44 20 7946 0000' });

      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ first_name: 'Still', phone: '+44 20 7946 0000', status: 'active' });
      expect((await me(session.access_token)).status).toBe(200);
      expect((await refresh(session.refresh_token)).status).toBe(200);
    });
  });

  describe('changing a role', () => {
    it('stops the old access and refresh tokens at once; a new login carries the new role’s permissions', async () => {
      const user = await created('CASHIER');
      const before = await login(local.url, user.email, PASSWORD);
      expect(sorted(decodeAccessToken(before.access_token).claims.permissions)).toEqual(permissionRows.CASHIER);

      const answer = await patchUser(user.id, { role: 'AGENT' });

      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({ id: user.id, role: 'AGENT', status: 'active', customer_id: null });
      expect(sorted(answer.body.permissions)).toEqual(permissionRows.AGENT);
      expectError(await me(before.access_token), 401, 'unauthorized');
      expectError(await refresh(before.refresh_token), 401, 'invalid_grant');
      const after = await login(local.url, user.email, PASSWORD);
      const { claims } = decodeAccessToken(after.access_token);
      expect(claims.role).toBe('AGENT');
      expect(sorted(claims.permissions)).toEqual(permissionRows.AGENT);
      const profile = await me(after.access_token);
      expect(profile.body.role).toBe('AGENT');
      expect(sorted(profile.body.permissions)).toEqual(permissionRows.AGENT);
    });

    it('keeps the sessions when the PATCH names the role the user already has', async () => {
      const user = await created('CASHIER');
      const session = await login(local.url, user.email, PASSWORD);

      const answer = await patchUser(user.id, { role: 'CASHIER' });

      expect(answer.status).toBe(200);
      expect((await me(session.access_token)).status).toBe(200);
    });

    it('refuses a role that does not exist with 400', async () => {
      const user = await created('CASHIER');

      const answer = await patchUser(user.id, { role: 'OWNER' });

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain('role');
    });

    it.each([
      ['an unknown field', { nickname: 'x' }, 'nickname'],
      ['a bad status', { status: 'gone' }, 'status'],
      ['an email', { email: 'new@example.com' }, 'email'],
      ['a bad phone', { phone: 'twelve' }, 'phone'],
    ])('refuses a PATCH /users/{id} with %s with 400 invalid_request', async (_what, body, path) => {
      const user = await created('CASHIER');

      const answer = await patchUser(user.id, body);

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain(path);
    });
  });

  describe('GET /users paging and filters', () => {
    const tenant = 'paging-tenant';
    let pagingManager: { token: string; id: string };
    const made: { id: string; role: Role; email: string }[] = [];

    beforeAll(async () => {
      const email = 'paging-manager@example.com';
      await addAccount({ email, password: PASSWORD, tenantId: tenant, role: 'MANAGER' });
      const session = await login(local.url, email, PASSWORD);
      pagingManager = { token: session.access_token, id: session.user.id };
      const roles: Role[] = ['AGENT', 'AGENT', 'CASHIER', 'CASHIER', 'CUSTOMER', 'CUSTOMER', 'CUSTOMER'];
      // Created together, so several may share a created_at: paging must still see each exactly once.
      const answers = await Promise.all(
        roles.map((role, i) => createUser({ email: `paged-${i}@example.com`, role }, bearer(pagingManager.token))),
      );
      for (const [i, answer] of answers.entries()) {
        if (answer.status !== 201) throw new Error(`paged-${i}: ${answer.status} ${answer.text}`);
        made.push({ id: answer.body.id, role: roles[i] as Role, email: answer.body.email });
      }
      for (const user of [made[1], made[4]]) {
        const answer = await call(local.url, `/users/${user?.id}`, { method: 'DELETE', headers: bearer(pagingManager.token) });
        if (answer.status !== 204) throw new Error(`disable: ${answer.status} ${answer.text}`);
      }
    });

    async function walk(query: string, limit: number) {
      const pages: { id: string; role: string; status: string; tenant_id: string }[][] = [];
      let cursor: string | null = null;
      do {
        const answer = await call(local.url, `/users?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
          headers: bearer(pagingManager.token),
        });
        expect(answer.status, answer.text).toBe(200);
        expect(Object.keys(answer.body).sort()).toEqual(['cursor', 'items']);
        pages.push(answer.body.items);
        cursor = answer.body.cursor;
        expect(pages.length).toBeLessThanOrEqual(20);
      } while (cursor);
      return { pages, items: pages.flat() };
    }

    it('walks every user exactly once with limit=2 and the cursor, and ends with cursor null', async () => {
      const { pages, items } = await walk('', 2);

      for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
      expect(pages.length).toBeGreaterThanOrEqual(4);
      const ids = items.map((u) => u.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual([pagingManager.id, ...made.map((u) => u.id)].sort());
      for (const item of items) expect(item.tenant_id).toBe(tenant);
    });

    it('gives the same users with limit=1 as in one page', async () => {
      const one = (await walk('', 100)).items.map((u) => u.id);
      const each = (await walk('', 1)).items.map((u) => u.id);

      expect(one).toHaveLength(8);
      expect(each).toEqual(one);
    });

    it.each([
      ['role=CUSTOMER', (u: { role: Role; disabled: boolean }) => u.role === 'CUSTOMER'],
      ['role=AGENT', (u: { role: Role; disabled: boolean }) => u.role === 'AGENT'],
      ['status=disabled', (u: { role: Role; disabled: boolean }) => u.disabled],
      ['status=active&role=CUSTOMER', (u: { role: Role; disabled: boolean }) => !u.disabled && u.role === 'CUSTOMER'],
      ['role=MANAGER', (u: { role: Role; disabled: boolean }) => u.role === 'MANAGER'],
    ] as const)('filters with %s, across pages', async (query, keep) => {
      const population = [
        { id: pagingManager.id, role: 'MANAGER' as Role, disabled: false },
        ...made.map((u, i) => ({ id: u.id, role: u.role, disabled: i === 1 || i === 4 })),
      ];

      const { items } = await walk(`&${query}`, 2);

      expect(items.map((u) => u.id).sort()).toEqual(
        population
          .filter(keep)
          .map((u) => u.id)
          .sort(),
      );
      const params = new URLSearchParams(query);
      for (const item of items) {
        if (params.get('role')) expect(item.role).toBe(params.get('role'));
        if (params.get('status')) expect(item.status).toBe(params.get('status'));
      }
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-2', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('{"pk":"USER#x"}').toString('base64url')}`, 'cursor'],
      ['role=ADMIN', 'role'],
      ['status=gone', 'status'],
      ['sort=email', 'sort'],
    ])('refuses ?%s with 400 invalid_request', async (query, path) => {
      const answer = await call(local.url, `/users?${query}`, { headers: bearer(pagingManager.token) });

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain(path);
    });
  });

  describe('PATCH /auth/me', () => {
    let self: { token: string; id: string; email: string };

    beforeAll(async () => {
      const email = 'profile-owner@example.com';
      await addAccount({ email, password: PASSWORD, role: 'CASHIER' });
      const session = await login(local.url, email, PASSWORD);
      self = { token: session.access_token, id: session.user.id, email };
    });

    const patchMe = (body: unknown) => call(local.url, '/auth/me', { method: 'PATCH', headers: bearer(self.token), body });

    it('changes first_name, last_name and phone, and GET /auth/me gives them back', async () => {
      const answer = await patchMe({ first_name: 'Ada', last_name: 'Lovelace', phone: '+44 20 7946 0958' });

      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({
        id: self.id,
        email: self.email,
        role: 'CASHIER',
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+44 20 7946 0958',
      });
      const fetched = await me(self.token);
      expect(fetched.body).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', phone: '+44 20 7946 0958' });
      expect(fetched.body).toEqual(answer.body);
    });

    it('clears a field with null and leaves the others', async () => {
      await patchMe({ first_name: 'Ada', last_name: 'Lovelace', phone: '+44 20 7946 0958' });

      const answer = await patchMe({ phone: null, first_name: null });

      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({ first_name: null, last_name: 'Lovelace', phone: null });
      expect((await me(self.token)).body).toMatchObject({ first_name: null, last_name: 'Lovelace', phone: null });
    });

    it.each([
      ['role', { role: 'MANAGER' }],
      ['email', { email: 'elsewhere@example.com' }],
      ['status', { status: 'disabled' }],
      ['tenant_id', { tenant_id: 'demo-2' }],
      ['username', { username: 'someone' }],
      ['customer_id', { customer_id: 'c-1' }],
      ['permissions', { permissions: ['users:write'] }],
      ['nickname', { nickname: 'Ace' }],
    ])('refuses %s with 400 invalid_request and changes nothing', async (field, body) => {
      const before = (await me(self.token)).body;

      const answer = await patchMe({ first_name: 'Sneaky', ...body });

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toContain(field);
      expect((await me(self.token)).body).toEqual(before);
    });

    it.each(['call me', '12', '+', '555-CALL-NOW', '1'.repeat(40)])('refuses the phone %j with 400', async (phone) => {
      const answer = await patchMe({ phone });

      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toEqual(['phone']);
    });

    it('keeps the session: the same token still works after the change', async () => {
      await patchMe({ last_name: 'Byron' });

      expect((await me(self.token)).body.last_name).toBe('Byron');
    });
  });

  describe('audit events of the users API', () => {
    async function eventsAbout(userId: string, type: string) {
      const answer = await call(local.url, `/audit/events?user_id=${userId}&type=${type}`, { headers: asManager() });
      expect(answer.status, answer.text).toBe(200);
      return answer.body.items as Record<string, unknown>[];
    }

    it('records user.created, user.updated and user.disabled with actor_id the caller', async () => {
      const email = freshEmail('audited');
      const createdAnswer = await createUser(
        { email, role: 'CASHIER', password: PASSWORD },
        { ...asManager(), 'user-agent': 'users-suite/1.0', 'x-request-id': 'audit-create-1' },
      );
      const id = createdAnswer.body.id as string;
      await patchUser(id, { first_name: 'Audited' });
      await call(local.url, `/users/${id}`, { method: 'DELETE', headers: asManager() });

      const [createdEvents, updatedEvents, disabledEvents] = await Promise.all([
        eventsAbout(id, 'user.created'),
        eventsAbout(id, 'user.updated'),
        eventsAbout(id, 'user.disabled'),
      ]);

      expect(createdEvents).toEqual([
        {
          id: expect.any(String),
          time: expect.stringMatching(ISO_UTC_MS),
          type: 'user.created',
          outcome: 'success',
          reason: null,
          user_id: id,
          actor_id: manager.id,
          ip: expect.any(String),
          user_agent: 'users-suite/1.0',
          request_id: 'audit-create-1',
        },
      ]);
      expect(updatedEvents).toHaveLength(1);
      expect(updatedEvents[0]).toMatchObject({ type: 'user.updated', outcome: 'success', user_id: id, actor_id: manager.id });
      expect(disabledEvents).toHaveLength(1);
      expect(disabledEvents[0]).toMatchObject({ type: 'user.disabled', outcome: 'success', user_id: id, actor_id: manager.id });
      for (const event of [...createdEvents, ...updatedEvents, ...disabledEvents]) expect(JSON.stringify(event)).not.toContain(PASSWORD);
    });

    it('records the CASHIER as the actor of a user it created', async () => {
      const cashier = await login(local.url, 'cashier@example.com');
      const answer = await createUser({ email: freshEmail('by-cashier-audit'), role: 'CUSTOMER' }, bearer(cashier.access_token));

      const events = await eventsAbout(answer.body.id, 'user.created');

      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'user.created', user_id: answer.body.id, actor_id: cashier.user.id });
    });

    it('records a role change as user.updated by the caller', async () => {
      const user = await created('CASHIER');
      await patchUser(user.id, { role: 'CUSTOMER' });

      const events = await eventsAbout(user.id, 'user.updated');

      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ outcome: 'success', user_id: user.id, actor_id: manager.id });
    });

    it('records PATCH /auth/me as user.updated about the user, with no other actor', async () => {
      const user = await created('CASHIER');
      const session = await login(local.url, user.email, PASSWORD);
      await call(local.url, '/auth/me', { method: 'PATCH', headers: bearer(session.access_token), body: { first_name: 'Me' } });

      const events = await eventsAbout(user.id, 'user.updated');

      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'user.updated', user_id: user.id, actor_id: null });
    });
  });
});

describe('GET /users paging when users share one created_at', () => {
  // A clock that stands still: every user below is created in the same millisecond.
  const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
  let local: LocalEnvironment;
  let token: string;
  let managerId: string;
  const ids: string[] = [];

  beforeAll(async () => {
    local = await startTestServer({ clock });
    await addAccount({ email: 'tied-manager@example.com', password: PASSWORD, tenantId: 'tied', role: 'MANAGER' });
    const session = await login(local.url, 'tied-manager@example.com', PASSWORD);
    token = session.access_token;
    managerId = session.user.id;
    for (let i = 0; i < 7; i++) {
      const answer = await call(local.url, '/users', {
        headers: bearer(token),
        body: { email: `tied-${i}@example.com`, role: 'CUSTOMER' },
      });
      if (answer.status !== 201) throw new Error(`tied-${i}: ${answer.status} ${answer.text}`);
      ids.push(answer.body.id);
    }
  });
  afterAll(() => local.close());

  it.each([1, 2, 3])('walks every user exactly once with limit=%i', async (limit) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await call(local.url, `/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        headers: bearer(token),
      });
      expect(answer.status, answer.text).toBe(200);
      seen.push(...(answer.body.items as { id: string }[]).map((u) => u.id));
      cursor = answer.body.cursor;
    } while (cursor && ++pages < 20);

    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([managerId, ...ids].sort());
  });
});
