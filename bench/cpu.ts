/**
 * CPU time per refresh and per authorizer decision, next to their floors: the
 * one RSA signature and the one RSA verification each must make (node:crypto,
 * as the handlers make them), with jose's JWT sign and verify beside them
 * for reference (through WebCrypto, in a process of their own). The handlers run
 * in this process as Lambda would run them, with the DynamoDB client answering
 * every call from a stub in place of the network, so that what is timed is our
 * code (the client's signing and JSON included), not a database. The stub is for measuring only: tests
 * never stub the store. Also the log bytes each request writes (at INFO, the
 * level a deployment runs at).
 *
 *   npm run bench:cpu -- [iterations]   (default 2000)
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { SignJWT, jwtVerify } from 'jose';
import { execFile } from 'node:child_process';
import { sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setDeps } from '../functions/core/deps.ts';
import { logger } from '../functions/core/infra/logger.ts';
import { resetMetrics } from '../functions/core/infra/metrics.ts';
import { signAccessToken } from '../functions/core/crypto/access-tokens.ts';
import { deriveRefreshToken, hashToken } from '../functions/core/crypto/refresh-tokens.ts';
import { KeyStore, memorySources } from '../functions/core/crypto/key-store.ts';
import { createKeyMaterial, toSigningKeys } from '../functions/core/crypto/signing-keys.ts';
import { loadSettings } from '../functions/core/infra/config.ts';
import { systemClock } from '../functions/core/infra/clock.ts';
import { createDb, type TableNames } from '../functions/core/infra/db.ts';
import type { DynamoDb } from '../functions/core/infra/dynamodb.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { summarize } from './stats.ts';

export interface CpuRow {
  readonly name: string;
  /** Microseconds of CPU (user + system) per call. */
  readonly cpuUs: number;
  /** Log bytes written per call (0 for the floors). */
  readonly logBytes: number;
}

export interface CpuReport {
  readonly iterations: number;
  readonly refresh: CpuRow;
  readonly refreshLogAudit: CpuRow;
  readonly authorizer: CpuRow;
  /** The floors: the RSA operations alone, node:crypto's one-shot `sign` and `verify` of a token's bytes, as the handlers make them. */
  readonly sign: CpuRow;
  readonly verify: CpuRow;
  /** For reference, in a process of their own: one RS256 JWT signed and verified with jose, which goes through WebCrypto. */
  readonly jose: { readonly sign: CpuRow; readonly verify: CpuRow };
  /** One GetItem through the client against the stub: what every DynamoDB call costs in CPU. */
  readonly dbCall: CpuRow;
  /**
   * The refresh (AUDIT_REFRESHES=log) and the authorizer with the store
   * answered in process, without the client: the handlers' own CPU beside the
   * floors, the client's cost left out.
   */
  readonly storeInProcess: { readonly refreshLogAudit: CpuRow; readonly authorizer: CpuRow };
}

const USER = '2f1c8f0e-4a55-4d7e-9a43-0b3f3a6f1c11';
const SESSION = 'UVd6cFq3kA0H7yWq3rYy9g';
const run = promisify(execFile);
const lambdaContext = { awsRequestId: 'cpu', functionName: 'cpu', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const tables = { users: 'users', sessions: 'sessions', lockouts: 'lockouts', apiTokens: 'api-tokens', audit: 'audit' } as TableNames;

/** A session item as a login writes it, carrying its user. */
function sessionItem(now: Date): Record<string, unknown> {
  const endsAt = new Date(now.getTime() + 12 * 3600_000);
  return {
    pk: `USER#${USER}`,
    sk: `SESSION#${SESSION}`,
    userId: USER,
    sessionId: SESSION,
    tenantId: 'demo',
    role: 'MANAGER',
    generation: 1,
    tokenHash: hashToken('next'),
    rotatedAt: now.toISOString(),
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    ip: '203.0.113.10',
    userAgent: 'curl/8.5.0',
    revoked: false,
    endsAt: endsAt.toISOString(),
    expiresAt: Math.floor(endsAt.getTime() / 1000),
    user: {
      id: USER,
      tenantId: 'demo',
      role: 'MANAGER',
      email: 'manager@example.com',
      username: 'manager',
      status: 'active',
      customerId: null,
      firstName: 'Mia',
      lastName: 'Manager',
      phone: null,
      createdAt: now.toISOString(),
      createdBy: null,
      lastLoginAt: now.toISOString(),
    },
  };
}

/** The handlers' DynamoDB client with a stub for the network: UpdateItem and GetItem answer the session, the rest `{}`. */
function stubbedClient(item: Record<string, unknown>): DynamoDb {
  const marshalled = marshall(item, { removeUndefinedValues: true });
  const answers: Record<string, string> = {
    UpdateItem: JSON.stringify({ Attributes: marshalled }),
    GetItem: JSON.stringify({ Item: marshalled }),
  };
  return createDb({
    endpoint: 'https://dynamodb.us-east-1.amazonaws.com',
    region: 'us-east-1',
    transport: {
      send: async (headers) => ({ status: 200, body: answers[(headers['x-amz-target'] ?? '').split('.')[1] ?? ''] ?? '{}' }),
    },
  });
}

/** A client that answers each call at once, in process, with no signing or JSON: what is left is the handlers' own. */
function inProcessClient(item: Record<string, unknown>): DynamoDb {
  const answer = async () => ({ Item: item, Attributes: item, Items: [], Count: 0 });
  return { get: answer, put: answer, update: answer, delete: answer, query: answer } as unknown as DynamoDb;
}

/** One thing to time: its work, and the dependencies it runs with (set before each of its batches). */
interface Timed {
  readonly name: string;
  readonly setup?: () => void;
  readonly fn: () => Promise<unknown>;
}

/** Rounds of batches: each thing gets one batch per round, so that drift in machine load falls on all alike. */
const ROUNDS = 10;

/**
 * CPU microseconds per call of each thing (the median of its batches), after
 * a warm-up, and the bytes written to stdout meanwhile (discarded).
 */
async function cpuOf(things: readonly Timed[], iterations: number): Promise<CpuRow[]> {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  }) as typeof process.stdout.write;
  const batch = Math.max(1, Math.round(iterations / ROUNDS));
  const perCall = things.map(() => [] as number[]);
  const logBytes = things.map(() => 0);
  try {
    for (const thing of things) {
      thing.setup?.();
      for (let i = 0; i < Math.min(200, iterations); i++) await thing.fn();
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, thing] of things.entries()) {
        thing.setup?.();
        bytes = 0;
        const start = process.cpuUsage();
        for (let i = 0; i < batch; i++) await thing.fn();
        const used = process.cpuUsage(start);
        perCall[index]!.push((used.user + used.system) / batch);
        logBytes[index]! += bytes;
      }
    }
  } finally {
    process.stdout.write = write;
  }
  return things.map((thing, index) => ({
    name: thing.name,
    cpuUs: summarize(perCall[index]!).p50,
    logBytes: logBytes[index]! / (batch * ROUNDS),
  }));
}

