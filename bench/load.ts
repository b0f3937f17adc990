/**
 * Load on the local server: each connection logs in as a user of a pool,
 * then refreshes its session again and again, each refresh with the token
 * the previous one returned, and calls GET /auth/me between refreshes.
 * Afterwards it checks that nothing was lost: one session item per 200
 * login, each session's generation advanced once per 200 refresh, and one
 * audit event per successful login and refresh. Every request carries its
 * own id as its user agent, which the session and the audit event record,
 * so each write is matched to the request that made it.
 *
 *   npm run bench:load -- [seconds] [connections]   (default 60 s, 20 connections)
 */
import type { Request } from 'autocannon';
import { scanTable } from '../test/fixtures/tables.ts';
import { isMain, numberArg, runMain } from './cli.ts';
import { drive, formatKind, Recorder, type LoadFigures, type LoadSettings } from './http-load.ts';
import { POOL_PASSWORD, startServerProcess, type PoolUser, type ServedCounts } from './local.ts';

export interface LoadOptions extends LoadSettings {
  /** Refreshes per login. @default 5 */
  readonly refreshesPerLogin?: number;
  /** Authorized calls (GET /auth/me) after each refresh. @default 2 */
  readonly callsPerRefresh?: number;
  /** Users in the pool the logins take turns with. @default 50 */
  readonly users?: number;
}

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface LoadReport {
  readonly figures: LoadFigures;
  readonly mix: string;
  /** What the server answered, by route and status. */
  readonly served: ServedCounts;
  readonly checks: readonly Check[];
}

type Kind = 'login' | 'refresh' | 'me';

/** One request of the run, by the id it carried as its user agent. */
interface Sent {
  readonly kind: Kind;
  readonly userId: string;
  /** The session it used (refresh, me) or opened (a 200 login). */
  sid: string | undefined;
  /** `undefined` while unanswered. */
  status: number | undefined;
}

interface Session {
  readonly sid: string;
  accessToken: string;
  refreshToken: string;
}

const USER_AGENT = 'bench-load ';
const sidOf = (accessToken: string): string =>
  (JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as { sid: string }).sid;

/** The request sequence every connection loops over, and the log of what it sent. */
function sequence(users: readonly PoolUser[], options: LoadOptions, recorder: Recorder) {
  const log = new Map<string, Sent>();
  let ids = 0;
  let turn = 0;

  const send = (kind: Kind, context: Record<string, unknown>, userId: string, sid?: string) => {
    const id = `${kind}-${++ids}`;
    log.set(id, { kind, userId, sid, status: undefined });
    context.inFlight = id;
    recorder.sent(kind, context);
    return id;
  };
  const receive = (kind: Kind, status: number, context: Record<string, unknown>): Sent => {
    recorder.answered(kind, status, context);
    const sent = log.get(context.inFlight as string) as Sent;
    sent.status = status;
    context.inFlight = undefined;
    return sent;
  };
  /** A chained request needs the session and the answer to the one before it; without them the connection starts over. */
  const chainBroken = (context: Record<string, unknown>) => context.inFlight !== undefined || context.session === undefined;
  const json = { 'content-type': 'application/json' };

  const login: Request = {
    setupRequest(request, context) {
      const user = users[turn++ % users.length] as PoolUser;
      context.user = user;
      const id = send('login', context, user.id);
      return {
        ...request,
        method: 'POST',
        path: '/auth/login',
        headers: { ...json, 'user-agent': USER_AGENT + id },
        body: JSON.stringify({ email: user.email, password: POOL_PASSWORD }),
      };
    },
    onResponse(status, body, context) {
      const sent = receive('login', status, context);
      if (status !== 200) return;
      const tokens = JSON.parse(body) as { access_token: string; refresh_token: string };
      const session: Session = { sid: sidOf(tokens.access_token), accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
      sent.sid = session.sid;
      context.session = session;
    },
  };
  const refresh: Request = {
    setupRequest(request, context) {
      if (chainBroken(context)) return null;
      const session = context.session as Session;
      const id = send('refresh', context, (context.user as PoolUser).id, session.sid);
      return {
        ...request,
        method: 'POST',
        path: '/auth/refresh',
        headers: { ...json, 'user-agent': USER_AGENT + id },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      };
    },
    onResponse(status, body, context) {
      receive('refresh', status, context);
      if (status !== 200) {
        context.session = undefined;
        return;
      }
      const tokens = JSON.parse(body) as { access_token: string; refresh_token: string };
      const session = context.session as Session;
      session.accessToken = tokens.access_token;
      session.refreshToken = tokens.refresh_token;
    },
  };
  const me: Request = {
    setupRequest(request, context) {
      if (chainBroken(context)) return null;
      const session = context.session as Session;
      const id = send('me', context, (context.user as PoolUser).id, session.sid);
      return {
        ...request,
        method: 'GET',
        path: '/auth/me',
        headers: { authorization: `Bearer ${session.accessToken}`, 'user-agent': USER_AGENT + id },
      };
    },
    onResponse(status, _body, context) {
      receive('me', status, context);
    },
  };

  const refreshes = options.refreshesPerLogin ?? 5;
  const calls = options.callsPerRefresh ?? 2;
  const requests = [login, ...Array.from({ length: refreshes }, () => [refresh, ...Array.from({ length: calls }, () => me)]).flat()];
  const mix = `each connection: 1 login, then ${refreshes} × (1 refresh with the token the last one returned, ${calls} × GET /auth/me), over again`;
  return { requests, log, mix };
}

const countBy = <T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
};

