/**
 * The HTTP API's `$default` stage: one throttle for the whole API, a lower
 * one of their own for the routes an attacker hammers (login, forgot, reset),
 * and JSON access logs without credentials.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { type CfnStage, HttpStage, LogGroupLogDestination, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { operations, routeKey } from '../functions/routes.ts';

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Operations whose route gets the sensitive throttle: each one guesses or mails. */
export const sensitiveOperationIds: readonly string[] = ['login', 'forgotPassword', 'resetPassword'];

export interface ApiStageProps {
  readonly logRetention: RetentionDays;
  /** The stage's default, every route. */
  readonly throttle: Throttle;
  /** Each sensitive route's own limit; must not exceed the stage's. */
  readonly sensitiveThrottle: Throttle;
}

export function createApiStage(scope: Construct, httpApi: HttpApi, props: ApiStageProps): HttpStage {
  const { throttle, sensitiveThrottle } = props;
  if (sensitiveThrottle.rateLimit > throttle.rateLimit || sensitiveThrottle.burstLimit > throttle.burstLimit) {
    throw new Error(
      `The login/forgot/reset throttle (${sensitiveThrottle.rateLimit}/s, burst ${sensitiveThrottle.burstLimit}) must not exceed the stage's (${throttle.rateLimit}/s, burst ${throttle.burstLimit})`,
    );
  }
  const accessLogs = new LogGroup(scope, 'ApiAccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi,
    stageName: '$default',
    autoDeploy: true,
    throttle,
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      // No headers and no query string: credentials never reach the access log.
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          time: '$context.requestTime',
          ip: '$context.identity.sourceIp',
          userAgent: '$context.identity.userAgent',
          method: '$context.httpMethod',
          path: '$context.path',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
        }),
      ),
    },
  });
  // HttpStage has no per-route settings; the stage resource takes them by route key.
  (stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
    operations
      .filter((operation) => sensitiveOperationIds.includes(operation.operationId))
      .map((operation) => [
        routeKey(operation),
        { ThrottlingRateLimit: sensitiveThrottle.rateLimit, ThrottlingBurstLimit: sensitiveThrottle.burstLimit },
      ]),
  );
  return stage;
}
