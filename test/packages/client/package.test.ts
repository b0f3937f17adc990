/**
 * The client package as npm ships it: the built ES module loads in a plain
 * Node process (no TypeScript loader), imports nothing at all, and stays small.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtEntry, manifestOf, packageDir, run, shippedSize } from '../../fixtures/packages.ts';

describe('@serverless-auth/client package', () => {
  it('declares an ES module entry with types, MIT, and no runtime dependency', async () => {
    // Act
    const manifest = await manifestOf('client');

    // Assess
    expect(manifest).toMatchObject({
      name: '@serverless-auth/client',
      type: 'module',
      license: 'MIT',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    });
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(existsSync(join(packageDir('client'), 'LICENSE'))).toBe(true);
    expect(existsSync(join(packageDir('client'), 'dist/index.d.ts'))).toBe(true);
  });

  it('loads in plain Node and works from the built file alone', async () => {
    // Prepare
    const script = `
      const client = await import(${JSON.stringify(pathToFileURL(builtEntry('client')).href)});
      const api = client.createAuthClient({ baseUrl: 'https://api.example.com', fetch: async () => new Response(null, { status: 204 }) });
      const error = await api.me().catch((caught) => caught);
      console.log(JSON.stringify({ exports: Object.keys(client).sort(), ended: error instanceof client.SessionEndedError, reason: error.reason }));`;

    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], { env: { PATH: process.env.PATH ?? '' } });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      exports: [
        'ApiError',
        'SessionEndedError',
        'clockOffset',
        'createAuthClient',
        'memoryStorage',
        'plan',
        'refreshAt',
        'serverNow',
        'webStorage',
      ],
      ended: true,
      reason: 'no_session',
    });
  });

  it('imports nothing (no Node built-in, no package) and stays under 8 KiB minified, 3 KiB gzip', async () => {
    // Act
    const size = await shippedSize('client');

    // Assess
    expect(size.imports).toEqual([]);
    expect(size.minified).toBeLessThan(8 * 1024);
    expect(size.gzip).toBeLessThan(3 * 1024);
  });
});
