/**
 * Requests and the stack's CloudFront distribution. CloudFront adds a secret
 * of the deployment to every request it forwards (`X-Origin-Verify`; a
 * viewer's own header of that name is overwritten). With CloudFront in front,
 * a request without that secret went around the edge (its WAF and rate rule),
 * and is refused; one with it came through, and its viewer address
 * (`origin.ts`) may be believed. Without CloudFront nothing is expected and
 * nothing changes.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { hashToken, sameHash } from '../crypto/refresh-tokens.ts';
import { deps, type Deps } from '../deps.ts';
import { ApiError } from './api-error.ts';
import type { HttpResponse } from './response.ts';
import type { RouteContext } from './route-context.ts';

/** The header CloudFront adds to every origin request, holding the origin secret. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/**
 * How a request reached the API: `direct` when no CloudFront is in front,
 * `edge` through it, `bypass` around it.
 */
export type Arrival = 'direct' | 'edge' | 'bypass';

/** `headers` lower-cased. */
export async function arrivalOf(d: Deps, headers: Readonly<Record<string, string | undefined>>): Promise<Arrival> {
  const expected = await d.originSecret();
  if (expected === undefined) return 'direct';
  const given = headers[ORIGIN_VERIFY_HEADER];
  // Hashed first, so that the comparison takes the same time whatever the length of what was sent.
  return given !== undefined && sameHash(hashToken(given), hashToken(expected)) ? 'edge' : 'bypass';
}

/** Refuses a request that went around CloudFront; tells the route whether it came through it. */
export const edgeGuard = (): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse> => {
  const edgeGuardBefore = async (request: Request<APIGatewayProxyEventV2, HttpResponse>) => {
    const arrival = await arrivalOf(deps(), request.event.headers ?? {});
    if (arrival === 'bypass') throw new ApiError('forbidden', { message: 'Call the API at its public address' });
    (request.context as RouteContext).viaEdge = arrival === 'edge';
  };
  return { before: edgeGuardBefore };
};
