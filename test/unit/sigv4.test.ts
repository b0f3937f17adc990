import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signRequest, type Credentials } from '../../functions/core/infra/sigv4.ts';

const keys: Credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

const bytes = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256, or HMAC-SHA256 when given a key, in the shape the SDK's signer takes. */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** The headers the SDK's own signer gives the same request. */
async function sdkSigned(request: {
  host: string;
  region: string;
  headers: Record<string, string>;
  body: string;
  credentials: Credentials;
  now: Date;
}) {
  // As the SDK's DynamoDB client signs: no x-amz-content-sha256 header, which DynamoDB does not ask for.
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: 'dynamodb',
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: request.host,
      path: '/',
      query: {},
      headers: { ...request.headers, host: request.host },
      body: request.body,
    },
    { signingDate: request.now },
  );
  return signed.headers as Record<string, string>;
}

describe('signRequest', () => {
  const base = {
    host: 'dynamodb.eu-west-1.amazonaws.com',
    region: 'eu-west-1',
    service: 'dynamodb',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body: '{"TableName":"users","Key":{"pk":{"S":"USER#é"},"sk":{"S":"PROFILE"}}}',
    credentials: keys,
    now: new Date('2026-12-04T07:31:34.123Z'),
  };

  it.each([
    ['long-term keys', base],
    ['a session token', { ...base, credentials: { ...keys, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token==' } }],
    [
      'another region and day',
      { ...base, host: 'dynamodb.us-east-1.amazonaws.com', region: 'us-east-1', now: new Date('2027-01-01T00:00:00Z') },
    ],
    ['a local endpoint with a port', { ...base, host: '127.0.0.1:8006' }],
    ['the day before, after a later day was signed', { ...base, now: new Date('2026-12-03T23:59:59Z') }],
  ])('signs as the SDK signs, with %s', async (_, request) => {
    const ours = signRequest(request);
    const theirs = await sdkSigned(request);
    expect(ours.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/[a-z0-9-]+\/dynamodb\/aws4_request, SignedHeaders=[a-z;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(ours.authorization).toBe(theirs.authorization);
    expect(ours['x-amz-date']).toBe(theirs['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(theirs['x-amz-security-token']);
  });

  it('gives a different signature for another body, key or time', () => {
    const signature = (request: typeof base) => signRequest(request).authorization;
    expect(signature({ ...base, body: '{}' })).not.toBe(signature(base));
    expect(signature({ ...base, credentials: { ...keys, secretAccessKey: 'other' } })).not.toBe(signature(base));
    expect(signature({ ...base, now: new Date('2026-12-04T07:31:35Z') })).not.toBe(signature(base));
  });
});
