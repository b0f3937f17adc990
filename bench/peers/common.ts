/** What the peer benchmark's systems share: the report's shapes, the peers' packages, small HTTP helpers. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DEMO_PASSWORD } from '../../local/environment.ts';

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
}

export interface SystemReport {
  readonly name: string;
  readonly version: string;
  /** The password hash and its parameters, as the system stores them. */
  readonly passwordHash: string;
  /** Where the system keeps its users, sessions and tokens in this benchmark. */
  readonly store: string;
  /** What each operation is for this system: the requests one sample makes. */
  readonly flow: { readonly login: string; readonly refresh: string; readonly authorized: string };
  readonly login: Percentiles | null;
  readonly refresh: Percentiles | null;
  readonly authorized: Percentiles | null;
  /** One password verification alone, with the system's own code and stored hash. */
  readonly hashOnly: Percentiles | null;
  /** Why the system has no figures (it did not start, or failed midway); null when it ran. */
  readonly error: string | null;
}

export interface PeerReport {
  readonly node: string;
  readonly samples: number;
  readonly loginSamples: number;
  /** How the peers were installed in this run, or null when bench/node_modules was there already. */
  readonly install: string | null;
  /** Ours first, then the peers. */
  readonly systems: readonly SystemReport[];
  readonly notes: readonly string[];
}

export type Operation = 'login' | 'refresh' | 'authorized' | 'hashOnly';

export interface System {
  readonly name: string;
  readonly version: string;
  readonly passwordHash: string;
  readonly store: string;
  readonly flow: SystemReport['flow'];
  /** Each run leaves the tokens it got for the next operation. */
  readonly run: Record<Operation, () => Promise<void>>;
}

/** Registers a step that releases what a start acquired; all steps run, newest first, when the run ends or a start fails. */
export type OnClose = (step: () => Promise<void> | void) => void;

/** bench/, where the peers' package.json is. */
export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const projectRoot = join(benchDir, '..');
export const peerPackages = ['@openauthjs/openauth', 'better-auth', 'hono', '@hono/node-server'] as const;
export const EMAIL = 'peer@example.com';
export const PASSWORD = DEFAULT_DEMO_PASSWORD;

/**
 * The peers' packages, from bench/node_modules. The specifier is a variable so
 * that type-checking the project never needs bench/node_modules.
 */
export const peer = (specifier: string): Promise<any> => import(specifier);

export async function packageVersion(path: string): Promise<string> {
  return (JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Installs bench/'s devDependencies when any is missing; what was done, for the report. */
export function ensurePeersInstalled(log: (line: string) => void): string | null {
  const missing = peerPackages.filter((name) => !existsSync(join(benchDir, 'node_modules', name, 'package.json')));
  if (missing.length === 0) return null;
  const command = 'npm ci --prefix bench';
  log(`bench/node_modules lacks ${missing.join(', ')}: installing the peers with \`${command}\` (bench/package-lock.json)`);
  // Under `npm run`, the npm that runs us; otherwise the one on PATH. Its output goes to stderr, clear of the table.
  const npmCli = process.env.npm_execpath;
  const [file, prefix] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  const result = spawnSync(file, [...prefix, 'ci', '--prefix', benchDir, '--no-audit', '--no-fund'], {
    cwd: projectRoot,
    stdio: ['ignore', 2, 2],
    shell: process.platform === 'win32' && file === 'npm',
  });
  if (result.error) return `${command} could not start: ${result.error.message}`;
  if (result.status !== 0) return `${command} failed with exit code ${result.status}`;
  return `installed with ${command}`;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

export const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return response;
}

export async function json<T>(response: Response, what: string): Promise<T> {
  return (await (await expectStatus(response, 200, what)).json()) as T;
}

/** The cookies a browser would keep between the requests of one sign-in. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
    return response;
  }
}

/** Hono's request logger, which openauth's issuer always installs, prints two lines per request; ours logs nothing at ERROR. */
export function quietHonoLogger(): () => void {
  const original = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^\s*(<--|-->) /.test(args[0])) return;
    original(...args);
  };
  return () => {
    console.log = original;
  };
}

/** The `alg` in a JWT's header, as the system signed it. */
export function jwtAlg(token: string): string {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: string }).alg ?? '?';
  } catch {
    return '?';
  }
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
