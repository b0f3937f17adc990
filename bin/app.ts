/**
 * The CDK app (`cdk synth`, `cdk deploy`). Every stack prop can come from
 * context, on the command line (`-c throttleRateLimit=50`) or in cdk.json:
 *
 * - `stackName` (default `ServerlessAuth`)
 * - `throttleRateLimit`, `throttleBurstLimit` (defaults 100 and 200)
 * - `sensitiveThrottleRateLimit`, `sensitiveThrottleBurstLimit`: login, forgot and reset, each (defaults 10 and 20)
 * - `corsAllowOrigins`: comma-separated origins of browser apps (default none)
 * - `mailFrom`, `mailIdentity` (the sender of reset codes and its SES identity)
 * - `logRetentionDays` (default 90; a value CloudWatch Logs accepts)
 * - `keyRotationDays` (default 30): days between signing-key rotations
 * - `domainName`, `certificateArn`: the API's own domain and its ACM certificate (in the stack's region)
 * - `cloudFront` (`true`): CloudFront and an AWS WAF web ACL in front; `webAclArn` (a CLOUDFRONT web ACL of
 *   your own instead of the stack's), `wafRateLimit` (default 100 per 5 minutes per IP on login, forgot and
 *   reset), `cloudFrontCertificateArn` (us-east-1; default `certificateArn`)
 * - `provisionedConcurrency`: instances kept started, e.g. `authorizer=2,login=1,refresh=2`
 * - `authorizerCacheTtl` (default 0): seconds API Gateway keeps an authorizer decision
 * - `region`: the region the stack deploys to
 * - any API setting by its name, e.g. `-c ACCESS_TOKEN_TTL=600 -c AUDIENCE=pos-clients`
 *
 * The stack is environment-agnostic (no account or region baked in), so one
 * template deploys to any region and `sam local invoke` can run it; `region`
 * pins it, and CloudFront without `webAclArn` pins it to us-east-1, the only
 * region a CloudFront web ACL can be made in.
 *
 * AwsSolutions (cdk-nag) checks run on every synth as a policy validation
 * plugin; an unacknowledged finding fails `cdk synth`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingNames } from '../functions/core/infra/setting-names.ts';
import { AuthStack } from '../lib/auth-stack.ts';
import { parseOrigins } from '../lib/cors.ts';

const app = new App();

const text = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
};

const positiveInteger = (key: string): number | undefined => {
  const value = text(key);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new Error(`Context ${key} must be a positive integer, got ${value}`);
  return number;
};

const nonNegativeInteger = (key: string): number | undefined => {
  const value = text(key);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`Context ${key} must be a whole number, 0 or more, got ${value}`);
  return number;
};

const flag = (key: string): boolean => {
  const value = text(key);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`Context ${key} must be true or false, got ${value}`);
};

/** `authorizer=2,login=1` → `{ authorizer: 2, login: 1 }`; the stack checks the names. */
const counts = (key: string): Record<string, number> | undefined => {
  const value = text(key);
  if (value === undefined) return undefined;
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const [name, count, ...rest] = pair.split('=').map((part) => part.trim());
      if (!name || count === undefined || rest.length > 0 || !/^\d+$/.test(count)) {
        throw new Error(`Context ${key} must look like authorizer=2,login=1, got ${value}`);
      }
      return [name, Number(count)];
    }),
  );
};

const retention = (key: string): RetentionDays | undefined => {
  const days = positiveInteger(key);
  if (days === undefined) return undefined;
  if (!(Object.values(RetentionDays) as unknown[]).includes(days)) {
    throw new Error(`Context ${key} must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …), got ${days}`);
  }
  return days as RetentionDays;
};

const settings = Object.fromEntries(
  settingNames.flatMap((name) => {
    const value = text(name);
    return value === undefined ? [] : [[name, value]];
  }),
);

const cloudFront = flag('cloudFront');
const edgeKeys = ['webAclArn', 'wafRateLimit', 'cloudFrontCertificateArn'];
for (const key of edgeKeys) {
  if (!cloudFront && text(key) !== undefined) throw new Error(`Context ${key} applies only with -c cloudFront=true`);
}
const region = text('region') ?? (cloudFront && !text('webAclArn') ? 'us-east-1' : undefined);

new AuthStack(app, text('stackName') ?? 'ServerlessAuth', {
  ...(region ? { env: { region } } : {}),
  description: 'Serverless auth: login, rotating refresh tokens, lockouts, password reset, roles and tenants',
  settings,
  throttleRateLimit: positiveInteger('throttleRateLimit'),
  throttleBurstLimit: positiveInteger('throttleBurstLimit'),
  sensitiveThrottleRateLimit: positiveInteger('sensitiveThrottleRateLimit'),
  sensitiveThrottleBurstLimit: positiveInteger('sensitiveThrottleBurstLimit'),
  corsAllowOrigins: parseOrigins(text('corsAllowOrigins')),
  mailFrom: text('mailFrom'),
  mailIdentity: text('mailIdentity'),
  logRetention: retention('logRetentionDays'),
  keyRotationDays: positiveInteger('keyRotationDays'),
  domainName: text('domainName'),
  certificateArn: text('certificateArn'),
  cloudFront: cloudFront
    ? {
        webAclArn: text('webAclArn'),
        sensitiveRateLimit: positiveInteger('wafRateLimit'),
        certificateArn: text('cloudFrontCertificateArn'),
      }
    : undefined,
  provisionedConcurrency: counts('provisionedConcurrency'),
  authorizerCacheTtl: nonNegativeInteger('authorizerCacheTtl'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
