/**
 * How long POST /auth/password/forgot takes for an existing account (a code
 * stored and an email sent through the local SES server) and for an unknown
 * email (nothing to send, padded to match). Interleaved, median and p95.
 *
 *   npm run bench:forgot -- [rounds]   (default 100 of each)
 */
import { startLocal } from '../local/environment.ts';
import { ms, summarize, timed } from './stats.ts';

const rounds = Number(process.argv[2] ?? 100);
const local = await startLocal({ env: { RESET_EMAIL_LIMIT: '1000000', RESET_IP_LIMIT: '1000000', POWERTOOLS_LOG_LEVEL: 'ERROR' } });

const forgot = (email: string) =>
  timed(async () => {
    const response = await fetch(`${local.url}/auth/password/forgot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    if (response.status !== 202) throw new Error(`expected 202, got ${response.status}`);
    await response.text();
  });

for (let i = 0; i < 10; i++) await forgot(i % 2 ? 'customer@example.com' : `warmup${i}@example.com`);
const existing: number[] = [];
const unknown: number[] = [];
for (let i = 0; i < rounds; i++) {
  existing.push(await forgot('customer@example.com'));
  unknown.push(await forgot(`nobody${i}@example.com`));
}
await local.close();

const e = summarize(existing);
const u = summarize(unknown);
console.log(`POST /auth/password/forgot, ${rounds} of each, local server with the local SES server`);
console.log(`  existing account  median ${ms(e.p50)}  p95 ${ms(e.p95)}`);
console.log(`  unknown email     median ${ms(u.p50)}  p95 ${ms(u.p95)}`);
console.log(`  difference        median ${ms(e.p50 - u.p50)}  p95 ${ms(e.p95 - u.p95)}`);
process.exit(0);
