/**
 * The local DynamoDB engine and the tables of `lib/tables.ts`: dynalite,
 * embedded, or any DynamoDB-compatible engine already running at
 * `LOCAL_DYNAMODB_ENDPOINT` (shared: each start gets tables of its own).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableList, type TableDefinition } from '../lib/tables.ts';

export interface LocalDynamo {
  readonly endpoint: string;
  /** Put before the table prefix: empty for an engine of our own, unique on a shared one. */
  readonly tablePrefix: string;
  close(): Promise<void>;
}

export interface DynamoOptions {
  /** On disk under this folder (kept between runs); always dynalite. */
  readonly path?: string;
  readonly port?: number;
  /** A running engine to share; `LOCAL_DYNAMODB_ENDPOINT` by default. Ignored with `path`. */
  readonly endpoint?: string;
}

const localClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

let sharedStarts = 0;

async function listTables(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const out = await client.send(new ListTablesCommand(start ? { ExclusiveStartTableName: start } : {}));
    names.push(...(out.TableNames ?? []));
    start = out.LastEvaluatedTableName;
  } while (start);
  return names;
}

/**
 * The engine for one local environment. In memory, it is the engine at
 * `endpoint` (or `LOCAL_DYNAMODB_ENDPOINT`) when one is named: the tables get
 * a prefix no other start uses, and `close` deletes them. Otherwise dynalite,
 * started here.
 */
export async function startDynamo(options: DynamoOptions = {}): Promise<LocalDynamo> {
  const shared = options.path ? undefined : (options.endpoint ?? process.env.LOCAL_DYNAMODB_ENDPOINT);
  if (!shared) return startDynalite(options);
  const tablePrefix = `t${process.pid}-${++sharedStarts}-${randomBytes(3).toString('hex')}-`;
  return {
    endpoint: shared,
    tablePrefix,
    async close() {
      const client = localClient(shared);
      try {
        for (const name of await listTables(client)) {
          if (!name.startsWith(tablePrefix)) continue;
          try {
            await client.send(new DeleteTableCommand({ TableName: name }));
          } catch (error) {
            if (!(error instanceof ResourceNotFoundException)) throw error;
          }
        }
      } finally {
        client.destroy();
      }
    },
  };
}

/** Starts dynalite: on disk under `path` when given (kept between runs), in memory otherwise. */
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    tablePrefix: '',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const localTableName = (prefix: string, table: TableDefinition): string => `${prefix}${table.id}`;

function createTableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  const attributes = new Set<string>([table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])]);
  for (const index of table.indexes ?? []) {
    attributes.add(index.partitionKey);
    if (index.sortKey) attributes.add(index.sortKey);
  }
  const keySchema = (pk: string, sk?: string) => [
    { AttributeName: pk, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.indexes?.length
      ? {
          GlobalSecondaryIndexes: table.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' },
          })),
        }
      : {}),
  };
}

/**
 * Creates every table that does not exist yet and returns the env vars that
 * name them. TTL is not configured: dynalite has no `UpdateTimeToLive` (the
 * stack sets it in AWS).
 */
export async function ensureTables(endpoint: string, prefix: string): Promise<Record<string, string>> {
  const client = localClient(endpoint);
  const existing = new Set(await listTables(client));
  const env: Record<string, string> = {};
  for (const table of tableList) {
    const name = localTableName(prefix, table);
    if (!existing.has(name)) await client.send(new CreateTableCommand(createTableInput(name, table)));
    env[table.envVar] = name;
  }
  client.destroy();
  return env;
}
