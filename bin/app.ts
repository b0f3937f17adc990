/**
 * The CDK app (`cdk synth`, `cdk deploy`). Every stack prop can come from
 * context, on the command line (`-c throttleRateLimit=50`) or in cdk.json.
 *
 * Stages: `-c stage=prod` picks the settings of `stages.prod` in cdk.json
 * (any key below), deploys the stack `ServerlessAuth-prod` and tags every
 * resource `project=serverless-auth` and `stage=prod`; a key given with `-c`
 * wins over the stage's. Without `stage`, the stack is `ServerlessAuth` and
 * only `-c` and the defaults apply. Account and region come from the CLI's
 * environment (`AWS_PROFILE`, `AWS_REGION`, …); without one the template is
 * environment-agnostic, so one template deploys to any region and
 * `sam local invoke` can run it.
 *
 * - `stackName` (default `ServerlessAuth`, or `ServerlessAuth-<stage>`)
 * - `throttleRateLimit`, `throttleBurstLimit` (defaults 100 and 200)
 * - `sensitiveThrottleRateLimit`, `sensitiveThrottleBurstLimit`: login, forgot and reset, each (defaults 10 and 20)
 * - `corsAllowOrigins`: comma-separated origins of browser apps (default none)
 * - `mailFrom`, `mailIdentity` (the sender of reset codes and its SES identity); required unless `mail=off`
 * - `mail`: `off` deploys a service that sends no email (default `on`)
 * - `logRetentionDays` (default 90; a value CloudWatch Logs accepts)
 * - `keyRotationDays` (default 30): days between signing-key rotations
 * - `kms`: `create` (a customer-managed key of the stack's own) or a KMS key ARN, for the tables, secrets, logs, queues and topics (default: AWS-managed keys)
 * - `alarmTopicArn`: an SNS topic of yours for the alarms (default: the stack makes an encrypted one)
 * - alarm thresholds (`lib/observability.ts`): `alarmApiErrorRatePercent` (5), `alarmFunctionErrors` (1),
 *   `alarmFunctionThrottles` (1), `alarmFailedLogins` (50), `alarmRefreshReuse` (5), `alarmMailFailures` (1),
 *   `alarmTableThrottles` (1), counts per 5 minutes
 * - `domainName`, `certificateArn`: the API's own domain and its ACM certificate (in the stack's region)
 * - `cloudFront` (`true`): CloudFront and an AWS WAF web ACL in front; `webAclArn` (a CLOUDFRONT web ACL of
 *   your own instead of the stack's), `wafRateLimit` (default 100 per 5 minutes per IP on login, forgot and
 *   reset), `cloudFrontCertificateArn` (us-east-1; default `certificateArn`)
 * - `provisionedConcurrency`: instances kept started, e.g. `authorizer=2,login=1,refresh=2`
 * - `authorizerCacheTtl` (default 0): seconds API Gateway keeps an authorizer decision
 * - `untraced`: functions X-Ray does not trace, e.g. `authorizer,refresh` (default none)
 * - `region`: the region the stack deploys to
 * - any API setting by its name, e.g. `-c ACCESS_TOKEN_TTL=600 -c AUDIENCE=pos-clients`
 *
 * `region` pins the region, and CloudFront without `webAclArn` pins it to
 * us-east-1, the only region a CloudFront web ACL can be made in.
 *
 * cdk.json also sets the feature flags aws-cdk-lib recommends, so synth
 * behaves as a new project's would (the stack tests synthesize with them).
 *
 * cdk-nag's AwsSolutions and Serverless checks run on every synth as policy
 * validation plugins; an unacknowledged finding fails `cdk synth`.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { settingNames } from '../functions/core/infra/setting-names.ts';
import { AuthStack } from '../lib/auth-stack.ts';
import { parseOrigins } from '../lib/cors.ts';
import { stageNamed } from '../lib/stages.ts';
import { defaultAlarmThresholds, type AlarmThresholds, upperFirst } from '../lib/observability.ts';

const app = new App();

const stage = stageNamed(app.node.tryGetContext('stage'), app.node.tryGetContext('stages'));

/** A context value: given with `-c` (or at cdk.json's top level), else the stage's. */
const text = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key) ?? stage?.settings[key];
  return value === undefined || value === null || value === '' ? undefined : String(value);
};

/** How an error names each bound. */
const integerBound = { 0: 'a whole number, 0 or more', 1: 'a positive integer' } as const;

const integerAtLeast = (key: string, min: keyof typeof integerBound): number | undefined => {
  const value = text(key);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new Error(`Context ${key} must be ${integerBound[min]}, got ${value}`);
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

/** `authorizer, refresh` → `['authorizer', 'refresh']`; the stack checks the names. */
const names = (key: string): string[] | undefined =>
  text(key)
    ?.split(',')
    .map((name) => name.trim());

const retention = (key: string): RetentionDays | undefined => {
  const days = integerAtLeast(key, 1);
  if (days === undefined) return undefined;
  if (!(Object.values(RetentionDays) as unknown[]).includes(days)) {
    throw new Error(`Context ${key} must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …), got ${days}`);
  }
  return days as RetentionDays;
};

/** `alarmFailedLogins` and the like: the thresholds given, each by its key with `alarm` before it. */
const alarmThresholds = Object.fromEntries(
  Object.keys(defaultAlarmThresholds).flatMap((name) => {
    const value = integerAtLeast(`alarm${upperFirst(name)}`, 1);
    return value === undefined ? [] : [[name, value]];
  }),
) as Partial<AlarmThresholds>;

const mailSwitch = (key: string): boolean | undefined => {
  const value = text(key);
  if (value === undefined || value === 'on') return undefined;
  if (value === 'off') return false;
  throw new Error(`Context ${key} must be on or off, got ${value}`);
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
const region = text('region') ?? (cloudFront && !text('webAclArn') ? 'us-east-1' : process.env.CDK_DEFAULT_REGION);

const stack = new AuthStack(app, text('stackName') ?? (stage ? `ServerlessAuth-${stage.name}` : 'ServerlessAuth'), {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
  description: 'Serverless auth: login, rotating refresh tokens, lockouts, password reset, roles and tenants',
  settings,
  throttleRateLimit: integerAtLeast('throttleRateLimit', 1),
  throttleBurstLimit: integerAtLeast('throttleBurstLimit', 1),
  sensitiveThrottleRateLimit: integerAtLeast('sensitiveThrottleRateLimit', 1),
  sensitiveThrottleBurstLimit: integerAtLeast('sensitiveThrottleBurstLimit', 1),
  corsAllowOrigins: parseOrigins(text('corsAllowOrigins')),
  mail: mailSwitch('mail'),
  mailFrom: text('mailFrom'),
  mailIdentity: text('mailIdentity'),
  logRetention: retention('logRetentionDays'),
  keyRotationDays: integerAtLeast('keyRotationDays', 1),
  encryptionKey: text('kms'),
  alarmTopicArn: text('alarmTopicArn'),
  alarmThresholds,
  domainName: text('domainName'),
  certificateArn: text('certificateArn'),
  cloudFront: cloudFront
    ? {
        webAclArn: text('webAclArn'),
        sensitiveRateLimit: integerAtLeast('wafRateLimit', 1),
        certificateArn: text('cloudFrontCertificateArn'),
      }
    : undefined,
  provisionedConcurrency: counts('provisionedConcurrency'),
  authorizerCacheTtl: integerAtLeast('authorizerCacheTtl', 0),
  untraced: names('untraced'),
});

Tags.of(stack).add('project', 'serverless-auth');
Tags.of(stack).add('stage', stage?.name ?? 'default');

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