/**
 * What each process measures: a handler beside its floor, interleaved. Each
 * handler runs in a process of its own, as each Lambda function does: a
 * second handler's code at the same call sites would slow both (V8's inline
 * caches), which no deployment pays.
 */
const PARTS = ['refresh', 'authorizer', 'refresh-in-process', 'authorizer-in-process', 'jose'] as const;
type Part = (typeof PARTS)[number];

export async function runCpu(options: { iterations: number }): Promise<CpuReport> {
  const rows = {} as Record<Part, CpuRow[]>;
  for (const part of PARTS) {
    const { stdout } = await run(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), `--part=${part}`, String(options.iterations)],
      {
        maxBuffer: 1 << 20,
      },
    );
    rows[part] = JSON.parse(stdout.trim().split('\n').at(-1)!) as CpuRow[];
  }
  const [refresh, refreshLogAudit, sign] = rows.refresh;
  const [authorizer, verify, dbCall] = rows.authorizer;
  const [joseSign, joseVerify] = rows.jose;
  return {
    iterations: options.iterations,
    refresh: refresh!,
    refreshLogAudit: refreshLogAudit!,
    authorizer: authorizer!,
    sign: sign!,
    verify: verify!,
    jose: { sign: joseSign!, verify: joseVerify! },
    dbCall: dbCall!,
    storeInProcess: { refreshLogAudit: rows['refresh-in-process'][0]!, authorizer: rows['authorizer-in-process'][0]! },
  };
}

/** One part, in this process: its rows. */
async function measurePart(part: Part, iterations: number): Promise<CpuRow[]> {
  process.env.AWS_REGION ??= 'us-east-1';
  // The level a deployment logs at: the audit line of each refresh is part of its cost.
  logger.setLogLevel('INFO');
  // Metrics on, as deployed: their line is part of a request's CPU and log bytes.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  resetMetrics();
  return measure(part, iterations);
}

