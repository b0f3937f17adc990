/**
 * Latency per operation on the local server (one request at a time), the
 * argon2 verification alone as the floor of a login, and the DynamoDB calls
 * each operation costs, counted by a middleware on the client the handlers
 * use: calls, and round trips (a call that starts while another is in flight
 * shares its round trip).
 *
 *   npm run bench:latency -- [samples]   (default 300)
 */
import { readFile } from 'node:fs/promises';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { deps, setDeps } from '../functions/core/deps.ts';
import { createDb } from '../functions/core/infra/db.ts';
import type { DynamoDb } from '../functions/core/infra/dynamodb.ts';
import { tables } from '../lib/tables.ts';
import { itemSize, unitsOf, type RecordedCall, type Units } from './capacity.ts';
import { hashPassword, verifyPassword } from '../functions/core/crypto/passwords.ts';
import { DEFAULT_DEMO_PASSWORD } from '../local/environment.ts';
import { call, login } from '../test/fixtures/local.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { startBenchLocal } from './local.ts';
import { interleaved, ms, summarize, timed, type Summary } from './stats.ts';

export interface OperationLatency extends Summary {
  readonly name: string;
  /**
   * Of each request, the time some DynamoDB call of the handlers was in
   * flight (the client, loopback HTTP and dynalite, which runs in this process):
   * its p50, and the p50 of the rest, which is ours.
   */
  readonly inDynamo?: { readonly p50: number; readonly besidesP50: number };
}

export interface DbCalls {
  readonly name: string;
  readonly calls: number;
  readonly roundTrips: number;
  /** e.g. "2 Get, 1 Put" */
  readonly commands: string;
  /** The units DynamoDB would bill for them (bench/capacity.ts), and the audit bytes written (for storage). */
  readonly units?: Units & { readonly auditBytes: number };
}

export interface LatencyReport {
  readonly samples: number;
  readonly operations: readonly OperationLatency[];
  /** `verifyPassword` alone, in this process, interleaved with the logins: what a login cannot go below. */
  readonly argon2: Summary;
  /** Login p50 less the argon2 p50. */
  readonly loginBesidesArgon2: number;
  readonly calls: readonly DbCalls[];
}

/** Counts the calls made through the handlers' DynamoDB client, how many waves they came in, and the units they take. */
function countCalls(side: DynamoDb) {
  let names: string[] = [];
  let recorded: RecordedCall[] = [];
  let roundTrips = 0;
  let inFlight = 0;
  deps().db.addHook('benchCountCalls', async ({ operation, input }, next) => {
    names.push(operation);
    recorded.push({ command: operation, input: structuredClone(input) });
    if (inFlight++ === 0) roundTrips++;
    try {
      return await next();
    } finally {
      inFlight--;
    }
  });
  return async function callsOf(name: string, fn: () => Promise<unknown>): Promise<DbCalls> {
    names = [];
    recorded = [];
    roundTrips = 0;
    await fn();
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const commands = [...counts].map(([n, c]) => `${c} ${n}`).join(', ');
    const auditBytes = recorded
      .filter((c) => c.command === 'PutItem' && String(c.input.TableName).endsWith(tables.audit.id))
      .reduce((sum, c) => sum + 2 * itemSize(c.input.Item as Record<string, unknown>), 0); // the table and its byUser index
    return { name, calls: names.length, roundTrips, commands, units: { ...(await unitsOf(side, recorded)), auditBytes } };
  };
}

/** Milliseconds during which at least one call of the handlers' DynamoDB client was in flight, so far. */
function dynamoClock(): () => number {
  let inFlight = 0;
  let since = 0;
  let total = 0;
  deps().db.addHook('benchDynamoClock', async (_, next) => {
    if (inFlight++ === 0) since = performance.now();
    try {
      return await next();
    } finally {
      if (--inFlight === 0) total += performance.now() - since;
    }
  });
  return () => total + (inFlight > 0 ? performance.now() - since : 0);
}

