/**
 * Peers, side by side: the same login → refresh → authorized-call flow against
 * this service on the local server, against @openauthjs/openauth (password
 * provider, DynamoStorage on its own dynalite) and against better-auth (email
 * and password, bearer and jwt plugins, memory adapter). All three run in this
 * process; rounds are interleaved (a login, a refresh and an authorized call
 * of each system in turn, the order rotating every round) so that machine
 * noise hits all alike, and each peer figure is given as a ratio to ours from
 * the same run. A password-hash-only timing per system, in the same rounds,
 * shows how much of each login is the hash.
 *
 * The peers are devDependencies of bench/ only (bench/package.json); when
 * bench/node_modules is missing, `npm ci --prefix bench` installs them.
 *
 *   npm run bench:peers -- [samples] [logins]   (default 100 refreshes and authorized calls, half as many logins)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { deps } from '../functions/core/deps.ts';
import { hashParameters, hashPassword, verifyPassword } from '../functions/core/crypto/passwords.ts';
import { startDynalite } from '../local/dynamo.ts';
import { DEFAULT_DEMO_PASSWORD, startLocal } from '../local/environment.ts';
import { summarize, timed } from './stats.ts';

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

type Operation = 'login' | 'refresh' | 'authorized' | 'hashOnly';

interface System {
  readonly name: string;
  readonly version: string;
  readonly passwordHash: string;
  readonly store: string;
  readonly flow: SystemReport['flow'];
  /** Each run leaves the tokens it got for the next operation. */
  readonly run: Record<Operation, () => Promise<void>>;
}

/** Registers a step that releases what a start acquired; all steps run, newest first, when the run ends or a start fails. */
type OnClose = (step: () => Promise<void> | void) => void;

const benchDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(benchDir, '..');
const peerPackages = ['@openauthjs/openauth', 'better-auth', 'hono', '@hono/node-server'] as const;
const EMAIL = 'peer@example.com';
const PASSWORD = DEFAULT_DEMO_PASSWORD;

/**
 * The peers' packages, from bench/node_modules. The specifier is a variable so
 * that type-checking the project never needs bench/node_modules.
 */
const peer = (specifier: string): Promise<any> => import(specifier);

async function packageVersion(path: string): Promise<string> {
  return (JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Installs bench/'s devDependencies when any is missing; what was done, for the report. */
function ensurePeersInstalled(log: (line: string) => void): string | null {
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

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return response;
}

async function json<T>(response: Response, what: string): Promise<T> {
  return (await (await expectStatus(response, 200, what)).json()) as T;
}

/** The cookies a browser would keep between the requests of one sign-in. */
class CookieJar {
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

// ---------------------------------------------------------------- ours

async function startOurs(onClose: OnClose): Promise<System> {
  const local = await startLocal({
    env: {
      LOGIN_RATE_LIMIT: '1000000',
      LOCKOUT_THRESHOLD: '1000000',
      RESET_EMAIL_LIMIT: '1000000',
      RESET_IP_LIMIT: '1000000',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    demoPassword: PASSWORD,
  });
  onClose(() => local.close());
  const post = (path: string, body: unknown) =>
    fetch(`${local.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  type Tokens = { access_token: string; refresh_token: string };
  const loginBody = { email: 'manager@example.com', password: PASSWORD };
  let tokens = await json<Tokens>(await post('/auth/login', loginBody), 'ours: login');
  const storedHash = await hashPassword(PASSWORD);
  const root = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return {
    name: 'ours',
    version: `${root.name} ${root.version}`,
    passwordHash: `argon2id m=${hashParameters.memoryCost} KiB, t=${hashParameters.timeCost}, p=${hashParameters.parallelism} (argon2 npm)`,
    store: 'DynamoDB (dynalite in this process)',
    flow: {
      login: 'POST /auth/login (JSON email + password) → access JWT + rotating refresh token',
      refresh: `POST /auth/refresh: the refresh token is spent and replaced, a new ${jwtAlg(tokens.access_token)} access JWT signed`,
      authorized: 'GET /auth/me with Bearer JWT: the authorizer verifies the JWT, the handler reads the user from DynamoDB',
    },
    run: {
      login: async () => {
        tokens = await json<Tokens>(await post('/auth/login', loginBody), 'ours: login');
      },
      refresh: async () => {
        tokens = await json<Tokens>(await post('/auth/refresh', { refresh_token: tokens.refresh_token }), 'ours: refresh');
      },
      authorized: async () => {
        await json(await fetch(`${local.url}/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }), 'ours: me');
      },
      hashOnly: async () => {
        if (!(await verifyPassword(storedHash, PASSWORD))) throw new Error('ours: the hash does not verify');
      },
    },
  };
}

