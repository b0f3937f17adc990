/**
 * The auth service: tables, the signing-key secret, one function per
 * operation, the HTTP API with its Lambda authorizer. It reads create → bind →
 * route, and every grant comes from an operation's `needs`.
 */
import { Aws, CfnOutput, Duration, Lazy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  authorizerFunction,
  fallbackFunction,
  mailFeedbackFunction,
  operations,
  routeKey,
  writes,
  type FunctionDefinition,
  type HttpMethod as OperationMethod,
} from '../functions/routes.ts';
import { AuthFunction } from './auth-function.ts';
import { AuthTable } from './auth-table.ts';
import { createAuthorizer } from './authorizer.ts';
import { hashesPasswords } from './bundling.ts';
import { createApiStage } from './api-stage.ts';
import { Observability, type AlarmThresholds } from './observability.ts';
import { cors } from './cors.ts';
import { encryptEverythingWith, encryptionKeyOf, grantKeyUse, type EncryptionKeyOption } from './encryption.ts';
import { ApiEdge, type CloudFrontOptions, ORIGIN_VERIFY_HEADER } from './edge.ts';
import { Mail } from './mail.ts';
import { checkedIssuer, checkedProvisionedConcurrency, checkedSettings, checkedUntraced, mailSettings } from './stack-settings.ts';
import { SigningKeySecrets } from './signing-keys.ts';
import { tables, type TableName } from './tables.ts';

export interface AuthStackProps extends StackProps {
  /**
   * API settings (API.md "Settings") passed to every function, by name, e.g.
   * `{ ACCESS_TOKEN_TTL: '600' }`. Names outside `settingNames` are refused.
   * @default - none: the handlers' defaults apply, and `ISSUER` is the API's endpoint URL
   */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Steady-state requests per second the API accepts before answering 429.
   * @default 100
   */
  readonly throttleRateLimit?: number;
  /**
   * Requests the API accepts in a burst above the rate limit.
   * @default 200
   */
  readonly throttleBurstLimit?: number;
  /**
   * Steady-state requests per second each of login, forgot and reset accepts
   * (per route, below the stage's limit, so that one address hammering them
   * cannot starve the rest of the API).
   * @default 10
   */
  readonly sensitiveThrottleRateLimit?: number;
  /**
   * Burst of each of login, forgot and reset.
   * @default 20
   */
  readonly sensitiveThrottleBurstLimit?: number;
  /**
   * Origins of browser apps allowed to call the API (CORS), e.g.
   * `['https://app.example.com']`. Credentials travel in headers, never cookies.
   * @default - none: no CORS headers, preflights refused
   */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * Whether the service sends email (reset codes, invitations, notices).
   * `false`: no SES resource, no mail permission, every function gets
   * `MAIL_DELIVERY=off` (forgot mails no code, users need a password), and
   * synth warns.
   * @default true
   */
  readonly mail?: boolean;
  /**
   * The `From` address of the email the service sends (reset codes, notices);
   * every function gets it as the `MAIL_FROM` setting. The `MAIL_FROM` entry
   * of `settings` is the same thing, under its setting name.
   * @default - none: synth fails, unless `mail` is `false`
   */
  readonly mailFrom?: string;
  /**
   * The verified SES identity (domain or address) that mailing functions may
   * send as; `ses:SendEmail` is granted on it alone.
   * @default - the domain of `mailFrom`
   */
  readonly mailIdentity?: string;
  /**
   * How long function and access logs are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Days between signing-key rotations by the key manager.
   * @default 30
   */
  readonly keyRotationDays?: number;
  /**
   * A customer-managed KMS key for the tables, the secrets, the log groups,
   * the queues and the topics: `'create'` for one of the stack's own
   * (rotated yearly, retained on deletion), or an existing key or its ARN,
   * whose policy must let CloudWatch Logs, EventBridge, CloudWatch and SES use it.
   * @default - AWS-managed keys
   */
  readonly encryptionKey?: EncryptionKeyOption;
  /**
   * An SNS topic of yours for the alarms (`lib/observability.ts`).
   * @default - a topic of the stack's, encrypted with a KMS key of its own
   */
  readonly alarmTopicArn?: string;
  /**
   * When the alarms fire; each one left out keeps its default.
   * @default defaultAlarmThresholds
   */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /**
   * The API's own domain, e.g. `auth.example.com`, with `certificateArn`.
   * Tokens are then issued by `https://<domainName>`, and the execute-api
   * endpoint is turned off so that nothing goes around the domain.
   * @default - none: clients call the execute-api endpoint
   */
  readonly domainName?: string;
  /** The ACM certificate of `domainName`, in the stack's region. */
  readonly certificateArn?: string;
  /**
   * A CloudFront distribution with an AWS WAF web ACL in front of the API
   * (`lib/edge.ts`); the functions then refuse requests that go around it.
   * @default - none
   */
  readonly cloudFront?: CloudFrontOptions;
  /**
   * Execution environments kept started, by function: `authorizer` or an
   * operation's id (`login`, `refresh`, …). The function is then called
   * through a `live` alias.
   * @default - none
   */
  readonly provisionedConcurrency?: Readonly<Record<string, number>>;
  /**
   * Seconds API Gateway keeps an authorizer decision (`lib/authorizer.ts`:
   * what it saves, and what it costs: revocation is that much later, and
   * protected routes then take `Authorization: Bearer` only).
   * @default 0
   */
  readonly authorizerCacheTtl?: number;
  /**
   * Functions X-Ray does not trace, by key: `authorizer`, `fallback` or an
   * operation's id. Lambda records 5% of their invocations otherwise, about
   * $0.25 a million: on the authorizer, which runs on every protected call,
   * that is more than its Lambda requests cost.
   * @default - every function is traced
   */
  readonly untraced?: readonly string[];
}

