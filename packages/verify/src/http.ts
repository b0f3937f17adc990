/**
 * What every framework adapter does with a request: read the access token
 * (`Authorization: Bearer`, or `X-Access-Token`), verify it, check the
 * permission, and on refusal answer as the auth service itself does (API.md's
 * error shape, `WWW-Authenticate` on a 401 as RFC 6750 asks).
 */
import type { Principal, Verifier } from './verifier.js';

export type HeaderReader = (name: string) => string | undefined;

export interface Refusal {
  readonly status: 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: 'unauthorized' | 'forbidden'; readonly message: string; readonly role?: string };
}

export type Decision = { readonly allowed: true; readonly principal: Principal } | { readonly allowed: false; readonly refusal: Refusal };

/** The access token of a request; API tokens (`X-Auth-Token`) need the auth service and are not read here. */
export function accessTokenOf(header: HeaderReader): string | null {
  const authorization = header('authorization')?.trim();
  const match = authorization ? /^Bearer +(\S+)$/i.exec(authorization) : null;
  if (match?.[1]) return match[1];
  const direct = header('x-access-token')?.trim();
  return direct ? direct : null;
}

const JSON_TYPE = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/**
 * The auth service's own challenges and body, word for word: no error code
 * without a credential (RFC 6750 §3.1); expired or not otherwise, which lets
 * a client refresh and says nothing an attacker could use.
 */
const challenges = {
  missing: 'Bearer',
  expired: 'Bearer error="invalid_token", error_description="The credential expired"',
  invalid: 'Bearer error="invalid_token", error_description="A valid credential is required"',
} as const;

function unauthorized(reason: keyof typeof challenges): Refusal {
  return {
    status: 401,
    headers: { ...JSON_TYPE, 'www-authenticate': challenges[reason] },
    body: { error: 'unauthorized', message: 'A valid credential is required' },
  };
}

/** Lets a request through when its token is valid and, if `permission` is given, carries it. */
export async function decide(verifier: Verifier, header: HeaderReader, permission?: string): Promise<Decision> {
  const token = accessTokenOf(header);
  if (!token) return { allowed: false, refusal: unauthorized('missing') };
  const result = await verifier.verify(token);
  if (!result.valid) return { allowed: false, refusal: unauthorized(result.reason === 'expired' ? 'expired' : 'invalid') };
  if (permission !== undefined && !result.principal.permissions.includes(permission)) {
    return {
      allowed: false,
      refusal: {
        status: 403,
        headers: JSON_TYPE,
        body: { error: 'forbidden', message: `This needs the ${permission} permission`, role: result.principal.role },
      },
    };
  }
  return { allowed: true, principal: result.principal };
}
