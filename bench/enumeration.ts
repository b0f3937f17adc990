/**
 * Does a failed login take the same time whether or not the identifier
 * exists? Alternates unknown-identifier and wrong-password logins on the
 * local server and prints median and p95 of each, and their difference.
 *
 *   npm run bench:enumeration -- [rounds]   (default 300 of each)
 */
import { startLocal } from '../local/environment.ts';
import { ms, summarize, timed } from './stats.ts';

const rounds = Number(process.argv[2] ?? 300);
const local = await startLocal({
  // Neither limit may interfere with what is measured.
  env: { LOGIN_RATE_LIMIT: '1000000', LOCKOUT_THRESHOLD: '1000000', POWERTOOLS_LOG_LEVEL: 'ERROR' },
});

const attempt = (email: string) =>
  timed(async () => {
    const response = await fetch(`${local.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'Wrong#Password1' }),
    });
    if (response.status !== 401) throw new Error(`expected 401, got ${response.status}`);
    await response.text();
  });

for (let i = 0; i < 20; i++) await attempt(i % 2 ? 'manager@example.com' : `warmup${i}@example.com`);
const unknown: number[] = [];
const wrong: number[] = [];
for (let i = 0; i < rounds; i++) {
  // Interleaved, so that drift in machine load falls on both sides alike.
  unknown.push(await attempt(`nobody${i}@example.com`));
  wrong.push(await attempt('manager@example.com'));
}
await local.close();

const u = summarize(unknown);
const w = summarize(wrong);
console.log(`Failed login timing, ${rounds} of each, local server (argon2id m=19456 t=2 p=1)`);
console.log(`  unknown identifier  median ${ms(u.p50)}  p95 ${ms(u.p95)}`);
console.log(`  wrong password      median ${ms(w.p50)}  p95 ${ms(w.p95)}`);
console.log(`  difference          median ${ms(w.p50 - u.p50)}  p95 ${ms(w.p95 - u.p95)}`);
process.exit(0);
