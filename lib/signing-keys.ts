/**
 * The signing keys in AWS: three Secrets Manager secrets, so that each
 * function reads only its part (functions/core/crypto/signing-keys.ts):
 * the whole set with its private keys (only the functions that sign access
 * tokens), the public keys (the JWKS and the verifiers), and the token
 * secret (the functions that derive or check refresh tokens, reset codes and
 * API-token hashes). The key-manager function fills them through a custom
 * resource when the stack is created, rotates them on a schedule, and
 * reports the signing key's age twice a day for the alarm that watches it.
 */
import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionNeeds } from '../functions/routes.ts';
import { AuthFunction } from './auth-function.ts';
import { keyManagerHandler } from './bundling.ts';
import { deadLetterQueue } from './dead-letters.ts';
import { grantKeyUse } from './encryption.ts';

export interface SigningKeySecretsProps {
  readonly logRetention: RetentionDays;
  readonly keyRotationDays: number;
  /** Passed on to the key manager, which keeps retired keys as long as their tokens live. */
  readonly accessTokenTtl: string | undefined;
  /** The stack's key, when it has one: the secrets are encrypted with it, so whoever reads or writes them uses it too. */
  readonly encryptionKey?: IKey;
}

type KeyPart = 'signingKeys' | 'publicKeys' | 'tokenSecret';

/** The environment variable through which a function learns each part's secret. */
const variableOf: Record<KeyPart, string> = {
  signingKeys: 'SIGNING_SECRET_ARN',
  publicKeys: 'PUBLIC_KEYS_SECRET_ARN',
  tokenSecret: 'TOKEN_SECRET_ARN',
};

export class SigningKeySecrets extends Construct {
  readonly secrets: Readonly<Record<KeyPart, Secret>>;
  readonly keyManager: AuthFunction;
  /** Rotation events that could not be delivered after their retries. */
  readonly rotationDeadLetters: Queue;
  /** Done once the secrets hold key material: functions that read them wait for it. */
  readonly material: CustomResource;
  readonly keyRotationDays: number;
  private readonly encryptionKey: IKey | undefined;

  constructor(scope: Construct, id: string, props: SigningKeySecretsProps) {
    super(scope, id);
    this.secrets = {
      // Retained when the stack is deleted: a stack deployed again keeps the keys, so refresh tokens,
      // API tokens and reset codes issued before stay valid, and nothing private is lost by accident.
      signingKeys: new Secret(scope, 'SigningKeys', {
        description: 'RS256 signing keys (private) and the token secret; written by the key manager, never by the template',
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      publicKeys: new Secret(scope, 'PublicKeys', {
        description: 'The public keys of the signing key set, for the JWKS and verifiers; written by the key manager',
      }),
      tokenSecret: new Secret(scope, 'TokenSecret', {
        description: 'The HMAC secret for refresh tokens, reset codes and API-token hashes; written by the key manager',
      }),
    };
    for (const secret of Object.values(this.secrets)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Signing keys rotate with overlap (a new key signs while the old ones stay in the JWKS until their tokens expire); the key manager does that, Secrets Manager rotation cannot.',
      });
    }
    this.keyRotationDays = props.keyRotationDays;
    this.encryptionKey = props.encryptionKey;
    this.rotationDeadLetters = deadLetterQueue(this, 'RotationDeadLetters', 'the key-rotation schedule and the key manager');
    this.keyManager = this.createKeyManager(props);
    this.material = this.createProvider(props.logRetention);
  }

  /** Grants `fn` read access to the parts its needs name, and tells it where they are. */
  grantTo(fn: AuthFunction, needs: FunctionNeeds): void {
    for (const part of ['signingKeys', 'publicKeys', 'tokenSecret'] as const) {
      if (!needs[part]) continue;
      const secret = this.secrets[part];
      fn.addEnvironment({ [variableOf[part]]: secret.secretArn });
      fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
      grantKeyUse(this.encryptionKey, fn.role, 'decrypt');
      // The secret holds key material only once the custom resource has run.
      fn.lambda.node.addDependency(this.material);
    }
  }