/** DynamoDB calls of one operation of ours, counted on the handlers' client. */
async function ourDynamoCalls(system: System): Promise<Record<'login' | 'refresh' | 'authorized', number>> {
  let calls = 0;
  const stack = deps().db.middlewareStack;
  stack.add(
    (next) => async (args) => {
      calls++;
      return next(args);
    },
    { step: 'initialize', name: 'peersCountCalls' },
  );
  const counts = { login: 0, refresh: 0, authorized: 0 };
  try {
    for (const op of ['login', 'refresh', 'authorized'] as const) {
      calls = 0;
      await system.run[op]();
      counts[op] = calls;
    }
  } finally {
    stack.remove('peersCountCalls');
  }
  return counts;
}

// ---------------------------------------------------------------- openauth

interface ScryptRecord {
  hash: string;
  salt: string;
  N: number;
  r: number;
  p: number;
}

async function startOpenauth(onClose: OnClose): Promise<System & { storageCalls: () => Promise<Record<'login' | 'refresh' | 'authorized', number>> }> {
  const root = join(benchDir, 'node_modules', '@openauthjs', 'openauth');
  const version = await packageVersion(root);
  const [{ issuer }, { PasswordProvider, ScryptHasher }, { PasswordUI }, { DynamoStorage }, { createClient }, { createSubjects }, { Storage }, { getRequestListener }] =
    await Promise.all([
      peer('@openauthjs/openauth/issuer'),
      peer('@openauthjs/openauth/provider/password'),
      peer('@openauthjs/openauth/ui/password'),
      peer('@openauthjs/openauth/storage/dynamo'),
      peer('@openauthjs/openauth/client'),
      peer('@openauthjs/openauth/subject'),
      peer('@openauthjs/openauth/storage/storage'),
      peer('@hono/node-server'),
    ]);

  // Its own dynalite, and the table DynamoStorage expects: string keys pk (hash) and sk (range), TTL attribute "expiry".
  // A name of its own, in case the engine is one shared with other runs; dropped on close.
  const dynamo = await startDynalite();
  onClose(() => dynamo.close());
  const table = `openauth-peers-${randomBytes(4).toString('hex')}`;
  const admin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  onClose(() => admin.destroy());
  await admin.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  onClose(() => admin.send(new DeleteTableCommand({ TableName: table })).then(() => undefined, () => undefined));
  // DynamoStorage signs its requests (aws4fetch) with credentials from the environment; dynalite accepts any.
  const savedEnv = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' });
  onClose(() => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  // Storage calls, counted by wrapping the adapter.
  const dynamoStorage = DynamoStorage({ table, endpoint: dynamo.endpoint });
  let storageCalls = 0;
  const storage = {
    get: (key: string[]) => (storageCalls++, dynamoStorage.get(key)),
    set: (key: string[], value: unknown, expiry?: Date) => (storageCalls++, dynamoStorage.set(key, value, expiry)),
    remove: (key: string[]) => (storageCalls++, dynamoStorage.remove(key)),
    scan: (prefix: string[]) => (storageCalls++, dynamoStorage.scan(prefix)),
  };

  let sentCode: string | undefined;
  const emailSubject = {
    '~standard': {
      version: 1,
      vendor: 'bench',
      validate: (value: unknown) =>
        typeof (value as { email?: unknown } | null)?.email === 'string' ? { value } : { issues: [{ message: 'email expected' }] },
    },
  };
  const subjects = createSubjects({ user: emailSubject });
  const app = issuer({
    subjects,
    storage,
    providers: {
      password: PasswordProvider(
        PasswordUI({
          sendCode: async (_email: string, code: string) => {
            sentCode = code;
          },
        }),
      ),
    },
    success: async (ctx: { subject: (type: string, properties: unknown) => Promise<Response> }, value: { provider: string; email: string }) =>
      ctx.subject('user', { email: value.email }),
  });

  // One server: the issuer, and /me, a resource route that checks the token the way an openauth client does.
  let client: {
    authorize(redirect: string, response: 'code', options: { provider: string; pkce?: boolean }): Promise<{ url: string }>;
    exchange(code: string, redirect: string): Promise<{ err: unknown; tokens?: { access: string; refresh: string } }>;
    refresh(refresh: string): Promise<{ err: unknown; tokens?: { access: string; refresh: string } }>;
    verify(subjects: unknown, token: string): Promise<{ err?: unknown; subject?: { properties: { email: string } } }>;
  };
  const listener = getRequestListener(async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path !== '/me') return app.fetch(request);
    const token = request.headers.get('authorization')?.replace(/^Bearer /i, '') ?? '';
    const verified = await client.verify(subjects, token);
    if (verified.err || !verified.subject) return Response.json({ message: 'Unauthorized' }, { status: 401 });
    return Response.json(verified.subject.properties);
  });
  const server = createServer(listener as (req: IncomingMessage, res: ServerResponse) => void);
  const url = await listen(server);
  onClose(() => closeServer(server));
  client = createClient({ clientID: 'bench', issuer: url });
  const redirectUri = 'http://localhost/callback';

  const codeFrom = (response: Response, what: string): string => {
    const location = response.headers.get('location');
    const code = location ? new URL(location, url).searchParams.get('code') : null;
    if (response.status !== 302 || !code) throw new Error(`openauth: ${what} gave HTTP ${response.status}, location ${location}`);
    return code;
  };
  const exchange = async (code: string) => {
    const result = await client.exchange(code, redirectUri);
    if (result.err || !result.tokens) throw new Error(`openauth: code exchange failed: ${String(result.err)}`);
    return result.tokens;
  };
  const start = async (jar: CookieJar) => {
    const { url: authorizeUrl } = await client.authorize(redirectUri, 'code', { provider: 'password', pkce: false });
    const response = await jar.fetch(authorizeUrl);
    if (response.status !== 302) throw new Error(`openauth: GET /authorize gave HTTP ${response.status}`);
  };
  const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields) });

  // The user, registered through the provider's own sign-up flow (so its own hasher stores the hash).
  {
    const jar = new CookieJar();
    await start(jar);
    await expectStatus(await jar.fetch(`${url}/password/register`), 200, 'openauth: GET /password/register');
    await expectStatus(
      await jar.fetch(`${url}/password/register`, form({ action: 'register', email: EMAIL, password: PASSWORD, repeat: PASSWORD })),
      200,
      'openauth: POST /password/register',
    );
    if (!sentCode) throw new Error('openauth: registration sent no code');
    await exchange(codeFrom(await jar.fetch(`${url}/password/register`, form({ action: 'verify', code: sentCode })), 'verify'));
  }
  const record = (await Storage.get(dynamoStorage, ['email', EMAIL, 'password'])) as ScryptRecord | null;
  if (!record) throw new Error('openauth: no password stored after registration');
  const keyBytes = Buffer.from(record.hash, 'base64').length;
  const hasher = ScryptHasher() as { verify(password: string, record: ScryptRecord): Promise<boolean> };

  let tokens = { access: '', refresh: '' };
  const login = async () => {
    const jar = new CookieJar();
    await start(jar);
    const code = codeFrom(await jar.fetch(`${url}/password/authorize`, form({ email: EMAIL, password: PASSWORD })), 'POST /password/authorize');
    tokens = await exchange(code);
  };
  await login();
  const alg = jwtAlg(tokens.access);

  const run: System['run'] = {
    login,
    refresh: async () => {
      const result = await client.refresh(tokens.refresh);
      if (result.err || !result.tokens) throw new Error(`openauth: refresh failed: ${String(result.err)}`);
      tokens = result.tokens;
    },
    authorized: async () => {
      await json(await fetch(`${url}/me`, { headers: { authorization: `Bearer ${tokens.access}` } }), 'openauth: /me');
    },
    hashOnly: async () => {
      if (!(await hasher.verify(PASSWORD, record))) throw new Error('openauth: the hash does not verify');
    },
  };
  return {
    name: 'openauth',
    version: `@openauthjs/openauth ${version}`,
    passwordHash: `scrypt N=${record.N}, r=${record.r}, p=${record.p}, ${keyBytes}-byte key (PasswordProvider's default ScryptHasher, node:crypto)`,
    store: 'DynamoDB (DynamoStorage on its own dynalite in this process)',
    flow: {
      login:
        'OAuth code flow without its UI page: GET /authorize?provider=password (sets the encrypted authorization cookie) → POST /password/authorize (form) → 302 with code → POST /token (authorization_code): 3 requests',
      refresh: `POST /token grant_type=refresh_token via client.refresh: the token is marked used, the next one reserved, a new ${alg} access JWT signed`,
      authorized: `GET /me on the issuer's server: a route that runs client.verify (JWKS fetched once and cached, ${alg} check, subject schema) and returns the subject; openauth keeps no user record, so nothing is read`,
    },
    run,
    storageCalls: async () => {
      const counts = { login: 0, refresh: 0, authorized: 0 };
      for (const op of ['login', 'refresh', 'authorized'] as const) {
        storageCalls = 0;
        await run[op]();
        counts[op] = storageCalls;
      }
      return counts;
    },
  };
}

