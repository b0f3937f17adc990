/** Headers every response carries: `X-Request-Id`, `Cache-Control`. */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger } from '../infra/logger.ts';
import { requestIdOf } from './request-id.ts';
import type { HttpResponse } from './response.ts';
import type { RouteContext } from './route-context.ts';

export const responseHeaders = (): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse> => {
  const responseHeadersBefore = (request: Request<APIGatewayProxyEventV2, HttpResponse>) => {
    const context = request.context as RouteContext;
    context.requestId = requestIdOf(request.event.headers ?? {}, request.event.requestContext?.requestId);
    logger.appendKeys({ request_id: context.requestId });
  };
  const responseHeadersAfter = (request: Request<APIGatewayProxyEventV2, HttpResponse>) => {
    const response = request.response;
    if (!response) return;
    const { requestId } = request.context as RouteContext;
    response.headers = {
      'Cache-Control': 'no-store',
      ...response.headers,
      ...(requestId ? { 'X-Request-Id': requestId } : {}),
    };
  };
  return { before: responseHeadersBefore, after: responseHeadersAfter, onError: responseHeadersAfter };
};
