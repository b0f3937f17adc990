/**
 * CPU time per refresh and per authorizer decision, next to their floors (one
 * RS256 signature; one RS256 verification with the same key). The handlers run
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
import { readFile } from 'node:fs/promises';
import { resetDeps, setDeps } from '../functions/core/deps.ts';
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
  readonly sign: CpuRow;
  readonly verify: CpuRow;
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

/** CPU microseconds per call of `fn` after a warm-up, and the bytes written to stdout meanwhile (discarded). */
async function cpuOf(name: string, iterations: number, fn: () => Promise<unknown>): Promise<CpuRow> {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  }) as typeof process.stdout.write;
  let used: NodeJS.CpuUsage;
  try {
    for (let i = 0; i < Math.min(200, iterations); i++) await fn();
    bytes = 0;
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await fn();
    used = process.cpuUsage(start);
  } finally {
    process.stdout.write = write;
  }
  return { name, cpuUs: (used.user + used.system) / iterations, logBytes: bytes / iterations };
}

export async function runCpu(options: { iterations: number }): Promise<CpuReport> {
  const { iterations } = options;
  process.env.AWS_REGION ??= 'us-east-1';
  // The level a deployment logs at: the audit line of each refresh is part of its cost.
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  // Metrics on, as deployed: their line is part of a request's CPU and log bytes.
  const metricsDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  resetMetrics();
  try {
    return await measureAll(iterations);
  } finally {
    logger.setLogLevel(level);
    if (metricsDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = metricsDisabled;
    resetMetrics();
    // The stubbed client must not outlive the measurement.
    resetDeps();
  }
}

async function measureAll(iterations: number): Promise<CpuReport> {
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
  const refreshRow = await cpuOf('refresh (AUDIT_REFRESHES=table)', iterations, refreshOnce);
  setDeps({ settings: { ...settings, auditRefreshes: 'log' } });
  const refreshLogAudit = await cpuOf('refresh (AUDIT_REFRESHES=log)', iterations, refreshOnce);
  setDeps({ settings });

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
  const authorizerRow = await cpuOf('authorizer decision (JWT)', iterations, authorizeOnce);

  const publicKey = keys.publicKeys.get(keys.current.kid) as NonNullable<ReturnType<typeof keys.publicKeys.get>>;
  const sign = await cpuOf('floor: one RS256 signature (jose)', iterations, () =>
    new SignJWT({ sid: SESSION, role: 'MANAGER', tenant_id: 'demo' })
      .setProtectedHeader({ alg: 'RS256', kid: keys.current.kid })
      .setIssuer(issuer)
      .setAudience(d.settings.audience)
      .setSubject(USER)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(keys.current.privateKey),
  );
  const verify = await cpuOf('floor: one RS256 verification (jose)', iterations, () =>
    jwtVerify(accessToken, publicKey, { algorithms: ['RS256'] }),
  );
  const dbCall = await cpuOf('one DynamoDB call through the client', iterations, () =>
    d.db.get({ TableName: tables.sessions, Key: { pk: `USER#${USER}`, sk: `SESSION#${SESSION}` }, ConsistentRead: true }),
  );
  setDeps({ db: inProcessClient(sessionItem(now)), settings: { ...settings, auditRefreshes: 'log' } });
  const storeInProcess = {
    refreshLogAudit: await cpuOf('refresh (log), the store in process', iterations, refreshOnce),
    authorizer: await cpuOf('authorizer, the store in process', iterations, authorizeOnce),
  };
  return { iterations, refresh: refreshRow, refreshLogAudit, authorizer: authorizerRow, sign, verify, dbCall, storeInProcess };
}

const us = (value: number) => `${value.toFixed(0).padStart(6)} µs`;

export function printCpu(r: CpuReport): void {
  console.log(`CPU per call, handlers in process with DynamoDB answering from a stub, ${r.iterations} calls each`);
  for (const row of [
    r.refresh,
    r.refreshLogAudit,
    r.sign,
    r.authorizer,
    r.verify,
    r.dbCall,
    r.storeInProcess.refreshLogAudit,
    r.storeInProcess.authorizer,
  ]) {
    console.log(`  ${row.name.padEnd(40)} ${us(row.cpuUs)}   log ${row.logBytes.toFixed(0)} B/call`);
  }
  console.log(
    `  refresh ÷ one sign: ${(r.refresh.cpuUs / r.sign.cpuUs).toFixed(2)} (target ≤ 2); authorizer ÷ one verify: ${(r.authorizer.cpuUs / r.verify.cpuUs).toFixed(2)} (target ≤ 2)`,
  );
}

if (isMain(import.meta.url)) {
  runMain(async () => printCpu(await runCpu({ iterations: numberArg(0, 2000) })));
}
