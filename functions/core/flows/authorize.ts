/**
 * Who is calling: credential extraction, verification and the route's
 * permission check. The Lambda authorizer runs this once per request and
 * passes the decision on as flat context values.
 */
import { checkAccessToken } from '../crypto/access-tokens.ts';
import { kidOf } from '../crypto/jws.ts';
import { looksLikeApiToken } from '../crypto/api-token-text.ts';
import { checkApiToken } from '../records/api-tokens.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Deps } from '../deps.ts';
import { isRole, permissionsOf, type Role } from '../infra/permissions.ts';
import { getSession, isLive, sessionUserOf, type SessionUser } from '../records/sessions.ts';

export interface Principal {
  readonly userId: string;
  readonly role: Role;
  readonly tenantId: string;
  readonly permissions: readonly string[];
  /** The session of an access token; `null` for an API token. */
  readonly sessionId: string | null;
  readonly credential: 'access_token' | 'api_token';
  /**
   * The caller's user object as the authorizer's one read found it (the
   * session's copy, or an API token's owner), so that a route needing no
   * more does not read the user again; absent for a session opened before
   * sessions carried the copy.
   */
  readonly user?: SessionUser;
}

/**
 * Why a request was refused as unauthorized, as far as the caller may know
 * (RFC 6750 §3): it sent no credential, its credential expired, or anything
 * else (malformed, forged, revoked, unknown), which stays one answer.
 */
const unauthorizedReasons = ['missing', 'expired', 'invalid'] as const;
export type UnauthorizedReason = (typeof unauthorizedReasons)[number];

export type Decision =
  | { readonly kind: 'allow'; readonly principal: Principal }
  | { readonly kind: 'forbidden'; readonly role: Role }
  | { readonly kind: 'unauthorized'; readonly reason: UnauthorizedReason }
  /** A dependency failed while checking: the caller should retry, not log in again. */
  | { readonly kind: 'unavailable' };

export type Credential = { readonly kind: 'access_token' | 'access_or_api_token'; readonly token: string };

/** The token of an `Authorization: Bearer` header, if that is what it holds. */
export const bearerOf = (headers: Record<string, string | undefined>): string | undefined =>
  /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '')?.[1];

/** Longer than any token we issue; refused before any parsing. */
const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * The request's credential: `Authorization: Bearer`, then `X-Access-Token`,
 * then `X-Auth-Token` (the only one that may carry an API token). Header
 * names are lower-case, as API Gateway passes them. Never the query string.
 * `null` when there is none: no header, an empty one, another scheme.
 */
export function credentialFrom(headers: Record<string, string | undefined>): Credential | null {
  const bearer = bearerOf(headers);
  const access = bearer ?? headers['x-access-token']?.trim();
  if (access) return { kind: 'access_token', token: access };
  const auth = headers['x-auth-token']?.trim();
  if (auth) return { kind: 'access_or_api_token', token: auth };
  return null;
}

/** A credential's principal, or why it was refused. */
export type Authentication =
  | { readonly kind: 'valid'; readonly principal: Principal }
  | { readonly kind: 'refused'; readonly reason: Exclude<UnauthorizedReason, 'missing'> };

const invalid: Authentication = { kind: 'refused', reason: 'invalid' };
const expired: Authentication = { kind: 'refused', reason: 'expired' };

/** Verifies a credential: an access token whose session is live, or an API token whose owner is active. */
export async function authenticate(d: Deps, credential: Credential, issuer: string, origin: AuditOrigin): Promise<Authentication> {
  if (credential.token.length > MAX_CREDENTIAL_LENGTH) return invalid;
  if (credential.kind === 'access_or_api_token' && looksLikeApiToken(credential.token)) {
    return authenticateApiToken(d, credential.token, origin);
  }
  const now = d.clock.now();
  const options = { issuer, audience: d.settings.audience, now };
  const keys = await d.keys.verification();
  let check = await checkAccessToken(keys, credential.token, options);
  // A kid this container has not seen may be a key rotated in since it loaded the set: only a refused token is looked at again.
  if (check.kind === 'invalid' && !keys.publicKeys.has(kidOf(credential.token) ?? '')) {
    check = await checkAccessToken(await d.keys.reloadVerification(), credential.token, options);
  }
  // An expired token is refused as expired whatever its session became: nothing about the session is told or read.
  if (check.kind !== 'valid') return check.kind === 'expired' ? expired : invalid;
  const verified = check.token;
  const session = await getSession(d, verified.userId, verified.sessionId);
  if (!session || !isLive(session, now)) return invalid;
  // The session is the truth: a token whose role or tenant disagrees with it was not issued for it.
  if (session.role !== verified.role || session.tenantId !== verified.tenantId) return invalid;
  const principal: Principal = {
    userId: verified.userId,
    role: verified.role,
    tenantId: verified.tenantId,
    permissions: permissionsOf(verified.role),
    sessionId: verified.sessionId,
    credential: 'access_token',
    ...(session.user ? { user: session.user } : {}),
  };
  return { kind: 'valid', principal };
}