// ---------------------------------------------------------------- better-auth

/** better-auth keeps its scrypt parameters in @better-auth/utils' source; read them there, then prove them on the stored hash. */
async function betterAuthScrypt(storedHash: string): Promise<string> {
  const file = join(benchDir, 'node_modules', '@better-auth', 'utils', 'dist', 'password.node.mjs');
  const source = await readFile(file, 'utf8');
  const read = (name: string) => Number(new RegExp(`\\b${name}:\\s*(\\d+)`).exec(source)?.[1]);
  const [N, r, p, dkLen] = [read('N'), read('r'), read('p'), read('dkLen')];
  if (![N, r, p, dkLen].every(Number.isFinite)) return 'scrypt (parameters not found in @better-auth/utils/dist/password.node.mjs)';
  const [salt = '', key = ''] = storedHash.split(':');
  const { scryptSync } = await import('node:crypto');
  const derived = scryptSync(PASSWORD.normalize('NFKC'), salt, dkLen, { N, r, p, maxmem: 256 * N * r }).toString('hex');
  const proven = derived === key ? 'checked against the stored hash' : 'NOT matching the stored hash';
  return `scrypt N=${N}, r=${r}, p=${p}, ${dkLen}-byte key (@better-auth/utils, node:crypto; ${proven})`;
}

