/**
 * The operation table: every HTTP route, the handler module that serves it,
 * whether it needs a credential, and what its function may touch. The CDK
 * stack and the local server both read it, so routes, authorizers and grants
 * are defined exactly once. Plain data only: no handler is imported here.
 */
import type { TableName } from '../lib/tables.ts';
import type { Role } from './core/infra/permissions.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type TableAccess = 'read' | 'readWrite';

/** What a function needs from its environment; the stack turns it into grants. */
export interface FunctionNeeds {
  readonly tables?: Partial<Record<TableName, TableAccess>>;
  /** Reads the signing key set (private keys and the refresh-token secret). */
  readonly signingKeys?: boolean;
  /** Sends email through SES. */
  readonly mail?: boolean;
}

export interface FunctionDefinition {
  /** Module under `functions/` (without `.ts`) that exports `handler`. */
  readonly handler: string;
  readonly needs: FunctionNeeds;
}

export interface Operation extends FunctionDefinition {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/users/{id}`. */
  readonly path: string;
  /** `protected` routes go through the Lambda authorizer. */
  readonly auth: 'public' | 'protected';
  /** Permission the caller's role must carry (any one of a list), when the route needs one. */
  readonly permission?: string | readonly string[];
  /** Roles allowed, for routes API.md reserves to roles rather than to a permission. */
  readonly roles?: readonly Role[];
  /** Refuses API tokens: a leaked token must not be able to mint or manage tokens. */
  readonly sessionOnly?: boolean;
  readonly summary: string;
}

export const operations: readonly Operation[] = [
  {
    operationId: 'login',
    method: 'POST',
    path: '/auth/login',
    handler: 'login',
    auth: 'public',
    summary: 'Log in with email or username and password',
    needs: { tables: { users: 'readWrite', sessions: 'readWrite', lockouts: 'readWrite', audit: 'readWrite' }, signingKeys: true },
  },
  {
    operationId: 'refresh',
    method: 'POST',
    path: '/auth/refresh',
    handler: 'refresh',
    auth: 'public',
    summary: 'Rotate a refresh token for a new access token',
    needs: { tables: { sessions: 'readWrite', users: 'read', audit: 'readWrite' }, signingKeys: true },
  },
  {
    operationId: 'logout',
    method: 'POST',
    path: '/auth/logout',
    handler: 'logout',
    auth: 'protected',
    summary: "Revoke the caller's session, or all of them",
    needs: { tables: { sessions: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'getMe',
    method: 'GET',
    path: '/auth/me',
    handler: 'me',
    auth: 'protected',
    permission: 'profile:read',
    summary: "The caller's user object",
    needs: { tables: { users: 'read' } },
  },
  {
    operationId: 'jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: 'jwks',
    auth: 'public',
    summary: 'Public signing keys',
    needs: { signingKeys: true },
  },
  {
    operationId: 'openidConfiguration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    handler: 'openid-configuration',
    auth: 'public',
    summary: 'Discovery document',
    needs: {},
  },
  {
    operationId: 'forgotPassword',
    method: 'POST',
    path: '/auth/password/forgot',
    handler: 'password-forgot',
    auth: 'public',
    summary: 'Email a password reset code',
    needs: { tables: { users: 'read', lockouts: 'readWrite', audit: 'readWrite' }, signingKeys: true, mail: true },
  },
  {
    operationId: 'resetPassword',
    method: 'POST',
    path: '/auth/password/reset',
    handler: 'password-reset',
    auth: 'public',
    summary: 'Set a new password with an emailed code',
    needs: {
      tables: { users: 'readWrite', lockouts: 'readWrite', sessions: 'readWrite', audit: 'readWrite' },
      signingKeys: true,
      mail: true,
    },
  },
  {
    operationId: 'changePassword',
    method: 'POST',
    path: '/auth/password/change',
    handler: 'password-change',
    auth: 'protected',
    permission: 'profile:update',
    summary: "Change the caller's password",
    needs: { tables: { users: 'readWrite', lockouts: 'readWrite', sessions: 'readWrite', audit: 'readWrite' }, mail: true },
  },
  {
    operationId: 'updateMe',
    method: 'PATCH',
    path: '/auth/me',
    handler: 'me-update',
    auth: 'protected',
    permission: 'profile:update',
    summary: "Change the caller's profile fields",
    needs: { tables: { users: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'createUser',
    method: 'POST',
    path: '/users',
    handler: 'users-create',
    auth: 'protected',
    permission: ['users:write', 'users:write:own'],
    summary: "Create a user in the caller's tenant, or invite one by email",
    needs: { tables: { users: 'readWrite', lockouts: 'readWrite', audit: 'readWrite' }, signingKeys: true, mail: true },
  },
  {
    operationId: 'listUsers',
    method: 'GET',
    path: '/users',
    handler: 'users-list',
    auth: 'protected',
    permission: ['users:read', 'users:read:own'],
    summary: 'The users the caller may manage',
    needs: { tables: { users: 'read' } },
  },
  {
    operationId: 'getUser',
    method: 'GET',
    path: '/users/{id}',
    handler: 'users-get',
    auth: 'protected',
    permission: ['users:read', 'users:read:own'],
    summary: 'One user the caller may manage',
    needs: { tables: { users: 'read' } },
  },
  {
    operationId: 'updateUser',
    method: 'PATCH',
    path: '/users/{id}',
    handler: 'users-update',
    auth: 'protected',
    permission: ['users:write', 'users:write:own'],
    summary: "Change a user's role, status or profile",
    needs: { tables: { users: 'readWrite', sessions: 'readWrite', apiTokens: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'disableUser',
    method: 'DELETE',
    path: '/users/{id}',
    handler: 'users-delete',
    auth: 'protected',
    permission: ['users:write', 'users:write:own'],
    summary: 'Disable a user: its sessions and API tokens stop at once',
    needs: { tables: { users: 'readWrite', sessions: 'readWrite', apiTokens: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'createApiToken',
    sessionOnly: true,
    method: 'POST',
    path: '/auth/api-tokens',
    handler: 'api-tokens-create',
    auth: 'protected',
    permission: 'api_tokens:manage',
    summary: 'Create an API token for server-to-server calls',
    needs: { tables: { apiTokens: 'readWrite', audit: 'readWrite' }, signingKeys: true },
  },
  {
    operationId: 'listApiTokens',
    sessionOnly: true,
    method: 'GET',
    path: '/auth/api-tokens',
    handler: 'api-tokens-list',
    auth: 'protected',
    permission: 'api_tokens:manage',
    summary: "The caller's API tokens, without their text",
    needs: { tables: { apiTokens: 'read' } },
  },
  {
    operationId: 'rotateApiToken',
    sessionOnly: true,
    method: 'POST',
    path: '/auth/api-tokens/{id}/rotate',
    handler: 'api-tokens-rotate',
    auth: 'protected',
    permission: 'api_tokens:manage',
    summary: 'A new secret for an API token; the old one stops at once',
    needs: { tables: { apiTokens: 'readWrite', audit: 'readWrite' }, signingKeys: true },
  },
  {
    operationId: 'deleteApiToken',
    sessionOnly: true,
    method: 'DELETE',
    path: '/auth/api-tokens/{id}',
    handler: 'api-tokens-delete',
    auth: 'protected',
    permission: 'api_tokens:manage',
    summary: 'Delete an API token; it stops at once',
    needs: { tables: { apiTokens: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'listSessions',
    method: 'GET',
    path: '/auth/sessions',
    handler: 'sessions-list',
    auth: 'protected',
    summary: "The caller's live sessions",
    needs: { tables: { sessions: 'read' } },
  },
  {
    operationId: 'revokeSession',
    method: 'DELETE',
    path: '/auth/sessions/{id}',
    handler: 'sessions-revoke',
    auth: 'protected',
    summary: 'Revoke one of the caller’s sessions',
    needs: { tables: { sessions: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'unlockUser',
    method: 'POST',
    path: '/users/{id}/unlock',
    handler: 'unlock-user',
    auth: 'protected',
    roles: ['MANAGER'],
    summary: "Clear a user's login lockout",
    needs: { tables: { users: 'read', lockouts: 'readWrite', audit: 'readWrite' } },
  },
  {
    operationId: 'listAuditEvents',
    method: 'GET',
    path: '/audit/events',
    handler: 'audit-events',
    auth: 'protected',
    roles: ['MANAGER'],
    summary: "The caller's tenant's audit events, newest first",
    needs: { tables: { audit: 'read' } },
  },
  {
    operationId: 'openApiDocument',
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi-document',
    auth: 'public',
    summary: 'This API described in OpenAPI 3.1',
    needs: {},
  },
  {
    operationId: 'docsPage',
    method: 'GET',
    path: '/docs',
    handler: 'docs',
    auth: 'public',
    summary: 'This API documented in a page (Swagger UI over /openapi.json)',
    needs: {},
  },
  {
    operationId: 'docsAsset',
    method: 'GET',
    path: '/docs/{asset}',
    handler: 'docs-asset',
    auth: 'public',
    summary: 'A script or style sheet of the docs page',
    needs: {},
  },
];

/** Verifies credentials for every protected route (API Gateway Lambda authorizer). */
export const authorizerFunction: FunctionDefinition = {
  handler: 'authorizer',
  needs: { tables: { sessions: 'read', users: 'read', apiTokens: 'readWrite', audit: 'readWrite' }, signingKeys: true },
};

/** Answers what no route matches (`$default`): 404, or 405 with `Allow`. */
export const fallbackFunction: FunctionDefinition = { handler: 'fallback', needs: {} };

export type RouteMatch =
  | { readonly kind: 'found'; readonly operation: Operation; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'not_found' };

const compiled = operations.map((operation) => ({
  operation,
  pattern: new RegExp(
    `^${operation.path
      .split('/')
      .map((part) => (/^\{\w+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  ),
  names: [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
}));

/** Matches a request the way API Gateway does: path first, then method. */
export function matchRoute(method: string, path: string): RouteMatch {
  const allow: HttpMethod[] = [];
  for (const { operation, pattern, names } of compiled) {
    const found = pattern.exec(path);
    if (!found) continue;
    if (operation.method !== method.toUpperCase()) {
      allow.push(operation.method);
      continue;
    }
    const pathParameters: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      const value = safeDecode(found[i + 1] as string);
      if (value === undefined) return { kind: 'not_found' };
      pathParameters[name] = value;
    }
    return { kind: 'found', operation, pathParameters };
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // a malformed escape names no resource
  }
}

/** `GET /auth/me`: API Gateway's route key for an operation. */
export const routeKey = (operation: Pick<Operation, 'method' | 'path'>): string => `${operation.method} ${operation.path}`;

export const operationByRouteKey = (key: string): Operation | undefined =>
  operations.find((operation) => routeKey(operation) === key);
