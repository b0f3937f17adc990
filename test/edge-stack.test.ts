/**
 * The stack's optional edge and cold-start settings, as the template says
 * them: none of them by default; with every option, the API's own domain
 * (execute-api off, tokens issued by it), CloudFront with a WAF web ACL and
 * the origin secret, an authorizer cache keyed on what the authorizer reads,
 * and provisioned concurrency that API Gateway actually calls.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { operations, routeKey } from '../functions/routes.ts';
import { ORIGIN_VERIFY_HEADER as FUNCTIONS_ORIGIN_HEADER } from '../functions/core/http/edge.ts';
import { type AuthFunction, projectRoot } from '../lib/auth-function.ts';
import { AuthStack, type AuthStackProps } from '../lib/auth-stack.ts';
import { ORIGIN_VERIFY_HEADER } from '../lib/edge.ts';
import { cdkApp, cdkContext } from './fixtures/cdk-app.ts';
import { nagFindings } from './fixtures/nag.ts';

const domain = { domainName: 'auth.example.com', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' };
const everything: AuthStackProps = {
  env: { region: 'us-east-1' },
  mailFrom: 'no-reply@auth.example.com',
  ...domain,
  cloudFront: {},
  authorizerCacheTtl: 60,
  provisionedConcurrency: { authorizer: 2, login: 1, refresh: 2 },
};

/** A stack that sends mail must name its sender. */
const withSender = (props: AuthStackProps): AuthStackProps => ({ mailFrom: 'no-reply@auth.example.com', ...props });
const synth = (props: AuthStackProps): AuthStack => new AuthStack(cdkApp(), 'Auth', withSender(props));
const idOf = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const httpFunctionKeys = [...operations.map((operation) => operation.operationId), 'authorizer', 'fallback'];
const SENSITIVE_ROUTES = ['POST /auth/login', 'POST /auth/password/forgot', 'POST /auth/password/reset'];

