/**
 * The key manager behind the `Custom::SigningKeyMaterial` resource: it fills
 * the secret once, keeps what is valid, and never lets key material out.
 * Secrets Manager has no local engine, so the client is a recording stand-in
 * passed as the handler's dependency.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../functions/core/infra/logger.ts';
import { createKeyMaterial, parseKeyMaterial, publicMaterialOf, tokenSecretOf } from '../functions/core/crypto/signing-keys.ts';
import { metrics } from '../functions/core/infra/metrics.ts';
import { checkKeys, manageKeys, rotateKeys, type KeyManagerDeps } from '../functions/key-manager.ts';

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningKeys-AbCdEf';
const publicArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:PublicKeys-AbCdEf';
const tokenArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSecret-AbCdEf';
const secrets = { signing: secretArn, publicKeys: publicArn, tokenSecret: tokenArn };
const now = new Date('2026-11-23T21:30:00.000Z');

function event(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:framework',
    ResponseURL: 'https://example.com/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Auth/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SigningKeyMaterial',
    ResourceType: 'Custom::SigningKeyMaterial',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:framework',
      SecretArn: secretArn,
      PublicKeysSecretArn: publicArn,
      TokenSecretArn: tokenArn,
    },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: secretArn, OldResourceProperties: common.ResourceProperties };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: secretArn };
}

/**
 * A Secrets Manager client that holds the three secrets (the signing one as
 * given, the others empty) and records every command.
 */
function fakeClient(initial: string | undefined, others: Record<string, string> = {}) {
  const values = new Map<string, string | undefined>([[secretArn, initial], ...Object.entries(others)]);
  const sent: unknown[] = [];
  const send = async (command: unknown): Promise<unknown> => {
    sent.push(command);
    if (command instanceof GetSecretValueCommand) {
      const value = values.get(command.input.SecretId as string);
      if (value === undefined) {
        throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value", $metadata: {} });
      }
      return { SecretString: value };
    }
    if (command instanceof PutSecretValueCommand) {
      values.set(command.input.SecretId as string, command.input.SecretString);
      return {};
    }
    throw new Error('unexpected command');
  };
  const deps: KeyManagerDeps = { client: { send } as unknown as Pick<SecretsManagerClient, 'send'>, now: () => now };
  return { deps, sent, value: () => values.get(secretArn), valueOf: (arn: string) => values.get(arn) };
}

/** The public-keys and token secrets hold exactly the signing secret's public keys and refresh secret, nothing private. */
function expectPartsOf(client: ReturnType<typeof fakeClient>) {
  const material = parseKeyMaterial(client.value() as string);
  const published = JSON.parse(client.valueOf(publicArn) as string);
  expect(published).toEqual(publicMaterialOf(material));
  expect(published.keys.map((k: { kid: string }) => k.kid)).toEqual(material.keys.map((k) => k.kid));
  expect(client.valueOf(publicArn)).not.toMatch(/"d"|privateJwk|refreshSecret/);
  expect(JSON.parse(client.valueOf(tokenArn) as string)).toEqual({ version: 1, refreshSecret: material.refreshSecret });
  expect(client.valueOf(tokenArn)).not.toMatch(/"d"|privateJwk/);
}

