/**
 * Both packages as npm ships them: `npm pack`, the tarballs installed into a
 * scratch project in a temp dir (offline: the client has no dependency, and
 * verify's `jose` comes from this project's node_modules), then used against
 * the local server from an ES module script and from a TypeScript file that
 * type-checks with the project's `tsc`; the READMEs' TypeScript snippets
 * type-check against them too.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { projectRoot } from '../fixtures/bundle.ts';
import { startSessionServer } from '../fixtures/e2e.ts';
import { demoPassword } from '../fixtures/local.ts';
import { packageDir, run, shippedSize } from '../fixtures/packages.ts';

let server: LocalEnvironment;
let scratch: string;
const packed: Record<string, { filename: string; files: string[] }> = {};

const tsc = join(projectRoot, 'node_modules/.bin/tsc');
const appEnv = () => ({ PATH: process.env.PATH ?? '', API_URL: server.url, DEMO_PASSWORD: demoPassword });

async function pack(name: 'client' | 'verify'): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: packageDir(name) });
  const [result] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  packed[name] = { filename: result!.filename, files: result!.files.map((file) => file.path).sort() };
}

const typeCheck = (...files: string[]) =>
  run(
    tsc,
    [
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--lib',
      'es2022,dom',
      '--typeRoots',
      join(projectRoot, 'node_modules/@types'),
      '--types',
      'node',
      ...files,
    ],
    { cwd: scratch },
  ).then(
    () => 'clean',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );

/** The ```ts blocks of a README, in order. */
const tsBlocksOf = async (readme: string): Promise<string[]> =>
  [...(await readFile(join(projectRoot, readme), 'utf8')).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);

/**
 * What the READMEs' snippets take from the app around them, each declared
 * only for a snippet that uses it. `app` is an Express app reduced to what
 * the snippet calls, typed with verify's own Express shapes, so that the
 * guard and `req.auth` are checked.
 */
const freeNames: Readonly<Record<string, string>> = {
  showLogin: 'declare function showLogin(reason: string): void;',
  accessToken: 'declare const accessToken: string;',
  app: [
    "import type { ExpressMiddleware, ExpressRequestLike, ExpressResponseLike } from '@serverless-auth/verify';",
    'declare const app: { post(path: string, guard: ExpressMiddleware, handler: (req: ExpressRequestLike, res: ExpressResponseLike) => unknown): void };',
  ].join('\n'),
};
const withDeclarations = (snippet: string): string =>
  [
    ...Object.entries(freeNames)
      .filter(([name]) => new RegExp(`\\b${name}\\b`).test(snippet))
      .map(([, declaration]) => declaration),
    snippet,
  ].join('\n');

