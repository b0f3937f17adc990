/**
 * Everything `npm run dev` runs, in one call: dynalite, the tables, the
 * signing key, the local SES server, the demo users and the HTTP gateway.
 * Tests start it in memory on free ports.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../functions/core/infra/clock.ts';
import { deps, resetDeps, setDeps } from '../functions/core/deps.ts';
import { logger } from '../functions/core/infra/logger.ts';
import { ensureTables, startDynamo } from './dynamo.ts';
import { parseOrigins } from '../lib/cors.ts';
import { createGateway } from './gateway.ts';
import { enforceGrants } from './grants.ts';
import { ensureKeyFile } from './keys.ts';
import { seedDemoUsers } from './seed.ts';
import { startSes } from './ses.ts';

export interface LocalOptions {
  /** Folder for the DynamoDB files and the key file; in memory (and a temp key file) when unset. */
  readonly dataDir?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 0 */
  readonly sesPort?: number;
  /** The embedded DynamoDB engine's port. @default 0 */
  readonly dynamoPort?: number;
  /** Extra settings for the handlers, as environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default true */
  readonly seed?: boolean;
  readonly demoPassword?: string;
  readonly log?: (line: string) => void;
  /** A clock for the handlers (tests move it to expire tokens and locks). */
  readonly clock?: Clock;
}

export interface LocalEnvironment {
  readonly url: string;
  readonly sesUrl: string;
  readonly dynamoEndpoint: string;
  /** The environment the handlers run with. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export const DEFAULT_DEMO_PASSWORD = 'LocalDemo#2026';

export async function startLocal(options: LocalOptions = {}): Promise<LocalEnvironment> {
  const keyFile = options.dataDir
    ? join(options.dataDir, 'signing-keys.json')
    : join((await import('node:os')).tmpdir(), `serverless-auth-keys-${process.pid}-${Date.now()}.json`);
  const dynamo = await startDynamo({
    ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    ...(options.dynamoPort ? { port: options.dynamoPort } : {}),
  });
  const ses = await startSes(options.sesPort ?? 0);
  // The server listens before the rest is set up (the issuer needs its port); requests wait until all is ready,
  // since a handler called earlier finds no settings and answers 500.
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  // Node's 16 KB header limit would answer an oversized credential before the handlers could: let them.
  const server: Server = createServer(
    { maxHeaderSize: 64 * 1024 },
    createGateway({
      ...(options.log ? { log: options.log } : {}),
      corsAllowOrigins: parseOrigins(options.env?.CORS_ALLOW_ORIGINS ?? process.env.CORS_ALLOW_ORIGINS),
      ready,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;

  const env: Record<string, string> = {
    ISSUER: url,
    ...(await ensureTables(dynamo.endpoint, `${dynamo.tablePrefix}local-`)),
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SES_ENDPOINT: ses.url,
    SIGNING_KEYS_FILE: keyFile,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    ...options.env,
  };
  await ensureKeyFile(keyFile);
  // The handlers run in this process and read their settings from it, as each Lambda does from its own.
  Object.assign(process.env, env);
  // A Lambda's logger reads its level at cold start; here the logger already exists.
  if (env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel(env.POWERTOOLS_LOG_LEVEL as Parameters<typeof logger.setLogLevel>[0]);
  resetDeps();
  if (options.clock) setDeps({ clock: options.clock });
  // Each function may touch only what its role allows in AWS, though here every table's name is in reach.
  enforceGrants(deps().db, deps().tables);
  if (options.seed ?? true) await seedDemoUsers(deps(), options.demoPassword ?? DEFAULT_DEMO_PASSWORD);
  markReady();

  return {
    url,
    sesUrl: ses.url,
    dynamoEndpoint: dynamo.endpoint,
    env,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ses.close();
      await dynamo.close();
      // An in-memory run leaves nothing behind, its key file included.
      if (!options.dataDir) await rm(keyFile, { force: true });
    },
  };
}
