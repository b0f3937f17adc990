/**
 * Latency per operation on the local server, and the DynamoDB calls each
 * costs (counted by a middleware on the client the handlers use).
 *
 *   npm run bench:latency -- [samples]   (default 300)
 */
import { deps } from '../functions/core/deps.ts';
import { startLocal, DEFAULT_DEMO_PASSWORD } from '../local/environment.ts';
import { ms, summarize, timed } from './stats.ts';

const samples = Number(process.argv[2] ?? 300);
const local = await startLocal({
  env: { LOGIN_RATE_LIMIT: '1000000', LOCKOUT_THRESHOLD: '1000000', RESET_EMAIL_LIMIT: '1000000', RESET_IP_LIMIT: '1000000', POWERTOOLS_LOG_LEVEL: 'ERROR' },
});

let calls: string[] = [];
deps().db.middlewareStack.add(
  (next, context) => async (args) => {
    calls.push(context.commandName ?? 'unknown');
    return next(args);
  },
  { step: 'initialize', name: 'countCalls' },
);

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${local.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
const loginBody = { email: 'manager@example.com', password: DEFAULT_DEMO_PASSWORD };

/** The DynamoDB calls one run of `fn` makes. */
async function callsOf(fn: () => Promise<unknown>): Promise<string> {
  calls = [];
  await fn();
  const counts = new Map<string, number>();
  for (const name of calls) counts.set(name, (counts.get(name) ?? 0) + 1);
  return `${calls.length} (${[...counts].map(([n, c]) => `${c} ${n.replace('Command', '')}`).join(', ')})`;
}

async function measure(name: string, fn: () => Promise<void>) {
  for (let i = 0; i < 10; i++) await fn();
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) durations.push(await timed(fn));
  const s = summarize(durations);
  console.log(`  ${name.padEnd(28)} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}`);
}

let session = (await post('/auth/login', loginBody)).body;
console.log(`Latency on the local server, ${samples} samples each after 10 warm-up calls`);
await measure('login', async () => {
  const r = await post('/auth/login', loginBody);
  if (r.status !== 200) throw new Error(`login ${r.status}`);
});
await measure('refresh', async () => {
  const r = await post('/auth/refresh', { refresh_token: session.refresh_token });
  if (r.status !== 200) throw new Error(`refresh ${r.status}`);
  session = r.body;
});
await measure('GET /auth/me (JWT)', async () => {
  const response = await fetch(`${local.url}/auth/me`, { headers: { authorization: `Bearer ${session.access_token}` } });
  if (response.status !== 200) throw new Error(`me ${response.status}`);
  await response.text();
});
const apiToken = (
  await post('/auth/api-tokens', { name: 'bench', expires_in: '24h' }, { authorization: `Bearer ${session.access_token}` })
).body.token as string;
await measure('GET /auth/me (API token)', async () => {
  const response = await fetch(`${local.url}/auth/me`, { headers: { 'x-auth-token': apiToken } });
  if (response.status !== 200) throw new Error(`me ${response.status}`);
  await response.text();
});
await measure('forgot (existing account)', async () => {
  const r = await post('/auth/password/forgot', { email: 'customer@example.com' });
  if (r.status !== 202) throw new Error(`forgot ${r.status}`);
});

console.log('DynamoDB calls per operation');
console.log(`  login, success              ${await callsOf(() => post('/auth/login', loginBody))}`);
console.log(`  login, wrong password       ${await callsOf(() => post('/auth/login', { ...loginBody, password: 'Wrong#Password1' }))}`);
console.log(`  login, unknown identifier   ${await callsOf(() => post('/auth/login', { email: 'nobody@example.com', password: 'Wrong#Password1' }))}`);
session = (await post('/auth/login', loginBody)).body;
const spent = session.refresh_token;
console.log(`  refresh                     ${await callsOf(async () => (session = (await post('/auth/refresh', { refresh_token: spent })).body))}`);
console.log(`  me (authorizer + handler)   ${await callsOf(() => fetch(`${local.url}/auth/me`, { headers: { authorization: `Bearer ${session.access_token}` } }).then((r) => r.text()))}`);
console.log(`  me (API token)              ${await callsOf(() => fetch(`${local.url}/auth/me`, { headers: { 'x-auth-token': apiToken } }).then((r) => r.text()))}`);
console.log(`  logout                      ${await callsOf(() => fetch(`${local.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${session.access_token}` } }).then((r) => r.text()))}`);
await local.close();
process.exit(0);
