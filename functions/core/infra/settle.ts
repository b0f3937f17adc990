/**
 * Waits for every one of some concurrent calls, then fails with the first
 * failure, or answers their values in order. Unlike `Promise.all`, nothing is
 * left running when the caller answers: Lambda freezes a container once it
 * has answered, so a write still in flight then may land much later, or never.
 */
export async function settleAll<T extends readonly unknown[] | []>(calls: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = (await Promise.allSettled(calls)) as PromiseSettledResult<unknown>[];
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
