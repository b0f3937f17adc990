/**
 * Does a failed login take the same time whether or not the identifier
 * exists? Alternates unknown-identifier and wrong-password logins on the
 * local server; median and p95 of each, and their difference.
 *
 *   npm run bench:enumeration -- [rounds]   (default 300 of each)
 */
import { call } from '../test/fixtures/local.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { startBenchLocal } from './local.ts';
import { ms, interleaved, type Summary } from './stats.ts';

export interface EnumerationReport {
  readonly rounds: number;
  readonly unknownIdentifier: Summary;
  readonly wrongPassword: Summary;
}

export async function runEnumeration(options: { rounds: number }): Promise<EnumerationReport> {
  const local = await startBenchLocal();
  try {
    const attempt = async (email: string) => {
      const answer = await call(local.url, '/auth/login', { body: { email, password: 'Wrong#Password1' } });
      if (answer.status !== 401) throw new Error(`expected 401, got ${answer.status}`);
    };
    const { a, b } = await interleaved(
      options.rounds,
      10,
      (i) => attempt(`nobody${i}@example.com`),
      () => attempt('manager@example.com'),
    );
    return { rounds: options.rounds, unknownIdentifier: a, wrongPassword: b };
  } finally {
    await local.close();
  }
}

export function printEnumeration(r: EnumerationReport): void {
  const u = r.unknownIdentifier;
  const w = r.wrongPassword;
  console.log(`Failed login timing, ${r.rounds} of each, local server (argon2id m=19456 t=2 p=1)`);
  console.log(`  unknown identifier  median ${ms(u.p50)}  p95 ${ms(u.p95)}`);
  console.log(`  wrong password      median ${ms(w.p50)}  p95 ${ms(w.p95)}`);
  console.log(`  difference          median ${ms(w.p50 - u.p50)}  p95 ${ms(w.p95 - u.p95)}`);
}

if (isMain(import.meta.url)) {
  runMain(async () => printEnumeration(await runEnumeration({ rounds: numberArg(0, 300) })));
}
