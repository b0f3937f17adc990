/**
 * The docs functions as Lambda runs them: bundled with the stack's options,
 * the static files copied by the same afterBundling commands, and invoked in
 * a fresh Node process whose working directory is the bundle's, so the
 * Swagger UI files can only come from what the bundle ships.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFiles, unusedSdkClients } from '../lib/bundling.ts';
import { buildFunction, projectRoot, runInFreshNode, type BuiltFunction } from './fixtures/bundle.ts';

const event = (path: string, pathParameters?: Record<string, string>) => ({
  version: '2.0',
  routeKey: pathParameters ? 'GET /docs/{asset}' : 'GET /docs',
  rawPath: path,
  rawQueryString: '',
  headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', 'x-request-id': 'docs-1' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'test' },
    requestId: 'docs-request',
    routeKey: pathParameters ? 'GET /docs/{asset}' : 'GET /docs',
    stage: '$default',
    time: '23/Nov/2026:21:30:00 +0000',
    timeEpoch: 1795469400000,
  },
  ...(pathParameters ? { pathParameters } : {}),
  isBase64Encoded: false,
});

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly bytes: number;
  readonly body: string;
}

/** Calls the bundle's handler with `input` in a fresh process; long bodies come back as their length and a head. */
const invoke = (fn: BuiltFunction, input: unknown): Promise<Answer> =>
  runInFreshNode<Answer>(
    fn,
    `const r = await bundle.handler(${JSON.stringify(input)}, { awsRequestId: 'docs', getRemainingTimeInMillis: () => 10000 });
     console.log(JSON.stringify({ statusCode: r.statusCode, headers: r.headers, bytes: Buffer.byteLength(r.body), body: r.body.slice(0, 2000) }));`,
  );

describe('docs bundles', () => {
  let page: BuiltFunction;
  let asset: BuiltFunction;

  beforeAll(async () => {
    [page, asset] = await Promise.all([buildFunction('docs'), buildFunction('docs-asset')]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([page?.remove(), asset?.remove()]);
  });

  it('docs: serves the page, pointing at the API’s own copies and at openapi.json, under its own policy', async () => {
    const answer = await invoke(page, event('/docs'));
    expect(answer).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Request-Id': 'docs-1' },
    });
    expect(answer.body).toContain('<script src="docs/swagger-ui-bundle.js"></script>');
    expect(answer.body).toContain('<link rel="stylesheet" href="docs/swagger-ui.css">');
    expect(answer.body).toContain("url: 'openapi.json'");
    expect(answer.body).not.toMatch(/https?:\/\//);
    expect(answer.headers['Content-Security-Policy']).toMatch(/default-src 'none'.*script-src 'self' 'sha256-/);
  });

  it.each([
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui.css', 'text/css; charset=utf-8'],
  ])('docs-asset: serves %s from the files its bundle ships, cached briefly', async (name, type) => {
    const shipped = await readFile(join(asset.dir, 'node_modules/swagger-ui-dist', name), 'utf8');
    const original = await readFile(join(projectRoot, 'node_modules/swagger-ui-dist', name), 'utf8');
    const answer = await invoke(asset, event(`/docs/${name}`, { asset: name }));
    expect(answer).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=300', 'X-Request-Id': 'docs-1' },
    });
    expect(shipped).toBe(original);
    // The file minus its source-map comment (the map does not ship).
    expect(answer.bytes).toBeGreaterThan(original.length - 64);
    expect(answer.bytes).toBeLessThanOrEqual(Buffer.byteLength(original));
    expect(answer.body).toBe(original.slice(0, answer.body.length));
  });

  it('docs-asset: answers 404 not_found for a name outside the list, a path escape included', async () => {
    for (const name of ['swagger-ui.js', 'package.json', '../docs/swagger-ui.css', 'index.html']) {
      const answer = await invoke(asset, event(`/docs/${encodeURIComponent(name)}`, { asset: name }));
      expect({ name, status: answer.statusCode, body: JSON.parse(answer.body) }).toEqual({
        name,
        status: 404,
        body: { error: 'not_found', message: 'Not found' },
      });
    }
  });

  it('ship the package.json and the two files of the allow-list, nothing else of swagger-ui-dist', () => {
    expect(staticFiles['docs-asset']).toEqual([
      'swagger-ui-dist/package.json',
      'swagger-ui-dist/swagger-ui-bundle.js',
      'swagger-ui-dist/swagger-ui.css',
    ]);
    expect(staticFiles.docs).toBeUndefined();
    // Beyond the SDK clients neither calls (left out on purpose), they import nothing at run time.
    const required = (fn: typeof page) => fn.externalImports.filter((name) => !unusedSdkClients(fn.handler).includes(name));
    expect({ page: required(page), asset: required(asset) }).toEqual({ page: [], asset: [] });
  });
});
