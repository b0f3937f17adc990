/**
 * The client address behind CloudFront, proven from the attacker's side
 * through the real handlers on dynalite. CloudFront-Viewer-Address is the
 * client's address only on a request that carries the origin secret; without
 * CloudFront nobody's CloudFront headers count, and with it a request without
 * the secret went around the edge and is refused, counting against nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { expectError } from '../fixtures/e2e.ts';
import { postFrom } from '../fixtures/from-address.ts';
import { call, demoPassword, startTestServer } from '../fixtures/local.ts';

/** Made per run, as the stack makes one per deployment: never a literal. */
const SECRET = randomBytes(32).toString('base64url');
const good = { email: 'manager@example.com', password: demoPassword };
const RATE_LIMITED = { error: 'rate_limit_exceeded', message: 'Too many requests' };
const BYPASS = { error: 'forbidden', message: 'Call the API at its public address' };

/** Headers CloudFront would add: the origin secret and the viewer's address. */
const throughEdge = (viewer: string, secret = SECRET): Record<string, string> => ({
  'x-origin-verify': secret,
  'cloudfront-viewer-address': viewer,
});

const statuses = (answers: { status: number }[]): number[] => answers.map((answer) => answer.status);

describe('without CloudFront in front', () => {
  let local: LocalEnvironment;
  const clock = new FakeClock(new Date('2026-11-23T10:00:10.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { LOGIN_RATE_LIMIT: '5', ORIGIN_VERIFY_SECRET: '' } });
  });
  afterAll(() => local.close());

  const loginUrl = () => `${local.url.replace('localhost', '127.0.0.1')}/auth/login`;

  it('counts logins with a forged CloudFront-Viewer-Address against the source IP', async () => {
    const forged = (i: number) => throughEdge(`198.51.100.${i}:443`, randomBytes(8).toString('hex'));
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await postFrom('127.0.0.21', loginUrl(), good, forged(i)));
    const sixth = await postFrom('127.0.0.21', loginUrl(), good, forged(99));

    expect(statuses(first)).toEqual([200, 200, 200, 200, 200]);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual(RATE_LIMITED);
    expect((await postFrom('127.0.0.22', loginUrl(), good, forged(0))).status).toBe(200);
  });
});

