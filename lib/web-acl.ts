/**
 * The AWS WAF web ACL in front of the CloudFront distribution: one rate rule
 * per viewer IP on the routes an attacker hammers (login, forgot, reset),
 * answered 429 in the error shape of API.md, then AWS's common rule set and
 * known bad inputs. A CLOUDFRONT web ACL exists only in us-east-1, so the
 * stack makes one only when it is deployed there.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { operations } from '../functions/routes.ts';
import { sensitiveOperationIds } from './api-stage.ts';

export interface WebAclProps {
  /** Requests one IP may send to login, forgot and reset together in five minutes before WAF answers 429. */
  readonly sensitiveRateLimit: number;
}

/** What the rate rule's block answers, in the error shape of API.md. */
const RATE_LIMITED_BODY = JSON.stringify({ error: 'rate_limit_exceeded', message: 'Too many requests' });
const WINDOW_SECONDS = 300;

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/** Matches `value` in a part of the request exactly, after URL decoding (`/auth/%6Cogin` is `/auth/login`). */
const exactly = (fieldToMatch: CfnWebACL.FieldToMatchProperty, value: string): CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch,
    positionalConstraint: 'EXACTLY',
    searchString: value,
    textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
  },
});

/** `POST /auth/login` or `POST /auth/password/forgot` or …: the sensitive routes of the operation table. */
function sensitiveRoutes(): CfnWebACL.StatementProperty {
  const routes = operations
    .filter((operation) => sensitiveOperationIds.includes(operation.operationId))
    .map((operation) => ({
      andStatement: { statements: [exactly({ method: {} }, operation.method), exactly({ uriPath: {} }, operation.path)] },
    }));
  return routes.length === 1 ? (routes[0] as CfnWebACL.StatementProperty) : { orStatement: { statements: routes } };
}

const managedRules = (priority: number, name: string, overrides: CfnWebACL.RuleActionOverrideProperty[] = []): CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...(overrides.length ? { ruleActionOverrides: overrides } : {}) } },
  visibilityConfig: visibility(name),
});

export function createWebAcl(scope: Construct, props: WebAclProps): CfnWebACL {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region) || region !== 'us-east-1') {
    throw new Error(
      `A CloudFront web ACL can only be created in us-east-1, and this stack's region is ${Token.isUnresolved(region) ? 'not set' : region}. ` +
        'Deploy the stack to us-east-1 (-c region=us-east-1), or pass -c webAclArn=<ARN of a CLOUDFRONT web ACL made in us-east-1>.',
    );
  }
  if (!Number.isInteger(props.sensitiveRateLimit) || props.sensitiveRateLimit < 10) {
    throw new Error(`The WAF rate limit must be an integer of at least 10 requests per five minutes, got ${props.sensitiveRateLimit}`);
  }
  return new CfnWebACL(scope, 'WebAcl', {
    scope: 'CLOUDFRONT',
    description: 'Serverless auth API - a rate limit on login, forgot and reset, and AWS managed rules',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('ServerlessAuthWebAcl'),
    customResponseBodies: { rateLimited: { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY } },
    rules: [
      {
        name: 'SensitiveRoutesPerIp',
        priority: 0,
        action: {
          block: {
            customResponse: {
              responseCode: 429,
              customResponseBodyKey: 'rateLimited',
              responseHeaders: [
                { name: 'Retry-After', value: String(WINDOW_SECONDS) },
                { name: 'Cache-Control', value: 'no-store' },
              ],
            },
          },
        },
        statement: {
          rateBasedStatement: {
            limit: props.sensitiveRateLimit,
            evaluationWindowSec: WINDOW_SECONDS,
            aggregateKeyType: 'IP',
            scopeDownStatement: sensitiveRoutes(),
          },
        },
        visibilityConfig: visibility('SensitiveRoutesPerIp'),
      },
      // Bodies up to 16 KiB are the API's to judge (413 payload_too_large above that): WAF's 8 KB body rule only counts.
      managedRules(1, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
      managedRules(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
    ],
  });
}
