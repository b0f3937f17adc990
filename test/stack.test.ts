/**
 * The synthesized template says what the stack promises: Node 24 on arm64,
 * one route per operation with the authorizer exactly on the protected ones,
 * tables with PITR and TTL, grants that follow each operation's `needs`, and
 * no key material anywhere. Bundling is skipped here (`test/bundle.test.ts`
 * builds every function); cdk-nag (AwsSolutions and Serverless) runs on a
 * stack of its own. The alarms and the dashboard: test/stack-observability.test.ts.
 */
import { type App, Stack as AppStack, Validations, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizerFunction,
  fallbackFunction,
  mailFeedbackFunction,
  operations,
  iamActions,
  routeKey,
  type FunctionDefinition,
} from '../functions/routes.ts';
import { AuthFunction } from '../lib/auth-function.ts';
import { AuthStack, type AuthStackProps } from '../lib/auth-stack.ts';
import type { Mail } from '../lib/mail.ts';
import type { SigningKeySecrets } from '../lib/signing-keys.ts';
import { tables, type TableName } from '../lib/tables.ts';
import { cdkApp } from './fixtures/cdk-app.ts';
import { nagFindings } from './fixtures/nag.ts';

const props: AuthStackProps = {
  mailFrom: 'no-reply@auth.example.com',
  settings: { AUDIENCE: 'pos-clients', ACCESS_TOKEN_TTL: '600' },
  throttleRateLimit: 50,
  throttleBurstLimit: 80,
};

function synth(stackProps: AuthStackProps = props, outdir?: string): { app: App; stack: AuthStack } {
  const app = cdkApp(outdir ? { outdir } : {});
  return { app, stack: new AuthStack(app, 'Auth', stackProps) };
}

