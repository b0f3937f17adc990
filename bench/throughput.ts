/**
 * Requests per second the local server sustains for refreshes and for an
 * authorized call (GET /auth/me with a JWT), each with autocannon on
 * loopback for a fixed time and number of connections. The server runs in
 * its own process, so on a 2-core machine it has one core to itself.
 *
 * Each refresh spends a token that a previous refresh returned: the tokens
 * of the pre-opened sessions go round a pool, one per connection in flight.
 *
 *   npm run bench:throughput -- [seconds] [connections]   (default 15 s, 20 connections)
 */
import type { Request } from 'autocannon';
import { login } from '../test/fixtures/local.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { drive, Recorder, type KindFigures, type LoadFigures, type LoadSettings } from './http-load.ts';
import { POOL_PASSWORD, startServerProcess } from './local.ts';

export interface ThroughputReport {
  readonly refresh: LoadFigures;
  readonly authorized: LoadFigures;
}

/** Before each measured run, this long at the same load (not counted) so the JIT has warmed up. */
const WARM_UP_SECONDS = 2;

function refreshRequest(tokens: string[], recorder: Recorder): Request {
  return {
    setupRequest(request, context) {
      recorder.sent('refresh', context);
      // The pool holds one token per session not in flight; it runs dry only after failed refreshes.
      const token = tokens.pop() ?? 'exhausted';
      return {
        ...request,
        method: 'POST',
        path: '/auth/refresh',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      };
    },
    onResponse(status, body, context) {
      recorder.answered('refresh', status, context);
      if (status === 200) tokens.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
}

function authorizedRequest(accessToken: string, recorder: Recorder): Request {
  return {
    setupRequest(request, context) {
      recorder.sent('me', context);
      return { ...request, method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${accessToken}` } };
    },
    onResponse(status, _body, context) {
      recorder.answered('me', status, context);
    },
  };
}

async function measure(url: string, request: (recorder: Recorder) => Promise<Request>, settings: LoadSettings): Promise<LoadFigures> {
  if (settings.seconds >= 5) {
    const warmUp = new Recorder();
    await drive(url, [await request(warmUp)], { ...settings, seconds: WARM_UP_SECONDS }, warmUp);
  }
  const recorder = new Recorder();
  return drive(url, [await request(recorder)], settings, recorder);
}

export async function runThroughput(settings: LoadSettings): Promise<ThroughputReport> {
  const server = await startServerProcess({ users: settings.connections });
  try {
    const logIn = () => Promise.all(server.users.map((user) => login(server.url, user.email, POOL_PASSWORD)));
    // Fresh sessions for every run: the tokens of the refreshes in flight when a run stops are gone with their answers.
    const refresh = await measure(
      server.url,
      async (recorder) =>
        refreshRequest(
          (await logIn()).map((s) => s.refresh_token),
          recorder,
        ),
      settings,
    );
    const accessToken = (await logIn())[0]?.access_token ?? '';
    const authorized = await measure(server.url, async (recorder) => authorizedRequest(accessToken, recorder), settings);
    return { refresh, authorized };
  } finally {
    await server.close();
  }
}

const line = (name: string, f: LoadFigures, k: KindFigures = f.all) =>
  `  ${name.padEnd(24)} ${k.perSecond.toFixed(0).padStart(6)}/s  p50 ${k.p50.toFixed(2)} ms  p99 ${k.p99.toFixed(2)} ms  errors: ${f.non2xx} non-2xx, ${f.timeouts} timeouts, ${f.errors} connection errors`;

export function printThroughput(report: ThroughputReport): void {
  const { seconds, connections } = report.refresh;
  console.log(`Throughput: ${connections} connections for ${seconds} s each, autocannon on loopback, server in its own process`);
  console.log(line('POST /auth/refresh', report.refresh));
  console.log(line('GET /auth/me (JWT)', report.authorized));
}

if (isMain(import.meta.url)) {
  runMain(async () => printThroughput(await runThroughput({ seconds: numberArg(0, 15), connections: numberArg(1, 20) })));
}
