/** Percentiles and a printable line for a list of durations in milliseconds. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function summarize(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

export const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** Times one async call in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export type Summary = ReturnType<typeof summarize>;

/**
 * Times `a` and `b` alternately, `rounds` of each after `warmUp` untimed
 * rounds, so that drift in the machine's load falls on both alike. Each gets
 * the round's index.
 */
export async function interleaved(
  rounds: number,
  warmUp: number,
  a: (i: number) => Promise<unknown>,
  b: (i: number) => Promise<unknown>,
): Promise<{ a: Summary; b: Summary }> {
  for (let i = 0; i < warmUp; i++) {
    await a(-1 - i);
    await b(-1 - i);
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await timed(() => a(i)));
    bs.push(await timed(() => b(i)));
  }
  return { a: summarize(as), b: summarize(bs) };
}
