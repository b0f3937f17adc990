/**
 * The operation table: every HTTP route, the handler module that serves it,
 * whether it needs a credential, and what its function may touch. The CDK
 * stack and the local server both read it, so routes, authorizers and grants
 * are defined exactly once. Plain data only: no handler is imported here.
 */
import type { TableName } from '../lib/tables.ts';
import type { Operation as DynamoDbOperation } from './core/infra/dynamodb.ts';
import type { Role } from './core/infra/permissions.ts';
import { accountOperations } from './operations/account.ts';
import { administrationOperations } from './operations/administration.ts';
import { discoveryOperations } from './operations/discovery.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * The DynamoDB calls the code sends, which are all its client can send
 * (functions/core/infra/dynamodb.ts): single-item calls only, so no batch or
 * transaction calls, no Scan, no DescribeTable, no stream access. A Query
 * and a GetItem are separate actions in IAM, as are a PutItem (a whole new
 * item) and an UpdateItem (an `ADD` may start a counter).
 */
export type TableAction = DynamoDbOperation;

/**
 * What a function may do on a table: exactly the calls its code sends there,
 * no more and no fewer (test/security/grants.test.ts). The stack grants them
 * on the table and its indexes, and the local server refuses every other
 * call (local/grants.ts).
 */
export type TableGrant = readonly TableAction[];

/** The IAM action names of a grant: `dynamodb:GetItem`… */
export const iamActions = (grant: TableGrant): string[] => grant.map((action) => `dynamodb:${action}`);

/** Whether a grant changes items, and so needs the table's key to encrypt as well as decrypt. */
export const writes = (grant: TableGrant): boolean => grant.some((action) => action !== 'GetItem' && action !== 'Query');

/** What a function needs from its environment; the stack turns it into grants. */
export interface FunctionNeeds {
  readonly tables?: Partial<Record<TableName, TableGrant>>;
  /** Reads the whole signing key set, private keys included: only to sign access tokens. */
  readonly signingKeys?: boolean;
  /** Reads the public keys: to verify access tokens or serve the JWKS. */
  readonly publicKeys?: boolean;
  /** Reads the token secret: to derive refresh tokens, reset codes and API-token hashes, or check them. */
  readonly tokenSecret?: boolean;
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

/** Every HTTP operation, by area. */
export const operations: readonly Operation[] = [...accountOperations, ...administrationOperations, ...discoveryOperations];
/**
 * Verifies credentials for every protected route (API Gateway Lambda
 * authorizer). Of API tokens it reads one by its key and records its last use.
 */
export const authorizerFunction: FunctionDefinition = {
  handler: 'authorizer',
  needs: {
    tables: { sessions: ['GetItem'], users: ['GetItem'], apiTokens: ['GetItem', 'UpdateItem'], audit: ['PutItem'] },
    publicKeys: true,
    tokenSecret: true,
  },
};

/**
 * Marks the users whose mail SES reports bounced or complained of: the
 * subscriber of the configuration set's SNS topic, not an HTTP route. It reads
 * a login-name pointer and updates its user; it writes nothing else but audit events.
 */
export const mailFeedbackFunction: FunctionDefinition = {
  handler: 'mail-feedback',
  needs: { tables: { users: ['GetItem', 'UpdateItem'], audit: ['PutItem'] } },
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

export const operationByRouteKey = (key: string): Operation | undefined => operations.find((operation) => routeKey(operation) === key);
