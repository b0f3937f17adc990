/**
 * The README's walk-through, run as written: its shell block is extracted
 * and run with bash against a local server started here, with only the base
 * URLs, the scratch folder and the grace-window sleep replaced. A wrapper
 * around curl records every status, so each step is checked.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { startTestServer } from '../fixtures/local.ts';

const README = join(import.meta.dirname, '../../README.md');
const GRACE_SECONDS = 1;

let local: LocalEnvironment;
let scratch: string;

beforeAll(async () => {
  // As the README asks: more logins than the default allows; a short grace window so the sleep can be short too.
  local = await startTestServer({ env: { LOGIN_RATE_LIMIT: '50', REFRESH_REUSE_GRACE: String(GRACE_SECONDS) } });
  scratch = await mkdtemp(join(tmpdir(), 'readme-walkthrough-'));
});

afterAll(async () => {
  await local?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs a script with bash without blocking this process, where the server under test runs. */
function bash(script: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function walkThrough(): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const section = readme.slice(readme.indexOf('## A walk through with curl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('No shell block under "A walk through with curl" in README.md');
  return block
    .replaceAll('http://localhost:3000', local.url)
    .replaceAll('http://localhost:8005', local.sesUrl)
    .replaceAll('/tmp/', `${scratch}/`)
    .replace(/sleep 11;/, `sleep ${GRACE_SECONDS + 1};`);
}

describe('the README walk-through', () => {
  it('runs as written, every step answering what its comment says', async () => {
    const script = await walkThrough();
    // Each curl also writes its status to stderr; a step's own -w (the lockout loop) takes precedence.
    const wrapper = `curl() { command curl -w '%{stderr}%{http_code}\\n' "$@"; }\nset -e\n`;

    const run = await bash(wrapper + script, scratch);

    expect(run.status, run.stderr).toBe(0);
    const statuses = run.stderr.trim().split('\n');
    expect(statuses).toEqual([
      '200', // log in as the manager
      '200', // who am I
      '200', // audit trail
      '200', // refresh
      '401', // the spent token after the grace window: reuse
      '401', // the session is revoked
      '200', // log in again
      '200', // the cashier by POS id
      '200', // password change
      '204', // logout
      '202', // forgot
      '200', // the mail page's store
      '200', // reset with the mailed code
      '200', // JWKS
      '200', // discovery
    ]);
    expect(run.stdout).toContain('401 401 401 401 401 429');
  }, 90_000);
});
