/**
 * A session as a client lives it: the access token on GET /auth/me, what the
 * token says and how a downstream service verifies it, and POST /auth/logout.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { bearer, challenge, decodeAccessToken, expectDemoUser, expectError, send, startSessionServer, utf8 } from '../fixtures/e2e.ts';
import { call, login } from '../fixtures/local.ts';
import { signWithServerKey } from '../fixtures/server-keys.ts';
import { openDirectSession } from '../fixtures/direct-sessions.ts';
import { addAccount } from '../fixtures/accounts.ts';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer();
});

afterAll(async () => {
  await server?.close();
});

const me = (headers: Record<string, string> = {}, path = '/auth/me') => call(server.url, path, { headers });

const logout = (headers: Record<string, string>, body?: unknown) => call(server.url, '/auth/logout', { method: 'POST', headers, body });

const refresh = (refreshToken: string) => call(server.url, '/auth/refresh', { body: { refresh_token: refreshToken } });

const UNAUTHORIZED = { error: 'unauthorized', message: expect.any(String) };

describe('GET /auth/me', () => {
  it.each([
    ['Authorization: Bearer', (token: string) => ({ authorization: `Bearer ${token}` })],
    ['Authorization: bearer (the scheme in any case)', (token: string) => ({ authorization: `bearer ${token}` })],
    ['X-Access-Token', (token: string) => ({ 'x-access-token': token })],
    ['X-Auth-Token', (token: string) => ({ 'x-auth-token': token })],
  ])('answers the caller’s user object for an access token in %s', async (_, headers) => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const answer = await me(headers(session.access_token));

    // Assess
    expect(answer.status).toBe(200);
    expectDemoUser(answer.body, { email: 'cashier@example.com', role: 'CASHIER', tenant_id: 'demo', username: 'pos-001' });
    expect(answer.body).toEqual(session.user);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers for a session opened before sessions carried their user, by reading the user', async () => {
    // Prepare: a session item without the user's copy, as older deployments wrote them
    const session = await openDirectSession(server, 'cashier@example.com');

    // Act
    const answer = await me(bearer(session.accessToken));

    // Assess
    expect(answer.status, answer.text).toBe(200);
    expectDemoUser(answer.body, { email: 'cashier@example.com', role: 'CASHIER', tenant_id: 'demo', username: 'pos-001' });
  });

  it('answers the profile as a PATCH /auth/me left it, from the session’s copy', async () => {
    // Prepare
    const email = 'renamed-before-me@example.com';
    await addAccount({ email, password: 'Renamed passphrase 2026' });
    const session = await login(server.url, email, 'Renamed passphrase 2026');
    const other = await login(server.url, email, 'Renamed passphrase 2026');
    const changed = await call(server.url, '/auth/me', {
      method: 'PATCH',
      headers: bearer(session.access_token),
      body: { last_name: 'Lovelace' },
    });
    expect(changed.status, changed.text).toBe(200);

    // Act
    const [mine, theirs] = await Promise.all([me(bearer(session.access_token)), me(bearer(other.access_token))]);

    // Assess
    expect(mine.body).toEqual(changed.body);
    expect(theirs.body).toMatchObject({ id: changed.body.id, last_name: 'Lovelace' });
  });

  it('answers each user with its own object', async () => {
    // Prepare
    const manager = await login(server.url, 'manager2@example.com');
    const customer = await login(server.url, 'customer@example.com');

    // Act
    const [managerMe, customerMe] = await Promise.all([me(bearer(manager.access_token)), me(bearer(customer.access_token))]);

    // Assess
    expectDemoUser(managerMe.body, { email: 'manager2@example.com', role: 'MANAGER', tenant_id: 'demo-2' });
    expectDemoUser(customerMe.body, { email: 'customer@example.com', role: 'CUSTOMER', tenant_id: 'demo' });
  });

  it('answers 401 unauthorized without a credential', async () => {
    // Act
    const answer = await me();

    // Assess
    expectError(answer, 401, 'unauthorized');
    expect(answer.body).toEqual(UNAUTHORIZED);
  });

  describe('WWW-Authenticate on a 401 (RFC 6750 §3): no credential, an expired one, or any other, and nothing finer', () => {
    const now = () => Math.floor(Date.now() / 1000);
    /** The claims of a fresh session of the cashier, and a logged-out one's. */
    async function sessions() {
      const live = await login(server.url, 'cashier@example.com');
      const loggedOut = await login(server.url, 'cashier@example.com');
      expect((await logout(bearer(loggedOut.access_token), {})).status).toBe(204);
      return {
        live,
        loggedOut,
        claims: decodeAccessToken(live.access_token).claims,
        endedClaims: decodeAccessToken(loggedOut.access_token).claims,
      };
    }

    /** Each answer is 401 with API.md's one body; only the challenge differs. */
    function expectChallenges(answers: Awaited<ReturnType<typeof me>>[], expected: string) {
      for (const answer of answers) {
        expectError(answer, 401, 'unauthorized');
        expect(answer.body).toEqual({ error: 'unauthorized', message: 'A valid credential is required' });
        expect(answer.headers.get('www-authenticate'), answer.text).toBe(expected);
      }
    }

    it('names only the scheme, no error code, when the request carries no credential (§3.1)', async () => {
      // Act
      const answers = await Promise.all([
        me(),
        me({ authorization: 'Bearer ' }),
        me({ 'x-access-token': '  ' }),
        me({ authorization: `Basic ${Buffer.from('manager@example.com:LocalDemo#2026').toString('base64')}` }),
      ]);

      // Assess
      expectChallenges(answers, challenge.none);
    });

    it('says the credential expired for a well-signed access token past its exp and the 5 s of skew, in any header', async () => {
      // Prepare: expired tokens of a live session and of a logged-out one answer alike, so expiry tells nothing of revocation.
      const { claims, endedClaims } = await sessions();
      const expired = await signWithServerKey(server, { ...claims, jti: randomUUID(), iat: now() - 900, exp: now() - 10 });
      const expiredOfEnded = await signWithServerKey(server, { ...endedClaims, jti: randomUUID(), iat: now() - 900, exp: now() - 60 });

      // Act
      const answers = await Promise.all([
        me(bearer(expired)),
        me({ 'x-access-token': expired }),
        me({ 'x-auth-token': expired }),
        me(bearer(expiredOfEnded)),
      ]);

      // Assess
      expectChallenges(answers, challenge.expired);
    });

    it('gives one generic description to every other refusal: revoked, forged, unknown, malformed, wrong type', async () => {
      // Prepare
      const { live, loggedOut, claims } = await sessions();
      const [header, payload] = live.access_token.split('.');
      const past = { iat: now() - 900, exp: now() - 60 };
      const { privateKey } = await generateKeyPair('RS256');
      const { kid } = decodeAccessToken(live.access_token).header;
      const forgedExpired = await new SignJWT({ ...claims, ...past })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
        .sign(privateKey);

      // Act
      const answers = await Promise.all([
        me(bearer(loggedOut.access_token)), // revoked by logout, not yet expired
        me(bearer(`${header}.${payload}.c2lnbmF0dXJl`)), // bad signature
        me(bearer(forgedExpired)), // expired, but not signed by us: a forger learns nothing from "expired"
        me(bearer(await signWithServerKey(server, { ...claims, ...past, aud: 'another-api' }))), // expired, for another audience
        me(bearer(await signWithServerKey(server, { ...claims, ...past }, { typ: 'JWT' }))), // expired, of another type
        me(bearer(await signWithServerKey(server, { ...claims, sid: 'AAAAAAAAAAAAAAAAAAAAAA' }))), // unknown session
        me(bearer(live.refresh_token)), // a refresh token
        me(bearer('garbage')),
        me(bearer('a'.repeat(20_000))), // over the length any token of ours has
        me({ 'x-auth-token': 'sat_000000000000000000000000_0000000000000000000000000000000000000000000000000000000000000000deadbeef' }),
      ]);

      // Assess
      expectChallenges(answers, challenge.invalid);
      expect((await me(bearer(live.access_token))).status).toBe(200);
    });
  });

  it.each(['access_token', 'token', 'x-access-token', 'authorization', 'X-Auth-Token'])(
    'never takes the credential from the query string (?%s=)',
    async (name) => {
      // Prepare
      const session = await login(server.url, 'cashier@example.com');
      const value = name === 'authorization' ? `Bearer ${session.access_token}` : session.access_token;

      // Act
      const answer = await me({}, `/auth/me?${new URLSearchParams({ [name]: value })}`);

      // Assess
      expectError(answer, 401, 'unauthorized');
    },
  );

  describe('refuses a credential that is not a live access token of this API', () => {
    /** Claims of a real session, for tokens signed with the server's key. */
    async function realClaims() {
      const session = await login(server.url, 'agent@example.com');
      return { session, claims: decodeAccessToken(session.access_token).claims };
    }
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts a token signed with the server key and right claims (the control of the cases below)', async () => {
      // Prepare
      const { claims } = await realClaims();
      const token = await signWithServerKey(server, { ...claims, jti: randomUUID() });

      // Act
      const answer = await me(bearer(token));

      // Assess
      expect(answer.status).toBe(200);
    });

    it.each<[string, () => Promise<Record<string, string>>]>([
      ['garbage as a Bearer token', async () => bearer('garbage')],
      ['garbage in X-Auth-Token', async () => ({ 'x-auth-token': 'not-an-api-token' })],
      ['an empty Bearer', async () => ({ authorization: 'Bearer ' })],
      [
        'a Basic credential',
        async () => ({ authorization: `Basic ${Buffer.from('manager@example.com:LocalDemo#2026').toString('base64')}` }),
      ],
      ['a refresh token', async () => bearer((await login(server.url, 'agent@example.com')).refresh_token)],
      [
        'a token whose payload was edited (signature no longer matches)',
        async () => {
          const [header, payload, signature] = (await login(server.url, 'agent@example.com')).access_token.split('.');
          const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
          const edited = Buffer.from(JSON.stringify({ ...claims, role: 'MANAGER' })).toString('base64url');
          return bearer(`${header}.${edited}.${signature}`);
        },
      ],
      [
        'an expired token, well signed',
        async () => {
          const { claims } = await realClaims();
          return bearer(await signWithServerKey(server, { ...claims, iat: now() - 1000, exp: now() - 60 }));
        },
      ],
      [
        'a token expired 10 s ago, beyond the 5 s of allowed clock skew, well signed',
        async () => {
          const { claims } = await realClaims();
          return bearer(await signWithServerKey(server, { ...claims, iat: now() - 300, exp: now() - 10 }));
        },
      ],
      [
        'a token signed by another key under the server’s kid',
        async () => {
          const { session, claims } = await realClaims();
          const { kid } = decodeAccessToken(session.access_token).header;
          const { privateKey } = await generateKeyPair('RS256');
          return bearer(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' }).sign(privateKey));
        },
      ],
      [
        'a token for another audience, well signed',
        async () => bearer(await signWithServerKey(server, { ...(await realClaims()).claims, aud: 'another-api' })),
      ],
      [
        'a token from another issuer, well signed',
        async () => bearer(await signWithServerKey(server, { ...(await realClaims()).claims, iss: 'https://elsewhere.example' })),
      ],
      [
        'a token of another type (typ: JWT), well signed',
        async () => bearer(await signWithServerKey(server, (await realClaims()).claims, { typ: 'JWT' })),
      ],
      [
        'a token of a session that does not exist, well signed',
        async () => bearer(await signWithServerKey(server, { ...(await realClaims()).claims, sid: 'AAAAAAAAAAAAAAAAAAAAAA' })),
      ],
      [
        'an unsigned token (alg: none)',
        async () => {
          const { claims } = await realClaims();
          const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
          return bearer(`${part({ alg: 'none', typ: 'at+jwt' })}.${part(claims)}.`);
        },
      ],
    ])('answers 401 unauthorized to %s', async (_, credential) => {
      // Prepare
      const headers = await credential();

      // Act
      const answer = await me(headers);

      // Assess
      expectError(answer, 401, 'unauthorized');
      expect(answer.body).toEqual(UNAUTHORIZED);
    });
  });
});

