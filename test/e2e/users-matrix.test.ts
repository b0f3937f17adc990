/**
 * Who may manage whom (API.md, "Users (tenant-scoped)"), cell by cell: every
 * role against every users route and every kind of target. The expected
 * outcomes are written out from API.md's table, not derived from the code.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey, userKey } from '../../functions/core/records/keys.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer, type Answer } from '../fixtures/local.ts';
import { readItem } from '../fixtures/tables.ts';

type Role = 'MANAGER' | 'AGENT' | 'CASHIER' | 'CUSTOMER';
type Caller = Role | 'MANAGER2';
type Route = 'POST /users' | 'GET /users' | 'GET /users/{id}' | 'PATCH /users/{id}' | 'DELETE /users/{id}' | 'POST /users/{id}/unlock';
/**
 * own: a user the caller may manage (one it created; the CUSTOMER, which creates nobody, is given itself);
 * other: a user of the caller's tenant that someone else created;
 * other-tenant: a user of tenant `demo-2`; unknown: an id nobody has.
 * For POST /users, own is a role the caller may create, other is MANAGER (a body naming `tenant_id`
 * is an unknown field, 400, below).
 */
type Target = 'own' | 'other' | 'other-tenant' | 'unknown';
type Outcome = 'allowed' | 'forbidden' | 'not_found' | 'listed' | 'unlisted';

const roles: readonly Role[] = ['MANAGER', 'AGENT', 'CASHIER', 'CUSTOMER'];
const demoEmail: Record<Caller, string> = {
  MANAGER: 'manager@example.com',
  AGENT: 'agent@example.com',
  CASHIER: 'cashier@example.com',
  CUSTOMER: 'customer@example.com',
  MANAGER2: 'manager2@example.com',
};

// The rows of the matrix. A MANAGER manages its whole tenant; an AGENT and a CASHIER only what they created;
// a CUSTOMER has neither users:read nor users:write, so every users route is 403; unlock is MANAGER only.
const managesAll = { own: 'allowed', other: 'allowed', 'other-tenant': 'not_found', unknown: 'not_found' } as const;
const managesOwn = { own: 'allowed', other: 'forbidden', 'other-tenant': 'not_found', unknown: 'not_found' } as const;
const nobody = { own: 'forbidden', other: 'forbidden', 'other-tenant': 'forbidden', unknown: 'forbidden' } as const;

const matrix: Record<Role, Record<Route, Partial<Record<Target, Outcome>>>> = {
  MANAGER: {
    'POST /users': { own: 'allowed', other: 'allowed' },
    'GET /users': { own: 'listed', other: 'listed', 'other-tenant': 'unlisted' },
    'GET /users/{id}': managesAll,
    'PATCH /users/{id}': managesAll,
    'DELETE /users/{id}': managesAll,
    'POST /users/{id}/unlock': managesAll,
  },
  AGENT: {
    'POST /users': { own: 'allowed', other: 'forbidden' },
    'GET /users': { own: 'listed', other: 'unlisted', 'other-tenant': 'unlisted' },
    'GET /users/{id}': managesOwn,
    'PATCH /users/{id}': managesOwn,
    'DELETE /users/{id}': managesOwn,
    'POST /users/{id}/unlock': nobody,
  },
  CASHIER: {
    'POST /users': { own: 'allowed', other: 'forbidden' },
    'GET /users': { own: 'listed', other: 'unlisted', 'other-tenant': 'unlisted' },
    'GET /users/{id}': managesOwn,
    'PATCH /users/{id}': managesOwn,
    'DELETE /users/{id}': managesOwn,
    'POST /users/{id}/unlock': nobody,
  },
  CUSTOMER: {
    'POST /users': { own: 'forbidden', other: 'forbidden' },
    'GET /users': { own: 'forbidden', other: 'forbidden', 'other-tenant': 'forbidden' },
    'GET /users/{id}': nobody,
    'PATCH /users/{id}': nobody,
    'DELETE /users/{id}': nobody,
    'POST /users/{id}/unlock': nobody,
  },
};