async function measure(name: string, samples: number, fn: () => Promise<unknown>, inDynamo?: () => number): Promise<OperationLatency> {
  for (let i = 0; i < 10; i++) await fn();
  const durations: number[] = [];
  const waits: number[] = [];
  for (let i = 0; i < samples; i++) {
    const before = inDynamo?.() ?? 0;
    durations.push(await timed(fn));
    waits.push((inDynamo?.() ?? 0) - before);
  }
  const summary = summarize(durations);
  if (!inDynamo) return { name, ...summary };
  return {
    name,
    ...summary,
    inDynamo: { p50: summarize(waits).p50, besidesP50: summarize(durations.map((d, i) => d - (waits[i] as number))).p50 },
  };
}

export async function runLatency(options: { samples: number }): Promise<LatencyReport> {
  const { samples } = options;
  const local = await startBenchLocal();
  const side = createDb({ endpoint: local.dynamoEndpoint });
  try {
    const callsOf = countCalls(side);
    const inDynamo = dynamoClock();
    const expect = async (status: number, answer: Promise<{ status: number; text: string }>) => {
      const a = await answer;
      if (a.status !== status) throw new Error(`expected ${status}, got ${a.status} ${a.text}`);
      return a as { status: number; text: string; body: any };
    };
    const loginBody = { email: 'manager@example.com', password: DEFAULT_DEMO_PASSWORD };
    const postLogin = (body: object) => call(local.url, '/auth/login', { body });
    const postRefresh = (token: string) => call(local.url, '/auth/refresh', { body: { refresh_token: token } });
    const me = (headers: Record<string, string>) => call(local.url, '/auth/me', { headers });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    let session = await login(local.url, loginBody.email);
    const apiToken = (
      await expect(
        201,
        call(local.url, '/auth/api-tokens', { body: { name: 'bench', expires_in: '24h' }, headers: bearer(session.access_token) }),
      )
    ).body.token as string;

    // Login and its floor, one argon2 verification with the same parameters and nothing else, interleaved so that
    // drift in the machine's load falls on both alike.
    const hash = await hashPassword(DEFAULT_DEMO_PASSWORD);
    const loginWaits: number[] = [];
    const { a: loginTimes, b: argon2 } = await interleaved(
      samples,
      10,
      async () => {
        const before = inDynamo();
        await expect(200, postLogin(loginBody));
        loginWaits.push(inDynamo() - before);
      },
      () => verifyPassword(hash, DEFAULT_DEMO_PASSWORD),
    );
    // The warm-up calls are left out, as interleaved leaves them out of the times.
    const loginInDynamo = summarize(loginWaits.slice(-samples)).p50;
    const operations = [
      { name: 'login', ...loginTimes, inDynamo: { p50: loginInDynamo, besidesP50: loginTimes.p50 - loginInDynamo } },
      await measure(
        'refresh',
        samples,
        async () => {
          session = (await expect(200, postRefresh(session.refresh_token))).body;
        },
        inDynamo,
      ),
      await measure('GET /auth/me (JWT)', samples, () => expect(200, me(bearer(session.access_token))), inDynamo),
      await measure('GET /auth/me (API token)', samples, () => expect(200, me({ 'x-auth-token': apiToken })), inDynamo),
    ];

    // The authorizer as API Gateway invokes it, alone: the sample event with our credential.
    const { handler: authorizer } = await import('../functions/authorizer.ts');
    const authorizerEvent = JSON.parse(
      await readFile(new URL('../events/authorizer.json', import.meta.url), 'utf8'),
    ) as APIGatewayRequestAuthorizerEventV2;
    const { authorization: _placeholder, ...sampleHeaders } = authorizerEvent.headers ?? {};
    const authorize = async (headers: Record<string, string>) => {
      const decision = await authorizer({ ...authorizerEvent, headers: { ...sampleHeaders, ...headers } });
      if (decision.context.decision !== 'allow') throw new Error(`authorizer refused: ${JSON.stringify(decision.context)}`);
    };

    const calls: DbCalls[] = [];
    // Units as a real user's login takes them: the samples above logged the manager in hundreds of times within the
    // quarter hour its user item keeps each opening session's name, which grows the item and every write to it.
    calls.push(
      await callsOf('login, success', () => expect(200, postLogin({ email: 'customer@example.com', password: DEFAULT_DEMO_PASSWORD }))),
    );
    calls.push(await callsOf('login, wrong password', () => expect(401, postLogin({ ...loginBody, password: 'Wrong#Password1' }))));
    calls.push(
      await callsOf('login, unknown identifier', () =>
        expect(401, postLogin({ email: 'nobody@example.com', password: 'Wrong#Password1' })),
      ),
    );
    // A lockout needs failures past the threshold, which the benchmark settings lift: lower it for one account.
    const settings = deps().settings;
    setDeps({ settings: { ...settings, lockoutThreshold: 2 } });
    for (let i = 0; i < 2; i++) await expect(401, postLogin({ email: 'agent@example.com', password: 'Wrong#Password1' }));
    calls.push(
      await callsOf('login, locked', () => expect(429, postLogin({ email: 'agent@example.com', password: DEFAULT_DEMO_PASSWORD }))),
    );
    setDeps({ settings });

    session = await login(local.url, loginBody.email);
    const spent = session.refresh_token;
    calls.push(await callsOf('refresh', async () => (session = (await expect(200, postRefresh(spent))).body)));
    setDeps({ settings: { ...settings, auditRefreshes: 'log' } });
    calls.push(
      await callsOf('refresh, AUDIT_REFRESHES=log', async () => (session = (await expect(200, postRefresh(session.refresh_token))).body)),
    );
    setDeps({ settings });
    session = (await expect(200, postRefresh(session.refresh_token))).body;
    // Two generations back is reuse at once, grace window or not.
    calls.push(await callsOf('refresh, reuse (session revoked)', () => expect(401, postRefresh(spent))));

    session = await login(local.url, loginBody.email);
    calls.push(await callsOf('authorizer, JWT', () => authorize(bearer(session.access_token))));
    calls.push(await callsOf('authorizer, API token', () => authorize({ 'x-auth-token': apiToken })));
    calls.push(await callsOf('GET /auth/me (authorizer + handler)', () => expect(200, me(bearer(session.access_token)))));
    calls.push(
      await callsOf('logout (authorizer + handler)', () =>
        expect(204, call(local.url, '/auth/logout', { method: 'POST', headers: bearer(session.access_token) })),
      ),
    );

    return { samples, operations, argon2, loginBesidesArgon2: loginTimes.p50 - argon2.p50, calls };
  } finally {
    side.destroy();
    await local.close();
  }
}

