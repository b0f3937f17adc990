/**
 * SHA-256 and HMAC-SHA256 for the AWS SDK's request signing (its `sha256`
 * option), with every HMAC key held as a `KeyObject`.
 *
 * SigV4 makes at least two HMACs per request: one over the credentials to
 * look up the cached signing key, and the signature itself. The SDK's own
 * hash passes each key as a Buffer, which Node.js 24 turns into a key object
 * on every call, at several times the cost of the HMAC. The keys repeat (the
 * secret access key, and a signing key that changes once a day), so each is
 * converted once. The digests are the same bytes.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** Enough for a few credential sets and their daily signing keys; cleared when full, never grows. */
const MAX_KEYS = 32;
const keyObjects = new Map<string, KeyObject>();

function bytesOf(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function keyObjectOf(secret: SourceData): KeyObject {
  const bytes = bytesOf(secret);
  const id = bytes.toString('base64');
  let key = keyObjects.get(id);
  if (!key) {
    if (keyObjects.size >= MAX_KEYS) keyObjects.clear();
    key = createSecretKey(bytes);
    keyObjects.set(id, key);
  }
  return key;
}

/** The SDK's `Checksum` shape: a hash, or an HMAC when constructed with a secret. */
export class RequestSigningHash {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.start();
  }

  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.start();
  }

  private start(): Hash | Hmac {
    // As the SDK's own hash: no secret (or an empty string) means a plain hash.
    return !this.secret ? createHash('sha256') : createHmac('sha256', keyObjectOf(this.secret));
  }
}
