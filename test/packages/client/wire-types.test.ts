/**
 * The client's wire types are its own (no zod, no server code in its
 * `.d.ts`), so a test keeps them equal to the server's schemas: TypeScript
 * compiles `wire-types.check.ts` against the built package.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../fixtures/bundle.ts';
import { run } from '../../fixtures/packages.ts';

const tsc = join(projectRoot, 'node_modules/.bin/tsc');
const flags = [
  '--ignoreConfig',
  '--noEmit',
  '--strict',
  '--skipLibCheck',
  '--target',
  'es2023',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
];
const tsFlags = [...flags, '--allowImportingTsExtensions', '--types', 'node', '--lib', 'es2023,dom'];

describe('@serverless-auth/client wire types', () => {
  it('equal the server’s zod schemas, type for type, in the built .d.ts', async () => {
    // Act: a type error makes tsc exit non-zero, and execFile reject with its output.
    const result = await run(tsc, [...tsFlags, join(import.meta.dirname, 'wire-types.check.ts')], { cwd: projectRoot }).then(
      () => 'clean',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );

    // Assess
    expect(result).toBe('clean');
  });

  it('name nothing outside the package: no zod, no server module', async () => {
    // Act
    const { stdout } = await run('grep', ['-rhoE', "from '[^']+'", join(projectRoot, 'packages/client/dist')]);
    const sources = [...new Set(stdout.trim().split('\n'))].sort();

    // Assess
    expect(
      sources.every((source) => /^from '\.\/[a-z-]+\.js'$/.test(source)),
      sources.join(', '),
    ).toBe(true);
  });
});
