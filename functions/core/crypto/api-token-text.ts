/**
 * API token text: `sat_<id>_<secret><checksum>`, all lower-case hex. The fixed
 * prefix lets secret scanners find leaked tokens; the id names the stored
 * item; the secret carries 256 bits; the CRC-32 checksum lets a mistyped or
 * made-up token be refused without a database read.
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_TOKEN_PREFIX = 'sat_';
const SHAPE = /^sat_([0-9a-f]{24})_([0-9a-f]{64})([0-9a-f]{8})$/;

const checksum = (body: string): string => crc32(body).toString(16).padStart(8, '0');

export const newTokenId = (): string => randomBytes(12).toString('hex');

export function newTokenText(tokenId: string): { token: string; secret: string } {
  const secret = randomBytes(32).toString('hex');
  const body = `${API_TOKEN_PREFIX}${tokenId}_${secret}`;
  return { token: `${body}${checksum(body)}`, secret };
}

/** The id and secret of a well-formed token, or `null` (no database read needed). */
export function parseTokenText(token: string): { tokenId: string; secret: string } | null {
  const match = SHAPE.exec(token);
  if (!match) return null;
  const body = `${API_TOKEN_PREFIX}${match[1]}_${match[2]}`;
  return checksum(body) === match[3] ? { tokenId: match[1] as string, secret: match[2] as string } : null;
}

export const looksLikeApiToken = (text: string): boolean => text.startsWith(API_TOKEN_PREFIX);

/** What is stored: an HMAC of the secret under a key derived from the key set's secret. */
export function hashTokenSecret(serverSecret: KeyObject, tokenId: string, secret: string): string {
  // A KeyObject: an HMAC keyed by a Buffer costs several times more in Node.js.
  const key = createSecretKey(createHmac('sha256', serverSecret).update('api-token').digest());
  return createHmac('sha256', key).update(`${tokenId}:${secret}`).digest('base64url');
}

export function sameSecretHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
