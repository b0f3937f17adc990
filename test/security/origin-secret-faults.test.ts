/**
 * Behind CloudFront, every request waits on the origin secret, which the
 * functions read from Secrets Manager. Here that endpoint is a stand-in the
 * test controls (test/fixtures/secrets-manager.ts), talked to by the real
 * SDK client of the real handlers, on dynalite. Whatever Secrets Manager
 * does, no request is let through without the secret, no request waits
 * until the Lambda timeout, and an outage after the secret was read does
 * not become an outage of the API.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setDeps } from '../../functions/core/deps.ts';
import { originSecretFromEnv } from '../../functions/core/infra/origin-secret.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { bearer, expectError } from '../fixtures/e2e.ts';
import { type Answer, call, demoPassword, startTestServer } from '../fixtures/local.ts';
import { type FakeSecretsManager, startFakeSecretsManager } from '../fixtures/secrets-manager.ts';

const SECRET = randomBytes(32).toString('base64url');
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:origin-verify-AbCdEf';
/** The functions' timeout in the stack (lib/auth-function.ts): an answer must come well before it. */
const LAMBDA_TIMEOUT_MS = 10_000;
const BYPASS = { error: 'forbidden', message: 'Call the API at its public address' };

// The handlers' clock stands still (tokens stay valid); the container's own time, which ages its copy of the secret, is moved with fake Date.
const clock = new FakeClock(new Date('2026-11-23T10:00:10.000Z'));
let local: LocalEnvironment;
let secrets: FakeSecretsManager;
let token: string;

beforeAll(async () => {
  secrets = await startFakeSecretsManager(SECRET);
  local = await startTestServer({
    clock,
    env: {
      ORIGIN_VERIFY_SECRET: '',
      ORIGIN_VERIFY_SECRET_ARN: ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  });
  const answer = await call(local.url, '/auth/login', {
    body: { email: 'manager@example.com', password: demoPassword },
    headers: { 'x-origin-verify': SECRET },
  });
  token = answer.body.access_token as string;
});
afterAll(async () => {
  await local.close();
  await secrets.close();
  for (const name of ['ORIGIN_VERIFY_SECRET_ARN', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    delete process.env[name];
  }
});
afterEach(() => {
  vi.useRealTimers();
  secrets.mode = 'ok';
});

/** A container that has not read the secret yet. */
const freshContainer = () => setDeps({ originSecret: originSecretFromEnv() });

/** A public route, the fallback and a protected route; on the last, the authorizer and then the handler each read the secret. */
const routes = [
  { path: '/.well-known/jwks.json', functions: 1 },
  { path: '/no/such/route', functions: 1 },
  { path: '/auth/me', functions: 2 },
];

interface Timed {
  readonly answer: Answer;
  /** Milliseconds per function on the way, which must stay well inside its timeout. */
  readonly msPerFunction: number;
}

/** Each route of `routes` at once, with the given `X-Origin-Verify`. */
const everyKind = (secret: string | undefined): Promise<Timed[]> => {
  const edge: Record<string, string> = secret === undefined ? {} : { 'x-origin-verify': secret };
  return Promise.all(
    routes.map(async ({ path, functions }) => {
      const started = performance.now();
      const answer = await call(local.url, path, { headers: { ...edge, ...bearer(token) } });
      return { answer, msPerFunction: (performance.now() - started) / functions };
    }),
  );
};

const statuses = (timed: Timed[]) => timed.map(({ answer }) => answer.status);

describe('the origin secret while Secrets Manager fails', () => {
  it.each(['silent', 'throttled', 'internal_error'] as const)(
    'answers 503 well before the Lambda timeout on a cold start while Secrets Manager is %s, and lets nothing through',
    async (mode) => {
      freshContainer();
      secrets.mode = mode;

      const answers = (await Promise.all([everyKind(SECRET), everyKind(undefined)])).flat();

      for (const { answer, msPerFunction } of answers) {
        expectError(answer, 503, 'service_unavailable');
        expect(msPerFunction).toBeLessThan(LAMBDA_TIMEOUT_MS / 2);
      }
      // Once Secrets Manager answers again, the secret opens the way and its absence still closes it.
      secrets.mode = 'ok';
      expect(statuses(await everyKind(SECRET))).toEqual([200, 404, 200]);
      for (const { answer } of await everyKind(undefined)) expect(expectError(answer, 403, 'forbidden')).toEqual(BYPASS);
    },
  );

  it.each(['silent', 'throttled', 'internal_error'] as const)(
    'keeps answering with the secret it read when a reload finds Secrets Manager %s, still refuses the way around, and does not ask on every request',
    async (mode) => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-23T10:00:00.000Z') });
      freshContainer();
      expect(statuses(await everyKind(SECRET))).toEqual([200, 404, 200]);

      // Past the five minutes a copy is trusted for, Secrets Manager fails.
      vi.setSystemTime(new Date('2026-11-23T10:06:00.000Z'));
      secrets.mode = mode;
      const readsBefore = secrets.reads;
      const through = [...(await everyKind(SECRET)), ...(await everyKind(SECRET))];
      const around = (await Promise.all([everyKind(undefined), everyKind(`${SECRET}x`)])).flat();

      expect(statuses(through)).toEqual([200, 404, 200, 200, 404, 200]);
      for (const { msPerFunction } of through) expect(msPerFunction).toBeLessThan(LAMBDA_TIMEOUT_MS / 2);
      for (const { answer } of around) expect(expectError(answer, 403, 'forbidden')).toEqual(BYPASS);
      // One failed reload (two tries) served all of them; the next waits for the next period.
      expect(secrets.reads - readsBefore).toBe(2);

      // Back again, a replaced secret is picked up at the next reload, and the old one is refused from then on.
      secrets.mode = 'ok';
      secrets.secret = `${SECRET}-replaced`;
      vi.setSystemTime(new Date('2026-11-23T10:12:00.000Z'));
      expect(statuses(await everyKind(`${SECRET}-replaced`))).toEqual([200, 404, 200]);
      for (const { answer } of await everyKind(SECRET)) expectError(answer, 403, 'forbidden');
      secrets.secret = SECRET;
    },
  );
});
