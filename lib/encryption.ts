/**
 * The stack's optional customer-managed KMS key. When there is one, it
 * encrypts what the stack keeps: the tables, the signing-key secrets, the log
 * groups, the queues and the topics. An aspect applies it to every such
 * resource in the stack, so a resource added later cannot be left out; the
 * functions that read or write the tables and secrets are granted the key's
 * use where their grants are made (`grantKeyUse`). Without it, each topic
 * gets a key of its own that the service publishing to it may use (`topicKey`).
 */
import { ArnFormat, Aspects, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnSecret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnTopic } from 'aws-cdk-lib/aws-sns';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';

/** `'create'`: a key of the stack's own; a key or a key's ARN: that key; `undefined`: AWS-managed keys, as by default. */
export type EncryptionKeyOption = IKey | 'create' | string | undefined;

/**
 * The key the stack encrypts with. A created key rotates yearly, is retained
 * when the stack is deleted (what it encrypted stays readable: retained
 * tables, backups, the signing-key secret), and lets the services that write
 * encrypted data for the stack use it: CloudWatch Logs for the log groups,
 * EventBridge for the rotation dead-letter queue, CloudWatch alarms and SES
 * for the topics. A given key's policy must allow the same (README, "Deploy").
 */
export function encryptionKeyOf(scope: Construct, option: EncryptionKeyOption): IKey | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'string') return option;
  if (option !== 'create') {
    if (!/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/.test(option))
      throw new Error(`Encryption key ${option} must be 'create' or a KMS key ARN`);
    return Key.fromKeyArn(scope, 'DataKey', option);
  }
  const stack = Stack.of(scope);
  const key = new Key(scope, 'DataKey', {
    description: `Encrypts the tables, secrets, logs, queues and topics of ${stack.stackName}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: ['events.amazonaws.com', 'cloudwatch.amazonaws.com', 'ses.amazonaws.com'].map((service) => new ServicePrincipal(service)),
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  return key;
}

/** Puts `key` on every table, secret, log group, queue and topic below `scope`. */
export function encryptEverythingWith(scope: Construct, key: IKey): void {
  Aspects.of(scope).add(new EncryptWith(key));
}

class EncryptWith implements IAspect {
  constructor(private readonly key: IKey) {}

  visit(node: IConstruct): void {
    const { keyArn } = this.key;
    if (node instanceof CfnTable) node.sseSpecification = { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: keyArn };
    else if (node instanceof CfnSecret || node instanceof CfnLogGroup) node.kmsKeyId = keyArn;
    else if (node instanceof CfnQueue) {
      node.kmsMasterKeyId = keyArn;
      node.sqsManagedSseEnabled = undefined;
    } else if (node instanceof CfnTopic) node.kmsMasterKeyId = keyArn;
  }
}

/**
 * Lets `grantee` use the key for what it reads (`decrypt`) or also writes
 * (`encryptDecrypt`: DynamoDB and Secrets Manager ask for a data key on a
 * write); nothing without a key. Named actions, no wildcards.
 */
export function grantKeyUse(key: IKey | undefined, grantee: IGrantable, use: 'decrypt' | 'encryptDecrypt'): void {
  if (!key) return;
  const read = ['kms:Decrypt', 'kms:DescribeKey'];
  key.grant(grantee, ...(use === 'decrypt' ? read : [...read, 'kms:Encrypt', 'kms:GenerateDataKey']));
}

/**
 * A key for one SNS topic, when the stack has none of its own: the services
 * that publish to an encrypted topic (CloudWatch alarms, SES) cannot use SNS's
 * AWS-managed key, only one whose policy lets `service` (under `conditions`)
 * use it. It rotates yearly and goes with the stack: a notification is read
 * once, when it is delivered.
 */
export function topicKey(
  scope: Construct,
  id: string,
  description: string,
  service: string,
  conditions?: Record<string, Record<string, unknown>>,
): Key {
  const key = new Key(scope, id, { description, enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(service)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      ...(conditions ? { conditions } : {}),
    }),
  );
  return key;
}
