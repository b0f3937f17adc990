/**
 * Access tokens: RS256 JWTs with `typ: at+jwt`. The verifier pins the
 * algorithm, issuer, audience and type, and allows 5 s of clock skew.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import * as z from 'zod';
import { isRole, permissionsOf, type Role } from '../infra/permissions.ts';
import { isCanonicalBase64url } from './base64url.ts';
import { hasDuplicateTopLevelKeys } from './json-keys.ts';
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
  return new SignJWT({
    sid: subject.sessionId,
    role: subject.role,
    tenant_id: subject.tenantId,
    permissions: [...permissionsOf(subject.role)],
  })
    .setProtectedHeader({ alg: 'RS256', kid: keys.current.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(subject.userId)
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(options.now.getTime() / 1000))
    .setExpirationTime(Math.floor(options.expiresAt.getTime() / 1000))
    .sign(keys.current.privateKey);
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
  if (!token.split('.').every(isCanonicalBase64url) || hasAmbiguousJson(token)) return invalid;
  try {
    const { payload } = await jwtVerify(
      token,
      (header: JWTHeaderParameters) => {
        const key = header.kid ? keys.publicKeys.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        algorithms: ['RS256'],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        currentDate: options.now,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      },
    );
    const verified = subjectOf(payload, options.now);
    return verified ? { kind: 'valid', token: verified } : invalid;
  } catch (error) {
    // jose checks `exp` after the signature, `typ`, `iss`, `aud` and `nbf`; the claims of ours come next.
    if (error instanceof errors.JWTExpired && error.claim === 'exp' && subjectOf(error.payload, options.now)) return { kind: 'expired' };
    return invalid;
  }
}

/** The token's subject, or `null` for anything that is not a live access token of ours. */
export async function verifyAccessToken(
  keys: VerificationKeys,
  token: string,
  options: Omit<AccessTokenOptions, 'expiresAt'>,
): Promise<VerifiedAccessToken | null> {
  const check = await checkAccessToken(keys, token, options);
  return check.kind === 'valid' ? check.token : null;
}

/** Our claims, checked beyond what jose checks. */
function subjectOf(payload: unknown, now: Date): VerifiedAccessToken | null {
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) return null;
  const c = claims.data;
  // jose checks `nbf` but not an `iat` in the future: a token from the future was not issued by us.
  if (c.iat > Math.floor(now.getTime() / 1000) + CLOCK_SKEW_SECONDS) return null;
  return {
    userId: c.sub,
    sessionId: c.sid,
    role: c.role as Role,
    tenantId: c.tenant_id,
    permissions: c.permissions,
    expiresAt: new Date(c.exp * 1000),
  };
}

/** A header or claims set that names a member twice reads differently in different parsers. */
function hasAmbiguousJson(token: string): boolean {
  const [header, payload] = token.split('.');
  try {
    return [header, payload].some(
      (part) => part !== undefined && hasDuplicateTopLevelKeys(Buffer.from(part, 'base64url').toString('utf8')),
    );
  } catch {
    return true;
  }
}

/** The `kid` a token names, without verifying anything; `null` for what is not a JWS. */
export function kidOf(token: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}
