/**
 * The conventions of API.md on the session routes: route matching before
 * credentials (404, 405 with Allow), Cache-Control, X-Request-Id, and the two
 * /.well-known documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, decodeAccessToken, expectError, SAFE_REQUEST_ID, send, startSessionServer, utf8 } from '../fixtures/e2e.ts';
import { type Answer, type Call, call, demoPassword, login } from '../fixtures/local.ts';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer();
});

afterAll(async () => {
  await server?.close();
});

const credentials = { email: 'cashier@example.com', password: demoPassword };

describe('route matching', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/auth'],
    ['POST', '/auth/logins'],
    ['GET', '/auth/me/'],
    ['GET', '/auth/me/sessions'],
    ['GET', '/AUTH/ME'],
    ['GET', '/.well-known/jwks'],
    ['DELETE', '/.well-known/openid-configuration/x'],
  ])('answers 404 not_found to %s %s', async (method, path) => {
    // Act
    const answer = await call(server.url, path, { method });

    // Assess
    expectError(answer, 404, 'not_found');
    expect(answer.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });

  it.each([
    ['DELETE', '/auth/me', 'GET, PATCH'],
    ['PUT', '/auth/me', 'GET, PATCH'],
    ['GET', '/auth/login', 'POST'],
    ['PUT', '/auth/login', 'POST'],
    ['PATCH', '/auth/login', 'POST'],
    ['GET', '/auth/refresh', 'POST'],
    ['GET', '/auth/logout', 'POST'],
    ['DELETE', '/auth/logout', 'POST'],
    ['POST', '/.well-known/jwks.json', 'GET'],
    ['DELETE', '/.well-known/openid-configuration', 'GET'],
  ])('answers 405 method_not_allowed to %s %s with Allow: %s', async (method, path, allow) => {
    // Act
    const answer = await call(server.url, path, { method });

    // Assess
    expectError(answer, 405, 'method_not_allowed');
    expect(answer.body).toEqual({ error: 'method_not_allowed', message: expect.any(String) });
    expect(answer.headers.get('allow')).toBe(allow);
  });

  it('answers a wrong method on a protected path with 405 before looking for a credential', async () => {
    // Act
    const answer = await call(server.url, '/auth/me', { method: 'DELETE' });

    // Assess
    expectError(answer, 405, 'method_not_allowed');
    expect(answer.headers.get('allow')).toBe('GET, PATCH');
  });

  it('answers a wrong method with 405 whatever the credential and body', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const garbage = await call(server.url, '/auth/logout', { method: 'GET', headers: bearer('garbage') });
    const valid = await call(server.url, '/auth/me', { method: 'POST', headers: bearer(session.access_token), body: { all: true } });
    const untyped = await send(server.url, '/auth/me', { method: 'POST', body: utf8('not json') });

    // Assess
    expectError(garbage, 405, 'method_not_allowed');
    expectError(valid, 405, 'method_not_allowed');
    expectError(untyped, 405, 'method_not_allowed');
    expect((await call(server.url, '/auth/me', { headers: bearer(session.access_token) })).status).toBe(200);
  });

  it('answers an unknown path with 404 before looking for a credential, with or without one', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const without = await call(server.url, '/auth/profile');
    const garbage = await call(server.url, '/auth/profile', { headers: bearer('garbage') });
    const valid = await call(server.url, '/auth/profile', { headers: bearer(session.access_token) });

    // Assess
    for (const answer of [without, garbage, valid]) expectError(answer, 404, 'not_found');
  });

  it('ignores the query string when it matches a route', async () => {
    // Act
    const answer = await call(server.url, '/.well-known/jwks.json?format=pem');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.keys.length).toBeGreaterThan(0);
  });
});

describe('Cache-Control', () => {
  /** Each case names a request and the status it must get. */
  const requests: [string, number, () => Promise<Answer>][] = [
    ['a successful login', 200, () => call(server.url, '/auth/login', { body: credentials })],
    ['a login with a bad body', 400, () => call(server.url, '/auth/login', { body: { email: 'x' } })],
    ['a login with a wrong password', 401, () => call(server.url, '/auth/login', { body: { ...credentials, password: 'wrong' } })],
    ['a login over 16 KiB', 413, () => call(server.url, '/auth/login', { body: { ...credentials, password: 'x'.repeat(17_000) } })],
    ['a login sent as text/plain', 415, () => send(server.url, '/auth/login', { headers: { 'content-type': 'text/plain' }, body: '{}' })],
    [
      'a successful refresh',
      200,
      async () =>
        call(server.url, '/auth/refresh', { body: { refresh_token: (await login(server.url, 'cashier@example.com')).refresh_token } }),
    ],
    ['a refresh without a token', 400, () => call(server.url, '/auth/refresh', { method: 'POST' })],
    ['a refresh with an unknown token', 401, () => call(server.url, '/auth/refresh', { body: { refresh_token: 'unknown' } })],
    [
      'a successful /auth/me',
      200,
      async () => call(server.url, '/auth/me', { headers: bearer((await login(server.url, 'cashier@example.com')).access_token) }),
    ],
    ['/auth/me without a credential', 401, () => call(server.url, '/auth/me')],
    [
      'a successful logout',
      204,
      async () =>
        call(server.url, '/auth/logout', {
          method: 'POST',
          headers: bearer((await login(server.url, 'cashier@example.com')).access_token),
        }),
    ],
    ['a logout without a credential', 401, () => call(server.url, '/auth/logout', { method: 'POST' })],
    ['an unknown path', 404, () => call(server.url, '/nope')],
    ['a wrong method', 405, () => call(server.url, '/auth/me', { method: 'DELETE' })],
    ['a wrong method on a /.well-known document', 405, () => call(server.url, '/.well-known/jwks.json', { method: 'POST' })],
  ];

  it.each(requests)('is no-store on %s (%i)', async (_, status, request) => {
    // Act
    const answer = await request();

    // Assess
    expect(answer.status, answer.text).toBe(status);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it.each(['/.well-known/jwks.json', '/.well-known/openid-configuration'])(
    'is public, max-age=300 on a successful GET %s',
    async (path) => {
      // Act
      const answer = await call(server.url, path);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    },
  );
});

