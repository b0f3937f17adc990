/**
 * The client as an app bundles it: only the client's own modules, none of
 * zod or the handlers (their types vanish at build time), no Node built-ins,
 * small, and working from the bundle alone.
 */
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function bundle(platform: 'browser' | 'neutral') {
  const result = await build({
    entryPoints: ['client/index.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  return { text: output!.text, bytes: output!.contents.byteLength, metafile: result.metafile as Metafile };
}

describe('client bundle', () => {
  it('holds the client’s own modules only: no zod, no handler code, no Node built-in', async () => {
    // Act
    const { text, metafile } = await bundle('neutral');

    // Assess
    expect(Object.keys(metafile.inputs).sort()).toEqual([
      'client/auth-client.ts',
      'client/errors.ts',
      'client/index.ts',
      'client/schedule.ts',
      'client/storage.ts',
    ]);
    expect(text).not.toMatch(/zod/i);
    expect(text).not.toMatch(/\bnode:|require\(/);
  });

  it('bundles for browsers and stays under 6 KiB minified', async () => {
    // Act
    const { bytes } = await bundle('browser');

    // Assess
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(6 * 1024);
  });

  it('works from the bundle alone', async () => {
    // Prepare
    const { text } = await bundle('neutral');
    const client = await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`);

    // Act
    const api = client.createAuthClient({ baseUrl: 'https://api.example.com', fetch: async () => new Response(null, { status: 204 }) });
    const error = await api.me().catch((caught: unknown) => caught);

    // Assess
    expect(Object.keys(client).sort()).toEqual(['ApiError', 'SessionEndedError', 'createAuthClient', 'memoryStorage', 'plan', 'webStorage']);
    expect(error).toBeInstanceOf(client.SessionEndedError);
    expect(error).toMatchObject({ reason: 'no_session' });
  });
});
