/**
 * How long POST /auth/password/forgot takes for an existing account (a code
 * stored and an email sent through the local SES server) and for an unknown
 * email (the same work: a code stored for nobody, a mail to SES's mailbox
 * simulator). Interleaved, median and p95.
 *
 *   npm run bench:forgot -- [rounds]   (default 100 of each)
 */
import { call } from '../test/fixtures/local.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { startBenchLocal } from './local.ts';
import { ms, interleaved, type Summary } from './stats.ts';

export interface ForgotReport {
  readonly rounds: number;
  readonly existing: Summary;
  readonly unknown: Summary;
}

export async function runForgot(options: { rounds: number }): Promise<ForgotReport> {
  const local = await startBenchLocal();
  try {
    const forgot = async (email: string) => {
      const answer = await call(local.url, '/auth/password/forgot', { body: { email } });
      if (answer.status !== 202) throw new Error(`expected 202, got ${answer.status}`);
    };
    const { a, b } = await interleaved(
      options.rounds,
      5,
      () => forgot('customer@example.com'),
      (i) => forgot(`nobody${i}@example.com`),
    );
    return { rounds: options.rounds, existing: a, unknown: b };
  } finally {
    await local.close();
  }
}

export function printForgot(r: ForgotReport): void {
  console.log(`POST /auth/password/forgot, ${r.rounds} of each, local server with the local SES server`);
  console.log(`  existing account  median ${ms(r.existing.p50)}  p95 ${ms(r.existing.p95)}`);
  console.log(`  unknown email     median ${ms(r.unknown.p50)}  p95 ${ms(r.unknown.p95)}`);
  console.log(`  difference        median ${ms(r.existing.p50 - r.unknown.p50)}  p95 ${ms(r.existing.p95 - r.unknown.p95)}`);
}

if (isMain(import.meta.url)) {
  runMain(async () => printForgot(await runForgot({ rounds: numberArg(0, 100) })));
}
