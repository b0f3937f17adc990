/** @openauthjs/openauth in the peer benchmark: password provider, DynamoStorage on its own dynalite. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../../local/dynamo.ts';
import {
  CookieJar,
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

interface ScryptRecord {
  hash: string;
  salt: string;
  N: number;
  r: number;
  p: number;
}

export async function startOpenauth(
  onClose: OnClose,
): Promise<System & { storageCalls: () => Promise<Record<'login' | 'refresh' | 'authorized', number>> }> {
  const root = join(benchDir, 'node_modules', '@openauthjs', 'openauth');
  const version = await packageVersion(root);
  const [
    { issuer },
    { PasswordProvider, ScryptHasher },
    { PasswordUI },
    { DynamoStorage },
    { createClient },
    { createSubjects },
    { Storage },
    { getRequestListener },
  ] = await Promise.all([
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
  const admin = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
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
  onClose(() =>
    admin.send(new DeleteTableCommand({ TableName: table })).then(
      () => undefined,
      () => undefined,
    ),
  );
  // DynamoStorage signs its requests (aws4fetch) with credentials from the environment; dynalite accepts any.
  const savedEnv = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  });
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
    success: async (
      ctx: { subject: (type: string, properties: unknown) => Promise<Response> },
      value: { provider: string; email: string },
    ) => ctx.subject('user', { email: value.email }),
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
    const code = codeFrom(
      await jar.fetch(`${url}/password/authorize`, form({ email: EMAIL, password: PASSWORD })),
      'POST /password/authorize',
    );
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