describe('POST /auth/logout', () => {
  it('answers 204 and revokes the session: its access token and refresh token stop at once', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');

    // Act
    const answer = await logout(bearer(session.access_token));

    // Assess
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
    expectError(await refresh(session.refresh_token), 401, 'invalid_grant');
  });

  it('also revokes the access tokens that refreshes of the session gave', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');
    const refreshed = await refresh(session.refresh_token);
    expect(refreshed.status).toBe(200);

    // Act
    const answer = await logout(bearer(session.access_token));

    // Assess
    expect(answer.status).toBe(204);
    expectError(await me(bearer(refreshed.body.access_token)), 401, 'unauthorized');
    expectError(await refresh(refreshed.body.refresh_token), 401, 'invalid_grant');
  });

  it('leaves the user’s other sessions alone', async () => {
    // Prepare
    const leaving = await login(server.url, 'customer@example.com');
    const staying = await login(server.url, 'customer@example.com');

    // Act
    const answer = await logout(bearer(leaving.access_token));

    // Assess
    expect(answer.status).toBe(204);
    expect((await me(bearer(staying.access_token))).status).toBe(200);
    expect((await refresh(staying.refresh_token)).status).toBe(200);
  });

  it.each([
    ['X-Access-Token', (token: string) => ({ 'x-access-token': token })],
    ['X-Auth-Token', (token: string) => ({ 'x-auth-token': token })],
  ])('takes the access token in %s too', async (_, headers) => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');

    // Act
    const answer = await logout(headers(session.access_token));

    // Assess
    expect(answer.status).toBe(204);
    expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
  });

  it('accepts an empty JSON object and {"all": false} as a logout of this session only', async () => {
    // Prepare
    const first = await login(server.url, 'manager2@example.com');
    const second = await login(server.url, 'manager2@example.com');
    const other = await login(server.url, 'manager2@example.com');

    // Act
    const withEmptyObject = await logout(bearer(first.access_token), {});
    const withAllFalse = await logout(bearer(second.access_token), { all: false });

    // Assess
    expect([withEmptyObject.status, withAllFalse.status]).toEqual([204, 204]);
    expectError(await me(bearer(first.access_token)), 401, 'unauthorized');
    expectError(await me(bearer(second.access_token)), 401, 'unauthorized');
    expect((await me(bearer(other.access_token))).status).toBe(200);
  });

  it('revokes every session of the user with {"all": true}, and no one else’s', async () => {
    // Prepare
    const phone = await login(server.url, 'agent@example.com');
    const laptop = await login(server.url, 'agent@example.com');
    const colleague = await login(server.url, 'manager@example.com');

    // Act
    const answer = await logout(bearer(phone.access_token), { all: true });

    // Assess
    expect(answer.status).toBe(204);
    for (const session of [phone, laptop]) {
      expectError(await me(bearer(session.access_token)), 401, 'unauthorized');
      expectError(await refresh(session.refresh_token), 401, 'invalid_grant');
    }
    expect((await me(bearer(colleague.access_token))).status).toBe(200);
    expect((await login(server.url, 'agent@example.com')).access_token).toEqual(expect.any(String));
  });

  it('answers 401 unauthorized without a credential', async () => {
    // Act
    const answer = await logout({});

    // Assess
    expectError(answer, 401, 'unauthorized');
    expect(answer.body).toEqual(UNAUTHORIZED);
  });

  it('answers 401 unauthorized to a garbage credential', async () => {
    // Act
    const answer = await logout(bearer('garbage'), { all: true });

    // Assess
    expectError(answer, 401, 'unauthorized');
  });

  it('answers 401 unauthorized to the access token of a session already logged out', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');
    expect((await logout(bearer(session.access_token))).status).toBe(204);

    // Act
    const answer = await logout(bearer(session.access_token));

    // Assess
    expectError(answer, 401, 'unauthorized');
  });

  it.each<[string, unknown, string[]]>([
    ['all that is not a boolean', { all: 'yes' }, ['all']],
    ['an unknown field', { all: true, everywhere: true }, ['everywhere']],
  ])('answers 400 invalid_request to %s and keeps the session', async (_, body, paths) => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const answer = await logout(bearer(session.access_token), body);

    // Assess
    const error = expectError(answer, 400, 'invalid_request');
    expect(error.details?.map((d) => d.path)).toEqual(paths);
    expect((await me(bearer(session.access_token))).status).toBe(200);
    expect((await refresh(session.refresh_token)).status).toBe(200);
  });

  it('answers 415 to a body that is not sent as JSON and keeps the session', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const plain = await send(server.url, '/auth/logout', {
      headers: { ...bearer(session.access_token), 'content-type': 'text/plain' },
      body: '{"all":true}',
    });
    const untyped = await send(server.url, '/auth/logout', { headers: bearer(session.access_token), body: utf8('{"all":true}') });

    // Assess
    expectError(plain, 415, 'unsupported_media_type');
    expectError(untyped, 415, 'unsupported_media_type');
    expect((await me(bearer(session.access_token))).status).toBe(200);
  });
});

