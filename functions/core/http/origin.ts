/**
 * Where a request comes from, as the audit trail and the per-IP limits see
 * it: API Gateway's source IP (never `X-Forwarded-For`), the user agent, the
 * request id. The one reading of it, for the handlers and the authorizer.
 */
import type { AuditOrigin } from '../records/audit.ts';

const MAX_USER_AGENT = 512;

interface RequestLike {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext: { readonly http: { readonly sourceIp?: string }; readonly requestId?: string };
}

/** `headers` lower-cased, as the header normalizer (handlers) or the authorizer leave them. */
export const originOf = (event: RequestLike, requestId: string | null = event.requestContext.requestId ?? null): AuditOrigin => ({
  ip: event.requestContext.http.sourceIp ?? null,
  userAgent: event.headers?.['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
  requestId,
});