/** What the tables hold against what the client saw. */
function checkWrites(
  log: ReadonlyMap<string, Sent>,
  userIds: ReadonlySet<string>,
  sessions: Record<string, unknown>[],
  audit: Record<string, unknown>[],
): Check[] {
  const sent = [...log.entries()];
  const of = (kind: Kind, status: number | undefined) => sent.filter(([, s]) => s.kind === kind && s.status === status);
  const logins = of('login', 200);
  const unansweredLogins = of('login', undefined);

  // Sessions: every 200 login's session is there; any other is a login whose answer never came.
  const items = sessions.filter((item) => userIds.has(item.userId as string));
  const bySid = new Map(items.map((item) => [item.sessionId as string, item]));
  const loginSids = new Set(logins.map(([, s]) => s.sid as string));
  const missing = [...loginSids].filter((sid) => !bySid.has(sid));
  const extraByUser = countBy(items, (item) => (loginSids.has(item.sessionId as string) ? undefined : (item.userId as string)));
  const cutOffByUser = countBy(unansweredLogins, ([, s]) => s.userId);
  const unexplained = [...extraByUser].filter(([user, n]) => n > (cutOffByUser.get(user) ?? 0));
  const extra = [...extraByUser.values()].reduce((a, b) => a + b, 0);

  // Generations: each session moved on once per 200 refresh, plus at most the refreshes whose answer never came.
  const refreshes = countBy(of('refresh', 200), ([, s]) => s.sid);
  const cutOffRefreshes = countBy(of('refresh', undefined), ([, s]) => s.sid);
  const wrongGeneration = items.filter((item) => {
    const moved = Number(item.generation) - (refreshes.get(item.sessionId as string) ?? 0);
    return moved < 0 || moved > (cutOffRefreshes.get(item.sessionId as string) ?? 0);
  });
  const generations = items.reduce((sum, item) => sum + Number(item.generation), 0);
  const refreshed = [...refreshes.values()].reduce((a, b) => a + b, 0);

  // Audit: one event per successful login and refresh, found by the request's id.
  const auditCheck = (kind: Kind, type: string): Check => {
    const events = countBy(
      audit.filter((event) => event.type === type && String(event.user_agent ?? '').startsWith(USER_AGENT)),
      (event) => String(event.user_agent).slice(USER_AGENT.length),
    );
    const ok = sent.filter(([, s]) => s.kind === kind && s.status === 200).map(([id]) => id);
    const lost = ok.filter((id) => events.get(id) !== 1);
    const strays = [...events.keys()].filter((id) => log.get(id)?.status !== 200 && log.get(id)?.status !== undefined);
    const cutOff = [...events.keys()].filter((id) => log.get(id)?.status === undefined).length;
    return {
      name: `one ${type} audit event per 200 ${kind}`,
      pass: lost.length === 0 && strays.length === 0,
      detail: `${ok.length} answered 200, ${ok.length - lost.length} with exactly one event${cutOff ? `, ${cutOff} more from requests cut off at the end` : ''}${lost.length ? `; missing or doubled for ${lost.slice(0, 5).join(', ')}` : ''}${strays.length ? `; events for requests that failed: ${strays.slice(0, 5).join(', ')}` : ''}`,
    };
  };

  return [
    {
      name: 'one session item per 200 login',
      pass: missing.length === 0 && unexplained.length === 0,
      detail: `${logins.length} logins answered 200, ${items.length} session items (${extra} from ${unansweredLogins.length} logins cut off at the end)${missing.length ? `; missing: ${missing.slice(0, 5).join(', ')}` : ''}${unexplained.length ? `; unexplained sessions for ${unexplained.length} users` : ''}`,
    },
    {
      name: 'generation advanced once per 200 refresh',
      pass: wrongGeneration.length === 0,
      detail: `sum of generations ${generations}, refreshes answered 200: ${refreshed}${generations > refreshed ? ` (+${generations - refreshed} from refreshes cut off at the end)` : ''}${wrongGeneration.length ? `; ${wrongGeneration.length} sessions off, e.g. ${String(wrongGeneration[0]?.sessionId)}` : ''}`,
    },
    auditCheck('login', 'login.succeeded'),
    auditCheck('refresh', 'refresh.succeeded'),
  ];
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const server = await startServerProcess({ users: options.users ?? 50 });
  try {
    const recorder = new Recorder();
    const { requests, log, mix } = sequence(server.users, options, recorder);
    const figures = await drive(server.url, requests, options, recorder);
    // Requests cut off at the end may still be running on the server: let it finish them before the tables are read.
    await server.settle(log.size);
    const served = await server.served();
    const [sessions, audit] = await Promise.all([scanTable(server, 'SESSIONS_TABLE'), scanTable(server, 'AUDIT_TABLE')]);
    const checks = checkWrites(log, new Set(server.users.map((u) => u.id)), sessions, audit);
    const errors = Object.entries(served).flatMap(([route, byStatus]) =>
      Object.entries(byStatus)
        .filter(([status]) => status.startsWith('5'))
        .map(([status, n]) => `${n}×${status} on ${route}`),
    );
    checks.push({
      name: 'no 5xx answer',
      pass: errors.length === 0,
      detail: errors.length ? errors.join(', ') : `${figures.all.answered} answers, none 5xx`,
    });
    return { figures, mix, served, checks };
  } finally {
    await server.close();
  }
}

export function printLoad(report: LoadReport): void {
  const f = report.figures;
  console.log(`Load: ${f.connections} connections for ${f.seconds} s on the local server (its own process), autocannon on loopback`);
  console.log(`  ${report.mix}`);
  console.log(`  ${formatKind(f.all)}`);
  for (const kind of f.kinds) console.log(`  ${formatKind(kind)}`);
  console.log(
    `  errors: ${f.non2xx} non-2xx, ${f.timeouts} timeouts, ${f.errors} connection errors, ${f.unanswered} unanswered when the run ended`,
  );
  console.log('Checks');
  for (const check of report.checks) console.log(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
}

export const loadPassed = (report: LoadReport): boolean => report.checks.every((check) => check.pass);

if (isMain(import.meta.url)) {
  runMain(async () => {
    const report = await runLoad({ seconds: numberArg(0, 60), connections: numberArg(1, 20) });
    printLoad(report);
    return loadPassed(report) ? 0 : 1;
  });
}
