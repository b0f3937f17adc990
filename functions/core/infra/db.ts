/** The DynamoDB document client and the table names, built once per container. */
import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { tables, type TableName } from '../../../lib/tables.ts';
import { metricNames } from './metric-names.ts';
import { count } from './metrics.ts';
import { RequestSigningHash } from './request-signing-hash.ts';

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
}

/** What DynamoDB answers when a table or the account is over its throughput. */
const THROTTLES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** The DynamoDB client's settings; the benchmarks build their stubbed client from the same. */
export function dynamoDbClientConfig(options: DbOptions = {}): DynamoDBClientConfig {
  const local = options.endpoint !== undefined;
  return {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(local ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: 3,
    // A stalled call must fail well inside the Lambda timeout (three tries of 2 s) so the caller gets a 503,
    // not a timeout; the SDK's request timeout only warns unless told to throw.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
    sha256: RequestSigningHash,
  };
}

export function createDocumentClient(options: DbOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(dynamoDbClientConfig(options));
  // Inside the SDK's retry (a low-priority finalize step): each throttled attempt counts, retries included,
  // so throttles that a retry cured still show.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && THROTTLES.has(error.name)) count(metricNames.dynamoDbThrottled);
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'countThrottles' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Every item a query matches, page after page. */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
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
    if (error instanceof ConditionalCheckFailedException) return null;
    throw error;
  }
}