/** A route another team puts behind our authorizer. */
export interface ProtectedRouteOptions {
  /** API Gateway path syntax: `/orders/{id}`. */
  readonly path: string;
  readonly method: OperationMethod;
  readonly handler: IFunction;
  /**
   * The permission the caller's role must carry, or `null` for a route that
   * needs only a valid credential: said explicitly, since a route the
   * authorizer was not told about is refused.
   */
  readonly permission: string | null;
}

const pascal = (name: string): string => name.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());

export class AuthStack extends Stack {
  /**
   * The HTTP API. It has no default stage of CDK's making: `stage` serves every
   * route at `httpApi.apiEndpoint`, or only at the domain when `domainName` is set.
   */
  readonly httpApi: HttpApi;
  /** The `$default` stage, with the throttling and access logging of the props. */
  readonly stage: HttpStage;
  /** The Lambda authorizer of every protected route (simple responses; cached only as `authorizerCacheTtl` says). */
  readonly authorizer: IHttpRouteAuthorizer;
  /** The tables of `tables.ts`, by name. */
  readonly tables: Readonly<Record<TableName, AuthTable>>;
  /** The API's own domain and CloudFront, when the props ask for them. */
  readonly edge: ApiEdge;
  /** Where clients call the API, and the default issuer of its tokens. */
  readonly apiUrl: string;
  /** Every function: operations by `operationId`, and `authorizer`, `fallback`, `keyManager`. */
  readonly functions = new Map<string, AuthFunction>();
  /** The customer-managed key everything is encrypted with, when `encryptionKey` asked for one. */
  readonly encryptionKey: IKey | undefined;
  /** Routes added through `addProtectedRoute`, by route key, with the permission they require. */
  readonly addedRoutes = new Map<string, { readonly permission: string | null }>();
  /** The alarms, their topic and the dashboard. */
  readonly observability: Observability;

  /** The SES configuration set, its bounce and complaint topic and their subscriber; `undefined` with mail off. */
  readonly mail: Mail | undefined;

