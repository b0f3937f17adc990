/**
 * Verifies the auth service's access tokens where the service itself is not:
 * RS256 only, against the JWKS (cached; fetched again when a token names a
 * key it has not seen), with issuer, audience, `typ: at+jwt` and 5 s of clock
 * skew, as API.md asks of every verifier.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { sessionCheck, type SessionsTable } from './sessions.js';

/** Who the token speaks for. */
export interface Principal {
  readonly userId: string;
  readonly role: string;
  readonly tenantId: string;
  readonly permissions: readonly string[];
  /** The session (login) the token belongs to: the `sid` claim. */
  readonly sessionId: string;
  /** The token's own id: the `jti` claim. */
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/**
 * Why a token was refused: `expired` (past `exp` plus the skew), `revoked`
 * (its session is over; only with `sessions`), `invalid` (anything else:
 * signature, algorithm, key, issuer, audience, type, claims).
 */
export type RefusalReason = 'invalid' | 'expired' | 'revoked';

export type VerifyResult =
  | { readonly valid: true; readonly principal: Principal }
  | { readonly valid: false; readonly reason: RefusalReason };

export interface VerifierOptions {
  /** The auth service's `ISSUER` (its base URL unless set otherwise). */
  readonly issuer: string;
  /** @default 'serverless-auth' */
  readonly audience?: string;
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUrl?: string | URL;
  /** @default 5 */
  readonly clockToleranceSeconds?: number;
  /** Keep the fetched keys this long before fetching them again. @default 600_000 */
  readonly jwksMaxAgeMs?: number;
  /** After a fetch, fetch no more for this long, whatever `kid` a token names (so forged kids cannot flood the JWKS). @default 30_000 */
  readonly jwksCooldownMs?: number;
  /** Check the token's session in the sessions table too, so that a logout takes effect at once. */
  readonly sessions?: SessionsTable;
  /** @default globalThis.fetch */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** The time, for tests. @default () => new Date() */
  readonly now?: () => Date;
}

export interface Verifier {
  verify(token: string): Promise<VerifyResult>;
}

const ALGORITHM = 'RS256';
const TOKEN_TYPE = 'at+jwt';

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** The principal of a verified payload, or `null` when a claim of ours is missing or of the wrong type. */
function principalOf(payload: JWTPayload): Principal | null {
  const { sub, sid, jti, exp, role, tenant_id: tenantId, permissions } = payload as Record<string, unknown>;
  if (!isText(sub) || !isText(sid) || !isText(jti) || !isText(role) || !isText(tenantId) || typeof exp !== 'number') return null;
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) return null;
  return {
    userId: sub,
    role,
    tenantId,
    permissions: Object.freeze([...permissions]),
    sessionId: sid,
    tokenId: jti,
    expiresAt: new Date(exp * 1000),
  };
}

export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = options.issuer;
  const jwksUrl = new URL(options.jwksUrl ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`);
  const now = options.now ?? (() => new Date());
  const keys = createRemoteJWKSet(jwksUrl, {
    cacheMaxAge: options.jwksMaxAgeMs ?? 600_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  const isLive = options.sessions ? sessionCheck(options.sessions) : null;

  return {
    async verify(token) {
      let principal: Principal | null;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: [ALGORITHM],
          issuer,
          audience: options.audience ?? 'serverless-auth',
          typ: TOKEN_TYPE,
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['exp', 'iat'],
          currentDate: now(),
        });
        principal = principalOf(payload);
      } catch (error) {
        return { valid: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
      }
      if (!principal) return { valid: false, reason: 'invalid' };
      if (isLive && !(await isLive(principal, now()))) return { valid: false, reason: 'revoked' };
      return { valid: true, principal };
    },
  };
}