/** The role of the users each caller creates as its "own" targets: one it may create. */
const ownRole: Record<Role, Role> = { MANAGER: 'AGENT', AGENT: 'CASHIER', CASHIER: 'CUSTOMER', CUSTOMER: 'CUSTOMER' };
/** Who creates the "other" target of each caller (same tenant, not the caller), and of which role. */
const otherCreator: Record<Role, { by: Caller; role: Role }> = {
  MANAGER: { by: 'AGENT', role: 'CUSTOMER' },
  AGENT: { by: 'MANAGER', role: 'CASHIER' },
  CASHIER: { by: 'AGENT', role: 'CUSTOMER' },
  CUSTOMER: { by: 'CASHIER', role: 'CUSTOMER' },
};

const TARGET_PASSWORD = 'Matrix target passphrase 9';
const LOCKOUT_THRESHOLD = 2;

const cells = roles.flatMap((role) =>
  (Object.entries(matrix[role]) as [Route, Partial<Record<Target, Outcome>>][]).flatMap(([route, row]) =>
    (Object.entries(row) as [Target, Outcome][]).map(([target, outcome]) => ({ role, route, target, outcome })),
  ),
);

/** The exact 403 body of API.md: `forbidden`, a message, and the caller's role. */
function expectForbidden(answer: Answer, role: Caller) {
  expect({ status: answer.status, body: answer.body }, answer.text).toEqual({
    status: 403,
    body: { error: 'forbidden', message: expect.any(String), role: role === 'MANAGER2' ? 'MANAGER' : role },
  });
}

function expectNotFound(answer: Answer) {
  expectError(answer, 404, 'not_found');
  expect(answer.body).toEqual({ error: 'not_found', message: 'Not found' });
}

/** The user object of API.md for a user created through POST /users. */
const createdUser = (expected: { email: string; role: Role; tenant: string; createdBy: string }) => ({
  id: expect.any(String),
  email: expected.email,
  username: null,
  role: expected.role,
  tenant_id: expected.tenant,
  customer_id: expected.role === 'CUSTOMER' ? expect.any(String) : null,
  first_name: null,
  last_name: null,
  phone: null,
  status: 'active',
  created_at: expect.any(String),
  created_by: expected.createdBy,
  last_login_at: null,
  email_status: null,
  permissions: expect.any(Array),
});