  private readonly keys: SigningKeySecrets;
  private readonly logRetention: RetentionDays;
  private readonly provisionedConcurrency: Readonly<Record<string, number>>;
  private readonly untraced: ReadonlySet<string>;
  /** What every function of an operation starts with: the API settings. */
  private readonly functionEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AuthStackProps = {}) {
    super(scope, id, props);
    const mail = mailSettings(this, props);
    this.logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    this.provisionedConcurrency = checkedProvisionedConcurrency(props.provisionedConcurrency ?? {});
    this.untraced = checkedUntraced(props.untraced ?? []);

    // Create: data, keys, API.
    this.encryptionKey = encryptionKeyOf(this, props.encryptionKey);
    if (this.encryptionKey) encryptEverythingWith(this, this.encryptionKey);
    this.mail = mail.kind === 'on' ? new Mail(this, 'Mail', { identity: mail.identity, encryptionKey: this.encryptionKey }) : undefined;
    this.tables = Object.fromEntries(Object.entries(tables).map(([name, definition]) => [name, new AuthTable(this, definition)])) as Record<
      TableName,
      AuthTable
    >;
    this.keys = new SigningKeySecrets(this, 'Keys', {
      logRetention: this.logRetention,
      keyRotationDays: props.keyRotationDays ?? 30,
      accessTokenTtl: props.settings?.ACCESS_TOKEN_TTL,
      encryptionKey: this.encryptionKey,
    });
    this.functions.set('keyManager', this.keys.keyManager);
    const corsOrigins = props.corsAllowOrigins ?? [];
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Serverless auth API',
      createDefaultStage: false,
      // With a domain of its own, the API answers there only.
      ...(props.domainName ? { disableExecuteApiEndpoint: true } : {}),
      // API Gateway answers preflights itself and adds the CORS headers to every answer.
      ...(corsOrigins.length
        ? {
            corsPreflight: {
              allowOrigins: [...corsOrigins],
              allowMethods: cors.allowMethods.map((method) => CorsHttpMethod[method]),
              allowHeaders: [...cors.allowHeaders],
              exposeHeaders: [...cors.exposeHeaders],
              maxAge: Duration.seconds(cors.maxAgeSeconds),
            },
          }
        : {}),
    });
    this.stage = createApiStage(this, this.httpApi, {
      logRetention: this.logRetention,
      throttle: { rateLimit: props.throttleRateLimit ?? 100, burstLimit: props.throttleBurstLimit ?? 200 },
      sensitiveThrottle: {
        rateLimit: props.sensitiveThrottleRateLimit ?? 10,
        burstLimit: props.sensitiveThrottleBurstLimit ?? 20,
      },
    });

    this.edge = new ApiEdge(this, 'Edge', {
      httpApi: this.httpApi,
      stage: this.stage,
      logRetention: this.logRetention,
      domainName: props.domainName,
      certificateArn: props.certificateArn,
      cloudFront: props.cloudFront,
      encryptionKey: this.encryptionKey,
    });
    this.apiUrl = this.edge.publicUrl ?? this.httpApi.apiEndpoint;

    // The API's public URL is the default issuer; functions referring to the API
    // (or its distribution) is no cycle, since neither refers to any of them.
    this.functionEnvironment = {
      ISSUER: this.apiUrl,
      ...checkedIssuer(checkedSettings(props.settings ?? {}), props),
      ...(mail.kind === 'on' && this.mail
        ? { MAIL_FROM: mail.from, MAIL_CONFIGURATION_SET: this.mail.configurationSet.configurationSetName }
        : { MAIL_DELIVERY: 'off' }),
    };

    const authorizerFn = this.createFunction('authorizer', authorizerFunction, 'Lambda authorizer of the protected routes');
    this.authorizer = createAuthorizer(authorizerFn, {
      cacheTtlSeconds: props.authorizerCacheTtl ?? 0,
      originHeader: this.edge.originSecret ? ORIGIN_VERIFY_HEADER : undefined,
    });

    // Route: one function per operation, `$default` for everything else.
    for (const operation of operations) {
      const fn = this.createFunction(operation.operationId, operation, operation.summary);
      const route = this.route(pascal(operation.operationId), {
        routeKey: HttpRouteKey.with(operation.path, HttpMethod[operation.method]),
        handler: fn.target,
        authorizer: operation.auth === 'protected' ? this.authorizer : undefined,
      });
      if (operation.auth === 'public') {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(operation)} is public by contract (API.md "Public routes"): its caller proves itself with what it sends (password, refresh token, reset code) or reads a public document.`,
        });
      }
    }
    if (this.mail) {
      const feedback = this.createFunction(
        'mailFeedback',
        mailFeedbackFunction,
        'Marks the addresses SES reports bounced or complained of',
        { deadLetterQueue: this.mail.feedbackDeadLetters },
      );
      this.mail.deliverFeedbackTo(feedback);
    }
    const fallback = this.createFunction('fallback', fallbackFunction, 'Answers unmatched requests: 404, or 405 with Allow');
    const defaultRoute = this.route('Default', { routeKey: HttpRouteKey.DEFAULT, handler: fallback.target });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: '$default only answers 404 or 405 for requests no route matches; API.md requires that before any credential is looked at.',
    });

    // Watch: every function, the API, the tables and the key rotation.
    this.observability = new Observability(this, 'Observability', {
      functions: this.functions,
      httpApi: this.httpApi,
      tables: this.tables,
      keys: this.keys,
      mailFeedbackDeadLetters: this.mail?.feedbackDeadLetters,
      alarmTopicArn: props.alarmTopicArn,
      thresholds: props.alarmThresholds,
      encryptionKey: this.encryptionKey,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Base URL of the API' });
    // What the admin CLI needs besides the tables: where they are, and the settings the functions run with.
    new CfnOutput(this, 'Region', { value: Aws.REGION, description: 'The region of the tables and secrets' });
    new CfnOutput(this, 'Settings', {
      value: this.toJsonString(this.functionEnvironment),
      description: 'The settings every function runs with (JSON), for the admin CLI',
    });
    if (this.mail) {
      new CfnOutput(this, 'MailConfigurationSet', {
        value: this.mail.configurationSet.configurationSetName,
        description: 'The SES configuration set every email goes through',
      });
    }
    new CfnOutput(this, 'TokenSecretArn', {
      value: this.keys.secrets.tokenSecret.secretArn,
      description: 'The token secret, for the admin CLI (invitation codes); never the private keys',
    });
    new CfnOutput(this, 'JwksUrl', {
      value: `${this.apiUrl}/.well-known/jwks.json`,
      description: 'Public signing keys (JWKS)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn, description: 'The SNS topic every alarm notifies' });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName, description: 'The CloudWatch dashboard' });
    for (const table of Object.values(this.tables)) {
      new CfnOutput(this, `${table.node.id}TableName`, {
        value: table.tableName,
        description: `${table.envVar} of the functions`,
      });
    }
  }

  /**
   * The function of `definition` (kept in `functions` under `key`), bound to exactly what its `needs` name.
   * A function that API Gateway does not call (`notification`: the mail feedback) reads no origin secret,
   * and sends what it failed on to its `deadLetterQueue`.
   */
  private createFunction(
    key: string,
    definition: FunctionDefinition,
    description: string,
    notification?: { readonly deadLetterQueue: IQueue },
  ): AuthFunction {
    const fn = new AuthFunction(this, pascal(key), {
      handler: definition.handler,
      description,
      // argon2id is CPU-bound, and Lambda's CPU share grows with memory.
      memorySize: hashesPasswords(definition.handler) ? 1024 : 512,
      logRetention: this.logRetention,
      environment: this.functionEnvironment,
      deadLetterQueue: notification?.deadLetterQueue,
      traced: !this.untraced.has(key),
    });
    const { needs } = definition;
    for (const [name, grant] of Object.entries(needs.tables ?? {})) {
      if (!grant) continue;
      fn.bindTable(this.tables[name as TableName], grant);
      grantKeyUse(this.encryptionKey, fn.role, writes(grant) ? 'encryptDecrypt' : 'decrypt');
    }
    this.keys.grantTo(fn, needs);
    if (!notification) this.edge.bindOriginSecret(fn);
    const warm = this.provisionedConcurrency[key];
    if (warm !== undefined) fn.keepWarm(warm);
    if (needs.mail && this.mail) this.mail.grantSend(fn);
    this.functions.set(key, fn);
    return fn;
  }

  /**
   * Puts another team's function behind this API's authorizer at `method path`.
   * The authorizer lets a request through only with a valid, unexpired,
   * unrevoked credential (access token, or API token in `X-Auth-Token`) whose
   * principal carries `permission`, and passes the principal (user, role,
   * tenant, permissions, session) to the handler as
   * `requestContext.authorizer.lambda`; any other request gets API Gateway's
   * own 401 or 403, not the error shape of API.md. The authorizer learns the
   * permission of each added route from its `PROTECTED_ROUTES` variable (a
   * JSON map of route key to permission), which counts toward Lambda's 4 KB
   * environment limit.
   */
  addProtectedRoute(options: ProtectedRouteOptions): HttpRoute {
    const key = routeKey(options);
    if (this.addedRoutes.has(key) || operations.some((operation) => routeKey(operation) === key)) {
      throw new Error(`Route ${key} already exists`);
    }
    if (this.addedRoutes.size === 0) {
      const permissions = Lazy.string({
        produce: () => JSON.stringify(Object.fromEntries([...this.addedRoutes].map(([route, { permission }]) => [route, permission]))),
      });
      this.functions.get('authorizer')?.addEnvironment({ PROTECTED_ROUTES: permissions });
    }
    this.addedRoutes.set(key, { permission: options.permission });
    const id = pascal(`${options.method.toLowerCase()}-${options.path.replace(/\W+/g, '-').replace(/^-|-$/g, '')}`);
    return this.route(`Added${id}`, {
      routeKey: HttpRouteKey.with(options.path, HttpMethod[options.method]),
      handler: options.handler,
      authorizer: this.authorizer,
    });
  }

  private route(
    id: string,
    options: { routeKey: HttpRouteKey; handler: IFunction; authorizer?: IHttpRouteAuthorizer | undefined },
  ): HttpRoute {
    return new HttpRoute(this.httpApi, `${id}Route`, {
      httpApi: this.httpApi,
      routeKey: options.routeKey,
      integration: new HttpLambdaIntegration(`${id}Integration`, options.handler),
      authorizer: options.authorizer,
    });
  }
}
