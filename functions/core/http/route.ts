/**
 * The middleware stack every HTTP handler uses, built from its entry in the
 * operation table: header normalization, request id and `Cache-Control`, one
 * error renderer, the authorizer's decision (protected routes), the JSON body.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { operations, type Operation } from '../../routes.ts';
import type { Principal } from '../authorize.ts';
import { deps, type Deps } from '../deps.ts';
import type { ClientInfo } from '../sessions.ts';
import { errorRenderer } from './errors.ts';
import { responseHeaders } from './headers.ts';
import { jsonBody } from './json-body.ts';
import { requirePrincipal } from './principal.ts';
import type { HttpResponse } from './response.ts';
import type { RouteContext } from './route-context.ts';

export interface RouteInput<Body> {
  readonly d: Deps;
  readonly event: APIGatewayProxyEventV2;
  readonly body: Body;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly client: ClientInfo;
  /** `iss` for tokens: `ISSUER`, else this API's base URL. */
  readonly issuer: string;
}

export interface ProtectedRouteInput<Body> extends RouteInput<Body> {
  readonly principal: Principal;
}

export interface RouteOptions<Schema extends z.ZodType> {
  /** The body's schema; routes without one take no body fields. */
  readonly body?: Schema;
  /** @default true when `body` is set */
  readonly bodyRequired?: boolean;
}

const MAX_USER_AGENT = 512;

function operationNamed(operationId: string, auth: Operation['auth']): Operation {
  const operation = operations.find((o) => o.operationId === operationId);
  if (!operation) throw new Error(`No operation ${operationId} in the operation table`);
  if (operation.auth !== auth) throw new Error(`Operation ${operationId} is ${operation.auth}, not ${auth}`);
  return operation;
}

/** The base URL this request reached, as API Gateway (or the local server) saw it. */
export function apiBaseUrl(event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>): string {
  const protocol = event.headers?.['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  const stage = event.requestContext.stage;
  return `${protocol}://${event.requestContext.domainName}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}

/** `iss` of access tokens: the `ISSUER` setting, else the API's base URL. */
export const issuerOf = (event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>, configured: string | undefined): string =>
  configured ?? apiBaseUrl(event);

function inputOf(event: APIGatewayProxyEventV2): RouteInput<unknown> {
  const headers = event.headers ?? {};
  const d = deps();
  return {
    d,
    event,
    body: event.body,
    headers,
    pathParameters: event.pathParameters ?? {},
    client: {
      ip: event.requestContext.http.sourceIp ?? null,
      userAgent: headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
    },
    issuer: issuerOf(event, d.settings.issuer),
  };
}

/** What every HTTP function does, routed or not: headers in and out, one error renderer. */
export const baseStack = () =>
  middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(httpHeaderNormalizer())
    .use(responseHeaders())
    // A JSON API has no use for the browser feature policy list; the rest guards against misuse in a browser.
    .use(httpSecurityHeaders({ permissionsPolicy: false }))
    .use(errorRenderer());

function stack(operation: Operation, options: RouteOptions<z.ZodType>) {
  const chain = baseStack();
  if (operation.auth === 'protected') chain.use(requirePrincipal());
  // A route without a schema still refuses body fields and broken JSON.
  const schema = options.body;
  chain.use(
    schema
      ? jsonBody({ schema, required: options.bodyRequired ?? true })
      : jsonBody({ schema: emptyBody, required: false }),
  );
  return chain;
}

const emptyBody = z.strictObject({});

/** A route anyone may call. */
export function publicRoute<Schema extends z.ZodType = z.ZodType<Record<string, never>>>(
  operationId: string,
  options: RouteOptions<Schema>,
  handle: (input: RouteInput<z.infer<Schema>>) => Promise<HttpResponse>,
) {
  const operation = operationNamed(operationId, 'public');
  return stack(operation, options).handler(async (event) => handle(inputOf(event) as RouteInput<z.infer<Schema>>));
}

/** A route behind the Lambda authorizer: the handler gets the caller as `principal`. */
export function protectedRoute<Schema extends z.ZodType = z.ZodType<Record<string, never>>>(
  operationId: string,
  options: RouteOptions<Schema>,
  handle: (input: ProtectedRouteInput<z.infer<Schema>>) => Promise<HttpResponse>,
) {
  const operation = operationNamed(operationId, 'protected');
  return stack(operation, options).handler(async (event, context) => {
    const principal = (context as RouteContext).principal as Principal;
    return handle({ ...(inputOf(event) as RouteInput<z.infer<Schema>>), principal });
  });
}