describe('X-Request-Id', () => {
  const longest = `${'a1.:_-'.repeat(21)}ab`;
  const tooLong = `${longest}c`;

  /** One request of each kind: success, 401, 404, 405, and a /.well-known document. */
  const kinds: [string, (headers: Record<string, string>) => Promise<Answer>][] = [
    ['a successful login', (headers) => call(server.url, '/auth/login', { body: credentials, headers })],
    ['a 401 on /auth/me', (headers) => call(server.url, '/auth/me', { headers })],
    ['a 404', (headers) => call(server.url, '/nope', { headers })],
    ['a 405', (headers) => call(server.url, '/auth/me', { method: 'DELETE', headers })],
    ['the JWKS', (headers) => call(server.url, '/.well-known/jwks.json', { headers })],
  ];

  it('is 128 characters long in the longest case below (a check of the test itself)', () => {
    expect([longest.length, tooLong.length]).toEqual([128, 129]);
  });

  describe.each(kinds)('on %s', (_, request) => {
    it.each([
      ['a plain id', 'req-123'],
      ['one character', 'a'],
      ['every allowed kind of character', 'Ab9._:-'],
      ['128 characters', longest],
    ])('echoes the caller’s X-Request-Id when it is %s', async (__, id) => {
      // Act
      const answer = await request({ 'x-request-id': id });

      // Assess
      expect(answer.headers.get('x-request-id')).toBe(id);
    });

    it('echoes the uuid header when there is no X-Request-Id', async () => {
      // Act
      const answer = await request({ uuid: '0f8fad5b-d9cb-469f-a165-70867728950e' });

      // Assess
      expect(answer.headers.get('x-request-id')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    });

    it('echoes the uuid header when X-Request-Id is unsafe', async () => {
      // Act
      const answer = await request({ 'x-request-id': 'has spaces', uuid: 'from-uuid' });

      // Assess
      expect(answer.headers.get('x-request-id')).toBe('from-uuid');
    });

    it('prefers X-Request-Id to uuid when both are safe', async () => {
      // Act
      const answer = await request({ 'x-request-id': 'from-request-id', uuid: 'from-uuid' });

      // Assess
      expect(answer.headers.get('x-request-id')).toBe('from-request-id');
    });

    it.each([
      ['spaces', { 'x-request-id': 'two words' }],
      ['129 characters', { 'x-request-id': tooLong }],
      ['markup', { 'x-request-id': '<script>alert(1)</script>' }],
      ['a slash and a quote', { 'x-request-id': 'a/b"c' }],
      ['unsafe in both headers', { 'x-request-id': 'a b', uuid: tooLong }],
      ['an empty value', { 'x-request-id': '' }],
    ])('generates one instead of echoing %s', async (__, headers) => {
      // Act
      const answer = await request(headers);

      // Assess
      const id = answer.headers.get('x-request-id');
      expect(id).toMatch(SAFE_REQUEST_ID);
      expect(Object.values(headers)).not.toContain(id);
    });

    it('generates a new one for each request without a usable id', async () => {
      // Act
      const [first, second] = await Promise.all([request({}), request({})]);

      // Assess
      expect(first.headers.get('x-request-id')).toMatch(SAFE_REQUEST_ID);
      expect(second.headers.get('x-request-id')).toMatch(SAFE_REQUEST_ID);
      expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
    });
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('lists public RS256 signing keys and never a private member', async () => {
    // Act
    const answer = await call(server.url, '/.well-known/jwks.json');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ keys: expect.any(Array) });
    expect(answer.body.keys.length).toBeGreaterThan(0);
    for (const key of answer.body.keys) {
      expect(key).toEqual({
        kty: 'RSA',
        n: expect.stringMatching(/^[A-Za-z0-9_-]{300,}$/),
        e: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        kid: expect.any(String),
        alg: 'RS256',
        use: 'sig',
      });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(key).not.toHaveProperty(member);
    }
    const kids = answer.body.keys.map((key: { kid: string }) => key.kid);
    expect(new Set(kids).size).toBe(kids.length);
  });

  it('holds the key that signed a fresh access token', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');

    // Act
    const answer = await call(server.url, '/.well-known/jwks.json');

    // Assess
    const { kid } = decodeAccessToken(session.access_token).header;
    expect(answer.body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
  });
});

describe('GET /.well-known/openid-configuration', () => {
  it('names the issuer of the access tokens and a jwks_uri that serves the JWKS', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');

    // Act
    const answer = await call(server.url, '/.well-known/openid-configuration');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({ issuer: server.url, jwks_uri: `${server.url}/.well-known/jwks.json` });
    expect(answer.body.issuer).toBe(decodeAccessToken(session.access_token).claims.iss);
    const jwks = await fetch(answer.body.jwks_uri);
    expect(jwks.status).toBe(200);
    expect(await jwks.json()).toEqual((await call(server.url, '/.well-known/jwks.json')).body);
  });
});

