/**
 * The local server as the benchmarks run it: every limit that would throttle
 * a benchmark lifted, logs quiet. In this process (latency, enumeration,
 * forgot: one request at a time, DynamoDB calls counted here), or in a process
 * of its own for load (`startServerProcess`), so that the load generator does
 * not share the server's event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocal, type LocalEnvironment, type LocalOptions } from '../local/environment.ts';

/** Rate limits and lockouts high enough never to answer a benchmark's request in their stead. */
export const benchEnv: Readonly<Record<string, string>> = {
  LOGIN_RATE_LIMIT: '1000000',
  LOCKOUT_THRESHOLD: '1000000',
  RESET_EMAIL_LIMIT: '1000000',
  RESET_IP_LIMIT: '1000000',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

export const startBenchLocal = (options: LocalOptions = {}): Promise<LocalEnvironment> =>
  startLocal({ ...options, env: { ...benchEnv, ...options.env } });

/** A user of the load pool: all share one password. */
export interface PoolUser {
  readonly id: string;
  readonly email: string;
}

export const POOL_PASSWORD = 'Bench#Pool-2026';

/** What the server process counted: requests answered, by `METHOD /path` and status. */
export type ServedCounts = Record<string, Record<string, number>>;

export interface ServerProcess extends LocalEnvironment {
  /** The load pool, created before the server answered its first request. */
  readonly users: readonly PoolUser[];
  /** Requests the server has answered so far. */
  served(): Promise<ServedCounts>;
  /** Resolves once the server has answered `count` requests, or has answered none for `quietMs`; the count it reached. */
  settle(count: number, quietMs?: number): Promise<number>;
}

export interface ServerProcessOptions {
  /** Users to create for the pool. @default 0 */
  readonly users?: number;
}

/** Messages between this process and bench/server-process.ts. */
export type ToServer = { readonly type: 'served'; readonly id: number } | { readonly type: 'close'; readonly id: number };
export type FromServer =
  | {
      readonly type: 'ready';
      readonly url: string;
      readonly sesUrl: string;
      readonly dynamoEndpoint: string;
      readonly env: Record<string, string>;
      readonly users: PoolUser[];
    }
  | { readonly type: 'served'; readonly id: number; readonly counts: ServedCounts }
  | { readonly type: 'closed'; readonly id: number };

const total = (counts: ServedCounts): number =>
  Object.values(counts).reduce((sum, byStatus) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

/** The local server (in memory, benchmark settings) in a child Node process; `close()` ends it. */
export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./server-process.ts', import.meta.url)), [String(options.users ?? 0)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Extract<FromServer, { type: 'ready' }>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`The server process ended before it was ready (exit ${code})`)));
    child.on('message', (message: FromServer) => {
      if (message.type === 'ready') resolve(message);
    });
  });
  child.removeAllListeners('exit');

  let next = 0;
  const ask = <T extends FromServer>(type: ToServer['type']): Promise<T> => {
    const id = ++next;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (message: FromServer) => {
        if (message.type !== 'ready' && message.id === id) {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(message as T);
        }
      };
      const onExit = () => reject(new Error('The server process ended'));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type, id } satisfies ToServer);
    });
  };
  const served = async () => (await ask<Extract<FromServer, { type: 'served' }>>('served')).counts;

  return {
    url: ready.url,
    sesUrl: ready.sesUrl,
    dynamoEndpoint: ready.dynamoEndpoint,
    env: ready.env,
    users: ready.users,
    served,
    async settle(count, quietMs = 2000) {
      let last = total(await served());
      let lastChange = performance.now();
      while (last < count && performance.now() - lastChange < quietMs) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = total(await served());
        if (now !== last) lastChange = performance.now();
        last = now;
      }
      return last;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask('close').catch(() => undefined);
      await exited;
    },
  };
}
