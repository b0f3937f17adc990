/**
 * CloudFormation custom resource (through `custom_resources.Provider`) that
 * puts signing key material into the stack's secrets. The template never
 * holds a key: on Create and Update this function writes a fresh key set into
 * the signing secret when it holds no valid one, and keeps the one it finds
 * otherwise; the public-keys and token secrets are then made to match it.
 * Delete does nothing (the secrets' own removal policy decides). On its
 * schedule (`{ "action": "rotate" }`) it rotates: a new key signs from then
 * on, and retired keys leave once every token they signed has expired. The
 * public keys are written before the signing set, so a verifier knows a key
 * before anything is signed with it. Twice a day (`{ "action": "check" }`)
 * it reports the signing key's age as a metric, which the stack alarms on
 * when rotations stop. It never logs or returns key material.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from './core/infra/logger.ts';
import { loadSettings } from './core/infra/config.ts';
import { metricNames } from './core/infra/metric-names.ts';
import { measureSeconds, publishingMetrics } from './core/infra/metrics.ts';
import {
  createKeyMaterial,
  parseKeyMaterial,
  publicMaterialOf,
  rotateKeyMaterial,
  tokenSecretOf,
  type KeyMaterial,
} from './core/crypto/signing-keys.ts';

export interface KeyManagerDeps {
  readonly client: Pick<SecretsManagerClient, 'send'>;
  readonly now: () => Date;
}

/** What the provider framework reports to CloudFormation: an id, no data. */
export interface KeyManagerResult {
  readonly PhysicalResourceId: string;
}

const defaults: KeyManagerDeps = { client: new SecretsManagerClient({}), now: () => new Date() };

/** The secret's current value; `undefined` while it has none. */
async function readSecret(client: KeyManagerDeps['client'], secretArn: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return out.SecretString;
  } catch (error) {
    // A secret created without a value answers ResourceNotFound for AWSCURRENT.
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function isKeyMaterial(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    parseKeyMaterial(text);
    return true;
  } catch {
    return false;
  }
}

/** The three secrets of a key set: the whole set, its public keys, its token secret. */
export interface KeySecrets {
  readonly signing: string;
  readonly publicKeys: string;
  readonly tokenSecret: string;
}

/** Makes a part's secret hold `value`, writing only when it does not already. */
async function putIfDifferent(client: KeyManagerDeps['client'], secretArn: string, value: string): Promise<void> {
  if ((await readSecret(client, secretArn)) === value) return;
  await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }));
}

/** Writes a key set: its public keys first, then its token secret, then the set itself. */
async function writeKeySet(
  client: KeyManagerDeps['client'],
  secrets: KeySecrets,
  material: KeyMaterial,
  signingAsWell: boolean,
): Promise<void> {
  await putIfDifferent(client, secrets.publicKeys, JSON.stringify(publicMaterialOf(material)));
  await putIfDifferent(client, secrets.tokenSecret, JSON.stringify(tokenSecretOf(material)));
  if (signingAsWell) await client.send(new PutSecretValueCommand({ SecretId: secrets.signing, SecretString: JSON.stringify(material) }));
}

export async function manageKeys(
  event: CloudFormationCustomResourceEvent,
  { client, now }: KeyManagerDeps = defaults,
): Promise<KeyManagerResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const secrets = secretsOf(event.ResourceProperties);
  const current = await readSecret(client, secrets.signing);
  const present = isKeyMaterial(current);
  const material = present ? parseKeyMaterial(current as string) : createKeyMaterial(now());
  await writeKeySet(client, secrets, material, !present);
  logger.info(present ? 'Signing key material is present; kept' : 'Signing key material written', { secretArn: secrets.signing });
  // A new stack has a key age to show before its first scheduled check.
  reportKeyAge(material, now());
  return { PhysicalResourceId: secrets.signing };
}

function secretsOf(properties: Record<string, unknown>): KeySecrets {
  const secrets = {
    signing: String(properties.SecretArn ?? ''),
    publicKeys: String(properties.PublicKeysSecretArn ?? ''),
    tokenSecret: String(properties.TokenSecretArn ?? ''),
  };
  for (const [name, arn] of Object.entries(secrets)) if (!arn) throw new Error(`The ${name} secret's ARN is missing`);
  return secrets;
}

/** The scheduled rotation; `SIGNING_SECRET_ARN`, `PUBLIC_KEYS_SECRET_ARN` and `TOKEN_SECRET_ARN` name the secrets. */
export interface RotationEvent {
  readonly action: 'rotate';
}

export async function rotateKeys(
  secrets: KeySecrets,
  accessTokenTtl: number,
  { client, now }: KeyManagerDeps = defaults,
): Promise<{ readonly kid: string; readonly keys: number }> {
  const current = await readSecret(client, secrets.signing);
  const material = isKeyMaterial(current)
    ? rotateKeyMaterial(parseKeyMaterial(current as string), now(), accessTokenTtl)
    : createKeyMaterial(now());
  await writeKeySet(client, secrets, material, true);
  reportKeyAge(material, now());
  const result = { kid: material.keys[0]?.kid ?? '', keys: material.keys.length };
  logger.info('Signing keys rotated', { secretArn: secrets.signing, ...result });
  return result;
}

/** The scheduled check: how old the signing key is. */
export interface CheckEvent {
  readonly action: 'check';
}

/**
 * Reports the age of the key that signs now (the `SigningKeyAge` metric). A
 * rotation that stopped, for whatever reason, shows as a key older than the
 * rotation period; a check that stopped, as no data.
 */
export async function checkKeys(
  signingSecretArn: string,
  { client, now }: KeyManagerDeps = defaults,
): Promise<{ readonly ageSeconds: number }> {
  const current = await readSecret(client, signingSecretArn);
  if (!isKeyMaterial(current)) throw new Error('The signing secret holds no key material');
  return { ageSeconds: reportKeyAge(parseKeyMaterial(current as string), now()) };
}

/** Counts the age of the key that signs now in the `SigningKeyAge` metric, and returns it in seconds. */
function reportKeyAge(material: KeyMaterial, now: Date): number {
  const ageSeconds = Math.round((now.getTime() - Date.parse(material.keys[0]?.createdAt ?? '')) / 1000);
  measureSeconds(metricNames.signingKeyAge, ageSeconds);
  return ageSeconds;
}

const actionOf = (event: unknown): unknown => (event as { action?: unknown })?.action;

const secretsFromEnv = (): KeySecrets =>
  secretsOf({
    SecretArn: process.env.SIGNING_SECRET_ARN,
    PublicKeysSecretArn: process.env.PUBLIC_KEYS_SECRET_ARN,
    TokenSecretArn: process.env.TOKEN_SECRET_ARN,
  });

export const handler = publishingMetrics(
  async (event: CloudFormationCustomResourceEvent | RotationEvent | CheckEvent): Promise<unknown> => {
    switch (actionOf(event)) {
      case 'rotate':
        return rotateKeys(secretsFromEnv(), loadSettings().accessTokenTtl);
      case 'check':
        return checkKeys(secretsFromEnv().signing);
      default:
        return manageKeys(event as CloudFormationCustomResourceEvent);
    }
  },
);
