/**
 * POST /auth/login with bad input: every refusal is a 4xx in the error shape
 * of API.md, names what is wrong, and changes nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, detailPaths, expectError, send, startSessionServer, utf8 } from '../fixtures/e2e.ts';
import { call, demoPassword, login } from '../fixtures/local.ts';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer();
});

afterAll(async () => {
  await server?.close();
});

const postLogin = (body: unknown) => call(server.url, '/auth/login', { method: 'POST', body });

const postJsonText = (text: string, contentType = 'application/json') =>
  send(server.url, '/auth/login', { headers: { 'content-type': contentType }, body: text });

const email = 'manager@example.com';
const password = demoPassword;

describe('POST /auth/login input', () => {
  describe('400 invalid_request, with details naming the field', () => {
    it.each<[string, unknown, string[]]>([
      ['no password', { email }, ['password']],
      ['an empty password', { email, password: '' }, ['password']],
      ['no identifier', { password }, ['email']],
      ['an empty JSON object', {}, ['email']],
      ['an email that is a number', { email: 42, password }, ['email']],
      ['an email that is null', { email: null, password }, ['email']],
      ['a username that is an object', { username: { value: 'pos-001' }, password }, ['username']],
      ['a posId that is a number', { posId: 1, password }, ['posId']],
      ['a password that is an array', { email, password: [password] }, ['password']],
      ['a currentPassword that is a boolean', { email, currentPassword: true }, ['currentPassword']],
      ['an unknown field', { email, password, remember_me: true }, ['remember_me']],
      ['a tenant_id (login names no tenant)', { email, password, tenant_id: 'demo' }, ['tenant_id']],
      ['two unknown fields', { email, password, a: 1, b: 2 }, ['a', 'b']],
      ['a wrong type and an unknown field together', { email: 5, password, extra: 1 }, ['email', 'extra']],
      ['an email that is not an address', { email: 'not-an-email', password }, ['email']],
      ['an email with a space inside', { email: 'mana ger@example.com', password }, ['email']],
      ['an empty username', { username: '', password }, ['username']],
      ['an email of 1025 characters', { email: `${'a'.repeat(1013)}@example.com`, password }, ['email']],
      // NFKC makes U+FDFA eighteen characters and U+3300 four: neither may reach a DynamoDB key (2,048 bytes at most).
      ['a username that NFKC makes 2,034 characters long', { username: '\ufdfa'.repeat(113), password }, ['username']],
      ['a posId that NFKC makes 4,608 characters long', { posId: '\ufdfa'.repeat(256), password }, ['posId']],
      ['a posId of 256 characters that NFKC makes 1,024 (3,072 bytes)', { posId: '\u3300'.repeat(256), password }, ['posId']],
      ['a username of 65 characters', { username: 'a'.repeat(65), password }, ['username']],
      ['an email with a variation selector', { email: 'manager\ufe0f@example.com', password }, ['email']],
      ['an email whose domain ends in a dot', { email: 'manager@example.com.', password }, ['email']],
    ])('for %s', async (_, body, paths) => {
      // Act
      const answer = await postLogin(body);

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer)).toEqual(expect.arrayContaining(paths));
      expect(detailPaths(answer).every((path) => paths.includes(path))).toBe(true);
    });

    it('answers an invalid email as API.md shows it', async () => {
      // Act
      const answer = await postLogin({ email: 'not-an-email', password });

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(answer.body).toEqual({
        error: 'invalid_request',
        message: 'email must be a valid email address',
        details: [{ path: 'email', message: 'Invalid email address' }],
      });
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['password and its alias currentPassword', { email, password, currentPassword: password }, ['password', 'currentPassword']],
      ['username and its alias posId', { username: 'pos-001', posId: 'pos-001', password }, ['username', 'posId']],
      ['both email and username', { email: 'cashier@example.com', username: 'pos-001', password }, ['email', 'username']],
      ['both email and posId', { email: 'cashier@example.com', posId: 'pos-001', password }, ['email', 'posId']],
    ])('for %s, even when they agree', async (_, body, fields) => {
      // Act
      const answer = await postLogin(body);

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(detailPaths(answer).length).toBeGreaterThan(0);
      expect(detailPaths(answer).every((path) => fields.includes(path))).toBe(true);
    });
  });

  describe('400 invalid_request for a body that is not a JSON object', () => {
    it.each([
      ['empty', ''],
      ['a JSON array', '[]'],
      ['an array holding the credentials', JSON.stringify([{ email, password }])],
      ['a JSON string', '"x"'],
      ['a JSON number', '42'],
      ['JSON true', 'true'],
      ['JSON null', 'null'],
      ['broken JSON', '{"email": "manager@example.com", "password": '],
      ['JSON with single quotes', "{'email': 'manager@example.com'}"],
      ['a __proto__ key', `{"__proto__": {"admin": true}, "email": "${email}", "password": "${password}"}`],
    ])('when the body is %s', async (_, text) => {
      // Act
      const answer = await postJsonText(text);

      // Assess
      expectError(answer, 400, 'invalid_request');
    });

    it.each([
      ['at the top level', `{"__proto__": {"admin": true}, "email": "${email}", "password": "${password}"}`],
      ['inside a field', `{"email": {"__proto__": 1}, "password": "${password}"}`],
      [
        'as a constructor with a prototype',
        `{"constructor": {"prototype": {"admin": true}}, "email": "${email}", "password": "${password}"}`,
      ],
    ])('says which keys are not allowed when the body holds a prototype key %s', async (_, text) => {
      // Act
      const answer = await postJsonText(text);

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(answer.body.message).toBe('The request body holds a key that is not allowed (__proto__, or constructor with a prototype)');
    });

    it('never reads credentials from the query string', async () => {
      // Act
      const answer = await send(server.url, `/auth/login?${new URLSearchParams({ email, password })}`, {});

      // Assess
      expectError(answer, 400, 'invalid_request');
      expect(answer.headers.get('x-access-token')).toBeNull();
    });

    it('when there is no body at all', async () => {
      // Act
      const answer = await send(server.url, '/auth/login', {});

      // Assess
      expectError(answer, 400, 'invalid_request');
    });
  });

  describe('media type', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx'])(
      'answers 415 unsupported_media_type to a body sent as %s',
      async (contentType) => {
        // Act
        const answer = await postJsonText(JSON.stringify({ email, password }), contentType);

        // Assess
        expectError(answer, 415, 'unsupported_media_type');
      },
    );

    it('answers 415 unsupported_media_type to a body sent without Content-Type', async () => {
      // Act
      const answer = await send(server.url, '/auth/login', { body: utf8(JSON.stringify({ email, password })) });

      // Assess
      expectError(answer, 415, 'unsupported_media_type');
    });

    it.each(['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'])(
      'accepts %s',
      async (contentType) => {
        // Act
        const answer = await postJsonText(JSON.stringify({ email, password }), contentType);

        // Assess
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body.user.email).toBe(email);
      },
    );
  });

  describe('size', () => {
    it('answers 413 payload_too_large to a body over 16 KiB', async () => {
      // Act
      const answer = await postLogin({ email, password: 'x'.repeat(16 * 1024) });

      // Assess
      expectError(answer, 413, 'payload_too_large');
    });

    it('reads a body of exactly 16 KiB (and refuses its overlong field with 400, not 413)', async () => {
      // Prepare
      const frame = JSON.stringify({ email, password: '' });
      const exact = JSON.stringify({ email, password: 'x'.repeat(16 * 1024 - frame.length) });
      const over = JSON.stringify({ email, password: 'x'.repeat(16 * 1024 - frame.length + 1) });
      expect([Buffer.byteLength(exact), Buffer.byteLength(over)]).toEqual([16 * 1024, 16 * 1024 + 1]);

      // Act
      const atLimit = await postJsonText(exact);
      const overLimit = await postJsonText(over);

      // Assess
      expectError(atLimit, 400, 'invalid_request');
      expect(detailPaths(atLimit)).toEqual(['password']);
      expectError(overLimit, 413, 'payload_too_large');
    });

    it('counts the bytes of a body that is not UTF-8 exactly: 16 KiB of them is read, and refused as not JSON', async () => {
      // Prepare: bytes that are not UTF-8 reach the handler base64-encoded, as API Gateway sends them.
      const bytes = new Uint8Array(16 * 1024).fill(0xff);

      // Act
      const answer = await send(server.url, '/auth/login', { headers: { 'content-type': 'application/json' }, body: bytes });

      // Assess
      expectError(answer, 400, 'invalid_request');
    });

    it('refuses 16 KiB + 1 bytes that are not UTF-8 as too large', async () => {
      // Prepare
      const bytes = new Uint8Array(16 * 1024 + 1).fill(0xff);

      // Act
      const answer = await send(server.url, '/auth/login', { headers: { 'content-type': 'application/json' }, body: bytes });

      // Assess
      expectError(answer, 413, 'payload_too_large');
    });

    it('counts bytes, not characters', async () => {
      // Prepare: 6,000 three-byte characters are 18,000 bytes.
      const body = { email, password: '€'.repeat(6000) };

      // Act
      const answer = await postLogin(body);

      // Assess
      expectError(answer, 413, 'payload_too_large');
    });
  });

  describe('a refused login changes nothing', () => {
    it('records no login and keeps the user’s sessions when the right password comes with a bad body', async () => {
      // Prepare
      const session = await login(server.url, 'agent@example.com');
      const before = await call(server.url, '/auth/me', { headers: bearer(session.access_token) });

      // Act
      const refused = [
        await postLogin({ email: 'agent@example.com', password, remember_me: true }),
        await postLogin({ email: 'agent@example.com', password, currentPassword: password }),
        await postJsonText(JSON.stringify({ email: 'agent@example.com', password }), 'text/plain'),
        await postLogin({ email: 'agent@example.com', password: 'wrong password' }),
      ];

      // Assess
      expect(refused.map((answer) => answer.status)).toEqual([400, 400, 415, 401]);
      for (const answer of refused) {
        expect(answer.headers.get('x-access-token')).toBeNull();
        expect(answer.headers.get('x-refresh-token')).toBeNull();
      }
      const after = await call(server.url, '/auth/me', { headers: bearer(session.access_token) });
      expect(after.status).toBe(200);
      expect(after.body.last_login_at).toBe(before.body.last_login_at);
      expect((await call(server.url, '/auth/refresh', { body: { refresh_token: session.refresh_token } })).status).toBe(200);
    });
  });

  describe('any JSON object', () => {
    const knownField = fc.constantFrom('email', 'username', 'posId', 'password', 'currentPassword');
    const anyKey = fc.oneof(knownField, knownField, fc.string({ maxLength: 12 }));
    const anyValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('manager@example.com', 'pos-001', 'bWFuYWdlckBleGFtcGxlLmNvbQ==', 'Manager@Example.com ', ''),
    );

    it('gets a 400 or 401 in the error shape, never a 5xx or a stack trace', async () => {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(anyKey, anyValue, { maxKeys: 5 }), async (body) => {
          // Act
          const answer = await postLogin(body);

          // Assess
          expect([400, 401], answer.text).toContain(answer.status);
          expectError(answer, answer.status, answer.status === 400 ? 'invalid_request' : 'invalid_credentials');
        }),
        { numRuns: 50 },
      );
    });
  });
});
