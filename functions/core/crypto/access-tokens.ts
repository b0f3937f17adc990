/**
 * Access tokens: RS256 JWTs with `typ: at+jwt`. The verifier pins the
 * algorithm, issuer, audience and type, and allows 5 s of clock skew.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { isRole, permissionsOf, type Role } from '../infra/permissions.ts';
import { signRs256, verifyRs256 } from './jws.ts';
import type { SigningKeys, VerificationKeys } from './signing-keys.ts';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const CLOCK_SKEW_SECONDS = 5;

export interface AccessTokenSubject {
  readonly userId: string;
  readonly sessionId: string;
  readonly role: Role;
  readonly tenantId: string;
}

export interface AccessTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly now: Date;
  readonly expiresAt: Date;
}

export async function signAccessToken(keys: SigningKeys, subject: AccessTokenSubject, options: AccessTokenOptions): Promise<string> {
  const claims = {
    sid: subject.sessionId,
    role: subject.role,
    tenant_id: subject.tenantId,
    permissions: [...permissionsOf(subject.role)],
    iss: options.issuer,
    aud: options.audience,
    sub: subject.userId,
    jti: randomUUID(),
    iat: Math.floor(options.now.getTime() / 1000),
    exp: Math.floor(options.expiresAt.getTime() / 1000),
  };
  return signRs256({ kid: keys.current.kid, typ: ACCESS_TOKEN_TYPE }, claims, keys.current.privateKey);
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  sid: z.string().min(1),
  jti: z.string().min(1),
  role: z.string().refine(isRole),
  tenant_id: z.string().min(1),
  permissions: z.array(z.string()),
  exp: z.number(),
  iat: z.number(),
});

export interface VerifiedAccessToken extends AccessTokenSubject {
  readonly permissions: readonly string[];
  readonly expiresAt: Date;
}

/**
 * What a token is: live, expired (well signed, every claim right, `exp`
 * passed beyond the skew), or anything else. Only a token that would be live
 * but for its age counts as expired, so the difference tells a caller
 * nothing but what its own token's `exp` already says.
 */
export type AccessTokenCheck =
  | { readonly kind: 'valid'; readonly token: VerifiedAccessToken }
  | { readonly kind: 'expired' }
  | { readonly kind: 'invalid' };

const invalid: AccessTokenCheck = { kind: 'invalid' };

export async function checkAccessToken(
  keys: VerificationKeys,
  token: string,
  options: Omit<AccessTokenOptions, 'expiresAt'>,
): Promise<AccessTokenCheck> {
  const jws = verifyRs256(token, keys.publicKeys);
  if (!jws || jws.header.typ !== ACCESS_TOKEN_TYPE) return invalid;
  const claims = jws.payload;
  const now = Math.floor(options.now.getTime() / 1000);
  if (claims.iss !== options.issuer || !hasAudience(claims.aud, options.audience)) return invalid;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + CLOCK_SKEW_SECONDS)) return invalid;
  const verified = subjectOf(claims, now);
  if (!verified) return invalid;
  // Expired only when all else is right: a token that would be live but for its age.
  return (claims.exp as number) <= now - CLOCK_SKEW_SECONDS ? { kind: 'expired' } : { kind: 'valid', token: verified };
}

/** RFC 7519 §4.1.3: `aud` is one string or an array of them. */
const hasAudience = (aud: unknown, audience: string): boolean => aud === audience || (Array.isArray(aud) && aud.includes(audience));

/** The token's subject, or `null` for anything that is not a live access token of ours. */
export async function verifyAccessToken(
  keys: VerificationKeys,
  token: string,
  options: Omit<AccessTokenOptions, 'expiresAt'>,
): Promise<VerifiedAccessToken | null> {
  const check = await checkAccessToken(keys, token, options);
  return check.kind === 'valid' ? check.token : null;
}

/** The claims of ours, each of its type; `null` when one is missing or wrong. */
function subjectOf(payload: unknown, now: number): VerifiedAccessToken | null {
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) return null;
  const c = claims.data;
  // A token issued in the future (beyond the skew) was not issued by us.
  if (c.iat > now + CLOCK_SKEW_SECONDS) return null;
  return {
    userId: c.sub,
    sessionId: c.sid,
    role: c.role as Role,
    tenantId: c.tenant_id,
    permissions: c.permissions,
    expiresAt: new Date(c.exp * 1000),
  };
}