describe('behind CloudFront', () => {
  let local: LocalEnvironment;
  // A clock that stands still keeps every attempt in one window, however slow the machine.
  const clock = new FakeClock(new Date('2026-11-23T10:00:10.000Z'));
  beforeAll(async () => {
    local = await startTestServer({ clock, env: { LOGIN_RATE_LIMIT: '5', RESET_IP_LIMIT: '2', ORIGIN_VERIFY_SECRET: SECRET } });
  });
  afterAll(() => local.close());

  const url = (path: string) => `${local.url.replace('localhost', '127.0.0.1')}${path}`;

  it('refuses every request without the origin secret, or with a wrong one, and counts it nowhere', async () => {
    // Prepare: a valid access token, fetched the right way.
    const token = (await postFrom('127.0.0.30', url('/auth/login'), good, throughEdge('192.0.2.30:1'))).body.access_token as string;
    const viewer = { 'cloudfront-viewer-address': '198.51.100.31:443' };
    const wrongSecrets = [undefined, '', `${SECRET}x`, SECRET.slice(0, -1), SECRET.toUpperCase()];

    // Act: logins from one address with every wrong secret, twice over; other routes without any.
    const refusedLogins = [];
    for (const secret of [...wrongSecrets, ...wrongSecrets]) {
      const headers = secret === undefined ? viewer : { ...viewer, 'x-origin-verify': secret };
      refusedLogins.push(await postFrom('127.0.0.31', url('/auth/login'), good, headers));
    }
    const others = [
      await call(local.url, '/auth/me', { headers: { authorization: `Bearer ${token}` } }),
      await call(local.url, '/.well-known/jwks.json'),
      await call(local.url, '/no/such/route'),
      await call(local.url, '/auth/password/forgot', { body: { email: good.email }, headers: { 'x-origin-verify': 'guess' } }),
    ];

    // Assess: all refused in the error shape; then the same address and viewer still have their whole budget.
    for (const refused of refusedLogins) {
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual(BYPASS);
    }
    for (const refused of others) expect(expectError(refused, 403, 'forbidden')).toEqual(BYPASS);
    const allowed = [];
    for (let i = 0; i < 5; i++) allowed.push(await postFrom('127.0.0.31', url('/auth/login'), good, throughEdge('198.51.100.31:443')));
    expect(statuses(allowed)).toEqual([200, 200, 200, 200, 200]);
  });

  it('counts logins against the viewer address, whatever source IP or port they arrive from', async () => {
    const first = [];
    for (let i = 1; i <= 5; i++)
      first.push(await postFrom(`127.0.0.4${i}`, url('/auth/login'), good, throughEdge(`198.51.100.40:100${i}`)));
    const sixth = await postFrom('127.0.0.46', url('/auth/login'), good, throughEdge('198.51.100.40:2222'));
    const otherViewer = await postFrom('127.0.0.41', url('/auth/login'), good, throughEdge('198.51.100.41:1001'));

    expect(statuses(first)).toEqual([200, 200, 200, 200, 200]);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual(RATE_LIMITED);
    expect(otherViewer.status).toBe(200);
  });

  it('reads an IPv6 viewer address with or without brackets as one client', async () => {
    const forms = ['2001:db8::7:443', '[2001:db8::7]:8443', '2001:db8::7:1', '[2001:db8::7]:65535', '2001:db8::7:50000'];
    const first = [];
    for (const form of forms) first.push(await postFrom('127.0.0.50', url('/auth/login'), good, throughEdge(form)));
    const sixth = await postFrom('127.0.0.51', url('/auth/login'), good, throughEdge('[2001:db8::7]:2'));

    expect(statuses(first)).toEqual([200, 200, 200, 200, 200]);
    expect(sixth.status).toBe(429);
    expect((await postFrom('127.0.0.51', url('/auth/login'), good, throughEdge('2001:db8:0:1::7:443'))).status).toBe(200);
  });

  it('counts an IPv6 viewer by its /64: a fresh address of it for every try gets no further', async () => {
    // Any IPv6 client holds at least a /64 and may send each try from another address of it, spelt as it likes.
    const first = [];
    for (let i = 1; i <= 5; i++)
      first.push(await postFrom('127.0.0.52', url('/auth/login'), good, throughEdge(`[2001:db8:0:52::${i}]:443`)));
    const sixth = await postFrom('127.0.0.52', url('/auth/login'), good, throughEdge('2001:0DB8:0000:0052:FFFF:FFFF:FFFF:FFFF:443'));
    const otherNetwork = await postFrom('127.0.0.52', url('/auth/login'), good, throughEdge('[2001:db8:0:53::1]:443'));

    expect(statuses(first)).toEqual([200, 200, 200, 200, 200]);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual(RATE_LIMITED);
    expect(otherNetwork.status).toBe(200);
  });

  it('counts an IPv4 viewer written as IPv6 as that IPv4 address', async () => {
    const first = [];
    for (let i = 1; i <= 5; i++) first.push(await postFrom('127.0.0.53', url('/auth/login'), good, throughEdge(`198.51.100.53:${i}`)));
    const mapped = await postFrom('127.0.0.53', url('/auth/login'), good, throughEdge('[::ffff:198.51.100.53]:443'));

    expect(statuses(first)).toEqual([200, 200, 200, 200, 200]);
    expect(mapped.status).toBe(429);
  });

  it('counts against the source IP when the viewer header holds no address', async () => {
    const bad = ['garbage', '198.51.100.70', '198.51.100.70:99999', '[198.51.100.70]:1', '2001:db8::7', ''];
    const answers = [];
    for (const value of bad) answers.push(await postFrom('127.0.0.60', url('/auth/login'), good, throughEdge(value)));

    expect(statuses(answers)).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await postFrom('127.0.0.61', url('/auth/login'), good, throughEdge('garbage'))).status).toBe(200);
  });

  it('limits forgot-password requests per viewer address', async () => {
    const forgot = (from: string, viewer: string) =>
      postFrom(from, url('/auth/password/forgot'), { email: good.email }, throughEdge(viewer));

    const answers = [
      await forgot('127.0.0.71', '198.51.100.70:1'),
      await forgot('127.0.0.72', '198.51.100.70:2'),
      await forgot('127.0.0.73', '198.51.100.70:3'),
    ];
    const otherViewer = await forgot('127.0.0.71', '198.51.100.71:1');

    expect(statuses(answers)).toEqual([202, 202, 429]);
    expect(answers[2]?.body).toEqual(RATE_LIMITED);
    expect(otherViewer.status).toBe(202);
  });

  it('limits forgot-password requests per IPv6 /64, not per address', async () => {
    // Another email each time: the limit per email must not decide it.
    let n = 0;
    const forgot = (viewer: string) =>
      postFrom('127.0.0.74', url('/auth/password/forgot'), { email: `someone-${++n}@example.com` }, throughEdge(viewer));

    const answers = [await forgot('[2001:db8:0:74::1]:1'), await forgot('[2001:db8:0:74::2]:1'), await forgot('[2001:db8:0:74:1:2:3:4]:1')];

    expect(statuses(answers)).toEqual([202, 202, 429]);
    expect((await forgot('[2001:db8:0:75::1]:1')).status).toBe(202);
  });

  it('records the viewer address on the session it opens', async () => {
    const tokens = (
      await postFrom(
        '127.0.0.80',
        url('/auth/login'),
        { email: 'agent@example.com', password: demoPassword },
        throughEdge('203.0.113.80:5000'),
      )
    ).body as { access_token: string };
    const sessions = await call(local.url, '/auth/sessions', {
      headers: { authorization: `Bearer ${tokens.access_token}`, ...throughEdge('203.0.113.81:1') },
    });

    expect(sessions.status).toBe(200);
    const current = (sessions.body.items as { current: boolean; ip: string }[]).find((session) => session.current);
    expect(current?.ip).toBe('203.0.113.80');
  });

  describe('the authorizer', () => {
    const context = { awsRequestId: 'edge', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
    const authorize = async (routeKey: string, headers: Record<string, string>) => {
      const { handler } = await import('../../functions/authorizer.ts');
      const host = new URL(local.url).host;
      const event = {
        version: '2.0',
        type: 'REQUEST',
        routeKey,
        rawPath: '/partner/reports',
        headers: { host, 'x-forwarded-proto': 'http', ...headers },
        requestContext: {
          domainName: host,
          http: { method: 'GET', path: '/partner/reports', sourceIp: '203.0.113.10' },
          requestId: 'edge-1',
          routeKey,
          stage: '$default',
        },
      };
      return (handler as unknown as (e: unknown, c: Context) => Promise<{ isAuthorized: boolean; context: Record<string, string> }>)(
        event,
        context,
      );
    };

    it('denies another team’s route to a valid credential that went around CloudFront', async () => {
      process.env.PROTECTED_ROUTES = JSON.stringify({ 'GET /partner/reports': null });
      const customer = { email: 'customer@example.com', password: demoPassword };
      const token = (await postFrom('127.0.0.90', url('/auth/login'), customer, throughEdge('192.0.2.90:1'))).body.access_token as string;
      const bearer = { authorization: `Bearer ${token}` };

      const around = await authorize('GET /partner/reports', bearer);
      const wrong = await authorize('GET /partner/reports', { ...bearer, 'x-origin-verify': 'guess' });
      const through = await authorize('GET /partner/reports', { ...bearer, 'x-origin-verify': SECRET });
      const ours = await authorize('GET /auth/me', bearer);

      expect(around).toEqual({ isAuthorized: false, context: { decision: 'forbidden' } });
      expect(wrong).toEqual({ isAuthorized: false, context: { decision: 'forbidden' } });
      expect(through).toMatchObject({ isAuthorized: true, context: { decision: 'allow', role: 'CUSTOMER' } });
      // Our own route's handler refuses it in the error shape (above); the authorizer passes no principal on.
      expect(ours).toEqual({ isAuthorized: true, context: { decision: 'unauthorized', reason: 'invalid' } });
    });

    it('decides by Authorization alone while API Gateway caches decisions by it', async () => {
      process.env.PROTECTED_ROUTES = JSON.stringify({ 'GET /partner/reports': null });
      const token = (await postFrom('127.0.0.91', url('/auth/login'), good, throughEdge('192.0.2.91:1'))).body.access_token as string;
      const edge = { 'x-origin-verify': SECRET };
      try {
        process.env.AUTHORIZER_CACHE_TTL = '300';
        const inOtherHeaders = [
          await authorize('GET /auth/me', { ...edge, 'x-access-token': token }),
          await authorize('GET /auth/me', { ...edge, 'x-auth-token': token }),
          // A fixed Authorization of some proxy must not lend its cache entry to whatever rides beside it.
          await authorize('GET /auth/me', { ...edge, authorization: 'Basic cHJveHk6cHJveHk=', 'x-access-token': token }),
        ];
        const inAuthorization = await authorize('GET /auth/me', { ...edge, authorization: `Bearer ${token}` });

        // None of them is read, so the request carries no credential.
        for (const decision of inOtherHeaders)
          expect(decision).toEqual({ isAuthorized: true, context: { decision: 'unauthorized', reason: 'missing' } });
        expect(inAuthorization).toMatchObject({ isAuthorized: true, context: { decision: 'allow', role: 'MANAGER' } });
      } finally {
        delete process.env.AUTHORIZER_CACHE_TTL;
      }
      // Without caching, the other headers count again.
      expect(await authorize('GET /auth/me', { ...edge, 'x-access-token': token })).toMatchObject({ context: { decision: 'allow' } });
    });
  });
});
