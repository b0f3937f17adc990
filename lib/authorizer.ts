/**
 * The Lambda authorizer of the protected routes, and whether API Gateway
 * caches its decisions.
 *
 * Uncached (the default), every request is decided afresh, so logout, reuse,
 * disabling and expiry take effect on the next request; the authorizer finds
 * the credential in any of its three headers itself, since API Gateway would
 * refuse a request missing any listed identity source (none are listed, which
 * only an uncached authorizer may do).
 *
 * Cached, API Gateway keeps each decision for `cacheTtlSeconds` under a key
 * made of the identity sources, which must then be present on every request:
 * `Authorization`, the route (a decision holds the route's permission check;
 * without the route in the key a token's decision for one route would answer
 * for every other) and, behind CloudFront, the origin secret. A request
 * without `Authorization` gets API Gateway's own 401, so `X-Access-Token`
 * and `X-Auth-Token` (and with it API tokens) do not work on protected routes
 * while the cache is on, and the authorizer reads `Authorization` alone
 * (`AUTHORIZER_CACHE_TTL`): a decision must depend on nothing outside its key.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { AuthFunction } from './auth-function.ts';

export interface AuthorizerProps {
  /** Seconds API Gateway keeps a decision; 0 turns caching off. */
  readonly cacheTtlSeconds: number;
  /** The header CloudFront adds with the origin secret, when CloudFront is in front. */
  readonly originHeader?: string | undefined;
}

/** API Gateway's limit for an HTTP API authorizer's cache. */
const MAX_CACHE_TTL_SECONDS = 3600;

export function createAuthorizer(fn: AuthFunction, props: AuthorizerProps): HttpLambdaAuthorizer {
  const ttl = props.cacheTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_CACHE_TTL_SECONDS) {
    throw new Error(`The authorizer cache TTL must be a whole number of seconds from 0 to ${MAX_CACHE_TTL_SECONDS}, got ${ttl}`);
  }
  if (ttl > 0) {
    fn.addEnvironment({ AUTHORIZER_CACHE_TTL: String(ttl) });
    Annotations.of(fn).addWarningV2(
      'serverless-auth:authorizerCache',
      `The authorizer cache is on (${ttl} s): protected routes accept only Authorization: Bearer (no X-Access-Token, no API tokens in X-Auth-Token), and a logout, revocation or expiry takes up to ${ttl} s to stop a token.`,
    );
  }
  return new HttpLambdaAuthorizer('Authorizer', fn.target, {
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    resultsCacheTtl: Duration.seconds(ttl),
    identitySource:
      ttl > 0
        ? ['$request.header.Authorization', '$context.routeKey', ...(props.originHeader ? [`$request.header.${props.originHeader}`] : [])]
        : [],
  });
}
