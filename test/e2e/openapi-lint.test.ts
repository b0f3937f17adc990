/**
 * The OpenAPI document the server serves, linted with Redocly's recommended
 * rules, as an API catalogue or a client generator would first check it.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { call, startTestServer } from '../fixtures/local.ts';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer();
});
afterAll(() => local.close());

describe('GET /openapi.json', () => {
  it('lints clean with Redocly’s recommended rules', async () => {
    const served = await call(local.url, '/openapi.json');
    expect(served.status).toBe(200);

    const problems = await lintFromString({
      source: served.text,
      absoluteRef: `${local.url}/openapi.json`,
      // The local server's own URL is localhost by definition; deployed, the document names the API's URL.
      config: await createConfig({ extends: ['recommended'], rules: { 'no-server-example.com': 'off' } }),
    });

    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it('names its shared schemas once and refers to them', async () => {
    const { body } = await call(local.url, '/openapi.json');

    expect(Object.keys(body.components.schemas)).toEqual(
      expect.arrayContaining(['User', 'TokenResponse', 'Session', 'ApiToken', 'ApiTokenWithText', 'AuditEvent', 'Error']),
    );
    expect(body.paths['/auth/me'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/User' });
    expect(body.paths['/auth/login'].post.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/TokenResponse',
    });
    // The token with its text, as creation and rotation answer it: one component, not its fields twice inline.
    const withText = { $ref: '#/components/schemas/ApiTokenWithText' };
    expect(body.paths['/auth/api-tokens'].post.responses['201'].content['application/json'].schema).toEqual(withText);
    expect(body.paths['/auth/api-tokens/{id}/rotate'].post.responses['200'].content['application/json'].schema).toEqual(withText);
    expect(body.components.schemas.ApiTokenWithText.required).toEqual(expect.arrayContaining(['id', 'token', 'expires_at']));
  });

  it('gives the login body as one of email, username or posId, so that {} matches none', async () => {
    const { body } = await call(local.url, '/openapi.json');
    const schema = body.paths['/auth/login'].post.requestBody.content['application/json'].schema;

    expect(schema.oneOf.map((alternative: { required: string[] }) => alternative.required)).toEqual([['email'], ['username'], ['posId']]);
  });

  it('describes every operation and every tag', async () => {
    const { body } = await call(local.url, '/openapi.json');
    const operations = Object.values(body.paths as Record<string, Record<string, { description?: string }>>).flatMap((item) =>
      Object.values(item),
    );

    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) expect(operation.description?.length ?? 0).toBeGreaterThan(10);
    for (const tag of body.tags) expect(tag.description?.length ?? 0).toBeGreaterThan(10);
  });
});