describe('npm pack of both packages, installed into a scratch project', () => {
  beforeAll(async () => {
    server = await startSessionServer();
    scratch = await mkdtemp(join(tmpdir(), 'scratch-app-'));
    await pack('client');
    await pack('verify');
    await writeFile(
      join(scratch, 'package.json'),
      JSON.stringify({
        name: 'scratch-app',
        private: true,
        type: 'module',
        dependencies: {
          '@serverless-auth/client': `file:./${packed.client!.filename}`,
          '@serverless-auth/verify': `file:./${packed.verify!.filename}`,
          // verify's one dependency, from this project's install: no registry needed.
          jose: `file:${join(projectRoot, 'node_modules/jose')}`,
        },
      }),
    );
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: scratch });
    for (const file of ['app.mjs', 'app.ts']) await cp(join(import.meta.dirname, 'scratch-app', file), join(scratch, file));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('packs the built files, the licence and the manifest only', () => {
    for (const name of ['client', 'verify'] as const) {
      expect(packed[name]!.files).toContain('LICENSE');
      expect(packed[name]!.files).toContain('package.json');
      expect(packed[name]!.files).toContain('dist/index.js');
      expect(packed[name]!.files).toContain('dist/index.d.ts');
      expect(packed[name]!.files.filter((file) => !/^(LICENSE|package\.json|README\.md|dist\/[a-z-]+\.(js|d\.ts))$/.test(file))).toEqual(
        [],
      );
    }
  });

  it('installs the client with no dependency and verify with jose only', async () => {
    const installed = (await readdir(join(scratch, 'node_modules'))).filter((name) => !name.startsWith('.')).sort();
    expect(installed).toEqual(['@serverless-auth', 'jose']);
    expect((await readdir(join(scratch, 'node_modules/@serverless-auth'))).sort()).toEqual(['client', 'verify']);
  });

  it('runs an ES module script against the local server', async () => {
    // Act
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: scratch, env: appEnv() });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      email: 'manager@example.com',
      valid: true,
      role: 'MANAGER',
      passed: true,
      events: ['signed_in', 'signed_out'],
    });
  });

  it('type-checks a TypeScript app with the project’s tsc, and runs it', async () => {
    // Act
    const checked = await typeCheck('app.ts');
    const { stdout } = await run(process.execPath, ['app.ts'], { cwd: scratch, env: appEnv() });

    // Assess
    expect(checked).toBe('clean');
    expect(JSON.parse(stdout)).toEqual({
      email: 'manager@example.com',
      role: 'MANAGER',
      refunds: true,
      events: ['signed_in', 'signed_out'],
    });
  });

  it('type-checks the READMEs’ TypeScript snippets against the installed packages', async () => {
    // Prepare: every TypeScript snippet of the project's README and of each package's own, one file each.
    const snippets: Record<string, string> = {};
    for (const [name, readme] of [
      ['readme', 'README.md'],
      ['client-readme', 'packages/client/README.md'],
      ['verify-readme', 'packages/verify/README.md'],
    ] as const)
      for (const [i, snippet] of (await tsBlocksOf(readme)).entries()) snippets[`${name}-${i + 1}.ts`] = snippet;
    // The project's README shows the client and the verifier, one snippet each.
    expect(Object.keys(snippets)).toEqual(['readme-1.ts', 'readme-2.ts', 'client-readme-1.ts', 'verify-readme-1.ts']);
    expect(snippets['readme-1.ts']).toContain("from '@serverless-auth/client'");
    expect(snippets['readme-2.ts']).toContain("from '@serverless-auth/verify'");
    for (const [file, snippet] of Object.entries(snippets)) await writeFile(join(scratch, file), withDeclarations(snippet));

    // Act
    const checked = await typeCheck(...Object.keys(snippets));

    // Assess
    expect(checked).toBe('clean');
  });

  it('refuses, at type-check time, a login without a password and a principal field that does not exist', async () => {
    // Prepare
    await writeFile(
      join(scratch, 'wrong.ts'),
      [
        "import { createAuthClient } from '@serverless-auth/client';",
        "import { createVerifier } from '@serverless-auth/verify';",
        "await createAuthClient({ baseUrl: 'http://localhost' }).login({ email: 'a@example.com' });",
        "const result = await createVerifier({ issuer: 'http://localhost' }).verify('x');",
        'if (result.valid) console.log(result.principal.tenant);',
      ].join('\n'),
    );

    // Act
    const checked = await typeCheck('wrong.ts');

    // Assess
    expect(checked).toMatch(/wrong\.ts\(3,.*error TS2345/);
    expect(checked).toMatch(/wrong\.ts\(5,.*error TS2551.*'tenant'/);
  });

  it('ships small: client under 8 KiB minified with nothing imported; verify under 4 KiB besides jose', async () => {
    // Act
    const client = await shippedSize('client');
    const verify = await shippedSize('verify');

    // Assess
    expect(client.imports).toEqual([]);
    expect(client.minified).toBeLessThan(8 * 1024);
    expect(verify.imports).toEqual(['@aws-sdk/lib-dynamodb', 'jose']);
    expect(verify.minified).toBeLessThan(4 * 1024);
  });
});