  private createKeyManager(props: SigningKeySecretsProps): AuthFunction {
    const keyManager = new AuthFunction(this, 'KeyManager', {
      handler: keyManagerHandler,
      description: 'Writes signing key material into its secrets when they hold none, and rotates it on a schedule',
      // RSA key generation takes a moment on a small function.
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      // A scheduled run that failed its retries (Lambda's own, for an asynchronous invocation) is kept, as an undelivered one is.
      deadLetterQueue: this.rotationDeadLetters,
    });
    keyManager.addEnvironment({
      ...Object.fromEntries(Object.entries(this.secrets).map(([part, secret]) => [variableOf[part as KeyPart], secret.secretArn])),
      ...(props.accessTokenTtl ? { ACCESS_TOKEN_TTL: props.accessTokenTtl } : {}),
    });
    keyManager.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: Object.values(this.secrets).map((secret) => secret.secretArn),
      }),
    );
    grantKeyUse(this.encryptionKey, keyManager.role, 'encryptDecrypt');
    const target = (action: 'rotate' | 'check') =>
      new LambdaFunction(keyManager.lambda, {
        event: RuleTargetInput.fromObject({ action }),
        retryAttempts: 4,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.rotationDeadLetters,
      });
    // On its schedule the same function rotates the keys (API.md: a new key signs, old ones stay until their tokens expire).
    new Rule(this, 'KeyRotationSchedule', {
      description: 'Rotates the signing keys',
      schedule: Schedule.rate(Duration.days(props.keyRotationDays)),
      targets: [target('rotate')],
    });
    // A rotation period is longer than any CloudWatch alarm can look back (7 days): instead, a check reports the
    // key's age twice a day, and an alarm fires when the key outlives its period or the checks stop.
    new Rule(this, 'KeyCheckSchedule', {
      description: "Reports the signing key's age",
      schedule: Schedule.rate(Duration.hours(12)),
      targets: [target('check')],
    });
    return keyManager;
  }

  /** The custom resource that runs the key manager when the stack is created, and whenever its properties change. */
  private createProvider(logRetention: RetentionDays): CustomResource {
    // The framework function gets a role and a log group of its own, so it
    // needs no managed policy and may write to no other log group.
    const frameworkLogs = new LogGroup(this, 'KeyProviderLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const frameworkRole = new Role(this, 'KeyProviderRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    frameworkLogs.grantWrite(frameworkRole);
    const provider = new Provider(this, 'KeyProvider', {
      onEventHandler: this.keyManager.lambda,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole,
    });
    // CDK picks the framework's runtime and architecture; its handler is plain
    // JavaScript that runs on the same runtime as ours.
    for (const child of provider.node.findAll()) {
      if (child instanceof CfnFunction) {
        child.runtime = 'nodejs24.x';
        child.architectures = ['arm64'];
        // CDK's default, said explicitly: the framework only relays an event and its answer.
        child.memorySize = 128;
        Validations.of(child).acknowledge({
          id: 'Serverless-LambdaDLQ',
          reason:
            "CDK's provider framework answers CloudFormation itself, failures included; an event it cannot answer fails the deployment, where it is seen, so a dead-letter queue would keep what nobody replays.",
        });
        Validations.of(child).acknowledge({
          id: 'Serverless-LambdaTracing',
          reason:
            "CDK's provider framework only relays the deploy-time event to the key manager, which is traced itself; tracing the relay would add X-Ray's wildcard grant to its role for no insight.",
        });
      }
    }
    const keyManagerId = Stack.of(this).resolve((this.keyManager.lambda.node.defaultChild as CfnFunction).logicalId) as string;
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${keyManagerId}.Arn>:*]`,
      reason:
        "CDK grants the provider framework lambda:InvokeFunction on the key manager and its versions (<arn>:*); the wildcard matches only that function's qualifiers.",
    });
    return new CustomResource(this, 'SigningKeyMaterial', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SigningKeyMaterial',
      properties: {
        SecretArn: this.secrets.signingKeys.secretArn,
        PublicKeysSecretArn: this.secrets.publicKeys.secretArn,
        TokenSecretArn: this.secrets.tokenSecret.secretArn,
      },
    });
  }
}
