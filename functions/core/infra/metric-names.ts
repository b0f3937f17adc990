/**
 * The service's own CloudWatch metrics, as plain data: the handlers count
 * them (infra/metrics.ts) and the stack's alarms and dashboard read them
 * (lib/observability.ts), so both name the same thing. Each is a count per
 * invocation, under one namespace, with the `service` dimension alone (the
 * stack's name): no user, tenant or reason, which would multiply the metrics
 * CloudWatch bills.
 */
export const metricNamespace = 'ServerlessAuth';

/** The dimension every metric carries, and the variable that sets its value. */
export const serviceDimension = 'service';
export const serviceVariable = 'POWERTOOLS_SERVICE_NAME';
/** The `service` of a function started without it (locally, in tests). */
export const defaultService = 'serverless-auth';

export const metricNames = {
  /** A login that issued tokens. */
  loginSucceeded: 'LoginSucceeded',
  /** A refused login, whatever the reason (wrong password, unknown name, locked, rate limited, disabled). */
  loginFailed: 'LoginFailed',
  /** An account (or an identifier that names none) reaching the lockout threshold. */
  accountLocked: 'AccountLocked',
  refreshSucceeded: 'RefreshSucceeded',
  /** A spent refresh token coming back after the grace window: its session is revoked. */
  refreshReuseDetected: 'RefreshReuseDetected',
  /** A forgot-password request, whatever came of it (a code sent, an unknown email, rate limited). */
  passwordResetRequested: 'PasswordResetRequested',
  /** A password reset with a valid code. */
  passwordResetCompleted: 'PasswordResetCompleted',
  /** The authorizer found no valid credential, one without the permission, or a route it was not told about. */
  authorizerDenied: 'AuthorizerDenied',
  /** An email SES did not accept (the caller's answer stays the same). */
  mailSendFailed: 'MailSendFailed',
  /** A DynamoDB call throttled, counted on each attempt, retries included. */
  dynamoDbThrottled: 'DynamoDBThrottled',
  /** Age of the signing key that signs now, reported by the key manager's check. */
  signingKeyAge: 'SigningKeyAge',
} as const;

export type MetricName = (typeof metricNames)[keyof typeof metricNames];