describe('access tokens', () => {
  it('are RS256 JWTs of type at+jwt whose kid is in the JWKS', async () => {
    // Prepare
    const session = await login(server.url, 'manager@example.com');

    // Act
    const { header } = decodeAccessToken(session.access_token);
    const jwks = await call(server.url, '/.well-known/jwks.json');

    // Assess
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    expect((jwks.body.keys as { kid: string }[]).map((key) => key.kid)).toContain(header.kid);
  });

  it('carry iss, aud, sub, iat, exp, jti, sid, role, tenant_id and permissions', async () => {
    // Prepare
    const session = await login(server.url, 'cashier@example.com');

    // Act
    const { claims } = decodeAccessToken(session.access_token);

    // Assess
    expect(claims).toEqual({
      iss: server.url,
      aud: 'serverless-auth',
      sub: session.user.id,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      sid: expect.any(String),
      role: 'CASHIER',
      tenant_id: 'demo',
      permissions: session.user.permissions,
    });
  });

  it('say in the body when they expire: expires_at is exp and expires_in is exp − iat, at most ACCESS_TOKEN_TTL (900 s)', async () => {
    // Prepare
    const session = await login(server.url, 'manager@example.com');

    // Act
    const { claims } = decodeAccessToken(session.access_token);

    // Assess
    const body = session as unknown as { expires_in: number };
    expect(Date.parse(session.expires_at)).toBe(claims.exp! * 1000);
    expect(body.expires_in).toBe(claims.exp! - claims.iat!);
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.expires_in).toBeLessThanOrEqual(900);
  });

  it('never expire past the session’s refresh_expires_at, from login or from refresh', async () => {
    // Prepare
    const session = await login(server.url, 'manager@example.com');

    // Act
    const refreshed = await refresh(session.refresh_token);

    // Assess
    expect(refreshed.status).toBe(200);
    for (const body of [session, refreshed.body as typeof session]) {
      const { claims } = decodeAccessToken(body.access_token);
      expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.parse(body.refresh_expires_at));
      expect(claims.exp).toBe(Math.min(claims.iat! + 900, Date.parse(body.refresh_expires_at) / 1000));
    }
  });

  it('have a jti of their own, while the session keeps its sid', async () => {
    // Prepare
    const session = await login(server.url, 'agent@example.com');

    // Act
    const refreshed = await refresh(session.refresh_token);

    // Assess
    const before = decodeAccessToken(session.access_token).claims;
    const after = decodeAccessToken(refreshed.body.access_token).claims;
    expect(after.jti).not.toBe(before.jti);
    expect(after.sid).toBe(before.sid);
  });

  it('verify with jose against the served JWKS, found through discovery, as a downstream service would', async () => {
    // Prepare
    const session = await login(server.url, 'customer@example.com');
    const discovery = await call(server.url, '/.well-known/openid-configuration');
    const jwks = await fetch(discovery.body.jwks_uri).then((response) => response.json() as Promise<JSONWebKeySet>);

    // Act
    const { payload, protectedHeader } = await jwtVerify(session.access_token, createLocalJWKSet(jwks), {
      issuer: discovery.body.issuer,
      audience: 'serverless-auth',
      algorithms: ['RS256'],
      typ: 'at+jwt',
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
    });

    // Assess
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: session.user.id, role: 'CUSTOMER', tenant_id: 'demo' });
  });
});