describe('every error of the session routes', () => {
  const errors: [string, number, string, Call & { path: string }][] = [
    ['login: missing fields', 400, 'invalid_request', { path: '/auth/login', body: {} }],
    ['login: wrong password', 401, 'invalid_credentials', { path: '/auth/login', body: { ...credentials, password: 'wrong' } }],
    ['refresh: unknown token', 401, 'invalid_grant', { path: '/auth/refresh', body: { refresh_token: 'unknown' } }],
    ['me: no credential', 401, 'unauthorized', { path: '/auth/me' }],
    ['logout: no credential', 401, 'unauthorized', { path: '/auth/logout', method: 'POST' }],
    ['unknown path', 404, 'not_found', { path: '/auth/nothing' }],
    ['wrong method', 405, 'method_not_allowed', { path: '/auth/refresh', method: 'PUT' }],
    ['login over 16 KiB', 413, 'payload_too_large', { path: '/auth/login', body: { email: 'x'.repeat(17_000) } }],
  ];

  it.each(errors)('%s: %i %s in the error shape, JSON, without a stack trace', async (_, status, error, { path, ...options }) => {
    // Act
    const answer = await call(server.url, path, options);

    // Assess
    expectError(answer, status, error);
    expect(Object.keys(answer.body).sort()).toEqual(['error', 'message', ...('details' in answer.body ? ['details'] : [])].sort());
  });
});
