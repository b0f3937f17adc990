/** better-auth in the peer benchmark: email and password, bearer and jwt plugins, memory adapter. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  EMAIL,
  type OnClose,
  PASSWORD,
  type System,
  benchDir,
  closeServer,
  expectStatus,
  json,
  listen,
  packageVersion,
  peer,
  jwtAlg,
} from './common.ts';

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

export async function startBetterAuth(onClose: OnClose): Promise<System> {
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
      refresh: `GET /api/auth/token with Bearer session token (jwt plugin): a new 15-minute ${alg} JWT for the session; better-auth has no refresh-token grant for email/password sessions, nothing is rotated`,
      authorized: `GET /api/auth/get-session with Bearer session token: session and user looked up (memory)${signsOnCheck ? `, and (jwt plugin) a JWT (${alg}) signed into the set-auth-jwt header` : ''}`,
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
