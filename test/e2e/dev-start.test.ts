/**
 * Starting the dev server: it answers nothing before it is ready, and on a
 * Node.js too old for it, `npm run dev` stops with a message.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../bin/node-version.ts';
import { startLocal, type LocalEnvironment } from '../../local/environment.ts';

const OLD_NODE = '/usr/bin/node';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('the dev server during start-up', () => {
  let local: LocalEnvironment | undefined;
  afterAll(async () => {
    await local?.close();
  });

  it('holds the first request until it is ready, then answers it (no 500)', async () => {
    const port = await freePort();
    const starting = startLocal({ port });
    let first: Response | undefined;
    const asked = Date.now();
    // Knock until the port accepts a connection: that first request is sent while start-up is still going on.
    while (!first && Date.now() - asked < 20_000) {
      first = await fetch(`http://127.0.0.1:${port}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'manager@example.com', password: 'LocalDemo#2026' }),
      }).catch(() => undefined);
      if (!first) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    local = await starting;

    expect(first?.status).toBe(200);
  });
});

describe('npm run dev on an old Node.js', () => {
  it.each([
    ['20.20.2', false],
    ['21.7.3', false],
    ['22.0.0', true],
    ['24.21.0', true],
  ])('Node.js %s runs: %s', (version, runs) => {
    const problem = nodeVersionProblem(version);

    expect(problem === null).toBe(runs);
    if (problem) expect(problem).toContain(`Node.js ${version}`);
  });

  it(`stops with a clear message under ${OLD_NODE} (Node.js 20), exit code 1`, () => {
    const result = spawnSync(OLD_NODE, ['node_modules/tsx/dist/cli.mjs', 'bin/dev.ts'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PORT: '1', SES_PORT: '1', DYNAMODB_PORT: '1' },
    });

    expect(result.stderr).toContain('serverless-auth needs Node.js 22 or later');
    expect(result.status).toBe(1);
  });
});
