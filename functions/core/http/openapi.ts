/**
 * The OpenAPI 3.1 document, generated from the operation table and the zod
 * schemas the handlers validate with, so the two cannot drift apart.
 */
import * as z from 'zod';
import { operations, type Operation } from '../../routes.ts';
import { challenges, statusOf, type ErrorCode } from './api-error.ts';
import { contractOf } from './operation-contracts.ts';
import * as s from './schemas.ts';

/** Every error an operation can answer: its own, and those of its kind. */
export function errorsOf(operation: Operation): ErrorCode[] {
  const contract = contractOf(operation.operationId);
  const codes = new Set<ErrorCode>(contract?.errors ?? []);
  // Every route refuses body fields and broken JSON, and a query string it does not know.
  for (const code of [
    'invalid_request',
    'payload_too_large',
    'unsupported_media_type',
    'internal_server_error',
    'service_unavailable',
  ] as const)
    codes.add(code);
  if (operation.auth === 'protected') {
    codes.add('unauthorized');
    codes.add('forbidden');
  }
  return [...codes];
}

/** The shapes the document names once in `components.schemas` and refers to everywhere else. */
const named = z.registry<{ id: string }>();
named.add(s.userObject, { id: 'User' });
named.add(s.tokenResponse, { id: 'TokenResponse' });
named.add(s.session, { id: 'Session' });
named.add(s.apiToken, { id: 'ApiToken' });
named.add(s.apiTokenWithText, { id: 'ApiTokenWithText' });
named.add(s.auditEvent, { id: 'AuditEvent' });
named.add(s.errorBody, { id: 'Error' });

const COMPONENT = '#/components/schemas/';
/** `#/$defs/User` as zod writes it, pointed at `components.schemas`. */
const toComponentRefs = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, item) =>
    key === '$ref' && typeof item === 'string' ? item.replace('#/$defs/', COMPONENT) : item,
  );

/** A schema in JSON Schema; the named shapes it holds are collected into `components`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components?: Record<string, unknown>) {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', metadata: named }) as Record<
    string,
    unknown
  >;
  const { $schema: _ignored, $defs, ...rest } = converted;
  for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
    if (components) components[id] ??= toComponentRefs(definition);
  }
  return toComponentRefs(rest) as Record<string, unknown>;
}

/**
 * The login body as the alternatives it really is: exactly one identifier
 * (email, username, or its alias posId) and the password (or its alias
 * currentPassword), so that a generated client cannot type-check `{}`.
 */
function loginAlternatives() {
  const text = (maxLength: number) => ({ type: 'string', maxLength });
  const password = { anyOf: [{ required: ['password'] }, { required: ['currentPassword'] }] };
  return {
    oneOf: (['email', 'username', 'posId'] as const).map((identifier) => ({
      title: `Log in by ${identifier}`,
      type: 'object',
      properties: { [identifier]: text(identifier === 'email' ? 1024 : 256), password: text(1024), currentPassword: text(1024) },
      required: [identifier],
      ...password,
      additionalProperties: false,
    })),
  };
}

const header = (description: string) => ({ description, schema: { type: 'string' } });

/** The challenge of a 401 `unauthorized`, by what the caller may learn of its credential (RFC 6750 §3). */
const wwwAuthenticate = header(
  `On \`unauthorized\`: \`${challenges.missing}\` when the request carried no credential, ` +
    `\`${challenges.expired}\` when it expired, \`${challenges.invalid}\` for any other refusal.`,
);