async function measure(part: Part, iterations: number): Promise<CpuRow[]> {
  const now = new Date();
  const material = createKeyMaterial(now);
  const keys = toSigningKeys(material);
  const settings = loadSettings({});
  const d = setDeps({
    settings,
    clock: systemClock,
    db: stubbedClient(sessionItem(now)),
    tables,
    keys: new KeyStore(memorySources(material)),
    mailer: { send: async () => undefined },
  });

  const refreshEvent = JSON.parse(await readFile(new URL('../events/refresh.json', import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
  const token = deriveRefreshToken(keys.refreshSecret, { userId: USER, sessionId: SESSION, generation: 0 });
  const { handler: refresh } = await import('../functions/refresh.ts');
  const refreshOnce = async () => {
    const answer = (await refresh({ ...refreshEvent, body: JSON.stringify({ refresh_token: token }) }, lambdaContext)) as {
      statusCode: number;
      body: string;
    };
    if (answer.statusCode !== 200) throw new Error(`refresh answered ${answer.statusCode} ${answer.body}`);
  };
  const issuer = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
  const subject = { userId: USER, sessionId: SESSION, role: 'MANAGER' as const, tenantId: 'demo' };
  const expiresAt = new Date(now.getTime() + 900_000);
  const accessToken = await signAccessToken(keys, subject, { issuer, audience: d.settings.audience, now, expiresAt });
  const authorizerEvent = JSON.parse(
    await readFile(new URL('../events/authorizer.json', import.meta.url), 'utf8'),
  ) as APIGatewayRequestAuthorizerEventV2;
  const { handler: authorizer } = await import('../functions/authorizer.ts');
  const authorizeOnce = async () => {
    const decision = await authorizer({
      ...authorizerEvent,
      headers: { ...authorizerEvent.headers, authorization: `Bearer ${accessToken}` },
    });
    if (decision.context.decision !== 'allow') throw new Error(`authorizer refused: ${JSON.stringify(decision.context)}`);
  };
  const publicKey = keys.publicKeys.get(keys.current.kid) as NonNullable<ReturnType<typeof keys.publicKeys.get>>;
  const stubbed = d.db;
  const signOnce = () =>
    new SignJWT({ sid: SESSION, role: 'MANAGER', tenant_id: 'demo' })
      .setProtectedHeader({ alg: 'RS256', kid: keys.current.kid })
      .setIssuer(issuer)
      .setAudience(d.settings.audience)
      .setSubject(USER)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(keys.current.privateKey);
  const joseSign: Timed = { name: 'one RS256 JWT signed with jose', fn: signOnce };
  const joseVerify: Timed = {
    name: 'one RS256 JWT verified with jose',
    fn: () => jwtVerify(accessToken, publicKey, { algorithms: ['RS256'] }),
  };
  const [headerPart, claimsPart, signaturePart] = accessToken.split('.') as [string, string, string];
  const signingInput = Buffer.from(`${headerPart}.${claimsPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const sign: Timed = {
    name: 'floor: one RSA signature (node:crypto)',
    fn: async () => cryptoSign('sha256', signingInput, keys.current.privateKey),
  };
  const verify: Timed = {
    name: 'floor: one RSA verification (node:crypto)',
    fn: async () => cryptoVerify('sha256', signingInput, publicKey, signature),
  };
  const inProcess = () => setDeps({ db: inProcessClient(sessionItem(now)), settings: { ...settings, auditRefreshes: 'log' } });
  switch (part) {
    case 'refresh': {
      // One handler, two settings: the same code at the same call sites, so they share a process.
      const auditing = (auditRefreshes: 'table' | 'log') => () => {
        setDeps({ settings: { ...settings, auditRefreshes } });
      };
      return cpuOf(
        [
          { name: 'refresh (AUDIT_REFRESHES=table)', setup: auditing('table'), fn: refreshOnce },
          { name: 'refresh (AUDIT_REFRESHES=log)', setup: auditing('log'), fn: refreshOnce },
          sign,
        ],
        iterations,
      );
    }
    case 'authorizer':
      return cpuOf(
        [
          { name: 'authorizer decision (JWT)', fn: authorizeOnce },
          verify,
          {
            name: 'one DynamoDB call through the client',
            fn: () =>
              stubbed.get({ TableName: tables.sessions, Key: { pk: `USER#${USER}`, sk: `SESSION#${SESSION}` }, ConsistentRead: true }),
          },
        ],
        iterations,
      );
    case 'refresh-in-process':
      inProcess();
      return cpuOf([{ name: 'refresh (log), the store in process', fn: refreshOnce }, sign], iterations);
    case 'authorizer-in-process':
      inProcess();
      return cpuOf([{ name: 'authorizer, the store in process', fn: authorizeOnce }, verify], iterations);
    case 'jose':
      return cpuOf([joseSign, joseVerify], iterations);
  }
}

const us = (value: number) => `${value.toFixed(0).padStart(6)} µs`;

export function printCpu(r: CpuReport): void {
  console.log(
    `CPU per call, handlers in process with DynamoDB answering from a stub, ${r.iterations} calls each in ${ROUNDS} interleaved rounds (median)`,
  );
  for (const row of [
    r.refresh,
    r.refreshLogAudit,
    r.sign,
    r.authorizer,
    r.verify,
    r.dbCall,
    r.storeInProcess.refreshLogAudit,
    r.storeInProcess.authorizer,
    r.jose.sign,
    r.jose.verify,
  ]) {
    console.log(`  ${row.name.padEnd(40)} ${us(row.cpuUs)}   log ${row.logBytes.toFixed(0)} B/call`);
  }
  console.log(
    `  refresh ÷ one sign: ${(r.refresh.cpuUs / r.sign.cpuUs).toFixed(2)} (target ≤ 2); authorizer ÷ one verify: ${(r.authorizer.cpuUs / r.verify.cpuUs).toFixed(2)} (target ≤ 2)`,
  );
}

if (isMain(import.meta.url)) {
  const part = process.argv.find((arg) => arg.startsWith('--part='))?.slice('--part='.length) as Part | undefined;
  runMain(async () => {
    if (part) console.log(JSON.stringify(await measurePart(part, numberArg(0, 2000))));
    else printCpu(await runCpu({ iterations: numberArg(0, 2000) }));
  });
}