/** What a route asks of its caller beyond a live credential. */
export interface Requirement {
  /** A permission, or a list of which the caller needs any one. */
  readonly permission?: string | readonly string[] | undefined;
  readonly roles?: readonly Role[] | undefined;
  /** Only an access token (a logged-in session) will do. */
  readonly sessionOnly?: boolean | undefined;
}

const anyOf = (required: string | readonly string[]): readonly string[] => (typeof required === 'string' ? [required] : required);

export const satisfies = (principal: Principal, requirement: Requirement): boolean =>
  (!requirement.permission || anyOf(requirement.permission).some((p) => principal.permissions.includes(p))) &&
  (!requirement.roles || requirement.roles.includes(principal.role)) &&
  (!requirement.sessionOnly || principal.credential === 'access_token');

async function authenticateApiToken(d: Deps, token: string, origin: AuditOrigin): Promise<Authentication> {
  const check = await checkApiToken(d, token, origin.ip);
  if (check.kind === 'refused') {
    const { userId, tenantId } = check.record;
    await audit(d, origin, { type: 'api_token.rejected', outcome: 'failure', reason: check.reason, userId, tenantId });
    // Only the holder of the right secret hears that its token expired, which its expires_at told it already. Past
    // that date a revoked token is "expired" too, so that the answer never tells revoked from not.
    const lifeOver = check.reason !== 'wrong_secret' && Date.parse(check.record.validUntil) <= d.clock.now().getTime();
    return lifeOver ? expired : invalid;
  }
  if (check.kind !== 'ok') return invalid;
  const { owner } = check;
  const principal: Principal = {
    userId: owner.id,
    role: owner.role,
    tenantId: owner.tenantId,
    permissions: permissionsOf(owner.role),
    sessionId: null,
    credential: 'api_token',
    user: sessionUserOf(owner),
  };
  return { kind: 'valid', principal };
}

export async function decide(
  d: Deps,
  headers: Record<string, string | undefined>,
  requirement: Requirement,
  issuer: string,
  origin: AuditOrigin,
): Promise<Decision> {
  const credential = credentialFrom(headers);
  if (!credential) return { kind: 'unauthorized', reason: 'missing' };
  const authentication = await authenticate(d, credential, issuer, origin);
  if (authentication.kind === 'refused') return { kind: 'unauthorized', reason: authentication.reason };
  const { principal } = authentication;
  if (!satisfies(principal, requirement)) return { kind: 'forbidden', role: principal.role };
  return { kind: 'allow', principal };
}

/**
 * Flat string values, as API Gateway authorizer context requires. The user
 * object goes only where `withUser` says: to our own routes, never to the
 * services of other teams behind the same API.
 */
export function decisionToContext(decision: Decision, withUser = false): Record<string, string> {
  switch (decision.kind) {
    case 'unauthorized':
      return { decision: 'unauthorized', reason: decision.reason };
    case 'unavailable':
      return { decision: 'unavailable' };
    case 'forbidden':
      return { decision: 'forbidden', role: decision.role };
    case 'allow': {
      const p = decision.principal;
      return {
        decision: 'allow',
        userId: p.userId,
        role: p.role,
        tenantId: p.tenantId,
        sessionId: p.sessionId ?? '',
        credential: p.credential,
        ...(withUser && p.user ? { user: JSON.stringify(p.user) } : {}),
      };
    }
  }
}

/** The decision an authorizer passed on; anything unexpected reads as `unauthorized`, for no reason it may tell. */
export function decisionFromContext(context: Record<string, unknown> | undefined): Decision {
  const c = context ?? {};
  if (c.decision === 'unavailable') return { kind: 'unavailable' };
  if (c.decision === 'forbidden' && isRole(c.role)) return { kind: 'forbidden', role: c.role };
  if (
    c.decision === 'allow' &&
    typeof c.userId === 'string' &&
    c.userId &&
    isRole(c.role) &&
    typeof c.tenantId === 'string' &&
    (c.credential === 'access_token' || c.credential === 'api_token')
  ) {
    return {
      kind: 'allow',
      principal: {
        userId: c.userId,
        role: c.role,
        tenantId: c.tenantId,
        permissions: permissionsOf(c.role),
        sessionId: typeof c.sessionId === 'string' && c.sessionId ? c.sessionId : null,
        credential: c.credential,
        ...userFromContext(c.user, c.userId),
      },
    };
  }
  const told =
    c.decision === 'unauthorized' && typeof c.reason === 'string' && (unauthorizedReasons as readonly string[]).includes(c.reason);
  const reason = told ? (c.reason as UnauthorizedReason) : 'invalid';
  return { kind: 'unauthorized', reason };
}

/** The user object the authorizer passed, if it is one and names the caller; otherwise the route reads it. */
function userFromContext(text: unknown, userId: string): { user?: SessionUser } {
  if (typeof text !== 'string') return {};
  try {
    const user = JSON.parse(text) as SessionUser | null;
    return user?.id === userId ? { user } : {};
  } catch {
    return {};
  }
}