function operationObject(operation: Operation, components: Record<string, unknown>) {
  const contract = contractOf(operation.operationId);
  if (!contract) throw new Error(`No contract for ${operation.operationId}`);
  const errorsByStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(operation)) errorsByStatus.set(statusOf[code], [...(errorsByStatus.get(statusOf[code]) ?? []), code]);

  const responses: Record<string, unknown> = {
    [contract.ok.status]: {
      description: contract.ok.description,
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/RequestId' },
        'Cache-Control': { description: contract.ok.cache ?? 'no-store', schema: { type: 'string' } },
        ...(contract.ok.tokenHeaders
          ? { 'X-Access-Token': header('The access token'), 'X-Refresh-Token': header('The refresh token') }
          : {}),
      },
      ...(contract.ok.schema ? { content: { 'application/json': { schema: jsonSchema(contract.ok.schema, 'output', components) } } } : {}),
      ...(contract.ok.content
        ? { content: Object.fromEntries(contract.ok.content.map((type) => [type, { schema: { type: 'string' } }])) }
        : {}),
    },
  };
  for (const [status, codes] of [...errorsByStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: codes.join(', '),
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/RequestId' },
        ...(status === 429 ? { 'Retry-After': header('Seconds to wait') } : {}),
        ...(codes.includes('unauthorized') ? { 'WWW-Authenticate': wwwAuthenticate } : {}),
      },
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { error: { enum: codes } } }] },
        },
      },
    };
  }
  const pathParameters = [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const queryParameters = contract.query
    ? Object.entries((jsonSchema(contract.query, 'input').properties ?? {}) as Record<string, unknown>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      }))
    : [];
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [tagOf(operation.path)],
    ...(operation.auth === 'protected'
      ? {
          security: [{ bearer: [] }, { accessToken: [] }, { authToken: [] }],
          description: [
            `${operation.summary}.`,
            operation.permission ? `Needs the permission ${[operation.permission].flat().join(' or ')}.` : 'Any authenticated caller.',
            operation.roles ? `Reserved to ${operation.roles.join(', ')}.` : '',
            operation.sessionOnly ? 'Needs an access token: API tokens are refused (403).' : '',
          ]
            .join(' ')
            .trim(),
        }
      : { security: [], description: `${operation.summary}. Public: no credential.` }),
    ...(pathParameters.length + queryParameters.length ? { parameters: [...pathParameters, ...queryParameters] } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: contract.bodyRequired ?? true,
            content: {
              'application/json': {
                schema: operation.operationId === 'login' ? loginAlternatives() : jsonSchema(contract.body, 'input', components),
                ...(contract.example ? { example: contract.example } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

const tagDescriptions: Readonly<Record<string, string>> = {
  Sessions: 'Logging in and out, refreshing tokens, the caller’s profile, password and sessions',
  'API tokens': 'Long-lived tokens for server-to-server callers, in X-Auth-Token',
  Users: 'The users of the caller’s tenant that the caller may manage',
  Audit: 'The tenant’s audit trail of authentication events',
  Discovery: 'Public keys, the discovery document and this documentation',
};

const tagOf = (path: string): string =>
  path.startsWith('/users')
    ? 'Users'
    : path.startsWith('/audit')
      ? 'Audit'
      : path.startsWith('/auth/api-tokens')
        ? 'API tokens'
        : path.startsWith('/.well-known') || path === '/openapi.json' || path.startsWith('/docs')
          ? 'Discovery'
          : 'Sessions';

/** The document; `serverUrl` is the API's base URL. */
export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    (paths[operation.path] as Record<string, unknown>)[operation.method.toLowerCase()] = operationObject(operation, schemas);
  }
  // Every error response refers to Error, which no success schema holds: its shape, converted without names.
  const { $schema: _ignored, ...error } = z.toJSONSchema(s.errorBody, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  schemas.Error = error;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Serverless Auth',
      version: '1.0.0',
      description:
        'Login, token and account service. Access tokens are RS256 JWTs that end with their session at midnight in the tenant’s time zone; refresh tokens rotate on every use.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl, description: 'This API' }],
    tags: Object.entries(tagDescriptions).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token' },
        accessToken: { type: 'apiKey', in: 'header', name: 'X-Access-Token', description: 'Access token' },
        authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'Access token or API token (sat_…)' },
      },
      headers: { RequestId: { description: 'The request id: yours when safe to echo, else a new one', schema: { type: 'string' } } },
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
