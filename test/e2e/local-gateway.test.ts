/**
 * The local server's gateway does what API Gateway does with what a caller
 * sends, so that a test against it says something about the deployed API:
 * repeated headers are joined with commas, and discovery names the issuer's
 * JWKS whatever Host the caller claims.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer();
});
afterAll(() => local.close());

/** GET with headers given as raw pairs, so that one name can come twice. */
function getWithRawHeaders(path: string, pairs: readonly [string, string][]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, local.url);
    const req = request(url, { method: 'GET', headers: [['Host', url.host], ...pairs].flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('repeated headers', () => {
  it('refuses a genuine access token sent beside a second Authorization header, as API Gateway joins them', async () => {
    // Prepare
    const { access_token } = await login(local.url, 'customer@example.com');

    // Act
    const alone = await getWithRawHeaders('/auth/me', [['Authorization', `Bearer ${access_token}`]]);
    const twice = await getWithRawHeaders('/auth/me', [
      ['Authorization', `Bearer ${access_token}`],
      ['Authorization', 'Bearer another-token'],
    ]);

    // Assess
    expect(alone.status, JSON.stringify(alone.body)).toBe(200);
    expect(twice.status).toBe(401);
    expect(twice.body).toMatchObject({ error: 'unauthorized' });
  });
});

describe('discovery behind a forged Host', () => {
  it('names the configured issuer and its JWKS, never the Host the caller sent', async () => {
    const server = await startTestServer({ env: { ISSUER: 'https://auth.example.com' } });
    try {
      const answer = await call(server.url, '/.well-known/openid-configuration', { headers: { host: 'evil.example' } });

      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ issuer: 'https://auth.example.com', jwks_uri: 'https://auth.example.com/.well-known/jwks.json' });
      expect(answer.text).not.toContain('evil.example');
    } finally {
      await server.close();
    }
  });
});
