/**
 * Starting the dev server: it answers nothing before it is ready, it prints
 * where everything is, and on a Node.js too old for it, `npm run dev` stops
 * with a message.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('npm run dev', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the docs page, the OpenAPI document and the data folder when ready, and stops on Ctrl-C', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'serverless-auth-dev-'));
    const [port, sesPort, dynamoPort] = [await freePort(), await freePort(), await freePort()];
    const dev = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bin/dev.ts'], {
      env: { ...process.env, PORT: String(port), SES_PORT: String(sesPort), DYNAMODB_PORT: String(dynamoPort), LOCAL_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(dev, 'exit');
    let stdout = '';
    let stderr = '';
    dev.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    // The banner ends with how to stop it: read until then, or until the process ends or 20 s pass.
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      dev.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('Ctrl-C stops everything.')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      dev.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });

    try {
      expect(ready, `not ready; stderr: ${stderr}`).toBe(true);
      expect(stdout).toContain(`Docs       http://localhost:${port}/docs\n`);
      expect(stdout).toContain(`OpenAPI    http://localhost:${port}/openapi.json\n`);
      expect(stdout).toContain(`(data in ${dataDir})`);
      // The folder it names is the one it really writes: the tables and the key file are there.
      expect((await readdir(dataDir)).sort()).toEqual(['dynamodb', 'signing-keys.json']);
    } finally {
      dev.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
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
