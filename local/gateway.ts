/**
 * API Gateway (HTTP API, payload 2.0) in miniature: turns a Node request into
 * the event AWS would build, calls the authorizer the way AWS would, and
 * turns the handler's result back into a response. The handlers are the very
 * modules the stack deploys.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { cors } from '../lib/cors.ts';
import { authorizerFunction, fallbackFunction, matchRoute, routeKey, type FunctionDefinition } from '../functions/routes.ts';
import { runAs } from './grants.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** API Gateway's own payload limit; our handlers enforce the contract's 16 KiB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

const modules = new Map<string, Promise<Handler>>();
function load(definition: FunctionDefinition): Promise<Handler> {
  let handler = modules.get(definition.handler);
  if (!handler) {
    handler = import(`../functions/${definition.handler}.ts`).then((m: { handler: Handler }) => m.handler);
    modules.set(definition.handler, handler);
  }
  return handler;
}

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_PAYLOAD_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['Set-Cookie'] = result.cookies;
  const body = result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  res.writeHead(result.statusCode ?? 200, { ...headers, 'Content-Length': String(body.length) });
  res.end(body);
}

/** What API Gateway itself answers when a Lambda fails or an authorizer refuses. */
const gatewayAnswer = (statusCode: number, message: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'apigw-requestid': randomBytes(8).toString('base64url') },
  body: JSON.stringify({ message }),
});

export interface GatewayOptions {
  /** Logs one line per request when set. */
  readonly log?: (line: string) => void;
  /** Origins allowed to call from a browser (CORS), as the stack's `corsAllowOrigins`. */
  readonly corsAllowOrigins?: readonly string[];
  /** Settles once the handlers' settings, tables and keys are in place; requests wait for it. */
  readonly ready?: Promise<void>;
}

export function createGateway(options: GatewayOptions = {}) {
  const origins = new Set(options.corsAllowOrigins ?? []);
  return async function gateway(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await options.ready;
    const started = performance.now();
    const origin = req.headers.origin;
    const allowedOrigin = origin !== undefined && origins.has(origin) ? origin : undefined;
    const result =
      allowedOrigin && req.method === 'OPTIONS' && req.headers['access-control-request-method']
        ? preflight(allowedOrigin)
        : await answer(req).catch(() => gatewayAnswer(500, 'Internal Server Error'));
    if (allowedOrigin) result.headers = { ...result.headers, ...corsHeaders(allowedOrigin) };
    send(res, result);
    options.log?.(`${req.method} ${req.url} ${result.statusCode} ${(performance.now() - started).toFixed(1)} ms`);
  };
}

/** Like API Gateway with CORS configured: it answers preflights itself, for allowed origins. */
const preflight = (origin: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 204,
  headers: {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': cors.allowMethods.join(','),
    'Access-Control-Allow-Headers': cors.allowHeaders.join(','),
    'Access-Control-Max-Age': String(cors.maxAgeSeconds),
  },
});

const corsHeaders = (origin: string) => ({
  'Access-Control-Allow-Origin': origin,
  'Access-Control-Expose-Headers': cors.exposeHeaders.join(','),
  Vary: 'Origin',
});

async function answer(req: IncomingMessage): Promise<APIGatewayProxyStructuredResultV2> {
  const body = await readBody(req);
  if (body === null) return gatewayAnswer(413, 'Request Entity Too Large');
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const match = matchRoute(method, url.pathname);
  const event = toEvent(req, url, method, body, match.kind === 'found' ? routeKey(match.operation) : '$default');

  if (match.kind !== 'found') return invoke(fallbackFunction, event);
  event.pathParameters = Object.keys(match.pathParameters).length ? match.pathParameters : undefined;
  if (match.operation.auth === 'protected') {
    const authorizer = await load(authorizerFunction);
    const decision = (await runAs(authorizerFunction, () =>
      authorizer(toAuthorizerEvent(event), lambdaContext('authorizer', event.requestContext.requestId)),
    )) as APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>;
    if (!decision.isAuthorized) return gatewayAnswer(403, 'Forbidden');
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: decision.context };
  }
  return invoke(match.operation, event);
}

async function invoke(definition: FunctionDefinition, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const handler = await load(definition);
  const result = await runAs(definition, () => handler(event, lambdaContext(definition.handler, event.requestContext.requestId)));
  return result as APIGatewayProxyStructuredResultV2;
}

function toEvent(req: IncomingMessage, url: URL, method: string, body: Buffer, key: string): APIGatewayProxyEventV2 {
  // From the raw headers, as API Gateway does: a repeated header is joined with commas (Node's own
  // req.headers keeps only the first Authorization, which would let a second one pass unseen).
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = name in headers ? `${headers[name]}${name === 'cookie' ? '; ' : ','}${value}` : value;
  }
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const utf8 = body.toString('utf8');
  // Like API Gateway: text bodies pass as text, anything else as base64.
  const isText = Buffer.from(utf8, 'utf8').equals(body);
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: headers.cookie?.split(';').map((c) => c.trim()),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomBytes(12).toString('base64url'),
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (isText ? utf8 : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function toAuthorizerEvent(event: APIGatewayProxyEventV2): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: [],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers as Record<string, string>,
    queryStringParameters: (event.queryStringParameters ?? {}) as Record<string, string>,
    requestContext: event.requestContext,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    stageVariables: {},
  };
}
