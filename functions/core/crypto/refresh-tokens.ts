/**
 * Refresh token text: `<userId>.<sessionId>.<generation>.<mac>`, where the mac
 * is an HMAC of the rest under the key set's refresh secret. Deriving the token
 * from its session and generation lets the grace window hand back the same
 * successor without keeping it; only its hash is stored.
 */
import { createHash, createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { isCanonicalBase64url } from './base64url.ts';

export interface RefreshTokenParts {
  readonly userId: string;
  readonly sessionId: string;
  readonly generation: number;
}

const SHAPE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/;

const mac = (secret: KeyObject, parts: RefreshTokenParts): Buffer =>
  createHmac('sha256', secret).update(`refresh:${parts.userId}.${parts.sessionId}.${parts.generation}`).digest();

export function deriveRefreshToken(secret: KeyObject, parts: RefreshTokenParts): string {
  return `${parts.userId}.${parts.sessionId}.${parts.generation}.${mac(secret, parts).toString('base64url')}`;
}

/** The parts of a token this key set issued, or `null` for anything else. Needs no database read. */
export function parseRefreshToken(secret: KeyObject, token: string): RefreshTokenParts | null {
  const match = SHAPE.exec(token);
  // One spelling only: its hash is what the session stores, and the generation has no leading zeros.
  if (
    !match ||
    !isCanonicalBase64url(match[2] as string) ||
    !isCanonicalBase64url(match[4] as string) ||
    String(Number(match[3])) !== match[3]
  ) {
    return null;
  }
  const parts = { userId: match[1] as string, sessionId: match[2] as string, generation: Number(match[3]) };
  const given = Buffer.from(match[4] as string, 'base64url');
  const expected = mac(secret, parts);
  return given.length === expected.length && timingSafeEqual(given, expected) ? parts : null;
}

/** What the sessions table stores instead of the token. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
