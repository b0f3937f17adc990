/**
 * Every function the stack deploys, bundled as the stack bundles it and loaded
 * in a fresh Node process: a missing file, an unbundled dependency or a
 * native module left behind fails here rather than in Lambda.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedHandlers, entryOf, hashesPasswords, unusedSdkClients } from '../lib/bundling.ts';
import { buildFunction, exportTypes, projectRoot, runInFreshNode, type BuiltFunction } from './fixtures/bundle.ts';

const present = deployedHandlers.filter((handler) => existsSync(join(projectRoot, entryOf(handler))));
const missing = deployedHandlers.filter((handler) => !present.includes(handler));

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('function bundles', () => {
  const built = new Map<string, BuiltFunction>();
  /** What each bundle exports, or why it failed to load, from its own fresh process. */
  const loaded = new Map<string, Record<string, string> | Error>();

  beforeAll(async () => {
    // The bundles are independent: esbuild builds them all at once, and the
    // fresh processes that load them run a few at a time.
    for (const fn of await Promise.all(present.map(buildFunction))) built.set(fn.handler, fn);
    await inParallel(present, 4, async (handler) => {
      const fn = built.get(handler) as BuiltFunction;
      loaded.set(handler, await exportTypes(fn).catch((error: unknown) => error as Error));
    });
  }, 180_000); // thirty bundles at once: generous, since CI shares two cores

  afterAll(async () => {
    await Promise.all([...built.values()].map((fn) => fn.remove()));
  });

  it('has a module for every function the stack deploys', () => {
    expect(missing).toEqual([]);
  });

  /** The size budget of a minified bundle: what a cold start parses. */
  const MAX_BUNDLE_BYTES = 600 * 1024;

  describe.each(present)('%s', (handler) => {
    it('stays within 600 KB minified', () => {
      expect((built.get(handler) as BuiltFunction).bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    });

    it('loads in a fresh Node process and exports a handler function', () => {
      const exports = loaded.get(handler);
      if (exports instanceof Error) throw exports;
      expect(exports?.handler).toBe('function');
    });

    it(
      hashesPasswords(handler)
        ? 'imports argon2 from the node_modules it ships, and nothing else at run time'
        : 'imports nothing at run time beyond Node built-ins',
      () => {
        const fn = built.get(handler) as BuiltFunction;
        // A mismatch means `passwordHandlers` in lib/bundling.ts is out of date. SDK clients the
        // handler never calls may stay outside it: only a dynamic import it never reaches names them.
        const required = fn.externalImports.filter((name) => !unusedSdkClients(handler).includes(name));
        expect(required).toEqual(hashesPasswords(handler) ? ['argon2'] : []);
      },
    );
  });

  const hasher = present.find(hashesPasswords);
  it.runIf(hasher !== undefined)('ships an argon2 that hashes and verifies with the shipped binary', async () => {
    const fn = built.get(hasher as string) as BuiltFunction;
    const result = await runInFreshNode<{ resolved: string; verified: boolean }>(
      fn,
      `import { createRequire } from 'node:module';
       const require = createRequire(${JSON.stringify(fn.file)});
       const argon2 = require('argon2');
       const hash = await argon2.hash('correct horse', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
       console.log(JSON.stringify({ resolved: require.resolve('argon2'), verified: await argon2.verify(hash, 'correct horse') }));`,
    );
    expect(result).toEqual({ resolved: join(fn.dir, 'node_modules/argon2/argon2.cjs'), verified: true });
  });
});
