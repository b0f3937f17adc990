/** This service in the peer benchmark: the local server, in this process. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deps } from '../../functions/core/deps.ts';
import { hashParameters, hashPassword, verifyPassword } from '../../functions/core/crypto/passwords.ts';
import { startLocal } from '../../local/environment.ts';
import { benchEnv } from '../local.ts';
import { type OnClose, PASSWORD, type System, json, projectRoot, jwtAlg } from './common.ts';

export async function startOurs(onClose: OnClose): Promise<System> {
  const local = await startLocal({
    env: { ...benchEnv },
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
export async function ourDynamoCalls(system: System): Promise<Record<'login' | 'refresh' | 'authorized', number>> {
  let calls = 0;
  deps().db.addHook('peersCountCalls', async (_, next) => {
    calls++;
    return next();
  });
  const counts = { login: 0, refresh: 0, authorized: 0 };
  try {
    for (const op of ['login', 'refresh', 'authorized'] as const) {
      calls = 0;
      await system.run[op]();
      counts[op] = calls;
    }
  } finally {
    deps().db.removeHook('peersCountCalls');
  }
  return counts;
}
