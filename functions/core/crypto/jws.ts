/**
 * Our access tokens' signatures, made and checked with node:crypto's
 * one-shot `sign` and `verify`. jose goes through WebCrypto, whose hand-off
 * to the thread pool costs about twice an RSA check and a third of an RSA
 * signature on top of them (`npm run bench:cpu`), and every refresh signs
 * and every authorized call verifies. So this path is narrow and ours:
 * compact serialization, RS256 only, the header we issue (`alg`, `kid`,
 * `typ` and nothing else: no `crit`, no `b64`, no embedded key), one
 * spelling per token. jose stays the reference both are held to
 * (`test/unit/jws.test.ts`), and what `@serverless-auth/verify` uses.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { isCanonicalBase64url } from './base64url.ts';
import { hasDuplicateTopLevelKeys } from './json-keys.ts';

export interface VerifiedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

const HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ']);
/** RFC 7518 §3.3: an RS256 key is at least 2048 bits long, as jose requires too. */
const MIN_MODULUS_BITS = 2048;

/**
 * The header and claims of `token` when one of `keys`, named by its `kid`,
 * signed it with RS256; `null` for anything else. Each part must be the one
 * spelling we issue, and neither JSON object may name a member twice (a
 * parser downstream that keeps the first would read other claims).
 */
export function verifyRs256(token: string, keys: ReadonlyMap<string, KeyObject>): VerifiedJws | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every(isCanonicalBase64url)) return null;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = objectOf(headerPart);
  if (header?.alg !== 'RS256' || typeof header.kid !== 'string') return null;
  if (!Object.keys(header).every((name) => HEADER_MEMBERS.has(name))) return null;
  const key = keys.get(header.kid);
  if (!key || !isRsaKey(key)) return null;
  const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'latin1');
  if (!verify('sha256', signed, key, Buffer.from(signaturePart, 'base64url'))) return null;
  const payload = objectOf(payloadPart);
  return payload ? { header, payload } : null;
}

/** `header.claims.signature`, signed RS256 with `key` and naming it by `kid`. */
export function signRs256(header: { readonly kid: string; readonly typ: string }, claims: object, key: KeyObject): string {
  const input = `${partOf({ alg: 'RS256', kid: header.kid, typ: header.typ })}.${partOf(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input, 'latin1'), key).toString('base64url')}`;
}

/** The `kid` a token's header names, without verifying anything; `null` for what has no such header. */
export function kidOf(token: string): string | null {
  const kid = objectOf(token.slice(0, Math.max(0, token.indexOf('.'))))?.kid;
  return typeof kid === 'string' ? kid : null;
}

const partOf = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** UTF-8 that refuses malformed bytes (as jose does) instead of reading them as U+FFFD, and keeps a BOM, which JSON refuses. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A part's JSON object, or `null` for what is not UTF-8 JSON text of one, or names a member twice. */
function objectOf(part: string): Record<string, unknown> | null {
  try {
    const text = utf8.decode(Buffer.from(part, 'base64url'));
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return hasDuplicateTopLevelKeys(text) ? null : (value as Record<string, unknown>);
  } catch {
    return null;
  }
}

const rsaKeys = new WeakSet<KeyObject>();
/** An RSA public key long enough for RS256 (node would verify ECDSA with the same call). Remembered per key. */
function isRsaKey(key: KeyObject): boolean {
  if (rsaKeys.has(key)) return true;
  const ok = key.type === 'public' && key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_MODULUS_BITS;
  if (ok) rsaKeys.add(key);
  return ok;
}
