/**
 * Where a request comes from, as the audit trail and the per-IP limits see
 * it: the client's address, the user agent, the request id. The one reading
 * of it, for the handlers and the authorizer.
 *
 * The address is API Gateway's source IP (never `X-Forwarded-For`), except
 * for a request that came through the stack's CloudFront distribution
 * (`http/edge.ts` decides that from the origin secret): API Gateway sees
 * CloudFront's address there, and the viewer's is in `CloudFront-Viewer-Address`.
 */
import { isIP } from 'node:net';
import type { AuditOrigin } from '../records/audit.ts';

const MAX_USER_AGENT = 512;

/** Set by CloudFront (the origin request policy forwards it): the viewer's address and source port. */
const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

interface RequestLike {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext: { readonly http: { readonly sourceIp?: string }; readonly requestId?: string };
}

/**
 * The address of a `CloudFront-Viewer-Address` value: `198.51.100.10:46532`,
 * or for IPv6 the address and port joined by a colon
 * (`2001:db8::8a2e:370:7334:46532`), brackets tolerated (`[2001:db8::1]:443`).
 * The port is required, so the last colon always separates it. Anything else
 * is `undefined`.
 */
export function viewerAddressOf(value: string | undefined): string | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(value?.trim() ?? '');
  if (!match || Number(match[2]) > 65_535) return undefined;
  const address = match[1] as string;
  const bracketed = /^\[(.+)\]$/.exec(address)?.[1];
  if (bracketed !== undefined) return isIP(bracketed) === 6 ? bracketed : undefined;
  return isIP(address) ? address : undefined;
}

/**
 * The client's address: the viewer's for a request that came through our
 * CloudFront, when CloudFront's header holds one; otherwise API Gateway's
 * source IP. A request that did not prove it came through CloudFront may
 * write any `CloudFront-Viewer-Address` it likes, so it is never read then.
 */
export function clientAddressOf(event: RequestLike, viaEdge: boolean): string | null {
  const viewer = viaEdge ? viewerAddressOf(event.headers?.[VIEWER_ADDRESS_HEADER]) : undefined;
  return viewer ?? event.requestContext.http.sourceIp ?? null;
}

/** `headers` lower-cased, as the header normalizer (handlers) or the authorizer leave them. */
export const originOf = (
  event: RequestLike,
  requestId: string | null = event.requestContext.requestId ?? null,
  viaEdge = false,
): AuditOrigin => ({
  ip: clientAddressOf(event, viaEdge),
  userAgent: event.headers?.['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
  requestId,
});
