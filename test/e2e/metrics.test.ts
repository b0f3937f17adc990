/**
 * The CloudWatch metrics the handlers count, read from the lines they write
 * (embedded metric format): the real handlers and authorizer behind the
 * local server, on dynalite. Each invocation writes at most one line, at its
 * end, with the service's namespace and its one dimension.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { deps, setDeps } from '../../functions/core/deps.ts';
import { createDb } from '../../functions/core/infra/db.ts';
import { logger } from '../../functions/core/infra/logger.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { awsError, startDynamoProxy } from '../fixtures/dynamo-proxy.ts';
import { bearer } from '../fixtures/e2e.ts';
import { call, login, startTestServer } from '../fixtures/local.ts';

// The other tests run with metrics off (vitest.config.ts); these read them. Set before any handler loads.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

const LOCKOUT_THRESHOLD = 3;
const GRACE_SECONDS = 10;
const clock = new FakeClock(new Date('2026-11-23T10:00:00.000Z'));
let server: LocalEnvironment;

/** Every metric line written to stdout since the test began. */
let lines: string[] = [];

interface MetricLine {
  readonly namespace: string;
  readonly dimensions: string[][];
  readonly service: unknown;
  /** Each metric of the line with its value. */
  readonly values: Record<string, unknown>;
  readonly units: Record<string, string>;
}

function parse(line: string): MetricLine {
  const { _aws, service, ...rest } = JSON.parse(line) as {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    service: unknown;
  } & Record<string, unknown>;
  const [directive] = _aws.CloudWatchMetrics;
  const names = (directive?.Metrics ?? []).map((metric) => metric.Name);
  return {
    namespace: directive?.Namespace ?? '',
    dimensions: directive?.Dimensions ?? [],
    service,
    values: Object.fromEntries(names.map((name) => [name, rest[name]])),
    units: Object.fromEntries((directive?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit])),
  };
}

/** The metric lines written while `act` ran, one per invocation that counted something. */
async function written(act: () => Promise<unknown>): Promise<MetricLine[]> {
  const from = lines.length;
  await act();
  return lines.slice(from).map(parse);
}

const ofService = (values: Record<string, number>) => ({
  namespace: 'ServerlessAuth',
  dimensions: [['service']],
  service: 'serverless-auth',
  values,
  units: Object.fromEntries(Object.keys(values).map((name) => [name, 'Count'])),
});

beforeAll(async () => {
  server = await startTestServer({ clock, env: { LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD) } });
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return write(chunk, ...rest);
    lines.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
    return true;
  }) as typeof process.stdout.write);
});

beforeEach(() => {
  lines = [];
  clock.set('2026-11-23T10:00:00.000Z');
});

afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
});

describe('metrics of the handlers (embedded metric format)', () => {
  it('counts a wrong password as LoginFailed, in the login’s one line', async () => {
    const lines = await written(() => call(server.url, '/auth/login', { body: { email: 'manager2@example.com', password: 'not it' } }));
    expect(lines).toEqual([ofService({ LoginFailed: 1 })]);
  });

  it('counts the failure that locks an account as LoginFailed and AccountLocked, and a refused attempt after it as LoginFailed', async () => {
    const attempt = () => call(server.url, '/auth/login', { body: { email: 'agent@example.com', password: 'not it' } });
    for (let i = 1; i < LOCKOUT_THRESHOLD; i++) expect(await written(attempt)).toEqual([ofService({ LoginFailed: 1 })]);

    expect(await written(attempt)).toEqual([ofService({ AccountLocked: 1, LoginFailed: 1 })]);
    const refused = await written(attempt);
    expect(refused).toEqual([ofService({ LoginFailed: 1 })]);
  });

  it('counts a login, a refresh, and a spent token coming back after the grace window as RefreshReuseDetected', async () => {
    let session: Awaited<ReturnType<typeof login>> | undefined;
    expect(
      await written(async () => {
        session = await login(server.url, 'cashier@example.com');
      }),
    ).toEqual([ofService({ LoginSucceeded: 1 })]);
    const refresh = () => call(server.url, '/auth/refresh', { body: { refresh_token: session?.refresh_token } });
    expect(await written(refresh)).toEqual([ofService({ RefreshSucceeded: 1 })]);
    clock.advance(GRACE_SECONDS + 1);

    const reuse = await written(refresh);

    expect(reuse).toEqual([ofService({ RefreshReuseDetected: 1 })]);
  });

  it('counts the authorizer’s refusals: AuthorizerDenied for a bad credential, no line for a good one', async () => {
    const { access_token } = await login(server.url, 'customer@example.com');

    const denied = await written(() => call(server.url, '/auth/me', { headers: bearer('not-a-token') }));
    const allowed = await written(() => call(server.url, '/auth/me', { headers: bearer(access_token) }));

    // The route's own handler counts nothing: the authorizer's line is the only one.
    expect(denied).toEqual([ofService({ AuthorizerDenied: 1 })]);
    // Allowed decisions are the authorizer's invocations less its refusals (the dashboard): a line each would cost more.
    expect(allowed).toEqual([]);
  });

  describe('faults', () => {
    let real: Pick<ReturnType<typeof deps>, 'mailer' | 'db'>;
    beforeAll(() => {
      real = { mailer: deps().mailer, db: deps().db };
    });
    afterEach(() => {
      setDeps(real);
    });

    it('counts an email SES refused as MailSendFailed, beside the reset request', async () => {
      setDeps({
        mailer: {
          send: async () => {
            throw Object.assign(new Error('Daily message quota exceeded'), { name: 'Throttling' });
          },
        },
      });

      const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);

      const forgot = await written(() => call(server.url, '/auth/password/forgot', { body: { email: 'customer@example.com' } }));

      expect(forgot).toEqual([ofService({ PasswordResetRequested: 1, MailSendFailed: 1 })]);
      expect(logged).toHaveBeenCalledWith('email not sent', expect.objectContaining({ error: 'Throttling' }));
      logged.mockRestore();
    });

    it('counts a DynamoDB call throttled once and cured by the client’s retry as DynamoDBThrottled', async () => {
      const { access_token } = await login(server.url, 'customer@example.com');
      // DynamoDB's own answer on the wire, inside the client's retry and its counting.
      const proxy = await startDynamoProxy(String(process.env.DYNAMODB_ENDPOINT), (n) =>
        n === 0 ? awsError(400, 'ThrottlingException', 'Rate exceeded') : 'pass',
      );
      setDeps({ db: createDb({ endpoint: proxy.url }) });

      const lines = await written(async () =>
        expect((await call(server.url, '/auth/me', { headers: bearer(access_token) })).status).toBe(200),
      );

      await proxy.close();
      // The throttled request and its retry, then the rest of the request's calls.
      expect(proxy.received.length).toBeGreaterThan(1);
      expect(proxy.received[0]).toBe(proxy.received[1]);
      expect(lines).toEqual([ofService({ DynamoDBThrottled: 1 })]);
    });
  });
});