const idOf = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of the role of `fn`. */
function statementsOf(template: Template, stack: Stack, fn: AuthFunction): Statement[] {
  const roleId = idOf(stack, fn.role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => list(policy.Properties.Roles).some((role: unknown) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Actions granted on resources that mention `logicalId` (a table's ARN, its index ARNs). */
const actionsOn = (statements: Statement[], logicalId: string): string[] =>
  statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(`"${logicalId}"`))
    .flatMap((statement) => list(statement.Action))
    .sort();

const environmentOf = (template: Template, stack: Stack, fn: AuthFunction): Record<string, unknown> =>
  template.findResources('AWS::Lambda::Function')[idOf(stack, fn.lambda)]?.Properties.Environment.Variables ?? {};

describe('AuthStack', () => {
  let stack: AuthStack;
  let template: Template;
  let json: string;

  beforeAll(() => {
    ({ stack } = synth());
    template = Template.fromStack(stack);
    json = JSON.stringify(template.toJSON());
  });

  const definitions: [string, FunctionDefinition][] = [
    ...operations.map((operation): [string, FunctionDefinition] => [operation.operationId, operation]),
    ['authorizer', authorizerFunction],
    ['fallback', fallbackFunction],
    ['mailFeedback', mailFeedbackFunction],
  ];
  const fn = (key: string): AuthFunction => stack.functions.get(key) as AuthFunction;

  describe('functions', () => {
    it('runs every function, the custom-resource framework included, on nodejs24.x and arm64', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions.length).toBe(definitions.length + 2); // + key manager + provider framework
      for (const resource of functions) {
        expect(resource.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      }
    });

    it.each(definitions)('deploys %s from its ESM bundle with source maps and its own log group', (key) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
        LoggingConfig: { LogGroup: { Ref: idOf(stack, fn(key).logGroup) } },
        Role: { 'Fn::GetAtt': [idOf(stack, fn(key).role), 'Arn'] },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    });

    it('traces every function of ours with X-Ray (active tracing)', () => {
      for (const [key, f] of stack.functions) {
        const resource = template.toJSON().Resources[idOf(stack, f.lambda)];
        expect(resource.Properties.TracingConfig, key).toEqual({ Mode: 'Active' });
      }
      expect(stack.functions.size).toBe(definitions.length + 1);
    });

    it('gives every function the API settings the stack sets, and the API URL as ISSUER', () => {
      for (const [key] of definitions) {
        expect(environmentOf(template, stack, fn(key))).toMatchObject({
          ISSUER: stack.resolve(stack.httpApi.apiEndpoint),
          AUDIENCE: 'pos-clients',
          ACCESS_TOKEN_TTL: '600',
          MAIL_FROM: 'no-reply@auth.example.com',
        });
      }
    });

    it('lets an ISSUER setting replace the API URL', () => {
      const { stack: custom } = synth({ ...props, settings: { ISSUER: 'https://auth.example.com' } });
      const variables = environmentOf(Template.fromStack(custom), custom, custom.functions.get('login') as AuthFunction);
      expect(variables.ISSUER).toBe('https://auth.example.com');
    });

    it('refuses a setting that is not in the settings schema', () => {
      expect(() => synth({ ...props, settings: { ACCESS_TOKEN_TTLL: '600' } })).toThrow(/Unknown setting ACCESS_TOKEN_TTLL/);
    });

    it.each([
      ['MAIL_DELIVERY', 'off', /MAIL_DELIVERY is set by the stack: it follows the mail prop/],
      ['MAIL_CONFIGURATION_SET', 'Mine', /MAIL_CONFIGURATION_SET is set by the stack/],
    ])('refuses the setting %s, which the stack sets itself', (name, value, message) => {
      expect(() => synth({ ...props, settings: { [name]: value } })).toThrow(message);
    });
  });

  describe('grants follow each function’s needs', () => {
    it.each(definitions)('%s: on each table exactly the actions declared, on the others none', (key, definition) => {
      const statements = statementsOf(template, stack, fn(key));
      for (const name of Object.keys(tables) as TableName[]) {
        const grant = definition.needs.tables?.[name] ?? [];
        const actions = actionsOn(statements, idOf(stack, stack.tables[name]));
        expect(actions, `${key} on ${name}`).toEqual(iamActions(grant).sort());
      }
    });

    const keyParts = [
      ['signingKeys', 'SigningKeys', 'SIGNING_SECRET_ARN'],
      ['publicKeys', 'PublicKeys', 'PUBLIC_KEYS_SECRET_ARN'],
      ['tokenSecret', 'TokenSecret', 'TOKEN_SECRET_ARN'],
    ] as const;
    it.each(definitions)('%s: each key secret read-only if its needs name that part, else not at all', (key, definition) => {
      for (const [part, secretName, variable] of keyParts) {
        const secretId = idOf(stack, stack.node.findChild(secretName));
        const variables = environmentOf(template, stack, fn(key));
        const actions = actionsOn(statementsOf(template, stack, fn(key)), secretId);
        if (definition.needs[part]) {
          expect(actions, `${key} on ${secretName}`).toEqual(['secretsmanager:GetSecretValue']);
          expect(variables[variable]).toEqual({ Ref: secretId });
        } else {
          expect(actions, `${key} on ${secretName}`).toEqual([]);
          expect(variables[variable]).toBeUndefined();
        }
      }
    });

    it('lets only the functions that sign access tokens read the private keys', () => {
      const signers = definitions.filter(([, definition]) => definition.needs.signingKeys).map(([key]) => key);
      expect(signers.sort()).toEqual(['login', 'refresh']);
      const readers = (name: string) =>
        definitions
          .filter(([key]) => actionsOn(statementsOf(template, stack, fn(key)), idOf(stack, stack.node.findChild(name))).length > 0)
          .map(([key]) => key);
      expect(readers('SigningKeys').sort()).toEqual(['login', 'refresh']);
      expect(readers('PublicKeys').sort()).toEqual(['authorizer', 'jwks']);
    });

    it.each(definitions)(
      '%s: no action beyond what its needs name (tables, key parts, mail) and writing its own logs',
      (key, definition) => {
        const allowed = new Set<string>([
          ...Object.values(definition.needs.tables ?? {}).flatMap((grant) => iamActions(grant ?? [])),
          ...(definition.needs.signingKeys || definition.needs.publicKeys || definition.needs.tokenSecret
            ? ['secretsmanager:GetSecretValue']
            : []),
          ...(definition.needs.mail ? ['ses:SendEmail'] : []),
          // Invoked asynchronously (by SNS), it sends what it failed on to its dead-letter queue.
          ...(key === 'mailFeedback' ? ['sqs:SendMessage'] : []),
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          // Active tracing: X-Ray's two write actions, which take no resource but "*".
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
        ]);
        const granted = statementsOf(template, stack, fn(key)).flatMap((statement) => list(statement.Action));
        expect(granted.length).toBeGreaterThan(0);
        expect(granted.filter((action) => !allowed.has(action))).toEqual([]);
      },
    );

    it('grants no batch, transaction or condition-check call to any role: the code sends only single-item calls', () => {
      const granted = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .flatMap((statement) => list(statement.Action));
      expect(granted.filter((action) => action.startsWith('dynamodb:')).length).toBeGreaterThan(0);
      expect(granted.filter((action) => /^dynamodb:(Batch|Transact|ConditionCheck)/.test(action))).toEqual([]);
    });

    it('lets the authorizer read API tokens and record their use, never create or delete one', () => {
      const actions = actionsOn(statementsOf(template, stack, fn('authorizer')), idOf(stack, stack.tables.apiTokens));
      expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    });

    it('keeps the audit table append-only: PutItem for every function that writes it, Query for the one that lists it', () => {
      const auditId = idOf(stack, stack.tables.audit);
      for (const [key] of definitions) {
        const actions = actionsOn(statementsOf(template, stack, fn(key)), auditId);
        expect(
          actions.filter((action) => !['dynamodb:PutItem', 'dynamodb:Query'].includes(action)),
          key,
        ).toEqual([]);
        expect(actions, key).not.toContain('dynamodb:UpdateItem');
        expect(actions, key).not.toContain('dynamodb:DeleteItem');
        expect(actions, key).not.toContain('dynamodb:BatchWriteItem');
      }
      expect(actionsOn(statementsOf(template, stack, fn('login')), auditId)).toEqual(['dynamodb:PutItem']);
    });

    it.each(definitions)('%s: ses:SendEmail on the sender identity only if it sends mail', (key, definition) => {
      const ses = statementsOf(template, stack, fn(key)).filter((s) => list(s.Action).some((a) => a.startsWith('ses:')));
      if (!definition.needs.mail) {
        expect(ses).toEqual([]);
        return;
      }
      expect(ses).toHaveLength(1);
      expect(ses[0]?.Action).toBe('ses:SendEmail');
      // SES checks both the identity and the configuration set a message names.
      const resources = list(ses[0]?.Resource).map((resource) => JSON.stringify(resource));
      expect(resources).toHaveLength(2);
      expect(resources.filter((resource) => resource.includes(':identity/auth.example.com"'))).toHaveLength(1);
      const configurationSet = resources.filter((resource) => resource.includes(':configuration-set/'));
      expect(configurationSet).toHaveLength(1);
      expect(configurationSet[0]).toContain(idOf(stack, (stack.mail as Mail).configurationSet));
    });

    it('keeps me read-only on users, refresh off writing users, and the discovery documents off every table', () => {
      const tablesOf = (key: string): Record<string, string[]> =>
        Object.fromEntries(
          (Object.keys(tables) as TableName[])
            .map((name): [string, string[]] => [name, actionsOn(statementsOf(template, stack, fn(key)), idOf(stack, stack.tables[name]))])
            .filter(([, actions]) => actions.length > 0),
        );
      expect(tablesOf('getMe')).toEqual({ users: ['dynamodb:GetItem'] });
      expect(tablesOf('refresh').users).toEqual(['dynamodb:GetItem']);
      expect(tablesOf('refresh').lockouts).toBeUndefined();
      expect(tablesOf('jwks')).toEqual({});
      expect(tablesOf('openidConfiguration')).toEqual({});
    });

    it('names index ARNs one by one instead of a wildcard', () => {
      for (const [key] of definitions) {
        for (const statement of statementsOf(template, stack, fn(key)).filter(
          (st) => !list(st.Action).every((a) => a.startsWith('xray:')),
        )) {
          expect(JSON.stringify(statement.Resource), key).not.toMatch(/\*/);
        }
      }
    });

    it('lets each function write only to its own log group', () => {
      const logs = statementsOf(template, stack, fn('login')).filter((s) => list(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [idOf(stack, fn('login').logGroup), 'Arn'] },
        },
      ]);
      template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
    });
  });

  describe('HTTP API', () => {
    const routeOf = (key: string): Record<string, any> => {
      const found = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: key } }));
      expect(found, key).toHaveLength(1);
      return found[0]?.Properties;
    };
    const targetFunction = (route: Record<string, any>): unknown => {
      const integrationId = route.Target['Fn::Join'][1][1].Ref as string;
      return template.toJSON().Resources[integrationId].Properties.IntegrationUri;
    };

    it.each(operations.map((operation) => [routeKey(operation), operation] as const))('routes %s to its own function', (key, operation) => {
      const route = routeOf(key);
      expect(targetFunction(route)).toEqual({ 'Fn::GetAtt': [idOf(stack, fn(operation.operationId).lambda), 'Arn'] });
      const authorizerId = { Ref: Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0] };
      if (operation.auth === 'protected') {
        expect(route).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerId });
      } else {
        expect(route.AuthorizationType ?? 'NONE').toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
    });

    it('sends $default to the fallback function, without the authorizer', () => {
      const route = routeOf('$default');
      expect(targetFunction(route)).toEqual({ 'Fn::GetAtt': [idOf(stack, fn('fallback').lambda), 'Arn'] });
      expect(route.AuthorizerId).toBeUndefined();
    });

    it('has one Lambda authorizer with simple responses, no caching and no identity source', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        AuthorizerResultTtlInSeconds: 0,
        AuthorizerUri: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [idOf(stack, fn('authorizer').lambda), 'Arn'] }])],
        }),
      });
      const [authorizer] = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'));
      // Identity sources are optional for REQUEST authorizers when caching is off.
      expect(authorizer?.Properties.IdentitySource ?? []).toEqual([]);
    });

    it('throttles the $default stage and writes JSON access logs without credentials', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
      });
      const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      expect(stage?.Properties.AccessLogSettings.Format).not.toMatch(/header|querystring|authorization/i);
    });

    it('rotates the signing keys on a schedule by invoking the key manager', () => {
      const keyManager = stack.functions.get('keyManager') as AuthFunction;
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(30 days)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(stack, keyManager.lambda), 'Arn'] }, Input: '{"action":"rotate"}' })],
      });
      expect(environmentOf(template, stack, keyManager)).toHaveProperty('SIGNING_SECRET_ARN');
    });

    it('retries a failed rotation event, then keeps it in an encrypted dead-letter queue', () => {
      const queueId = idOf(stack, (stack.node.findChild('Keys') as SigningKeySecrets).rotationDeadLetters);
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Input: '{"action":"rotate"}',
            RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          }),
        ],
      });
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
      // EventBridge may send to it; nothing may reach it without TLS.
      const policy = JSON.stringify(template.findResources('AWS::SQS::QueuePolicy'));
      expect(policy).toContain('events.amazonaws.com');
      expect(policy).toContain('aws:SecureTransport');
    });

    it('configures CORS for the allowed origins only when asked', () => {
      expect(template.findResources('AWS::ApiGatewayV2::Api')).toSatisfy((apis: Record<string, { Properties: Record<string, unknown> }>) =>
        Object.values(apis).every((api) => api.Properties.CorsConfiguration === undefined),
      );
      const { stack: withCors } = synth({ ...props, corsAllowOrigins: ['https://app.example.com'] });
      Template.fromStack(withCors).hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://app.example.com'],
          AllowHeaders: Match.arrayWith(['authorization', 'x-auth-token']),
          ExposeHeaders: Match.arrayWith(['x-access-token', 'x-refresh-token']),
          AllowCredentials: Match.absent(),
        },
      });
    });

    it('throttles at 100 requests per second with bursts of 200 by default', () => {
      const { stack: defaults } = synth({ mailFrom: props.mailFrom });
      Template.fromStack(defaults).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
    });

    it('gives login, forgot and reset a throttle of their own below the stage’s, 10/s with bursts of 20 by default', () => {
      const sensitive = ['POST /auth/login', 'POST /auth/password/forgot', 'POST /auth/password/reset'];
      const { stack: defaults } = synth({ mailFrom: props.mailFrom });
      const stageOf = (t: Template) => Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0]?.Properties;
      const byDefault = stageOf(Template.fromStack(defaults));
      expect(byDefault.RouteSettings).toEqual(
        Object.fromEntries(sensitive.map((key) => [key, { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }])),
      );
      // Every other route keeps the stage's limit; every listed key is a route of the API.
      const routeKeys = Object.values(Template.fromStack(defaults).findResources('AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties.RouteKey,
      );
      for (const key of Object.keys(byDefault.RouteSettings)) expect(routeKeys).toContain(key);

      const { stack: tuned } = synth({ ...props, sensitiveThrottleRateLimit: 3, sensitiveThrottleBurstLimit: 6 });
      Template.fromStack(tuned).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 },
        RouteSettings: Match.objectLike({ 'POST /auth/login': { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 } }),
      });
      expect(() => synth({ ...props, sensitiveThrottleRateLimit: 60 })).toThrow(/must not exceed the stage/);
    });

    it('puts another team’s function behind the authorizer, which learns the permission it requires', () => {
      const { stack: extended } = synth();
      const orders = new LambdaFunction(extended, 'Orders', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
      });
      extended.addProtectedRoute({ path: '/orders/{id}', method: 'GET', handler: orders, permission: 'transactions:read' });
      extended.addProtectedRoute({ path: '/orders', method: 'POST', handler: orders, permission: 'transactions:create' });
      extended.addProtectedRoute({ path: '/orders/ping', method: 'GET', handler: orders, permission: null });
      expect(() => extended.addProtectedRoute({ path: '/auth/me', method: 'GET', handler: orders, permission: 'profile:read' })).toThrow(
        /already exists/,
      );

      const added = Template.fromStack(extended);
      const authorizerId = Object.keys(added.findResources('AWS::ApiGatewayV2::Authorizer'));
      expect(authorizerId).toHaveLength(1);
      for (const key of ['GET /orders/{id}', 'POST /orders']) {
        added.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: key,
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId[0] },
        });
      }
      const authorizerEnv = environmentOf(added, extended, extended.functions.get('authorizer') as AuthFunction);
      expect(JSON.parse(authorizerEnv.PROTECTED_ROUTES as string)).toEqual({
        'GET /orders/{id}': 'transactions:read',
        'POST /orders': 'transactions:create',
        // Said explicitly: any valid credential; a route missing from the map is refused.
        'GET /orders/ping': null,
      });
      // Without added routes the variable is not there at all.
      expect(environmentOf(template, stack, fn('authorizer')).PROTECTED_ROUTES).toBeUndefined();
    });
  });

  describe('tables', () => {
    it.each(Object.entries(tables))('%s: on demand, PITR, AWS-managed encryption, keys and TTL as defined', (name, definition) => {
      const id = idOf(stack, stack.tables[name as TableName]);
      const resource = template.toJSON().Resources[id];
      expect(resource.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: definition.partitionKey, KeyType: 'HASH' },
          ...('sortKey' in definition ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' }] : []),
        ],
      });
      const ttl = 'ttlAttribute' in definition ? { AttributeName: definition.ttlAttribute, Enabled: true } : undefined;
      expect(resource.Properties.TimeToLiveSpecification).toEqual(ttl);
      const indexes = 'indexes' in definition ? definition.indexes.map((index) => index.name) : [];
      expect((resource.Properties.GlobalSecondaryIndexes ?? []).map((index: { IndexName: string }) => index.IndexName)).toEqual(indexes);
      const policy = definition.retain ? 'Retain' : 'Delete';
      expect(resource).toMatchObject({ DeletionPolicy: policy, UpdateReplacePolicy: policy });
    });

    it('keeps the users table when the stack is deleted', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ KeySchema: [{ AttributeName: tables.users.partitionKey, KeyType: 'HASH' }] }),
        DeletionPolicy: 'Retain',
      });
      expect(tables.users.retain).toBe(true);
    });

    it.each(Object.entries(tables))(
      '%s: deletion protection on, PITR on, retained if it holds what cannot be rebuilt',
      (name, definition) => {
        const resource = template.toJSON().Resources[idOf(stack, stack.tables[name as TableName])];
        expect(resource.Properties.DeletionProtectionEnabled).toBe(true);
        expect(resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
        expect(resource.DeletionPolicy).toBe(definition.retain ? 'Retain' : 'Delete');
        if (name === 'users' || name === 'audit') expect(resource.DeletionPolicy).toBe('Retain');
      },
    );

    it('retains the signing-key secret when the stack is deleted; the derived secrets are written again from it', () => {
      const resources = template.toJSON().Resources;
      expect(resources[idOf(stack, stack.node.findChild('SigningKeys'))]).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(resources[idOf(stack, stack.node.findChild('PublicKeys'))].DeletionPolicy).toBe('Delete');
      expect(resources[idOf(stack, stack.node.findChild('TokenSecret'))].DeletionPolicy).toBe('Delete');
    });
  });

  describe('signing keys', () => {
    it('creates the secret without key material and fills it through the key manager', () => {
      const secretId = idOf(stack, stack.node.findChild('SigningKeys'));
      const secret = template.toJSON().Resources[secretId];
      expect(secret.Properties.SecretString).toBeUndefined();
      template.hasResourceProperties('Custom::SigningKeyMaterial', {
        SecretArn: { Ref: secretId },
        ServiceToken: Match.anyValue(),
      });
      const keyManager = fn('keyManager');
      expect(actionsOn(statementsOf(template, stack, keyManager), secretId)).toEqual([
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ]);
    });

    it('starts the functions that read keys only after the key material exists', () => {
      const login = template.toJSON().Resources[idOf(stack, fn('login').lambda)];
      const materialId = idOf(stack, stack.node.findChild('Keys').node.findChild('SigningKeyMaterial'));
      expect(login.DependsOn).toContain(materialId);
      const jwks = template.toJSON().Resources[idOf(stack, fn('jwks').lambda)];
      expect(jwks.DependsOn).toContain(materialId);
    });

    it('holds no private key material anywhere in the template', () => {
      expect(json).not.toContain('BEGIN PRIVATE KEY');
      expect(json).not.toContain('"d":');
      expect(json).not.toContain('privateJwk');
    });
  });

  describe('mail', () => {
    const mail = () => stack.mail as Mail;
    const resourceOf = (construct: IConstruct) => template.toJSON().Resources[idOf(stack, construct)];

    it('creates one SES configuration set, which every function is told to send through', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
      template.hasResourceProperties('AWS::SES::ConfigurationSet', {
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
      const configurationSet = { Ref: idOf(stack, mail().configurationSet) };
      for (const [key] of definitions) {
        expect(environmentOf(template, stack, fn(key)), key).toMatchObject({ MAIL_CONFIGURATION_SET: configurationSet });
        expect(environmentOf(template, stack, fn(key)).MAIL_DELIVERY, key).toBeUndefined();
      }
    });

    it('publishes bounces and complaints, and nothing else, to the feedback topic', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: { Ref: idOf(stack, mail().configurationSet) },
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['bounce', 'complaint'],
          SnsDestination: { TopicARN: { Ref: idOf(stack, mail().feedbackTopic) } },
        },
      });
    });

    it('encrypts the topic with a rotating key of its own, which SES may use only for this configuration set', () => {
      const topic = resourceOf(mail().feedbackTopic);
      const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0] as string;
      const key = template.toJSON().Resources[keyId];
      expect(key).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
      const forSes = key.Properties.KeyPolicy.Statement.filter(
        (statement: { Principal: { Service?: string } }) => statement.Principal.Service === 'ses.amazonaws.com',
      );
      expect(forSes).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'ses.amazonaws.com' },
          Action: expect.toSatisfy((actions: string[]) => [...actions].sort().join() === 'kms:Decrypt,kms:GenerateDataKey*'),
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': expect.anything() },
          },
        },
      ]);
      expect(JSON.stringify(forSes[0].Condition.ArnLike)).toContain(idOf(stack, mail().configurationSet));
    });

    it('lets only SES, for this configuration set, publish to the topic, and nothing without TLS', () => {
      const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      const statements = policy?.Properties.PolicyDocument.Statement as Record<string, any>[];
      const publish = statements.filter((statement) => statement.Effect === 'Allow');
      expect(publish).toEqual([
        expect.objectContaining({
          Action: 'sns:Publish',
          Principal: { Service: 'ses.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceAccount': { Ref: 'AWS::AccountId' }, 'AWS:SourceArn': expect.anything() } },
        }),
      ]);
      expect(JSON.stringify(publish[0]?.Condition)).toContain(idOf(stack, mail().configurationSet));
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('delivers the topic to the mail feedback function alone', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: idOf(stack, mail().feedbackTopic) },
        Endpoint: { 'Fn::GetAtt': [idOf(stack, fn('mailFeedback').lambda), 'Arn'] },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'sns.amazonaws.com',
        SourceArn: { Ref: idOf(stack, mail().feedbackTopic) },
        FunctionName: { 'Fn::GetAtt': [idOf(stack, fn('mailFeedback').lambda), 'Arn'] },
      });
      expect(operations.map((operation) => operation.handler)).not.toContain(mailFeedbackFunction.handler);
    });

    it('lets the mail feedback function read and update users and append audit events, and nothing more', () => {
      const statements = statementsOf(template, stack, fn('mailFeedback'));
      const tablesOf = Object.fromEntries(
        (Object.keys(tables) as TableName[])
          .map((name): [string, string[]] => [name, actionsOn(statements, idOf(stack, stack.tables[name]))])
          .filter(([, actions]) => actions.length > 0),
      );
      expect(tablesOf).toEqual({ users: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], audit: ['dynamodb:PutItem'] });
      const actions = statements.flatMap((statement) => list(statement.Action)).sort();
      expect([...new Set(actions)]).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      const deadLetters = statements.filter((statement) => list(statement.Action).includes('sqs:SendMessage'));
      expect(deadLetters.map((statement) => statement.Resource)).toEqual([
        { 'Fn::GetAtt': [idOf(stack, mail().feedbackDeadLetters), 'Arn'] },
      ]);
    });

    it('keeps what cannot be applied in an encrypted dead-letter queue: undelivered notifications, and those the function failed on', () => {
      const queueArn = { 'Fn::GetAtt': [idOf(stack, mail().feedbackDeadLetters), 'Arn'] };
      expect(resourceOf(mail().feedbackDeadLetters).Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1209600,
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        RedrivePolicy: { deadLetterTargetArn: queueArn },
      });
      expect(resourceOf(fn('mailFeedback').lambda).Properties.DeadLetterConfig).toEqual({ TargetArn: queueArn });
      const alarm = resourceOf(stack.observability.alarms.get('MailFeedbackDeadLetters') as IConstruct);
      expect(alarm.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(stack, mail().feedbackDeadLetters), 'QueueName'] } }],
        Threshold: 1,
      });
    });

    it('fails synth without a sender, and says how to name one or switch mail off', () => {
      expect(() => synth({ settings: { AUDIENCE: 'pos-clients' } })).toThrow(
        /mailFrom is not set: deploy with -c mailFrom=.*or switch mail off with -c mail=off/,
      );
    });

    it('with mail off: no SES resource or permission, every function told MAIL_DELIVERY=off, and a warning', () => {
      const { stack: off } = synth({ mail: false });
      const offTemplate = Template.fromStack(off);
      const offJson = JSON.stringify(offTemplate.toJSON());

      expect(off.mail).toBeUndefined();
      offTemplate.resourceCountIs('AWS::SES::ConfigurationSet', 0);
      offTemplate.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 0);
      offTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
      // The mail feedback's topic, key and dead-letter queue are gone; the alarms' stay.
      for (const type of ['AWS::SNS::Topic', 'AWS::KMS::Key', 'AWS::SQS::Queue']) {
        expect(Object.keys(offTemplate.findResources(type)).length, type).toBe(Object.keys(template.findResources(type)).length - 1);
      }
      expect(off.observability.alarms.has('MailFeedbackDeadLetters')).toBe(false);
      expect(offJson).not.toContain('ses:SendEmail');
      expect(off.functions.has('mailFeedback')).toBe(false);
      for (const [key, f] of off.functions) {
        if (key === 'keyManager') continue;
        expect(environmentOf(offTemplate, off, f), key).toMatchObject({ MAIL_DELIVERY: 'off' });
        expect(environmentOf(offTemplate, off, f).MAIL_CONFIGURATION_SET, key).toBeUndefined();
      }
      Annotations.fromStack(off).hasWarning('/Auth', Match.stringLikeRegexp('Mail is off: the service sends no email'));
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Mail is off'))).toEqual([]);
    });
  });

  it('outputs ApiUrl, JwksUrl, the table names and the token secret (never the signing set)', () => {
    const endpoint = stack.resolve(stack.httpApi.apiEndpoint);
    template.hasOutput('TokenSecretArn', { Value: { Ref: idOf(stack, stack.node.findChild('TokenSecret')) } });
    expect(JSON.stringify(template.toJSON().Outputs)).not.toContain(idOf(stack, stack.node.findChild('SigningKeys')));
    template.hasOutput('ApiUrl', { Value: endpoint });
    template.hasOutput('JwksUrl', { Value: { 'Fn::Join': ['', [endpoint, '/.well-known/jwks.json']] } });
    for (const [name, definition] of Object.entries(tables)) {
      template.hasOutput(`${definition.id}TableName`, { Value: { Ref: idOf(stack, stack.tables[name as TableName]) } });
    }
  });

  it('outputs what the admin CLI needs besides the tables: the region, the functions’ settings, the configuration set', () => {
    template.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
    template.hasOutput('MailConfigurationSet', { Value: { Ref: idOf(stack, (stack.mail as Mail).configurationSet) } });
    const settings = JSON.stringify(template.toJSON().Outputs.Settings.Value);
    for (const expected of ['"AUDIENCE\\":\\"pos-clients', '"MAIL_FROM\\":\\"no-reply@auth.example.com', 'MAIL_CONFIGURATION_SET']) {
      expect(settings).toContain(expected);
    }
  });
});

