/**
 * CloudFormation custom resource (through `custom_resources.Provider`) that
 * puts signing key material into the stack's secret. The template never holds
 * a key: on Create and Update this function writes a fresh key set when the
 * secret holds no valid one, and keeps the one it finds otherwise. Delete does
 * nothing (the secret's own removal policy decides). On its schedule
 * (`{ "action": "rotate" }`) it rotates: a new key signs from then on, and
 * retired keys leave once every token they signed has expired. It never logs
 * or returns key material.
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
import { createKeyMaterial, parseKeyMaterial, rotateKeyMaterial } from './core/crypto/signing-keys.ts';

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

export async function manageKeys(
  event: CloudFormationCustomResourceEvent,
  { client, now }: KeyManagerDeps = defaults,
): Promise<KeyManagerResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const secretArn = String(event.ResourceProperties.SecretArn ?? '');
  if (!secretArn) throw new Error('SecretArn property is missing');
  if (isKeyMaterial(await readSecret(client, secretArn))) {
    logger.info('Signing key material is present; kept', { secretArn });
  } else {
    await client.send(
      new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(createKeyMaterial(now())) }),
    );
    logger.info('Signing key material written', { secretArn });
  }
  return { PhysicalResourceId: secretArn };
}

/** The scheduled rotation; `SIGNING_SECRET_ARN` names the secret. */
export interface RotationEvent {
  readonly action: 'rotate';
}

export async function rotateKeys(
  secretArn: string,
  accessTokenTtl: number,
  { client, now }: KeyManagerDeps = defaults,
): Promise<{ readonly kid: string; readonly keys: number }> {
  const current = await readSecret(client, secretArn);
  const material = isKeyMaterial(current) ? rotateKeyMaterial(parseKeyMaterial(current as string), now(), accessTokenTtl) : createKeyMaterial(now());
  await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(material) }));
  const result = { kid: material.keys[0]?.kid ?? '', keys: material.keys.length };
  logger.info('Signing keys rotated', { secretArn, ...result });
  return result;
}

const isRotation = (event: unknown): event is RotationEvent => (event as { action?: unknown })?.action === 'rotate';

export const handler = (event: CloudFormationCustomResourceEvent | RotationEvent): Promise<unknown> =>
  isRotation(event)
    ? rotateKeys(String(process.env.SIGNING_SECRET_ARN ?? ''), loadSettings().accessTokenTtl)
    : manageKeys(event);
