/**
 * requirePermission for Express, Fastify, Hono and middy, with real tokens of
 * the local server. Each framework is stood in for by the few members the
 * adapter uses (the package depends on none of them): a manager passes
 * `refunds:process`, a cashier gets 403 with its role, no token or a bad one
 * 401 with a Bearer challenge, all in API.md's error shape.
 */
import { createVerifier, express, fastify, hono, middy, type Principal, type Refusal, type Verifier } from '@serverless-auth/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { challenge, decodeAccessToken, startSessionServer } from '../../fixtures/e2e.ts';
import { login } from '../../fixtures/local.ts';
import { signWithServerKey } from '../../fixtures/server-keys.ts';

let server: LocalEnvironment;
let verifier: Verifier;
const tokens: Record<'manager' | 'cashier', string> = { manager: '', cashier: '' };

interface Outcome {
  readonly passed: boolean;
  readonly principal?: Principal;
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** Runs one adapter's `requirePermission('refunds:process')` on a request with `headers`. */
type Harness = (headers: Record<string, string>) => Promise<Outcome>;

const harnesses: Record<string, Harness> = {
  async express(headers) {
    const req: { headers: Record<string, string>; auth?: Principal } = { headers };
    const out: { status?: number; headers?: Record<string, string>; body?: unknown } = {};
    const res = {
      status(code: number) {
        out.status = code;
        return res;
      },
      set(values: Record<string, string>) {
        out.headers = values;
        return res;
      },
      json(body: unknown) {
        out.body = body;
      },
    };
    let passed = false;
    await express(verifier).requirePermission('refunds:process')(req, res, () => (passed = true));
    return { passed, principal: req.auth, ...out };
  },
  async fastify(headers) {
    const request: { headers: Record<string, string>; auth?: Principal } = { headers };
    const out: { status?: number; headers?: Record<string, string>; body?: unknown } = {};
    const reply = {
      code(status: number) {
        out.status = status;
        return reply;
      },
      headers(values: Record<string, string>) {
        out.headers = values;
        return reply;
      },
      send(body: unknown) {
        out.body = body;
      },
    };
    await fastify(verifier).requirePermission('refunds:process')(request, reply);
    return { passed: out.status === undefined, principal: request.auth, ...out };
  },
  async hono(headers) {
    let principal: Principal | undefined;
    let passed = false;
    const c = {
      req: { header: (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] },
      set: (_key: 'auth', value: Principal) => (principal = value),
      json: (body: unknown, status: number, extra: Record<string, string>) => Response.json(body, { status, headers: extra }),
    };
    const response = await hono(verifier).requirePermission('refunds:process')(c, async () => {
      passed = true;
    });
    if (!response) return { passed, principal };
    return { passed, status: response.status, headers: Object.fromEntries(response.headers), body: await response.json() };
  },
  async middy(headers) {
    const request = { event: { headers } as { headers: Record<string, string>; auth?: Principal }, context: {} as { auth?: Principal } };
    const result = await middy(verifier).requirePermission('refunds:process').before(request);
    if (!result) return { passed: true, principal: request.context.auth };
    return { passed: false, status: result.statusCode, headers: result.headers, body: JSON.parse(result.body) };
  },
};

describe.each(Object.entries(harnesses))('requirePermission for %s', (_framework, run) => {
  beforeAll(async () => {
    server = await startSessionServer();
    verifier = createVerifier({ issuer: server.url });
    tokens.manager = (await login(server.url, 'manager@example.com')).access_token;
    tokens.cashier = (await login(server.url, 'cashier@example.com')).access_token;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('lets a token with the permission through and hands on its principal', async () => {
    const outcome = await run({ Authorization: `Bearer ${tokens.manager}` });
    expect(outcome).toMatchObject({ passed: true, principal: { role: 'MANAGER', tenantId: 'demo' } });
  });

  it('reads X-Access-Token too', async () => {
    const outcome = await run({ 'x-access-token': tokens.manager });
    expect(outcome).toMatchObject({ passed: true, principal: { role: 'MANAGER' } });
  });

  it('answers 403 forbidden with the role for a valid token without the permission', async () => {
    const outcome = await run({ authorization: `Bearer ${tokens.cashier}` });
    expect(outcome).toMatchObject({
      passed: false,
      status: 403,
      body: { error: 'forbidden', message: expect.any(String), role: 'CASHIER' },
    });
  });

  it.each<[string, () => Promise<Record<string, string>>, keyof typeof challenge]>([
    ['no credential', async () => ({}), 'none'],
    ['a tampered token', async () => ({ authorization: `Bearer ${'x'}${'.y.z'}` }), 'invalid'],
    [
      'an expired token, well signed',
      async () => {
        const { claims } = decodeAccessToken(tokens.manager);
        const now = Math.floor(Date.now() / 1000);
        return { authorization: `Bearer ${await signWithServerKey(server, { ...claims, iat: now - 900, exp: now - 60 })}` };
      },
      'expired',
    ],
  ])('answers 401 unauthorized with the auth service’s own challenge and body for %s', async (_name, headers, expected) => {
    const outcome = await run(await headers());
    expect(outcome).toMatchObject({
      passed: false,
      status: 401,
      body: { error: 'unauthorized', message: 'A valid credential is required' } satisfies Refusal['body'],
    });
    expect(outcome.headers?.['www-authenticate']).toBe(challenge[expected]);
    expect(outcome.principal).toBeUndefined();
  });
});