describe('AuthFunction', () => {
  it('merges environments and refuses to overwrite a variable with another value', () => {
    const scope = new AppStack(cdkApp(), 'Scope');
    const fallback = new AuthFunction(scope, 'Fallback', { handler: 'fallback', environment: { AUDIENCE: 'a' } });
    fallback.addEnvironment({ AUDIENCE: 'a', LOCKOUT_SECONDS: '60' });
    expect(() => fallback.addEnvironment({ AUDIENCE: 'b' })).toThrow(/AUDIENCE is already set/);
    Template.fromStack(scope).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', AUDIENCE: 'a', LOCKOUT_SECONDS: '60' } },
    });
  });
});

describe('cdk-nag AwsSolutions and Serverless', () => {
  it('finds nothing that is not acknowledged with a written reason', () => {
    const { findings, failure } = nagFindings((app) => new AuthStack(app, 'Auth', props));
    expect(findings).toEqual([]);
    expect(failure).toBeUndefined();
  });

  it('finds nothing with mail off either', () => {
    const { findings, failure } = nagFindings((app) => new AuthStack(app, 'Auth', { mail: false }));
    expect(findings).toEqual([]);
    expect(failure).toBeUndefined();
  });

  it('does report what is not acknowledged (the check above is live)', () => {
    const { findings, failure } = nagFindings((app) => new Secret(new AppStack(app, 'Bare'), 'Unrotated'));
    expect(findings).toEqual([expect.stringMatching(/^error AwsSolutions-SMG4 at Bare\/Unrotated/)]);
    expect(failure).toBeDefined();
  });

  it('runs the Serverless pack too (a function without a dead-letter queue is reported)', () => {
    const { findings } = nagFindings((app) => {
      new LambdaFunction(new AppStack(app, 'Bare'), 'Plain', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('export const handler = async () => ({});'),
      });
    });
    expect(findings).toContainEqual(expect.stringMatching(/^error Serverless-LambdaDLQ at Bare\/Plain/));
  });

  it('gives every acknowledgment a specific reason', () => {
    const { stack } = synth();
    const acknowledgments = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    const rules = acknowledgments.map(([id]) => id.replace(/\[.*$/, '').replace(/^.*::/, ''));
    const publicRoutes = operations.filter((operation) => operation.auth === 'public').length + 1; // + $default
    expect(rules.sort()).toEqual(
      [
        ...Array<string>(publicRoutes).fill('AwsSolutions-APIG4'),
        'AwsSolutions-IAM5',
        ...Array<string>(stack.functions.size).fill('AwsSolutions-IAM5'), // X-Ray's "*", one per function role
        ...Array<string>(3).fill('AwsSolutions-SMG4'),
        // The dead-letter queues themselves: the key rotation's and the mail feedback's.
        ...Array<string>(2).fill('AwsSolutions-SQS3'),
        ...Array<string>(2).fill('Serverless-SQSRedrivePolicy'),
        // Every function but the key manager and the mail feedback (they have a dead-letter queue), and the provider framework.
        ...Array<string>(stack.functions.size - 1).fill('Serverless-LambdaDLQ'),
        'Serverless-LambdaTracing', // the provider framework
      ].sort(),
    );
    for (const [, reason] of acknowledgments) expect(reason.length).toBeGreaterThan(40);
  });
});

