/**
 * Micro-benchmarks, each next to its floor: signing and verifying an access
 * token as the service does (functions/core/crypto/access-tokens.ts) against bare
 * jose with the same key, and a handler behind the middleware stack of
 * `publicRoute` against a bare async handler that returns the same body.
 *
 *   npm run bench:micro -- [milliseconds per task]   (default 1000)
 */
import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { SignJWT, jwtVerify } from 'jose';
import { Bench } from 'tinybench';
import { ACCESS_TOKEN_TYPE, signAccessToken, verifyAccessToken } from '../functions/core/crypto/access-tokens.ts';
import { permissionsOf } from '../functions/core/infra/permissions.ts';
import { createKeyMaterial, toSigningKeys } from '../functions/core/crypto/signing-keys.ts';
import { isMain, numberArg, runMain } from './cli.ts';

export interface MicroRow {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly perSecond: number;
  readonly samples: number;
}

/** One of ours against its floor. */
export interface MicroPair {
  readonly what: string;
  readonly ours: MicroRow;
  readonly floor: MicroRow;
}

export interface MicroReport {
  readonly msPerTask: number;
  readonly pairs: readonly MicroPair[];
}

const lambdaContext = { awsRequestId: 'micro', functionName: 'micro', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function sampleEvent(name: string): Promise<APIGatewayProxyEventV2> {
  return JSON.parse(await readFile(new URL(`../events/${name}.json`, import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
}

export async function runMicro(options: { msPerTask: number }): Promise<MicroReport> {
  const now = new Date();
  const keys = toSigningKeys(createKeyMaterial(now));
  const issuer = 'https://auth.example.com';
  const audience = 'serverless-auth';
  const subject = {
    userId: '2f1c8f0e-4a55-4d7e-9a43-0b3f3a6f1c11',
    sessionId: 'UVd6cFq3kA0H7yWq3rYy9g',
    role: 'MANAGER' as const,
    tenantId: 'demo',
  };
  const expiresAt = new Date(now.getTime() + 900_000);
  const token = await signAccessToken(keys, subject, { issuer, audience, now, expiresAt });
  const publicKey = keys.publicKeys.get(keys.current.kid);
  if (!publicKey) throw new Error('no public key for the current kid');
  if (!(await verifyAccessToken(keys, token, { issuer, audience, now }))) throw new Error('the token does not verify');

  // The openid-configuration handler: publicRoute's whole stack around a body that needs no I/O.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const { handler: routed } = await import('../functions/openid-configuration.ts');
  const event = await sampleEvent('openid-configuration');
  const expected = (await routed(structuredClone(event), lambdaContext)) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  if (expected.statusCode !== 200) throw new Error(`openid-configuration answered ${expected.statusCode}`);
  const configuration = JSON.parse(expected.body) as unknown;
  const bare = async (_event: APIGatewayProxyEventV2) => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
    body: JSON.stringify(configuration),
  });

  // The stack parses the body in place, so each call gets its own copy of the event, the bare handler too.
  const call = async (handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>) => {
    const result = (await handler(structuredClone(event), lambdaContext)) as { statusCode: number };
    if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}`);
  };
  const bench = new Bench({ time: options.msPerTask, warmupTime: Math.min(200, options.msPerTask / 2) });
  bench
    .add('signAccessToken', () => signAccessToken(keys, subject, { issuer, audience, now, expiresAt }))
    .add('jose SignJWT', () =>
      new SignJWT({
        sid: subject.sessionId,
        role: subject.role,
        tenant_id: subject.tenantId,
        permissions: [...permissionsOf(subject.role)],
      })
        .setProtectedHeader({ alg: 'RS256', kid: keys.current.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject.userId)
        .setJti('4a1f0c52-3f1e-4f59-9a77-0d3c2b1e5f6a')
        .setIssuedAt(Math.floor(now.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(keys.current.privateKey),
    )
    .add('verifyAccessToken', () => verifyAccessToken(keys, token, { issuer, audience, now }))
    .add('jose jwtVerify', () => jwtVerify(token, publicKey, { algorithms: ['RS256'], currentDate: now }))
    .add('publicRoute handler', () => call(routed))
    .add('bare async handler', () => call(bare));
  await bench.run();

  const rows = new Map<string, MicroRow>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state === 'errored' ? result.error.message : result.state}`);
    rows.set(task.name, {
      name: task.name,
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.mean,
      perSecond: result.throughput.mean,
      samples: result.latency.samplesCount,
    });
  }
  const pair = (what: string, ours: string, floor: string): MicroPair => ({
    what,
    ours: rows.get(ours) as MicroRow,
    floor: rows.get(floor) as MicroRow,
  });
  return {
    msPerTask: options.msPerTask,
    pairs: [
      pair('sign an access token (RS256)', 'signAccessToken', 'jose SignJWT'),
      pair('verify an access token', 'verifyAccessToken', 'jose jwtVerify'),
      pair('middleware stack per request', 'publicRoute handler', 'bare async handler'),
    ],
  };
}

const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(8)} µs`;

export function printMicro(report: MicroReport): void {
  console.log(`Micro-benchmarks (tinybench, ${report.msPerTask} ms per task), p50 and p99`);
  for (const { what, ours, floor } of report.pairs) {
    console.log(`  ${what}`);
    console.log(`    ${ours.name.padEnd(22)} ${us(ours.p50)} ${us(ours.p99)}  ${ours.perSecond.toFixed(0).padStart(8)}/s`);
    console.log(`    ${floor.name.padEnd(22)} ${us(floor.p50)} ${us(floor.p99)}  ${floor.perSecond.toFixed(0).padStart(8)}/s`);
    console.log(`    overhead ${us(ours.p50 - floor.p50)} at p50 (${(ours.p50 / floor.p50).toFixed(2)} × floor)`);
  }
}

if (isMain(import.meta.url)) {
  runMain(async () => printMicro(await runMicro({ msPerTask: numberArg(0, 1000) })));
}
