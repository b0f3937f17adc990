/**
 * The domain's dependencies, built once per container from the environment.
 * Tests replace any of them with `setDeps`; handlers take them from `deps()`.
 */
import { systemClock, type Clock } from './infra/clock.ts';
import { loadSettings, type Settings } from './infra/config.ts';
import { createDb, tableNamesFromEnv, type TableNames } from './infra/db.ts';
import type { DynamoDb } from './infra/dynamodb.ts';
import { noMailer, sesMailer, type Mailer } from './infra/mail.ts';
import { originSecretFromEnv, type OriginSecret } from './infra/origin-secret.ts';
import { KeyStore, keySourceFromEnv } from './crypto/key-store.ts';

export interface Deps {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly db: DynamoDb;
  readonly tables: TableNames;
  readonly keys: KeyStore;
  readonly mailer: Mailer;
  /** What CloudFront puts in `X-Origin-Verify`; `undefined` when the API is not behind CloudFront. */
  readonly originSecret: OriginSecret;
}

let current: Deps | undefined;

/** Every dependency, built from an environment: the handlers' (process.env) or the admin CLI's. */
export function depsFromEnvironment(env: Record<string, string | undefined> = process.env): Deps {
  const endpoint = env.DYNAMODB_ENDPOINT;
  const settings = loadSettings(env);
  const sesEndpoint = env.SES_ENDPOINT;
  return {
    settings,
    clock: systemClock,
    db: createDb({ ...(endpoint ? { endpoint } : {}), ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}) }),
    tables: tableNamesFromEnv(env),
    // Resolved on first use: functions without signing keys never configure a source.
    keys: new KeyStore(() => keySourceFromEnv(env)),
    mailer:
      settings.mailDelivery === 'off'
        ? noMailer
        : sesMailer({
            from: settings.mailFrom,
            configurationSet: settings.mailConfigurationSet,
            ...(sesEndpoint ? { endpoint: sesEndpoint } : {}),
          }),
    originSecret: originSecretFromEnv(env),
  };
}

export function deps(): Deps {
  current ??= depsFromEnvironment();
  return current;
}

/** Replaces some dependencies (tests, the local server). */
export function setDeps(overrides: Partial<Deps>): Deps {
  current = { ...deps(), ...overrides };
  return current;
}

/** Forgets every dependency so the next `deps()` reads the environment again. */
export function resetDeps(): void {
  current = undefined;
}