async function startBetterAuth(onClose: OnClose): Promise<System> {
  const root = join(benchDir, 'node_modules', 'better-auth');
  const version = await packageVersion(root);
  const [{ betterAuth }, { bearer, jwt }, { memoryAdapter }, { toNodeHandler }, { verifyPassword: verifyBetterAuth }] = await Promise.all([
    peer('better-auth'),
    peer('better-auth/plugins'),
    peer('better-auth/adapters/memory'),
    peer('better-auth/node'),
    peer('better-auth/crypto'),
  ]);
  const db: Record<string, Record<string, unknown>[]> = { user: [], session: [], account: [], verification: [], jwks: [] };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  const url = await listen(server);
  onClose(() => closeServer(server));
  const auth = betterAuth({
    baseURL: url,
    secret: randomBytes(32).toString('hex'),
    database: memoryAdapter(db),
    emailAndPassword: { enabled: true },
    plugins: [bearer(), jwt()],
    // Ours runs with its limits out of reach too.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: 'error' },
  });
  handler = toNodeHandler(auth);
  await auth.api.signUpEmail({ body: { email: EMAIL, password: PASSWORD, name: 'Peer' } });
  const account = db.account?.find((a) => a.providerId === 'credential');
  const storedHash = typeof account?.password === 'string' ? account.password : '';
  if (!storedHash) throw new Error('better-auth: no credential account after sign-up');

  const api = `${url}/api/auth`;
  let sessionToken = '';
  const login = async () => {
    const body = await json<{ token: string }>(
      await fetch(`${api}/sign-in/email`, {
        method: 'POST',
        // Its origin check wants the Origin header a browser on the app's own origin sends.
        headers: { 'content-type': 'application/json', origin: url },
        body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
      }),
      'better-auth: sign-in/email',
    );
    sessionToken = body.token;
  };
  await login();
  const probe = await json<{ token: string }>(
    await fetch(`${api}/token`, { headers: { authorization: `Bearer ${sessionToken}` } }),
    'better-auth: /token',
  );
  const alg = jwtAlg(probe.token);
  const sessionProbe = await expectStatus(
    await fetch(`${api}/get-session`, { headers: { authorization: `Bearer ${sessionToken}` } }),
    200,
    'better-auth: get-session',
  );
  const signsOnCheck = sessionProbe.headers.has('set-auth-jwt');
  await sessionProbe.text();
  return {
    name: 'better-auth',
    version: `better-auth ${version}`,
    passwordHash: await betterAuthScrypt(storedHash),
    store: 'in-process memory (memoryAdapter), no database round trip',
    flow: {
      login: 'POST /api/auth/sign-in/email (JSON, with the Origin header its CSRF check requires) → session token (bearer plugin)',
      refresh:
        `GET /api/auth/token with Bearer session token (jwt plugin): a new 15-minute ${alg} JWT for the session; better-auth has no refresh-token grant for email/password sessions, nothing is rotated`,
      authorized:
        `GET /api/auth/get-session with Bearer session token: session and user looked up (memory)${signsOnCheck ? `, and (jwt plugin) a JWT (${alg}) signed into the set-auth-jwt header` : ''}`,
    },
    run: {
      login,
      refresh: async () => {
        const body = await json<{ token: string }>(
          await fetch(`${api}/token`, { headers: { authorization: `Bearer ${sessionToken}` } }),
          'better-auth: /token',
        );
        if (!body.token) throw new Error('better-auth: /token returned no JWT');
      },
      authorized: async () => {
        const body = await json<{ user?: { email: string } } | null>(
          await fetch(`${api}/get-session`, { headers: { authorization: `Bearer ${sessionToken}` } }),
          'better-auth: get-session',
        );
        if (body?.user?.email !== EMAIL) throw new Error('better-auth: get-session returned no session');
      },
      hashOnly: async () => {
        if (!(await verifyBetterAuth({ hash: storedHash, password: PASSWORD }))) throw new Error('better-auth: the hash does not verify');
      },
    },
  };
}