/** Managed policies of CloudFront, by the ids AWS documents. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_AND_CLOUDFRONT_HEADERS = '33f36d7e-f396-46d9-90e0-52428a34d9dc';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function variablesOf(template: Template, stack: AuthStack, key: string): Record<string, unknown> {
  const fn = stack.functions.get(key) as AuthFunction;
  return template.toJSON().Resources[idOf(stack, fn.lambda)].Properties.Environment.Variables;
}

describe('by default', () => {
  const stack = synth({});
  const template = Template.fromStack(stack);

  it('has no domain, CloudFront, web ACL, origin secret, alias or authorizer cache', () => {
    for (const type of [
      'AWS::ApiGatewayV2::DomainName',
      'AWS::ApiGatewayV2::ApiMapping',
      'AWS::CloudFront::Distribution',
      'AWS::WAFv2::WebACL',
      'AWS::S3::Bucket',
      'AWS::Lambda::Alias',
      'AWS::Lambda::Version',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::SecretsManager::Secret', 3); // the key parts only
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: Match.absent() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0, IdentitySource: [] });
    for (const key of httpFunctionKeys) {
      expect(variablesOf(template, stack, key)).not.toHaveProperty('ORIGIN_VERIFY_SECRET_ARN');
      expect(variablesOf(template, stack, key)).not.toHaveProperty('AUTHORIZER_CACHE_TTL');
    }
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('DnsRecordTarget');
  });
});

describe('with a domain, CloudFront, the authorizer cache and provisioned concurrency', () => {
  let stack: AuthStack;
  let template: Template;
  let resources: Record<string, any>;
  beforeAll(() => {
    stack = synth(everything);
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });
  const only = (type: string): { id: string; properties: any } => {
    const found = Object.entries(template.findResources(type));
    expect(found, type).toHaveLength(1);
    return { id: found[0]?.[0] as string, properties: found[0]?.[1].Properties };
  };

  it('serves the API at its own regional domain, mapped to the $default stage, and turns the execute-api endpoint off', () => {
    const apiDomain = only('AWS::ApiGatewayV2::DomainName');
    expect(apiDomain.properties).toEqual({
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [{ CertificateArn: domain.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    expect(only('AWS::ApiGatewayV2::ApiMapping').properties).toEqual({
      ApiId: { Ref: idOf(stack, stack.httpApi) },
      DomainName: { Ref: apiDomain.id },
      Stage: '$default',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
  });

  it('issues every token as https://<domain> and names the domain in its outputs', () => {
    for (const key of httpFunctionKeys) expect(variablesOf(template, stack, key).ISSUER, key).toBe('https://auth.example.com');
    template.hasOutput('ApiUrl', { Value: 'https://auth.example.com' });
    template.hasOutput('JwksUrl', { Value: 'https://auth.example.com/.well-known/jwks.json' });
    template.hasOutput('DomainUrl', { Value: { 'Fn::Join': ['', ['https://', { Ref: only('AWS::ApiGatewayV2::DomainName').id }]] } });
    // The domain's DNS record points at CloudFront, which reaches the API through the API's domain.
    const distributionId = only('AWS::CloudFront::Distribution').id;
    template.hasOutput('DnsRecordTarget', { Value: { 'Fn::GetAtt': [distributionId, 'DomainName'] } });
    template.hasOutput('DnsRecordHostedZoneId', { Value: 'Z2FDTNDATAQYW2' });
  });

  it('puts CloudFront in front: HTTPS only, TLS 1.2 at least, nothing cached, every method, the viewer headers forwarded, logs kept', () => {
    const { properties } = only('AWS::CloudFront::Distribution');
    const config = properties.DistributionConfig;
    expect(config.Aliases).toEqual(['auth.example.com']);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: domain.certificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      // The API's domain finds its mapping by the viewer's Host; CloudFront-Viewer-Address comes along.
      OriginRequestPolicyId: ALL_VIEWER_AND_CLOUDFRONT_HEADERS,
    });
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]).toMatchObject({
      DomainName: { 'Fn::GetAtt': [only('AWS::ApiGatewayV2::DomainName').id, 'RegionalDomainName'] },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    expect(config.Logging).toMatchObject({ Bucket: { 'Fn::GetAtt': [only('AWS::S3::Bucket').id, 'RegionalDomainName'] } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  it('adds the origin secret to every origin request by reference, from a secret generated at deployment', () => {
    const secret = stack.edge.originSecret;
    expect(secret).toBeDefined();
    const secretId = idOf(stack, secret as IConstruct);
    expect(resources[secretId].Properties.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, PasswordLength: 64 });
    expect(resources[secretId].Properties.SecretString).toBeUndefined();
    const [origin] = only('AWS::CloudFront::Distribution').properties.DistributionConfig.Origins;
    expect(origin.OriginCustomHeaders).toEqual([
      {
        HeaderName: 'X-Origin-Verify',
        HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] },
      },
    ]);
  });

  it('names the header the functions check (API Gateway hands them header names lower-cased)', () => {
    expect(ORIGIN_VERIFY_HEADER.toLowerCase()).toBe(FUNCTIONS_ORIGIN_HEADER);
  });

  it('lets every HTTP function read the origin secret, and no other secret-reading grant appears', () => {
    const secretId = idOf(stack, stack.edge.originSecret as IConstruct);
    for (const key of httpFunctionKeys) {
      expect(variablesOf(template, stack, key).ORIGIN_VERIFY_SECRET_ARN, key).toEqual({ Ref: secretId });
    }
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(`"Ref":"${secretId}"`),
    );
    expect(readers).toHaveLength(httpFunctionKeys.length);
    for (const policy of readers) {
      // cdk.json's flags merge statements with the same actions: the secret may share one with the key parts.
      const statements = (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter((statement) =>
        [statement.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify({ Ref: secretId })),
      );
      expect(statements.map((statement) => statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
    }
    expect(variablesOf(template, stack, 'keyManager')).not.toHaveProperty('ORIGIN_VERIFY_SECRET_ARN');
    // SNS calls the mail feedback, never API Gateway.
    expect(variablesOf(template, stack, 'mailFeedback')).not.toHaveProperty('ORIGIN_VERIFY_SECRET_ARN');
  });

  it('guards CloudFront with a web ACL: a per-IP rate rule on login, forgot and reset answered 429, and AWS managed rules', () => {
    const webAcl = only('AWS::WAFv2::WebACL');
    expect(only('AWS::CloudFront::Distribution').properties.DistributionConfig.WebACLId).toEqual({ 'Fn::GetAtt': [webAcl.id, 'Arn'] });
    const { Scope, DefaultAction, Rules, CustomResponseBodies } = webAcl.properties;
    expect({ Scope, DefaultAction }).toEqual({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect(Rules.map((rule: { Name: string }) => rule.Name)).toEqual([
      'SensitiveRoutesPerIp',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);

    const [rate, common, badInputs] = Rules;
    expect(rate.Statement.RateBasedStatement).toMatchObject({ Limit: 100, EvaluationWindowSec: 300, AggregateKeyType: 'IP' });
    // The scope-down names exactly the sensitive routes of the operation table, method and path.
    const routes = rate.Statement.RateBasedStatement.ScopeDownStatement.OrStatement.Statements.map(
      (route: { AndStatement: { Statements: { ByteMatchStatement: { SearchString: string; PositionalConstraint: string } }[] } }) => {
        const [method, path] = route.AndStatement.Statements.map((part) => part.ByteMatchStatement);
        expect([method?.PositionalConstraint, path?.PositionalConstraint]).toEqual(['EXACTLY', 'EXACTLY']);
        return `${method?.SearchString} ${path?.SearchString}`;
      },
    );
    expect(routes.sort()).toEqual(SENSITIVE_ROUTES);
    for (const key of SENSITIVE_ROUTES) expect(operations.map(routeKey)).toContain(key);
    expect(rate.Action.Block.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'rateLimited' });
    expect(JSON.parse(CustomResponseBodies.rateLimited.Content)).toEqual({ error: 'rate_limit_exceeded', message: 'Too many requests' });

    expect(common.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' });
    expect(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
    expect(badInputs.Statement.ManagedRuleGroupStatement).toEqual({ VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' });
  });

  it('caches authorizer decisions for the TTL, keyed on Authorization, the route and the origin secret', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerResultTtlInSeconds: 60,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey', '$request.header.X-Origin-Verify'],
    });
    expect(variablesOf(template, stack, 'authorizer').AUTHORIZER_CACHE_TTL).toBe('60');
    Annotations.fromStack(stack).hasWarning('/Auth/Authorizer', Match.stringLikeRegexp('Authorization: Bearer'));
  });

  it('keeps instances of the authorizer, login and refresh started, and API Gateway calls them through the alias', () => {
    const warm = { authorizer: 2, login: 1, refresh: 2 };
    template.resourceCountIs('AWS::Lambda::Alias', 3);
    for (const [key, instances] of Object.entries(warm)) {
      const fn = stack.functions.get(key) as AuthFunction;
      const aliasId = idOf(stack, fn.target);
      expect(resources[aliasId]).toMatchObject({
        Type: 'AWS::Lambda::Alias',
        Properties: {
          Name: 'live',
          FunctionName: { Ref: idOf(stack, fn.lambda) },
          ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: instances },
        },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { Ref: aliasId }, Principal: 'apigateway.amazonaws.com' });
    }
    const aliasOf = (key: string) => ({ Ref: idOf(stack, (stack.functions.get(key) as AuthFunction).target) });
    for (const key of ['POST /auth/login', 'POST /auth/refresh']) {
      const route = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: key } }))[0];
      const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref as string;
      expect(resources[integrationId].Properties.IntegrationUri, key).toEqual(aliasOf(key === 'POST /auth/login' ? 'login' : 'refresh'));
    }
    expect(JSON.stringify(only('AWS::ApiGatewayV2::Authorizer').properties.AuthorizerUri)).toContain(JSON.stringify(aliasOf('authorizer')));
    // Everything else is called as before, without an alias.
    expect(stack.functions.get('getMe')?.target).toBe(stack.functions.get('getMe')?.lambda);
  });

  it('is clean under cdk-nag, every finding fixed or acknowledged with a reason of its own', () => {
    const { findings, failure } = nagFindings((app) => new AuthStack(app, 'Auth', everything));
    expect(findings).toEqual([]);
    expect(failure).toBeUndefined();
    const acknowledged = (construct: IConstruct | undefined): Record<string, string> =>
      Object.assign(
        {},
        ...(construct?.node.metadata ?? []).filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data),
      );
    expect(Object.keys(acknowledged(stack.edge.distribution))).toEqual(['Annotation::AwsSolutions-CFR1']);
    expect(Object.keys(acknowledged(stack.edge.originSecret))).toEqual(['Annotation::AwsSolutions-SMG4']);
    for (const reason of [
      ...Object.values(acknowledged(stack.edge.distribution)),
      ...Object.values(acknowledged(stack.edge.originSecret)),
    ]) {
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});

describe('each option on its own', () => {
  it('a domain alone: the DNS record targets the regional domain name', () => {
    const stack = synth(domain);
    const template = Template.fromStack(stack);
    const [domainId] = Object.keys(template.findResources('AWS::ApiGatewayV2::DomainName'));
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    template.hasOutput('DnsRecordTarget', { Value: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } });
    template.hasOutput('DnsRecordHostedZoneId', { Value: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] } });
    expect(variablesOf(template, stack, 'login').ISSUER).toBe('https://auth.example.com');
    expect(variablesOf(template, stack, 'login')).not.toHaveProperty('ORIGIN_VERIFY_SECRET_ARN');
    expect(nagFindings((app) => new AuthStack(app, 'Auth', withSender(domain))).findings).toEqual([]);
  });

  it('CloudFront alone: in front of the execute-api endpoint, issuing tokens at its own name', () => {
    const stack = synth({ env: { region: 'us-east-1' }, cloudFront: {} });
    const template = Template.fromStack(stack);
    const [distributionId] = Object.keys(template.findResources('AWS::CloudFront::Distribution'));
    const config = template.toJSON().Resources[distributionId as string].Properties.DistributionConfig;
    expect(config.Aliases).toBeUndefined();
    expect(config.DefaultCacheBehavior.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST_HEADER);
    expect(JSON.stringify(config.Origins[0].DomainName)).toContain(idOf(stack, stack.httpApi));
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: Match.absent() });
    const issuer = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] };
    expect(variablesOf(template, stack, 'login').ISSUER).toEqual(issuer);
    template.hasOutput('ApiUrl', { Value: issuer });
    // Uncached, the authorizer lists no identity source, the origin secret included.
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0, IdentitySource: [] });
    expect(nagFindings((app) => new AuthStack(app, 'Auth', withSender({ env: { region: 'us-east-1' }, cloudFront: {} }))).findings).toEqual(
      [],
    );
  });

  it('CloudFront with a web ACL of your own: no web ACL of the stack, in any region', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/0123abcd';
    const props = { ...domain, cloudFront: { webAclArn, certificateArn: domain.certificateArn } };
    const template = Template.fromStack(synth(props));
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: webAclArn }) });
    expect(nagFindings((app) => new AuthStack(app, 'Auth', withSender(props))).findings).toEqual([]);
  });

  it('the authorizer cache without CloudFront: keyed on Authorization and the route', () => {
    Template.fromStack(synth({ authorizerCacheTtl: 30 })).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerResultTtlInSeconds: 30,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
    });
  });

  it('untraced functions: no tracing and no X-Ray grant on them, active tracing on the rest, clean under cdk-nag', () => {
    const props = { untraced: ['authorizer', 'refresh'] };
    const stack = synth(props);
    const resources = Template.fromStack(stack).toJSON().Resources;
    const xrayActions = (key: string): string[] =>
      Object.values(resources as Record<string, any>)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            r.Properties.Roles.some((role: any) => role.Ref === idOf(stack, stack.functions.get(key)!.role)),
        )
        .flatMap((r) => r.Properties.PolicyDocument.Statement.flatMap((statement: any) => [statement.Action].flat()))
        .filter((action: string) => action.startsWith('xray:'));
    for (const key of httpFunctionKeys) {
      const tracing = resources[idOf(stack, stack.functions.get(key)!.lambda)].Properties.TracingConfig;
      if (props.untraced.includes(key)) {
        expect(tracing, key).toBeUndefined();
        expect(xrayActions(key), key).toEqual([]);
      } else {
        expect(tracing, key).toEqual({ Mode: 'Active' });
        expect(xrayActions(key).sort(), key).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
    expect(nagFindings((app) => new AuthStack(app, 'Auth', withSender(props))).findings).toEqual([]);
  });

  it('provisioned concurrency on any HTTP function by its key', () => {
    const stack = synth({ provisionedConcurrency: { getMe: 1 } });
    expect(stack.functions.get('getMe')?.target).not.toBe(stack.functions.get('getMe')?.lambda);
  });
});

describe('settings that cannot work are synth errors', () => {
  it.each<[string, AuthStackProps, RegExp]>([
    [
      'an ISSUER that disagrees with the domain',
      { ...domain, settings: { ISSUER: 'https://other.example.com' } },
      /ISSUER setting .* disagrees with domainName/,
    ],
    [
      'an ISSUER behind CloudFront without a domain',
      { env: { region: 'us-east-1' }, cloudFront: {}, settings: { ISSUER: 'https://a.example.com' } },
      /cannot be checked/,
    ],
    ['a domain without a certificate', { domainName: 'auth.example.com' }, /domainName and certificateArn go together/],
    ['a domain that is no host name', { ...domain, domainName: 'https://auth.example.com' }, /not a lower-case host name/],
    ['a certificate ARN that is none', { ...domain, certificateArn: 'abc' }, /not the ARN of an ACM certificate/],
    [
      'a certificate of another region than the stack',
      { ...domain, env: { region: 'eu-west-1' } },
      /must be in the stack's region, eu-west-1/,
    ],
    [
      'a web ACL to make in an environment-agnostic stack',
      { cloudFront: {} },
      /only be created in us-east-1, and this stack's region is not set/,
    ],
    [
      'a web ACL to make outside us-east-1',
      { env: { region: 'eu-west-1' }, cloudFront: {} },
      /us-east-1, and this stack's region is eu-west-1/,
    ],
    [
      'a CloudFront certificate outside us-east-1',
      { env: { region: 'us-east-1' }, ...domain, cloudFront: { certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc' } },
      /CloudFront takes certificates from us-east-1 only/,
    ],
    ['a WAF rate limit below what WAF accepts', { env: { region: 'us-east-1' }, cloudFront: { sensitiveRateLimit: 5 } }, /at least 10/],
    ['provisioned concurrency for no function', { provisionedConcurrency: { signIn: 1 } }, /names no function of the API: signIn/],
    ['provisioned concurrency of none', { provisionedConcurrency: { login: 0 } }, /positive integer/],
    ['an authorizer cache above API Gateway’s limit', { authorizerCacheTtl: 3601 }, /from 0 to 3600/],
    ['untraced naming no function', { untraced: ['authorizer', 'signIn'] }, /untraced names no function of the API: signIn/],
  ])('%s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('accepts an ISSUER that agrees with the domain', () => {
    const stack = synth({ ...domain, settings: { ISSUER: 'https://auth.example.com' } });
    expect(variablesOf(Template.fromStack(stack), stack, 'login').ISSUER).toBe('https://auth.example.com');
  });
});

describe('bin/app.ts', () => {
  /** Runs the CDK app as `cdk synth` does, with `context`, and returns the stack's template and the cloud assembly's manifest. */
  function synthApp(context: Record<string, string>): { template: any; manifest: string } {
    const outdir = mkdtempSync(join(tmpdir(), 'app-'));
    try {
      execFileSync(join(projectRoot, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
        cwd: projectRoot,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, ...context }) },
        stdio: 'pipe',
      });
      return {
        template: JSON.parse(readFileSync(join(outdir, 'ServerlessAuth.template.json'), 'utf8')),
        manifest: readFileSync(join(outdir, 'manifest.json'), 'utf8'),
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('synthesizes the README’s CloudFront command offline, in us-east-1 where its web ACL must live', () => {
    const { template, manifest } = synthApp({
      mailFrom: 'no-reply@auth.example.com',
      domainName: 'auth.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc',
      cloudFront: 'true',
      provisionedConcurrency: 'authorizer=2,login=1,refresh=2',
      authorizerCacheTtl: '60',
    });
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map((resource) => resource.Type);
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::WAFv2::WebACL',
      'AWS::ApiGatewayV2::DomainName',
      'AWS::ApiGatewayV2::ApiMapping',
    ]) {
      expect(types).toContain(type);
    }
    expect(types.filter((type) => type === 'AWS::Lambda::Alias')).toHaveLength(3);
    expect(manifest).toContain('aws://unknown-account/us-east-1');
  }, 120_000);

  it('leaves the functions -c untraced names untraced', () => {
    const { template } = synthApp({ mailFrom: 'no-reply@auth.example.com', untraced: 'authorizer, refresh' });
    const functions = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::Function');
    const summary = (id: string) => operations.find((operation) => operation.operationId === id)?.summary;
    const described = (description: string | undefined) => functions.find((r) => r.Properties.Description === description)?.Properties;
    for (const description of ['Lambda authorizer of the protected routes', summary('refresh')]) {
      expect(described(description), description).toBeDefined();
      expect(described(description)?.TracingConfig, description).toBeUndefined();
    }
    for (const id of ['login', 'getMe', 'logout']) expect(described(summary(id))?.TracingConfig, id).toEqual({ Mode: 'Active' });
  }, 120_000);

  it('refuses a provisionedConcurrency it cannot read', () => {
    expect(() => synthApp({ mailFrom: 'no-reply@auth.example.com', provisionedConcurrency: 'login:1' })).toThrow(
      /provisionedConcurrency must look like authorizer=2,login=1/,
    );
  }, 120_000);
});
