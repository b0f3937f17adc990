/**
 * A DynamoDB table built from its plain definition in `tables.ts`, with the
 * defaults every table of this service shares.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { TableDefinition } from './tables.ts';

const stringKey = (name: string): Attribute => ({ name, type: AttributeType.STRING });

export class AuthTable extends Table {
  /** Environment variable through which handlers learn this table's name. */
  readonly envVar: string;
  /** ARNs of the table's global secondary indexes, for grants without a wildcard. */
  readonly indexArns: readonly string[];

  constructor(scope: Construct, definition: TableDefinition) {
    super(scope, definition.id, {
      partitionKey: stringKey(definition.partitionKey),
      sortKey: definition.sortKey === undefined ? undefined : stringKey(definition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      removalPolicy: definition.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // No table is deleted by accident, whatever its removal policy: deleting
      // one (or the stack) first takes turning this off on purpose.
      deletionProtection: true,
    });
    this.envVar = definition.envVar;
    for (const index of definition.indexes ?? []) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: stringKey(index.partitionKey),
        sortKey: index.sortKey === undefined ? undefined : stringKey(index.sortKey),
      });
    }
    this.indexArns = (definition.indexes ?? []).map((index) => `${this.tableArn}/index/${index.name}`);
  }
}
