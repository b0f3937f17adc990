import { Readable } from 'node:stream';
import { createHash, createHmac } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamoDbClientConfig } from '../../functions/core/infra/db.ts';
import { RequestSigningHash } from '../../functions/core/infra/request-signing-hash.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

async function digestOf(secret: string | Uint8Array | ArrayBuffer | undefined, ...parts: (string | Uint8Array)[]) {
  const hash = new RequestSigningHash(secret);
  for (const part of parts) hash.update(part);
  return hex(await hash.digest());
}

describe('RequestSigningHash', () => {
  it('gives the SHA-256 of what it was fed, strings as UTF-8', async () => {
    expect(await digestOf(undefined, 'héllo ', new Uint8Array([1, 2, 3]))).toBe(
      createHash('sha256')
        .update('héllo ')
        .update(Buffer.from([1, 2, 3]))
        .digest('hex'),
    );
  });

  it.each([
    ['a string', 'AWS4wJalrXUtnFEMI/K7MDENG'],
    ['a Uint8Array', new Uint8Array([0, 255, 7, 42])],
    ['an ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
  ])('gives the HMAC-SHA256 keyed by %s', async (_, secret) => {
    const key = typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret as ArrayBuffer);
    expect(await digestOf(secret, '20261204/us-east-1/dynamodb/aws4_request')).toBe(
      createHmac('sha256', key).update('20261204/us-east-1/dynamodb/aws4_request').digest('hex'),
    );
  });

  it('keys by the bytes, not the object: equal keys agree, different keys differ, past the cache size too', async () => {
    for (let i = 0; i < 80; i++) {
      const secret = `secret-${i % 40}`;
      expect(await digestOf(new TextEncoder().encode(secret), 'x')).toBe(createHmac('sha256', secret).update('x').digest('hex'));
    }
    expect(await digestOf('one', 'x')).not.toBe(await digestOf('two', 'x'));
  });

  it('starts over after reset', async () => {
    const hash = new RequestSigningHash('k');
    hash.update('discarded');
    hash.reset();
    hash.update('kept');
    expect(hex(await hash.digest())).toBe(createHmac('sha256', 'k').update('kept').digest('hex'));
  });
});

describe('the DynamoDB client signs with it', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** The Authorization header a client sends for one GetItem at a fixed time. */
  async function authorizationOf(config: ConstructorParameters<typeof DynamoDBClient>[0]): Promise<string> {
    let authorization = '';
    const body = '{}';
    const client = new DynamoDBClient({
      ...config,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      requestHandler: {
        handle: async (request: { headers: Record<string, string> }) => {
          authorization = request.headers.authorization ?? '';
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(body.length) },
              body: Readable.from([Buffer.from(body)]),
            },
          };
        },
      } as never,
    });
    await client.send(new GetItemCommand({ TableName: 'users', Key: { pk: { S: 'USER#1' }, sk: { S: 'PROFILE' } } }));
    return authorization;
  }

  it('sends the same signature as the SDK’s own hash', async () => {
    // What differs between two requests: the time and the invocation id, both signed.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-04T07:31:34Z') });
    vi.spyOn(globalThis.crypto, 'randomUUID').mockReturnValue('00000000-0000-4000-8000-000000000000');
    const ours = await authorizationOf(dynamoDbClientConfig({ region: 'eu-west-1' }));
    const { sha256: _, ...sdkDefault } = dynamoDbClientConfig({ region: 'eu-west-1' });
    const theirs = await authorizationOf(sdkDefault);
    expect(ours).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261204\/eu-west-1\/dynamodb\/aws4_request, .*Signature=[0-9a-f]{64}$/,
    );
    expect(ours).toBe(theirs);
  });
});
