/**
 * The Lambda authorizer of every protected route. For our own routes it always
 * lets the request through with its decision as context, so that the route's
 * handler answers a refusal in the error shape of API.md (API Gateway cannot
 * shape an authorizer's refusal); the handler refuses anything without an
 * `allow`. Routes another team adds to the API (`AuthStack.addProtectedRoute`)
 * are decided here outright, with the permission the stack lists for them in
 * `PROTECTED_ROUTES` (a JSON map of route key to permission).
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { decide, decisionToContext, type Decision } from './core/flows/authorize.ts';
import { deps } from './core/deps.ts';
import { isTransient } from './core/http/errors.ts';
import { issuerOf } from './core/http/route.ts';
import { logger } from './core/infra/logger.ts';
import { operationByRouteKey } from './routes.ts';

/** Routes of other teams and the permission each needs; parsed once per value of the setting. */
let addedRoutes: { readonly source: string; readonly permissions: Readonly<Record<string, string>> } | undefined;
function addedRoutePermission(routeKey: string): string | undefined {
  const source = process.env.PROTECTED_ROUTES || '{}';
  if (addedRoutes?.source !== source) addedRoutes = { source, permissions: JSON.parse(source) as Record<string, string> };
  return addedRoutes.permissions[routeKey];
}

export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const d = deps();
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const operation = operationByRouteKey(event.routeKey);
  let decision: Decision;
  try {
    const issuer = issuerOf({ headers, requestContext: event.requestContext }, d.settings.issuer);
    const origin = {
      ip: event.requestContext.http.sourceIp ?? null,
      userAgent: headers['user-agent']?.slice(0, 512) ?? null,
      requestId: event.requestContext.requestId ?? null,
    };
    decision = await decide(d, headers, operation ?? { permission: addedRoutePermission(event.routeKey) }, issuer, origin);
  } catch (error) {
    if (!isTransient(error)) throw error;
    logger.warn('authorizer dependency failed', { error: (error as Error).name });
    decision = { kind: 'unavailable' };
  }
  // Our routes take the caller's user object from the context; another team's route gets no personal data.
  const context = decisionToContext(decision, operation !== undefined);
  return { isAuthorized: operation ? true : decision.kind === 'allow', context };
}
