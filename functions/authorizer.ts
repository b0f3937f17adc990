/**
 * The Lambda authorizer of every protected route. For our own routes it always
 * lets the request through with its decision as context, so that the route's
 * handler answers a refusal in the error shape of API.md (API Gateway cannot
 * shape an authorizer's refusal); the handler refuses anything without an
 * `allow`. Routes another team adds to the API (`AuthStack.addProtectedRoute`)
 * are decided here outright, with the permission the stack lists for them in
 * `PROTECTED_ROUTES` (a JSON map of route key to permission, or to `null` for
 * a route that needs only a valid credential). A route key in neither is
 * refused before any credential is looked at: what the authorizer was not
 * told about, it denies.
 *
 * Behind CloudFront, a request without the origin secret went around the
 * edge: another team's route is denied, ours get a decision their handler
 * refuses anyway (`http/edge.ts`). When API Gateway caches the decisions
 * (`AUTHORIZER_CACHE_TTL` above 0), it keys them on `Authorization` and the
 * route, so only `Authorization: Bearer` may decide: a credential in another
 * header would give its decision to every request with the same `Authorization`.
 * A dependency that fails is then a failure of the authorizer, not an
 * "unavailable" decision that would be cached.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { decide, decisionToContext, type Decision, type Requirement } from './core/flows/authorize.ts';
import { deps } from './core/deps.ts';
import { arrivalOf } from './core/http/edge.ts';
import { isTransient } from './core/infra/transient.ts';
import { originOf } from './core/http/origin.ts';
import { issuerOf } from './core/http/route.ts';
import { logger } from './core/infra/logger.ts';
import { metricNames } from './core/infra/metric-names.ts';
import { count, publishingMetrics } from './core/infra/metrics.ts';
import { operationByRouteKey } from './routes.ts';

/** Routes of other teams and the permission each needs (`null`: a valid credential only); parsed once per value of the setting. */
let addedRoutes: { readonly source: string; readonly permissions: Readonly<Record<string, string | null>> } | undefined;
function addedRouteRequirement(routeKey: string): Requirement | undefined {
  const source = process.env.PROTECTED_ROUTES || '{}';
  if (addedRoutes?.source !== source) addedRoutes = { source, permissions: JSON.parse(source) as Record<string, string | null> };
  if (!Object.hasOwn(addedRoutes.permissions, routeKey)) return undefined;
  const permission = addedRoutes.permissions[routeKey];
  return typeof permission === 'string' ? { permission } : {};
}

const denied = { isAuthorized: false, context: { decision: 'forbidden' } };

/** Whether API Gateway caches this authorizer's decisions (lib/authorizer.ts). */
const decisionsCached = (): boolean => Number(process.env.AUTHORIZER_CACHE_TTL ?? 0) > 0;

/** The headers a credential may come from: only `Authorization` while API Gateway caches decisions by it. */
function credentialHeaders(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return decisionsCached() ? { authorization: headers.authorization } : headers;
}

async function authorize(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const d = deps();
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const operation = operationByRouteKey(event.routeKey);
  const requirement = operation ?? addedRouteRequirement(event.routeKey);
  if (!requirement) {
    logger.warn('authorizer refused a route it was not told about', { routeKey: event.routeKey });
    count(metricNames.authorizerDenied);
    return denied;
  }
  let decision: Decision;
  try {
    const arrival = await arrivalOf(d, headers);
    if (arrival === 'bypass')
      return operation ? { isAuthorized: true, context: decisionToContext({ kind: 'unauthorized', reason: 'invalid' }) } : denied;
    const issuer = issuerOf({ headers, requestContext: event.requestContext }, d.settings.issuer);
    const origin = originOf({ headers, requestContext: event.requestContext }, undefined, arrival === 'edge');
    decision = await decide(d, credentialHeaders(headers), requirement, issuer, origin);
  } catch (error) {
    if (!isTransient(error)) throw error;
    logger.warn('authorizer dependency failed', { error: (error as Error).name });
    // A cached "unavailable" would keep a passing fault for the whole TTL; API Gateway caches no failure of ours
    // (it answers that request 500 itself), so the next request is decided afresh.
    if (decisionsCached()) throw error;
    decision = { kind: 'unavailable' };
  }
  // Only refusals are counted: an EMF line on every allowed call would be most of the authorizer's log bytes (about
  // 220 of them a call), and the dashboard tells allowed decisions from its invocations less these and its errors.
  if (decision.kind !== 'unavailable' && decision.kind !== 'allow') count(metricNames.authorizerDenied);
  // Our routes take the caller's user object from the context; another team's route gets no personal data.
  const context = decisionToContext(decision, operation !== undefined);
  return { isAuthorized: operation ? true : decision.kind === 'allow', context };
}

export const handler = publishingMetrics(authorize);