// ---------------------------------------------------------------- the run

/** Hono's request logger, which openauth's issuer always installs, prints two lines per request; ours logs nothing at ERROR. */
function quietHonoLogger(): () => void {
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
function jwtAlg(token: string): string {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: string }).alg ?? '?';
  } catch {
    return '?';
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function runPeers(options: { samples: number; loginSamples?: number; log?: (line: string) => void }): Promise<PeerReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const samples = Math.max(1, Math.floor(options.samples));
  const loginSamples = Math.min(samples, Math.max(1, Math.floor(options.loginSamples ?? Math.ceil(samples / 2))));
  const notes: string[] = [];
  const install = ensurePeersInstalled(log);
  const restoreLog = quietHonoLogger();

  const reports = new Map<string, SystemReport>();
  const failed = (name: string, version: string, error: string): SystemReport => ({
    name,
    version,
    passwordHash: 'n/a',
    store: 'n/a',
    flow: { login: 'n/a', refresh: 'n/a', authorized: 'n/a' },
    login: null,
    refresh: null,
    authorized: null,
    hashOnly: null,
    error,
  });
  const systems: System[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const onClose: OnClose = (step) => closers.push(step);
  try {
    log('Starting ours (startLocal)');
    systems.push(await startOurs(onClose));

    const installProblem = install && install.startsWith('installed') ? null : install;
    const starters: [string, string, (onClose: OnClose) => Promise<System>][] = [
      ['openauth', '@openauthjs/openauth', startOpenauth],
      ['better-auth', 'better-auth', startBetterAuth],
    ];
    for (const [name, pkg, start] of starters) {
      let version = 'not installed';
      try {
        version = `${pkg} ${await packageVersion(join(benchDir, 'node_modules', pkg))}`;
      } catch {
        // reported below
      }
      if (installProblem || version === 'not installed') {
        reports.set(name, failed(name, version, installProblem ?? `${pkg} is not in bench/node_modules`));
        continue;
      }
      log(`Starting ${name}`);
      try {
        systems.push(await start(onClose));
      } catch (error) {
        reports.set(name, failed(name, version, `could not be started: ${errorText(error)}`));
      }
    }

    // Warm-up, interleaved like the measured rounds.
    log(`Warming up ${systems.map((s) => s.name).join(', ')}`);
    const live = new Set(systems);
    const durations = new Map<System, Record<Operation, number[]>>(
      systems.map((s) => [s, { login: [], refresh: [], authorized: [], hashOnly: [] }]),
    );
    const problems = new Map<System, string>();
    const attempt = async (system: System, op: Operation, record: boolean) => {
      if (!live.has(system)) return;
      try {
        const ms = await timed(system.run[op]);
        if (record) durations.get(system)![op].push(ms);
      } catch (error) {
        live.delete(system);
        problems.set(system, `failed during ${record ? 'the measured rounds' : 'warm-up'} (${op}): ${errorText(error)}`);
      }
    };
    for (let round = 0; round < 10; round++) {
      for (const system of systems) {
        if (round < 3) await attempt(system, 'login', false);
        if (round < 3) await attempt(system, 'hashOnly', false);
        await attempt(system, 'refresh', false);
        await attempt(system, 'authorized', false);
      }
    }

    log(`Measuring: ${samples} rounds (refresh, authorized call), ${loginSamples} with a login and a hash-only check`);
    for (let round = 0; round < samples; round++) {
      // The order rotates so no system always follows the same one.
      const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
      for (const system of order) {
        if (round < loginSamples) {
          await attempt(system, 'login', true);
          await attempt(system, 'hashOnly', true);
        }
        await attempt(system, 'refresh', true);
        await attempt(system, 'authorized', true);
      }
      if ((round + 1) % 25 === 0) log(`  ${round + 1}/${samples}`);
    }

    // Store round trips per operation, where they can be counted (not timed).
    for (const system of systems) {
      if (!live.has(system)) continue;
      try {
        if (system.name === 'ours') {
          const c = await ourDynamoCalls(system);
          notes.push(`ours: DynamoDB calls per login/refresh/authorized call: ${c.login}/${c.refresh}/${c.authorized}`);
        } else if ('storageCalls' in system) {
          const c = await (system as Awaited<ReturnType<typeof startOpenauth>>).storageCalls();
          notes.push(`openauth: storage calls (DynamoDB requests) per login/refresh/authorized call: ${c.login}/${c.refresh}/${c.authorized}`);
        }
      } catch (error) {
        notes.push(`${system.name}: store calls not counted: ${errorText(error)}`);
      }
    }

    for (const system of systems) {
      const d = durations.get(system)!;
      // A system that failed midway has no figures: a shorter window would not compare with the others'.
      const figures = (op: Operation): Percentiles | null => {
        if (problems.has(system) || d[op].length === 0) return null;
        const s = summarize(d[op]);
        return { n: s.n, p50: s.p50, p95: s.p95 };
      };
      reports.set(system.name, {
        name: system.name,
        version: system.version,
        passwordHash: system.passwordHash,
        store: system.store,
        flow: system.flow,
        login: figures('login'),
        refresh: figures('refresh'),
        authorized: figures('authorized'),
        hashOnly: figures('hashOnly'),
        error: problems.get(system) ?? null,
      });
    }
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // the rest still runs
      }
    }
    restoreLog();
  }
  if (!reports.has('ours')) throw new Error('ours did not start');
  notes.push(
    'All three run in this one Node process (servers and the client driving them over HTTP on 127.0.0.1), so they share its event loop and libuv thread pool alike.',
    "Hono's request log lines, which openauth's issuer always prints, are dropped from the console (ours logs nothing at POWERTOOLS_LOG_LEVEL=ERROR); formatting them still counts.",
  );
  const ordered = ['ours', 'openauth', 'better-auth'].map((name) => reports.get(name)).filter((r): r is SystemReport => r !== undefined);
  return { node: process.version, samples, loginSamples, install, systems: ordered, notes };
}

