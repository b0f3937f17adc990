/**
 * Waits for every one of some concurrent writes, then fails with the first
 * failure. Unlike `Promise.all`, nothing is left running when the caller
 * answers: Lambda freezes a container once it has answered, so a write still
 * in flight then may land much later, or never.
 */
export async function settleAll(writes: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