describe('users routes, role by route by target', () => {
  let local: LocalEnvironment;
  const tokens = {} as Record<Caller, string>;
  const ids = {} as Record<Caller, string>;
  let sequence = 0;

  beforeAll(async () => {
    local = await startTestServer({ env: { LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD), LOCKOUT_SECONDS: '900' } });
    for (const caller of Object.keys(demoEmail) as Caller[]) {
      const session = await login(local.url, demoEmail[caller]);
      tokens[caller] = session.access_token;
      ids[caller] = session.user.id;
    }
  });
  afterAll(() => local.close());

  const as = (caller: Caller) => bearer(tokens[caller]);
  const freshEmail = () => `matrix-${++sequence}@example.com`;

  /** A user created through the API by `creator`, so that `created_by` is right. */
  async function createAs(creator: Caller, role: Role, password?: string): Promise<{ id: string; email: string }> {
    const email = freshEmail();
    const answer = await call(local.url, '/users', { headers: as(creator), body: { email, role, ...(password ? { password } : {}) } });
    if (answer.status !== 201) throw new Error(`${creator} creating a ${role}: ${answer.status} ${answer.text}`);
    return { id: answer.body.id, email };
  }

  /** The target of a cell, made fresh for it: `email` only when it can log in. */
  async function targetFor(role: Role, target: Target, withPassword: boolean): Promise<{ id: string; email?: string }> {
    const password = withPassword ? TARGET_PASSWORD : undefined;
    switch (target) {
      case 'own':
        return role === 'CUSTOMER' ? { id: ids.CUSTOMER } : createAs(role, ownRole[role], password);
      case 'other':
        return createAs(otherCreator[role].by, otherCreator[role].role, password);
      case 'other-tenant':
        return createAs('MANAGER2', 'CUSTOMER', password);
      case 'unknown':
        return { id: randomUUID() };
    }
  }

  const attempt = (email: string, password: string) => call(local.url, '/auth/login', { body: { email, password } });
  const stored = async (id: string) => (await readItem(local, 'USERS_TABLE', userKey(id))) as Record<string, unknown> | undefined;

  /** Every page of GET /users for `caller`, or the first answer that is not a 200. */
  async function listAll(caller: Caller): Promise<{ refused: Answer | null; ids: string[] }> {
    const found: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = await call(local.url, `/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        headers: as(caller),
      });
      if (answer.status !== 200) return { refused: answer, ids: found };
      found.push(...(answer.body.items as { id: string }[]).map((item) => item.id));
      cursor = answer.body.cursor;
    } while (cursor);
    return { refused: null, ids: found };
  }

  describe.each(cells)('$role › $route › $target', ({ role, route, target, outcome }) => {
    it(`is ${outcome}`, async () => {
      if (route === 'POST /users') {
        // Prepare
        const email = freshEmail();
        const body = {
          email,
          role: target === 'other' ? 'MANAGER' : ownRole[role],
        };
        // Act
        const answer = await call(local.url, '/users', { headers: as(role), body });
        // Assess
        if (outcome === 'allowed') {
          expect(answer.status, answer.text).toBe(201);
          expect(answer.body).toEqual(createdUser({ email, role: body.role as Role, tenant: 'demo', createdBy: ids[role] }));
        } else {
          expectForbidden(answer, role);
          expect(await readItem(local, 'USERS_TABLE', emailKey(email))).toBeUndefined();
        }
        return;
      }

      const lockable = route === 'POST /users/{id}/unlock' && target !== 'unknown' && !(role === 'CUSTOMER' && target === 'own');
      const subject = await targetFor(role, target, lockable);
      if (lockable && subject.email) {
        for (let i = 0; i < LOCKOUT_THRESHOLD; i++) expect((await attempt(subject.email, `wrong-${i}`)).status).toBe(401);
        expectError(await attempt(subject.email, TARGET_PASSWORD), 429, 'account_locked');
      }

      if (route === 'GET /users') {
        const listed = await listAll(role);
        if (outcome === 'forbidden') {
          expectForbidden(listed.refused as Answer, role);
          return;
        }
        expect(listed.refused?.text ?? null).toBeNull();
        expect(listed.ids.includes(subject.id)).toBe(outcome === 'listed');
        expect(new Set(listed.ids).size).toBe(listed.ids.length);
        return;
      }

      const path = `/users/${subject.id}${route === 'POST /users/{id}/unlock' ? '/unlock' : ''}`;
      const method = route.split(' ')[0] as string;
      const before = await stored(subject.id);

      const answer = await call(local.url, path, {
        method,
        headers: as(role),
        ...(route === 'PATCH /users/{id}' ? { body: { first_name: 'Renamed' } } : {}),
      });

      if (outcome === 'forbidden') expectForbidden(answer, role);
      if (outcome === 'not_found') expectNotFound(answer);
      const after = await stored(subject.id);
      // What a refused call must leave as it was, and what an allowed one must change.
      switch (route) {
        case 'GET /users/{id}':
          if (outcome === 'allowed') {
            expect(answer.status).toBe(200);
            expect(answer.body).toMatchObject({ id: subject.id, status: 'active' });
            expect(answer.body).not.toHaveProperty('passwordHash');
          }
          break;
        case 'PATCH /users/{id}':
          if (outcome === 'allowed') {
            expect(answer.status, answer.text).toBe(200);
            expect(answer.body).toMatchObject({ id: subject.id, first_name: 'Renamed' });
            expect(after?.firstName).toBe('Renamed');
          } else {
            expect(after?.firstName ?? null).toBe(before?.firstName ?? null);
          }
          break;
        case 'DELETE /users/{id}':
          if (outcome === 'allowed') {
            expect(answer.status, answer.text).toBe(204);
            expect(answer.text).toBe('');
            expect(after?.status).toBe('disabled');
          } else if (before) {
            expect(after?.status).toBe('active');
          }
          break;
        case 'POST /users/{id}/unlock':
          if (outcome === 'allowed') {
            expect(answer.status, answer.text).toBe(204);
            if (subject.email) expect((await attempt(subject.email, TARGET_PASSWORD)).status).toBe(200);
          } else if (subject.email) {
            expectError(await attempt(subject.email, TARGET_PASSWORD), 429, 'account_locked');
          }
          break;
      }
    });
  });

  describe('nobody raises a role above what it may create, or changes its own', () => {
    it('refuses an AGENT creating a MANAGER with 403, and creates nobody', async () => {
      const email = freshEmail();

      const answer = await call(local.url, '/users', { headers: as('AGENT'), body: { email, role: 'MANAGER', password: TARGET_PASSWORD } });

      expectForbidden(answer, 'AGENT');
      expectError(await attempt(email, TARGET_PASSWORD), 401, 'invalid_credentials');
    });

    it.each([
      ['CASHIER', 'AGENT'],
      ['CASHIER', 'CASHIER'],
      ['CASHIER', 'MANAGER'],
      ['AGENT', 'MANAGER'],
    ] as const)('refuses a %s creating a %s with 403', async (caller, role) => {
      const answer = await call(local.url, '/users', { headers: as(caller), body: { email: freshEmail(), role } });

      expectForbidden(answer, caller);
    });

    it('lets an AGENT create an AGENT, a CASHIER and a CUSTOMER, and a CASHIER a CUSTOMER', async () => {
      const answers = await Promise.all([
        ...(['AGENT', 'CASHIER', 'CUSTOMER'] as const).map((role) =>
          call(local.url, '/users', { headers: as('AGENT'), body: { email: freshEmail(), role } }),
        ),
        call(local.url, '/users', { headers: as('CASHIER'), body: { email: freshEmail(), role: 'CUSTOMER' } }),
      ]);

      expect(answers.map((a) => [a.status, a.body.role, a.body.created_by])).toEqual([
        [201, 'AGENT', ids.AGENT],
        [201, 'CASHIER', ids.AGENT],
        [201, 'CUSTOMER', ids.AGENT],
        [201, 'CUSTOMER', ids.CASHIER],
      ]);
    });

    it('refuses an AGENT raising a CASHIER it created to MANAGER with 403, and the role stays', async () => {
      const cashier = await createAs('AGENT', 'CASHIER');

      const answer = await call(local.url, `/users/${cashier.id}`, { method: 'PATCH', headers: as('AGENT'), body: { role: 'MANAGER' } });

      expectForbidden(answer, 'AGENT');
      expect((await stored(cashier.id))?.role).toBe('CASHIER');
    });

    it('refuses a CASHIER raising a CUSTOMER it created to CASHIER with 403', async () => {
      const customer = await createAs('CASHIER', 'CUSTOMER');

      const answer = await call(local.url, `/users/${customer.id}`, { method: 'PATCH', headers: as('CASHIER'), body: { role: 'CASHIER' } });

      expectForbidden(answer, 'CASHIER');
      expect((await stored(customer.id))?.role).toBe('CUSTOMER');
    });

    it('lets an AGENT move a user it created between roles it may create; as a CUSTOMER it gets a customer_id', async () => {
      const cashier = await createAs('AGENT', 'CASHIER');

      const answer = await call(local.url, `/users/${cashier.id}`, { method: 'PATCH', headers: as('AGENT'), body: { role: 'CUSTOMER' } });

      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({ id: cashier.id, role: 'CUSTOMER', customer_id: expect.any(String) });
    });

    it('refuses a MANAGER changing its own role with 403, and it stays MANAGER', async () => {
      const answer = await call(local.url, `/users/${ids.MANAGER}`, { method: 'PATCH', headers: as('MANAGER'), body: { role: 'AGENT' } });

      expectForbidden(answer, 'MANAGER');
      expect((await stored(ids.MANAGER))?.role).toBe('MANAGER');
      expect((await call(local.url, '/auth/me', { headers: as('MANAGER') })).body).toMatchObject({ role: 'MANAGER' });
    });

    it('refuses an AGENT changing its own role through /users/{id} with 403', async () => {
      const answer = await call(local.url, `/users/${ids.AGENT}`, { method: 'PATCH', headers: as('AGENT'), body: { role: 'CASHIER' } });

      expectForbidden(answer, 'AGENT');
      expect((await stored(ids.AGENT))?.role).toBe('AGENT');
    });

    it('stops an AGENT managing a user it created once a manager raised it to MANAGER', async () => {
      const cashier = await createAs('AGENT', 'CASHIER');
      const raised = await call(local.url, `/users/${cashier.id}`, { method: 'PATCH', headers: as('MANAGER'), body: { role: 'MANAGER' } });
      expect(raised.status, raised.text).toBe(200);

      const get = await call(local.url, `/users/${cashier.id}`, { headers: as('AGENT') });
      const patch = await call(local.url, `/users/${cashier.id}`, { method: 'PATCH', headers: as('AGENT'), body: { role: 'CASHIER' } });
      const listed = await listAll('AGENT');

      expectForbidden(get, 'AGENT');
      expectForbidden(patch, 'AGENT');
      expect(listed.ids).not.toContain(cashier.id);
      expect((await stored(cashier.id))?.role).toBe('MANAGER');
    });
  });

  describe('users never change tenant', () => {
    it('refuses POST /users naming a tenant_id with 400, an unknown field, even from a MANAGER', async () => {
      const email = freshEmail();

      const answer = await call(local.url, '/users', {
        headers: as('MANAGER'),
        body: { email, role: 'CASHIER', tenant_id: 'demo-2', password: TARGET_PASSWORD },
      });

      expectError(answer, 400, 'invalid_request');
      expect(answer.body.details).toEqual([expect.objectContaining({ path: 'tenant_id' })]);
      expectError(await attempt(email, TARGET_PASSWORD), 401, 'invalid_credentials');
    });

    it('refuses PATCH /users/{id} naming a tenant_id with 400, an unknown field, and the user stays', async () => {
      const agent = await createAs('MANAGER', 'AGENT');

      const answer = await call(local.url, `/users/${agent.id}`, {
        method: 'PATCH',
        headers: as('MANAGER'),
        body: { tenant_id: 'demo-2' },
      });

      expectError(answer, 400, 'invalid_request');
      expect(answer.body.details).toEqual([expect.objectContaining({ path: 'tenant_id' })]);
      expect((await stored(agent.id))?.tenantId).toBe('demo');
    });

    it('answers 404 to a MANAGER of demo-2 for every user of demo', async () => {
      const answers = await Promise.all([
        call(local.url, `/users/${ids.AGENT}`, { headers: as('MANAGER2') }),
        call(local.url, `/users/${ids.AGENT}`, { method: 'PATCH', headers: as('MANAGER2'), body: { first_name: 'X' } }),
        call(local.url, `/users/${ids.AGENT}`, { method: 'DELETE', headers: as('MANAGER2') }),
        call(local.url, `/users/${ids.AGENT}/unlock`, { method: 'POST', headers: as('MANAGER2') }),
      ]);

      for (const answer of answers) expectNotFound(answer);
      expect((await stored(ids.AGENT))?.status).toBe('active');
    });
  });

  it('answers the seeded demo users by the same rules: the agent manages the cashier it created, the cashier the customer', async () => {
    const agentOnCashier = await call(local.url, `/users/${ids.CASHIER}`, { headers: as('AGENT') });
    const cashierOnCustomer = await call(local.url, `/users/${ids.CUSTOMER}`, { headers: as('CASHIER') });
    const cashierOnAgent = await call(local.url, `/users/${ids.AGENT}`, { headers: as('CASHIER') });
    const agentOnManager = await call(local.url, `/users/${ids.MANAGER}`, { headers: as('AGENT') });

    expect(agentOnCashier.status).toBe(200);
    expect(agentOnCashier.body).toMatchObject({ email: demoEmail.CASHIER, username: 'pos-001', created_by: ids.AGENT });
    expect(cashierOnCustomer.status).toBe(200);
    expect(cashierOnCustomer.body).toMatchObject({ email: demoEmail.CUSTOMER, created_by: ids.CASHIER });
    expectForbidden(cashierOnAgent, 'CASHIER');
    expectForbidden(agentOnManager, 'AGENT');
  });
});

describe('GET /users lists exactly the users the caller may manage', () => {
  let local: LocalEnvironment;
  const tokens = {} as Record<Caller, string>;
  const ids = {} as Record<Caller, string>;

  beforeAll(async () => {
    local = await startTestServer();
    for (const caller of Object.keys(demoEmail) as Caller[]) {
      const session = await login(local.url, demoEmail[caller]);
      tokens[caller] = session.access_token;
      ids[caller] = session.user.id;
    }
    // A known population: who created whom.
    const population: [Caller, Role, string][] = [
      ['MANAGER', 'AGENT', 'list-agent-by-manager@example.com'],
      ['MANAGER', 'CUSTOMER', 'list-customer-by-manager@example.com'],
      ['AGENT', 'AGENT', 'list-agent-by-agent@example.com'],
      ['AGENT', 'CASHIER', 'list-cashier-by-agent@example.com'],
      ['AGENT', 'CUSTOMER', 'list-customer-by-agent@example.com'],
      ['CASHIER', 'CUSTOMER', 'list-customer-by-cashier@example.com'],
      ['MANAGER2', 'CASHIER', 'list-cashier-by-manager2@example.com'],
    ];
    for (const [creator, role, email] of population) {
      const answer = await call(local.url, '/users', { headers: bearer(tokens[creator]), body: { email, role } });
      if (answer.status !== 201) throw new Error(`${creator} creating ${email}: ${answer.status} ${answer.text}`);
    }
  });
  afterAll(() => local.close());

  async function listedEmails(caller: Caller, limit: number): Promise<string[]> {
    const emails: string[] = [];
    let cursor: string | null = null;
    do {
      const answer = await call(local.url, `/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        headers: bearer(tokens[caller]),
      });
      expect(answer.status, answer.text).toBe(200);
      emails.push(...(answer.body.items as { email: string }[]).map((item) => item.email));
      cursor = answer.body.cursor;
    } while (cursor);
    return emails.sort();
  }

  it.each([
    [
      'MANAGER',
      'its whole tenant',
      [
        'agent@example.com',
        'cashier@example.com',
        'customer@example.com',
        'list-agent-by-agent@example.com',
        'list-agent-by-manager@example.com',
        'list-cashier-by-agent@example.com',
        'list-customer-by-agent@example.com',
        'list-customer-by-cashier@example.com',
        'list-customer-by-manager@example.com',
        'manager@example.com',
      ],
    ],
    [
      'AGENT',
      'only the users it created',
      ['cashier@example.com', 'list-agent-by-agent@example.com', 'list-cashier-by-agent@example.com', 'list-customer-by-agent@example.com'],
    ],
    ['CASHIER', 'only the customers it created', ['customer@example.com', 'list-customer-by-cashier@example.com']],
    ['MANAGER2', 'its own tenant only', ['list-cashier-by-manager2@example.com', 'manager2@example.com']],
  ] as const)('gives a %s %s', async (caller, _what, expected) => {
    expect(await listedEmails(caller, 100)).toEqual([...expected].sort());
    expect(await listedEmails(caller, 1)).toEqual([...expected].sort());
  });

  it('refuses a CUSTOMER with 403', async () => {
    const answer = await call(local.url, '/users', { headers: bearer(tokens.CUSTOMER) });

    expectForbidden(answer, 'CUSTOMER');
  });

  it('gives an AGENT nothing for a role filter it may not manage, and only its own for one it may', async () => {
    const managers = await call(local.url, '/users?role=MANAGER', { headers: bearer(tokens.AGENT) });
    const customers = await call(local.url, '/users?role=CUSTOMER', { headers: bearer(tokens.AGENT) });

    expect(managers.status).toBe(200);
    expect(managers.body).toEqual({ items: [], cursor: null });
    expect(customers.status).toBe(200);
    expect((customers.body.items as { email: string }[]).map((u) => u.email)).toEqual(['list-customer-by-agent@example.com']);
  });
});