export function printLatency(r: LatencyReport): void {
  console.log(`Latency on the local server, ${r.samples} samples each after 10 warm-up calls`);
  for (const o of r.operations) {
    const split = o.inDynamo ? `  (in DynamoDB calls p50 ${ms(o.inDynamo.p50)}, besides them p50 ${ms(o.inDynamo.besidesP50)})` : '';
    console.log(`  ${o.name.padEnd(28)} p50 ${ms(o.p50)}  p95 ${ms(o.p95)}  p99 ${ms(o.p99)}${split}`);
  }
  console.log(`  ${'argon2 verify alone (floor)'.padEnd(28)} p50 ${ms(r.argon2.p50)}  p95 ${ms(r.argon2.p95)}  p99 ${ms(r.argon2.p99)}`);
  console.log(`  login besides argon2         p50 ${ms(r.loginBesidesArgon2)}`);
  console.log('DynamoDB calls per operation: calls (round trips): commands');
  for (const c of r.calls) {
    const units = c.units ? `  [${c.units.read} RRU, ${c.units.write} WRU of which ${c.units.indexWrite} on indexes]` : '';
    console.log(`  ${c.name.padEnd(38)} ${c.calls} (${c.roundTrips}): ${c.commands}${units}`);
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printLatency(await runLatency({ samples: numberArg(0, 300) })));
}