// ---------------------------------------------------------------- the table

const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

export function printPeers(report: PeerReport, write: (line: string) => void = console.log): void {
  const ours = report.systems.find((s) => s.name === 'ours');
  const columns: [Operation, string][] = [
    ['login', 'login'],
    ['refresh', 'refresh'],
    ['authorized', 'authorized call'],
    ['hashOnly', 'hash alone'],
  ];
  write(
    `Peers, side by side: ${report.samples} interleaved rounds of refresh + authorized call, ${report.loginSamples} of them with a login and a hash-alone check; Node ${report.node}`,
  );
  write(report.install ? `Peers: ${report.install}` : 'Peers: from bench/node_modules (already installed)');
  write('Milliseconds, p50 / p95; × is the peer\'s figure over ours from this same run (above 1: slower than ours).');
  write('');
  const cell = (system: SystemReport, op: Operation): string => {
    const f = system[op];
    if (!f) return '—';
    const base = ours?.[op];
    const ratio = (value: number, reference: number | undefined) =>
      system === ours || reference === undefined ? '' : ` ${(value / reference).toFixed(2)}×`;
    return `${fmt(f.p50)}${ratio(f.p50, base?.p50)} / ${fmt(f.p95)}${ratio(f.p95, base?.p95)}`;
  };
  const header = ['system', ...columns.map(([, label]) => label)];
  const rows = report.systems.map((s) => [s.name, ...columns.map(([op]) => cell(s, op))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  write(line(header));
  for (const row of rows) write(line(row));
  write('');
  for (const s of report.systems) {
    write(`${s.name}: ${s.version}`);
    if (s.error) write(`  NO FIGURES: ${s.error}`);
    if (s.passwordHash !== 'n/a') write(`  password hash   ${s.passwordHash}`);
    if (s.store !== 'n/a') write(`  store           ${s.store}`);
    if (s.flow.login !== 'n/a') {
      write(`  login           ${s.flow.login}`);
      write(`  refresh         ${s.flow.refresh}`);
      write(`  authorized call ${s.flow.authorized}`);
    }
  }
  write('');
  for (const note of report.notes) write(`Note: ${note}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const samples = Number(process.argv[2] ?? 100);
  const loginSamples = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  if (!Number.isFinite(samples) || samples < 1 || (loginSamples !== undefined && !(loginSamples >= 1))) {
    console.error('usage: npm run bench:peers -- [samples (default 100)] [logins (default half the samples)]');
    process.exit(2);
  }
  const report = await runPeers({ samples, ...(loginSamples ? { loginSamples } : {}) });
  printPeers(report);
  process.exit(0);
}