describe('key manager', () => {
  let output: string[];

  beforeEach(() => {
    output = [];
    logger.setLogLevel('DEBUG');
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    logger.setLogLevel('WARN');
  });

  it('writes a fresh key set into a secret that has no value yet', async () => {
    const secret = fakeClient(undefined);
    const result = await manageKeys(event('Create'), secret.deps);
    expect(result).toEqual({ PhysicalResourceId: secretArn });
    const material = parseKeyMaterial(secret.value() as string);
    expect(material.keys).toHaveLength(1);
    expect(material.keys[0]?.createdAt).toBe(now.toISOString());
    expectPartsOf(secret);
  });

  it('replaces the placeholder CloudFormation generates when the secret is created', async () => {
    const secret = fakeClient('q3Zl!r^x0S`Vb_L8f#M2yN9wT4eP6aKc');
    await manageKeys(event('Create'), secret.deps);
    expect(() => parseKeyMaterial(secret.value() as string)).not.toThrow();
  });

  it('keeps a valid key set on Create and Update, and writes nothing when its parts already match it', async () => {
    const material = createKeyMaterial(new Date('2026-01-01T00:00:00.000Z'));
    const existing = JSON.stringify(material);
    const parts = { [publicArn]: JSON.stringify(publicMaterialOf(material)), [tokenArn]: JSON.stringify(tokenSecretOf(material)) };
    for (const type of ['Create', 'Update'] as const) {
      const secret = fakeClient(existing, parts);
      await expect(manageKeys(event(type), secret.deps)).resolves.toEqual({ PhysicalResourceId: secretArn });
      expect(secret.value()).toBe(existing);
      expect(secret.sent.some((command) => command instanceof PutSecretValueCommand)).toBe(false);
    }
  });

  it('fills the public-keys and token secrets from a kept key set that has none yet (a stack updated to them)', async () => {
    const existing = JSON.stringify(createKeyMaterial(new Date('2026-01-01T00:00:00.000Z')));
    const secret = fakeClient(existing);
    await manageKeys(event('Update'), secret.deps);
    expect(secret.value()).toBe(existing);
    expectPartsOf(secret);
  });

  it('does nothing on Delete', async () => {
    const secret = fakeClient(undefined);
    await expect(manageKeys(event('Delete'), secret.deps)).resolves.toEqual({ PhysicalResourceId: secretArn });
    expect(secret.sent).toEqual([]);
  });

  it('fails the deployment on any other Secrets Manager error', async () => {
    const deps: KeyManagerDeps = {
      client: { send: async () => Promise.reject(new Error('AccessDeniedException')) } as unknown as Pick<SecretsManagerClient, 'send'>,
      now: () => now,
    };
    await expect(manageKeys(event('Create'), deps)).rejects.toThrow('AccessDeniedException');
  });

  it('never logs or returns key material', async () => {
    const secret = fakeClient(undefined);
    const result = await manageKeys(event('Create'), secret.deps);
    const material = parseKeyMaterial(secret.value() as string);
    const visible = JSON.stringify(result) + output.join('');
    expect(output.join('')).toContain('Signing key material written');
    for (const secretPart of [material.refreshSecret, material.keys[0]?.privateJwk.d as string, '"d":', 'privateJwk']) {
      expect(visible).not.toContain(secretPart);
    }
  });
});

describe('scheduled rotation', () => {
  it('writes a rotated key set that keeps the old key and the refresh secret', async () => {
    const before = createKeyMaterial(now);
    const client = fakeClient(JSON.stringify(before));
    const result = await rotateKeys(secrets, 900, client.deps);
    const after = parseKeyMaterial(client.value() as string);
    expect(result).toEqual({ kid: after.keys[0]?.kid, keys: 2 });
    expect(after.keys[1]?.kid).toBe(before.keys[0]?.kid);
    expect(after.refreshSecret).toBe(before.refreshSecret);
    expectPartsOf(client);
  });

  it('publishes the new public key before the new key set signs', async () => {
    const client = fakeClient(JSON.stringify(createKeyMaterial(now)));
    await rotateKeys(secrets, 900, client.deps);
    const puts = client.sent.filter((c): c is PutSecretValueCommand => c instanceof PutSecretValueCommand).map((c) => c.input.SecretId);
    expect(puts).toEqual([publicArn, tokenArn, secretArn]);
  });

  it('answers with the new kid only, never key material', async () => {
    const { deps } = fakeClient(JSON.stringify(createKeyMaterial(now)));
    const result = await rotateKeys(secrets, 900, deps);
    expect(JSON.stringify(result)).not.toMatch(/privateJwk|refreshSecret|"d"/);
  });
});

describe('scheduled check', () => {
  // Every run of the key manager reports the age; only this test's count.
  beforeEach(() => {
    metrics().clearMetrics();
  });

  it('reports the age of the key that signs now as SigningKeyAge, in seconds, and writes nothing', async () => {
    const threeDaysOld = createKeyMaterial(new Date(now.getTime() - 3 * 86_400_000));
    const client = fakeClient(JSON.stringify(threeDaysOld));

    const result = await checkKeys(secretArn, client.deps);

    expect(result).toEqual({ ageSeconds: 3 * 86_400 });
    expect(client.sent.filter((c) => c instanceof PutSecretValueCommand)).toEqual([]);
    const emf = metrics().serializeMetrics();
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'SigningKeyAge', Unit: 'Seconds' }]);
    expect(emf.SigningKeyAge).toBe(3 * 86_400);
  });

  it('fails when the secret holds no key material, so that the function’s error alarm fires', async () => {
    await expect(checkKeys(secretArn, fakeClient(undefined).deps)).rejects.toThrow(/no key material/);
    await expect(checkKeys(secretArn, fakeClient('{"version":1}').deps)).rejects.toThrow(/no key material/);
  });
});
