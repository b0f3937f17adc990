/**
 * The dev server (`npm run dev`, through `bin/dev.ts`): the whole API on
 * http://localhost:3000 with the embedded DynamoDB engine (data under
 * `.local/` or LOCAL_DATA_DIR, kept between runs) and the local SES server.
 * Settings come from the environment, as in AWS.
 */
import { resolve } from 'node:path';
import { loadSettings } from '../functions/core/infra/config.ts';
import { DEFAULT_DEMO_PASSWORD, startLocal } from '../local/environment.ts';
import { demoUsers } from '../local/seed.ts';

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`Invalid setting: ${name} must be a port number`);
  return n;
}

async function main(): Promise<void> {
  loadSettings(); // a bad setting stops here, with its name
  const demoPassword = process.env.DEMO_PASSWORD || DEFAULT_DEMO_PASSWORD;
  const dataDir = resolve(process.env.LOCAL_DATA_DIR || '.local');
  const local = await startLocal({
    dataDir,
    port: port('PORT', 3000),
    sesPort: port('SES_PORT', 8005),
    dynamoPort: port('DYNAMODB_PORT', 8006),
    demoPassword,
    log: (line) => console.log(line),
  });
  const users = demoUsers
    .map((u) => `  ${u.email.padEnd(24)} ${u.role.padEnd(9)} tenant ${u.tenantId}${u.username ? `, username ${u.username}` : ''}`)
    .join('\n');
  console.log(`
serverless-auth is running

  API        ${local.url}
  Docs       ${local.url}/docs
  OpenAPI    ${local.url}/openapi.json
  JWKS       ${local.url}/.well-known/jwks.json
  Mail (SES) ${local.sesUrl.replace('127.0.0.1', 'localhost')}  (sent mail; GET /store for JSON)
  DynamoDB   ${local.dynamoEndpoint}  (data in ${dataDir})

Demo users, password ${demoPassword}:
${users}

Try:
  curl -s -X POST ${local.url}/auth/login -H 'Content-Type: application/json' \\
    -d '{"email":"manager@example.com","password":"${demoPassword}"}'

Ctrl-C stops everything.
`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await local.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
