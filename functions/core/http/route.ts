/**
 * The middleware stack every HTTP handler uses, built from its entry in the
 * operation table: header normalization, request id and `Cache-Control`, one
 * error renderer, the authorizer's decision (protected routes), the JSON body.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { operations, type Operation } from '../../routes.ts';
import type { Principal } from '../flows/authorize.ts';
import { deps, type Deps } from '../deps.ts';
import type { AuditOrigin } from '../records/audit.ts';
import { publishMetrics } from '../infra/metrics.ts';
import { edgeGuard } from './edge.ts';
import { errorRenderer } from './errors.ts';
import { responseHeaders } from './headers.ts';
import { jsonBody, toDetails } from './json-body.ts';
import { ApiError, invalidRequest } from './api-error.ts';
import { contracts, type Contract, type OperationId } from './operation-contracts.ts';
import { originOf } from './origin.ts';
import { requirePrincipal } from './principal.ts';
import type { HttpResponse } from './response.ts';
import type { RouteContext } from './route-context.ts';

export interface RouteInput<Body, Query = Record<string, never>> {
  readonly d: Deps;
  readonly event: APIGatewayProxyEventV2;
  readonly body: Body;
  /** The query string, checked against the route's `query` schema. */
  readonly query: Query;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  /** Client address (API Gateway's source IP, or CloudFront's viewer address; never `X-Forwarded-For`), user agent, request id. */
  readonly client: AuditOrigin;
  /** `iss` for tokens: `ISSUER`, else this API's base URL. */
  readonly issuer: string;
}

export interface ProtectedRouteInput<Body, Query = Record<string, never>> extends RouteInput<Body, Query> {
  readonly principal: Principal;
}

/** What a route that serves a browser page adds to its stack. */
export interface PageOptions {
  /**
   * Content-Security-Policy directives merged over middy's defaults, for a
   * route that serves a page to a browser (the docs page). An empty string
   * drops a directive, except `sandbox` and `upgrade-insecure-requests`,
   * which it keeps without a value.
   * @default - middy's defaults: nothing may load or run
   */
  readonly contentSecurityPolicy?: Readonly<Record<string, string>>;
}

/** The parsed body of operation `Id`, as its contract's schema gives it; `{}` for an operation that takes none. */
export type BodyOf<Id extends OperationId> = (typeof contracts)[Id] extends { readonly body: infer S extends z.ZodType }
  ? z.infer<S>
  : Record<string, never>;

/** The parsed query string of operation `Id`; `{}` for an operation that reads none. */
export type QueryOf<Id extends OperationId> = (typeof contracts)[Id] extends { readonly query: infer Q extends z.ZodType }
  ? z.infer<Q>
  : Record<string, never>;

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

function parseQuery(event: APIGatewayProxyEventV2, schema: z.ZodType | undefined): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw invalidRequest(toDetails(parsed.error));
  return parsed.data;
}

/** Longer than any id we issue (UUIDs, session and token ids), and far below DynamoDB's key limits (1,024 bytes in a sort key). */
const MAX_ID_BYTES = 128;

/** The path's parameters; an `id` no record can have is a 404 before it reaches a key, where DynamoDB would refuse it. */
function pathParametersOf(event: APIGatewayProxyEventV2): Readonly<Record<string, string | undefined>> {
  const parameters = event.pathParameters ?? {};
  if (parameters.id !== undefined && Buffer.byteLength(parameters.id) > MAX_ID_BYTES) throw new ApiError('not_found');
  return parameters;
}

function inputOf(event: APIGatewayProxyEventV2, context: RouteContext, query: z.ZodType | undefined): RouteInput<unknown, unknown> {
  const headers = event.headers ?? {};
  const d = deps();
  return {
    d,
    event,
    body: event.body,
    query: parseQuery(event, query),
    headers,
    pathParameters: pathParametersOf(event),
    client: originOf(event, context.requestId ?? null, context.viaEdge ?? false),
    issuer: issuerOf(event, d.settings.issuer),
  };
}

/** What every HTTP function does, routed or not: headers in and out, one error renderer, no way around CloudFront, its metrics published at the end. */
export const baseStack = (contentSecurityPolicy?: Readonly<Record<string, string>>) =>
  // requestEnd runs once per invocation whatever happened, after every middleware.
  middy<APIGatewayProxyEventV2, HttpResponse>({ requestEnd: publishMetrics })
    .use(httpHeaderNormalizer())
    .use(responseHeaders())
    // A JSON API has no use for the browser feature policy list; the rest guards against misuse in a browser.
    .use(
      httpSecurityHeaders({
        permissionsPolicy: false,
        ...(contentSecurityPolicy ? { contentSecurityPolicy: { ...contentSecurityPolicy } } : {}),
      }),
    )
    .use(errorRenderer())
    .use(edgeGuard());

function stack(operation: Operation, contract: Contract, page: PageOptions) {
  const chain = baseStack(page.contentSecurityPolicy);
  if (operation.auth === 'protected') chain.use(requirePrincipal());
  // A route without a schema still refuses body fields and broken JSON.
  const schema = contract.body;
  chain.use(schema ? jsonBody({ schema, required: contract.bodyRequired ?? true }) : jsonBody({ schema: emptyBody, required: false }));
  return chain;
}

const emptyBody = z.strictObject({});

/** A route anyone may call; its body and query are checked against `contracts[operationId]`. */
export function publicRoute<Id extends OperationId>(
  operationId: Id,
  handle: (input: RouteInput<BodyOf<Id>, QueryOf<Id>>) => Promise<HttpResponse>,
  page: PageOptions = {},
) {
  const operation = operationNamed(operationId, 'public');
  const contract: Contract = contracts[operationId];
  return stack(operation, contract, page).handler(async (event, context) =>
    handle(inputOf(event, context as RouteContext, contract.query) as RouteInput<BodyOf<Id>, QueryOf<Id>>),
  );
}

/** A route behind the Lambda authorizer: the handler gets the caller as `principal`. */
export function protectedRoute<Id extends OperationId>(
  operationId: Id,
  handle: (input: ProtectedRouteInput<BodyOf<Id>, QueryOf<Id>>) => Promise<HttpResponse>,
) {
  const operation = operationNamed(operationId, 'protected');
  const contract: Contract = contracts[operationId];
  return stack(operation, contract, {}).handler(async (event, context) => {
    const principal = (context as RouteContext).principal as Principal;
    const input = inputOf(event, context as RouteContext, contract.query) as RouteInput<BodyOf<Id>, QueryOf<Id>>;
    return handle({ ...input, principal });
  });
}
