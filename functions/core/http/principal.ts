/**
 * The caller, as the Lambda authorizer decided. The authorizer passes its
 * decision in the request context so that a refusal is rendered here in the
 * shape of API.md; a request without a decision is refused (fail closed).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decisionFromContext } from '../flows/authorize.ts';
import { ApiError, unauthorized } from './api-error.ts';
import type { RouteContext } from './route-context.ts';

type AuthorizedEvent = APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { lambda?: Record<string, unknown> } };
};

export const requirePrincipal = (): MiddlewareObj<APIGatewayProxyEventV2> => {
  const requirePrincipalBefore = (request: Request<APIGatewayProxyEventV2>) => {
    const decision = decisionFromContext((request.event as AuthorizedEvent).requestContext.authorizer?.lambda);
    if (decision.kind === 'forbidden') throw new ApiError('forbidden', { extra: { role: decision.role } });
    if (decision.kind === 'unavailable') throw new ApiError('service_unavailable');
    if (decision.kind === 'unauthorized') throw unauthorized(decision.reason);
    (request.context as RouteContext).principal = decision.principal;
  };
  return { before: requirePrincipalBefore };
};
