/**
 * The sample events under `events/` (for `sam local invoke`) drive the very
 * handler modules the stack deploys, against the local tables.
 */
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { startTestServer } from '../fixtures/local.ts';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer();
});
afterAll(() => local.close());

const context = { awsRequestId: 'sample', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const sample = async (name: string) => JSON.parse(await readFile(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));
const invoke = async (module: string, event: unknown) => {
  const { handler } = (await import(`../../functions/${module}.ts`)) as { handler: (e: unknown, c: Context) => Promise<any> };
  return handler(event, context);
};

describe('sample events', () => {
  it('login.json logs the demo manager in', async () => {
    const response = await invoke('login', await sample('login'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['X-Request-Id']).toBe('sample-request-1');
    expect(JSON.parse(response.body)).toMatchObject({ token_type: 'Bearer', user: { email: 'manager@example.com', role: 'MANAGER' } });
  });

  it('refresh.json, with its placeholder token, is refused as invalid_grant', async () => {
    const response = await invoke('refresh', await sample('refresh'));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_grant', message: 'The refresh token is invalid, expired or revoked' });
  });

  it('authorizer.json, with its placeholder token, passes an unauthorized decision to the route', async () => {
    expect(await invoke('authorizer', await sample('authorizer'))).toEqual({
      isAuthorized: true,
      context: { decision: 'unauthorized', reason: 'invalid' },
    });
  });

  it('the authorizer refuses outright a route that is not ours and that the stack did not list', async () => {
    delete process.env.PROTECTED_ROUTES;
    const event = { ...(await sample('authorizer')), routeKey: 'GET /partner/reports' };
    expect(await invoke('authorizer', event)).toEqual({ isAuthorized: false, context: { decision: 'forbidden' } });
  });

  it('me.json carries an allow decision for a user that does not exist here: 401', async () => {
    const response = await invoke('me', await sample('me'));
    expect(response.statusCode).toBe(401);
  });

  it('a protected handler invoked without any authorizer decision refuses (fail closed)', async () => {
    const event = await sample('me');
    delete event.requestContext.authorizer;
    const response = await invoke('me', event);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).error).toBe('unauthorized');
  });

  it('jwks.json and openid-configuration.json serve the public documents', async () => {
    const jwks = await invoke('jwks', await sample('jwks'));
    expect(jwks.statusCode).toBe(200);
    expect(jwks.headers['Cache-Control']).toBe('public, max-age=300');
    const discovery = JSON.parse((await invoke('openid-configuration', await sample('openid-configuration'))).body);
    // Built from the issuer, never from the request's host.
    expect(discovery).toMatchObject({ issuer: local.url, jwks_uri: `${local.url}/.well-known/jwks.json` });
  });

  it('fallback.json is a 404 in the error shape', async () => {
    const response = await invoke('fallback', await sample('fallback'));
    expect(response.statusCode).toBe(404);
    expect(response.headers['Cache-Control']).toBe('no-store');
    expect(JSON.parse(response.body)).toEqual({ error: 'not_found', message: 'Not found' });
  });
});

describe('a route another team adds behind the authorizer', () => {
  const permissions: Record<string, boolean> = { MANAGER: true, AGENT: true, CASHIER: false, CUSTOMER: false };

  it.each(Object.entries(permissions))('decides for %s by the permission the stack lists for it', async (role, allowed) => {
    // PROTECTED_ROUTES is what AuthStack.addProtectedRoute sets on the authorizer.
    process.env.PROTECTED_ROUTES = JSON.stringify({ 'GET /partner/reports': 'customers:read' });
    const email = `${role.toLowerCase()}@example.com`;
    const tokens = (await (
      await fetch(`${local.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'LocalDemo#2026' }),
      })
    ).json()) as { access_token: string };
    const event = await sample('authorizer');
    event.routeKey = 'GET /partner/reports';
    event.headers = {
      ...event.headers,
      authorization: `Bearer ${tokens.access_token}`,
      host: new URL(local.url).host,
      'x-forwarded-proto': 'http',
    };
    event.requestContext.domainName = new URL(local.url).host;
    const result = await invoke('authorizer', event);
    expect(result.isAuthorized).toBe(allowed);
    expect(result.context.decision).toBe(allowed ? 'allow' : 'forbidden');
    if (allowed) expect(result.context).toMatchObject({ role, tenantId: 'demo' });
  });

  it('refuses outright without a credential', async () => {
    const event = { ...(await sample('authorizer')), routeKey: 'GET /partner/reports', headers: {} };
    expect(await invoke('authorizer', event)).toEqual({ isAuthorized: false, context: { decision: 'unauthorized', reason: 'missing' } });
  });

  it('denies a route key it was not told about, whatever the credential', async () => {
    // Prepare: a manager's valid token, and a route that is neither ours nor in PROTECTED_ROUTES.
    process.env.PROTECTED_ROUTES = JSON.stringify({ 'GET /partner/reports': 'customers:read' });
    const tokens = await loginAs('manager@example.com');
    const event = await authorizerEvent('GET /partner/secrets', tokens.access_token);
    // The logger writes warnings to stderr; kept for the assertions, not shown.
    const written: string[] = [];
    const keep = (chunk: string | Uint8Array) => written.push(String(chunk)) > 0;
    vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    vi.spyOn(process.stderr, 'write').mockImplementation(keep);

    // Act
    const result = await invoke('authorizer', event).finally(() => vi.restoreAllMocks());

    // Assess
    expect(result).toEqual({ isAuthorized: false, context: { decision: 'forbidden' } });
    const lines = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'authorizer refused a route it was not told about',
        routeKey: 'GET /partner/secrets',
      }),
    );
    const signature = tokens.access_token.split('.')[2] as string;
    expect(written.join('')).not.toContain(signature);
  });

  it('lets any valid credential through a route listed as needing authentication only, and no missing one', async () => {
    process.env.PROTECTED_ROUTES = JSON.stringify({ 'GET /partner/status': null });
    const tokens = await loginAs('customer@example.com');

    const allowed = await invoke('authorizer', await authorizerEvent('GET /partner/status', tokens.access_token));
    const anonymous = await invoke('authorizer', { ...(await sample('authorizer')), routeKey: 'GET /partner/status', headers: {} });

    expect(allowed.isAuthorized).toBe(true);
    expect(allowed.context).toMatchObject({ decision: 'allow', role: 'CUSTOMER' });
    expect(anonymous).toEqual({ isAuthorized: false, context: { decision: 'unauthorized', reason: 'missing' } });
  });
});

async function loginAs(email: string) {
  const answer = await fetch(`${local.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'LocalDemo#2026' }),
  });
  return (await answer.json()) as { access_token: string };
}

async function authorizerEvent(routeKey: string, accessToken: string) {
  const event = await sample('authorizer');
  event.routeKey = routeKey;
  event.headers = { ...event.headers, authorization: `Bearer ${accessToken}`, host: new URL(local.url).host, 'x-forwarded-proto': 'http' };
  event.requestContext.domainName = new URL(local.url).host;
  return event;
}
