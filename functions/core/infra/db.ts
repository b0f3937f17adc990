/** The DynamoDB client and the table names, built once per container. */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { tables, type TableName } from '../../../lib/tables.ts';
import { DynamoDb, type Item } from './dynamodb.ts';
import type { Transport } from './dynamodb-transport.ts';
import { metricNames } from './metric-names.ts';
import { count } from './metrics.ts';

export type TableNames = Readonly<Record<TableName, string>>;

/** Table names from the environment; a missing one fails when first used, naming its variable. */
export function tableNamesFromEnv(env: Record<string, string | undefined> = process.env): TableNames {
  const names = {} as Record<TableName, string>;
  for (const [name, table] of Object.entries(tables) as [TableName, (typeof tables)[TableName]][]) {
    Object.defineProperty(names, name, {
      enumerable: true,
      get: () => {
        const value = env[table.envVar];
        if (!value) throw new Error(`${table.envVar} is not set`);
        return value;
      },
    });
  }
  return names;
}

export interface DbOptions {
  /** A local engine such as dynalite; unset in AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** The network, unless replaced by a stub in the CPU benchmark (never in a test). */
  readonly transport?: Transport;
}

export function createDb(options: DbOptions = {}): DynamoDb {
  return new DynamoDb({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    // Three tries of 2 s each: a stalled store fails well inside the Lambda timeout, as a 503.
    maxAttempts: 3,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    onThrottle: () => count(metricNames.dynamoDbThrottled),
  });
}

/** Every item a query matches, page after page. */
export async function queryAll(db: DynamoDb, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await db.query({ ...input, ExclusiveStartKey: start });
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * A conditional write's outcome as a value: what the write returned, or
 * `null` when its condition did not hold. Every other failure is thrown.
 */
export async function unlessConditionFails<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return null;
    throw error;
  }
}
