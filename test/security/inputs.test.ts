/**
 * Inputs a client would never send: crafted page cursors, and email
 * addresses with control or format characters. Each is a 400 in the error
 * shape, on every route that takes one, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';
import { mailbox } from '../fixtures/mail.ts';
import { findUser } from '../fixtures/tables.ts';

let local: LocalEnvironment;
let manager: string;
beforeAll(async () => {
  local = await startTestServer({ env: { RESET_IP_LIMIT: '100000', RESET_EMAIL_LIMIT: '100000' } });
  manager = (await login(local.url, 'manager@example.com')).access_token;
});
afterAll(() => local.close());

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('GET /users with a crafted cursor', () => {
  const cases: [string, () => Promise<unknown>][] = [
    ['empty strings', async () => ({ pk: '', tenantId: '', createdAt: '' })],
    ['an empty user id', async () => ({ pk: 'USER#', tenantId: 'demo', createdAt: '2026-11-23T10:00:00.000Z' })],
    ['wrong types', async () => ({ pk: 1, tenantId: ['demo'], createdAt: null })],
    ['keys of another index', async () => ({ pk: 'USER#x', sk: 'SESSION#y' })],
    [
      'an unknown key besides the right ones',
      async () => ({
        pk: `USER#${(await findUser(local, 'agent@example.com')).id}`,
        tenantId: 'demo',
        createdAt: '2026-11-23T10:00:00.000Z',
        admin: true,
      }),
    ],
    [
      'another tenant’s keys, well formed',
      async () => {
        const other = await findUser(local, 'manager2@example.com');
        return { pk: `USER#${other.id}`, tenantId: 'demo-2', createdAt: (other as unknown as { createdAt: string }).createdAt };
      },
    ],
  ];

  it.each(cases)('refuses %s with 400 invalid_request naming the cursor', async (_, cursor) => {
    const answer = await call(local.url, `/users?cursor=${cursorOf(await cursor())}`, { headers: bearer(manager) });

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });

  it('still pages with the cursor it handed out', async () => {
    const first = await call(local.url, '/users?limit=1', { headers: bearer(manager) });
    const next = await call(local.url, `/users?limit=1&cursor=${first.body.cursor}`, { headers: bearer(manager) });

    expect(first.status).toBe(200);
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});

describe('emails with characters that show nothing, or another spelling of a domain', () => {
  const tricks: [string, string][] = [
    ['a NUL', 'acc\u0000x@example.com'],
    ['a bell', 'acc\u0007x@example.com'],
    ['a right-to-left override', 'acc\u202ex@example.com'],
    ['a zero-width space', 'acc\u200bx@example.com'],
    ['a zero-width joiner in the domain', 'accx@exa\u200dmple.com'],
    ['a line separator', 'acc\u2028x@example.com'],
    // Characters that show nothing though they are neither control nor format: Unicode's other default-ignorables.
    ['a combining grapheme joiner', 'manager\u034f@example.com'],
    ['a variation selector', 'manager\ufe0f@example.com'],
    ['a supplementary variation selector', 'manager\u{e0100}@example.com'],
    ['a Mongolian free variation selector', 'manager\u180b@example.com'],
    ['a Khmer inherent vowel', 'manager\u17b4@example.com'],
    ['a Hangul filler', 'manager\u3164@example.com'],
    ['a Hangul choseong filler', 'manager\u115f@example.com'],
    ['a blank braille pattern', 'manager\u2800@example.com'],
    ['a domain ending in a dot (the same mailbox as without it)', 'manager@example.com.'],
  ];

  const routes: [string, (email: string) => Promise<Awaited<ReturnType<typeof call>>>][] = [
    ['POST /auth/login', (email) => call(local.url, '/auth/login', { body: { email, password: 'whatever it is 1' } })],
    ['POST /auth/password/forgot', (email) => call(local.url, '/auth/password/forgot', { body: { email } })],
    [
      'POST /auth/password/reset',
      (email) => call(local.url, '/auth/password/reset', { body: { email, code: '123456', password: 'A new passphrase 2026' } }),
    ],
    [
      'POST /users',
      (email) =>
        call(local.url, '/users', { headers: bearer(manager), body: { email, role: 'CASHIER', password: 'A new passphrase 2026' } }),
    ],
  ];

  for (const [route, send] of routes) {
    it.each(tricks)(`${route} refuses an email with %s: 400, nothing sent or stored`, async (_, email) => {
      const mail = mailbox(local);
      const before = (await mail.all()).length;

      const answer = await send(email);

      expectError(answer, 400, 'invalid_request');
      expect((await mail.all()).length).toBe(before);
    });
  }
});

describe('text with a lone surrogate (valid JSON, no UTF-8 can say it)', () => {
  const cases: [string, () => Promise<Awaited<ReturnType<typeof call>>>, string][] = [
    [
      'POST /auth/login, in the email',
      () => call(local.url, '/auth/login', { body: { email: 'a\ud800@example.com', password: 'whatever it is 1' } }),
      'email',
    ],
    [
      'POST /auth/login, in the username',
      () => call(local.url, '/auth/login', { body: { username: 'pos\udc00', password: 'whatever it is 1' } }),
      'username',
    ],
    ['POST /auth/password/forgot', () => call(local.url, '/auth/password/forgot', { body: { email: 'a\ud800@example.com' } }), 'email'],
    [
      'POST /users, in first_name',
      () =>
        call(local.url, '/users', {
          headers: bearer(manager),
          body: { email: 'surrogate@example.com', role: 'CASHIER', password: 'A new passphrase 2026', first_name: 'Ann\ud83d' },
        }),
      'first_name',
    ],
    [
      'PATCH /auth/me, in last_name',
      () => call(local.url, '/auth/me', { method: 'PATCH', headers: bearer(manager), body: { last_name: '\udead' } }),
      'last_name',
    ],
  ];

  it.each(cases)('%s: 400 naming the field, nothing stored', async (_, send, field) => {
    const answer = await send();

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.details).toEqual([{ path: field, message: expect.stringContaining('lone surrogate') }]);
    const me = await call(local.url, '/auth/me', { headers: bearer(manager) });
    expect(me.body.last_name).not.toBe('\udead');
    const users = await call(local.url, '/users?limit=100', { headers: bearer(manager) });
    expect(users.body.items.map((u: { email: string }) => u.email)).not.toContain('surrogate@example.com');
  });

  it('takes a character outside the BMP, written as its surrogate pair', async () => {
    const answer = await call(local.url, '/auth/me', {
      method: 'PATCH',
      headers: bearer(manager),
      body: { last_name: 'Manager \ud83d\ude00' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.last_name).toBe('Manager 😀');
  });
});