describe('a customer-managed KMS key', () => {
  let stack: AuthStack;
  let template: Template;

  beforeAll(() => {
    ({ stack } = synth({ ...props, encryptionKey: 'create' }));
    template = Template.fromStack(stack);
  });

  const keyRef = () => ({ 'Fn::GetAtt': [idOf(stack, stack.encryptionKey as unknown as IConstruct), 'Arn'] });

  it('is created rotating, and retained when the stack is deleted', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('encrypts every table, secret, log group and queue', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const key = JSON.stringify(keyRef());
    const keyOf: Record<string, (p: Record<string, unknown>) => unknown> = {
      'AWS::DynamoDB::Table': (p) => (p.SSESpecification as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId,
      'AWS::SecretsManager::Secret': (p) => p.KmsKeyId,
      'AWS::Logs::LogGroup': (p) => p.KmsKeyId,
      'AWS::SQS::Queue': (p) => p.KmsMasterKeyId,
      'AWS::SNS::Topic': (p) => p.KmsMasterKeyId,
    };
    const encrypted = Object.entries(resources).filter(([, r]) => keyOf[r.Type]);
    expect(new Set(encrypted.map(([, r]) => r.Type))).toEqual(
      new Set([
        'AWS::DynamoDB::Table',
        'AWS::SecretsManager::Secret',
        'AWS::Logs::LogGroup',
        'AWS::SQS::Queue',
        ...(encrypted.some(([, r]) => r.Type === 'AWS::SNS::Topic') ? ['AWS::SNS::Topic'] : []),
      ]),
    );
    for (const [id, resource] of encrypted) {
      expect(JSON.stringify(keyOf[resource.Type]?.(resource.Properties)), `${id} (${resource.Type})`).toBe(key);
    }
  });

  it('lets CloudWatch Logs use it only for this account’s log groups in this region', () => {
    const policy = Object.values(template.findResources('AWS::KMS::Key'))[0]?.Properties.KeyPolicy.Statement as {
      Principal?: { Service?: unknown };
      Condition?: unknown;
    }[];
    const logs = policy.find((statement) => JSON.stringify(statement.Principal?.Service ?? '').includes('logs.'));
    expect(JSON.stringify(logs?.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
  });

  it('is granted to each function as its tables and secrets need: decrypt to readers, encrypt too to writers', () => {
    const kmsActionsOf = (fn: AuthFunction) =>
      statementsOf(template, stack, fn)
        .filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(keyRef()))
        .flatMap((statement) => list(statement.Action));
    const get = (key: string) => stack.functions.get(key) as AuthFunction;
    // The JWKS route reads the public-keys secret and no table.
    expect(kmsActionsOf(get('jwks')).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    // The authorizer reads sessions and API tokens and appends audit events.
    expect(kmsActionsOf(get('authorizer'))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']));
    // The key manager writes the secrets.
    expect(kmsActionsOf(get('keyManager'))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']));
    // The docs page reads nothing encrypted.
    expect(kmsActionsOf(get('docsPage'))).toEqual([]);
  });

  it('encrypts the mail feedback topic and its dead letters with it, and lets SES and SNS use it', () => {
    const mail = stack.mail as Mail;
    const resources = template.toJSON().Resources;
    expect(resources[idOf(stack, mail.feedbackTopic)].Properties.KmsMasterKeyId).toEqual(keyRef());
    expect(resources[idOf(stack, mail.feedbackDeadLetters)].Properties.KmsMasterKeyId).toEqual(keyRef());
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(Object.values(template.findResources('AWS::KMS::Key')).map((key) => key.Properties.Description)).not.toContain(
      'Encrypts the SES bounce and complaint notifications of the auth service',
    );
    const [stackKey] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = (stackKey?.Properties.KeyPolicy.Statement ?? []) as { Principal?: unknown }[];
    const services = statements.map((statement) => JSON.stringify(statement.Principal)).join();
    expect(services).toContain('ses.amazonaws.com');
    expect(services).toContain('sns.amazonaws.com');
    const feedbackKms = statementsOf(template, stack, stack.functions.get('mailFeedback') as AuthFunction)
      .filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(keyRef()))
      .flatMap((statement) => list(statement.Action));
    expect(feedbackKms).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']));
  });

  it('uses a given key by its ARN, creating none', () => {
    const arn = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const given = Template.fromStack(synth({ ...props, encryptionKey: arn }).stack);
    given.resourceCountIs('AWS::KMS::Key', 0);
    for (const table of Object.values(given.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.SSESpecification.KMSMasterKeyId).toBe(arn);
    }
    expect(() => synth({ ...props, encryptionKey: 'alias/not-an-arn' })).toThrow(/must be 'create' or a KMS key ARN/);
  });

  it('passes cdk-nag AwsSolutions', () => {
    const { findings, failure } = nagFindings((app) => new AuthStack(app, 'Auth', { ...props, encryptionKey: 'create' }));
    expect(findings).toEqual([]);
    expect(failure).toBeUndefined();
  });
});
