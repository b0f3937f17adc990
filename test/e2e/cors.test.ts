import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { demoPassword, startTestServer } from '../fixtures/local.ts';

const app = 'https://app.example.com';

describe('CORS for browser apps on allowed origins', () => {
  let local: LocalEnvironment;
  beforeAll(async () => {
    local = await startTestServer({ env: { CORS_ALLOW_ORIGINS: `${app}, https://pos.example.com` } });
  });
  afterAll(() => local.close());

  it('answers a preflight from an allowed origin with the methods and headers a client needs', async () => {
    const response = await fetch(`${local.url}/auth/me`, {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(app);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
  });

  it('lets an allowed origin read the tokens in the response headers', async () => {
    const response = await fetch(`${local.url}/auth/login`, {
      method: 'POST',
      headers: { origin: app, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'manager@example.com', password: demoPassword }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(app);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-refresh-token');
  });

  it('gives another origin no CORS headers, and no preflight', async () => {
    const preflight = await fetch(`${local.url}/auth/me`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const call = await fetch(`${local.url}/.well-known/jwks.json`, { headers: { origin: 'https://evil.example.com' } });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
  });
});
