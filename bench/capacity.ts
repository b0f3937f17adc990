/**
 * The read and write units DynamoDB would bill for the calls an operation
 * made, from the items involved as they stand in the tables right after it:
 * a write takes one unit per KB of its item (rounded up), and one more per KB
 * on each index whose keys the item carries (every index projects all
 * attributes); a strongly consistent read one unit per 4 KB (half for an
 * eventually consistent one), a query one per 4 KB of what it read.
 * Sizes follow DynamoDB's rules: names and strings in UTF-8 bytes, numbers
 * about one byte per two digits, 3 bytes of overhead per map or list.
 */
import type { DynamoDb, Operation } from '../functions/core/infra/dynamodb.ts';
import { tables as tableDefinitions, type TableDefinition } from '../lib/tables.ts';

export interface RecordedCall {
  readonly command: Operation;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface Units {
  /** Read request units. */
  readonly read: number;
  /** Write request units, index writes included. */
  readonly write: number;
  /** Of `write`, those on indexes. */
  readonly indexWrite: number;
}

function sizeOf(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.e+-]/g, '').length / 2) + 1;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, v) => sum + 1 + sizeOf(v), 0);
  if (value instanceof Set) return [...value].reduce<number>((sum, v) => sum + sizeOf(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v), 0);
}

/** An item's size in bytes (no map overhead at the top level). */
export const itemSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v), 0);

const definitionOf = (tableName: string): TableDefinition | undefined =>
  Object.values(tableDefinitions).find((t) => tableName.endsWith(t.id) || tableName.toLowerCase().includes(t.id.toLowerCase()));

/** One unit per KB on the table and on each index whose keys the item has. */
function writeUnits(tableName: string, item: Record<string, unknown> | undefined): { write: number; indexWrite: number } {
  const kbs = Math.max(1, Math.ceil(itemSize(item ?? {}) / 1024));
  const indexes = (definitionOf(tableName)?.indexes ?? []).filter(
    (index) => item?.[index.partitionKey] !== undefined && (!index.sortKey || item?.[index.sortKey] !== undefined),
  );
  return { write: kbs * (1 + indexes.length), indexWrite: kbs * indexes.length };
}

const readUnits = (bytes: number, consistent: unknown) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** The units of `calls`, reading the items they touched through `side` (a client the counting does not see). */
export async function unitsOf(side: DynamoDb, calls: readonly RecordedCall[]): Promise<Units> {
  let read = 0;
  let write = 0;
  let indexWrite = 0;
  const current = async (TableName: string, Key: Record<string, unknown>) =>
    (await side.get({ TableName, Key, ConsistentRead: true })).Item;
  for (const { command, input } of calls) {
    const table = String(input.TableName ?? '');
    if (command === 'GetItem') {
      read += readUnits(itemSize((await current(table, input.Key as Record<string, unknown>)) ?? {}), input.ConsistentRead);
    } else if (command === 'Query') {
      const out = await side.query({ ...(input as object), ConsistentRead: !input.IndexName } as never);
      read += readUnits(
        (out.Items ?? []).reduce((sum, item) => sum + itemSize(item), 0),
        input.ConsistentRead,
      );
    } else if (command === 'PutItem') {
      const units = writeUnits(table, input.Item as Record<string, unknown>);
      write += units.write;
      indexWrite += units.indexWrite;
    } else if (command === 'UpdateItem' || command === 'DeleteItem') {
      const units = writeUnits(table, await current(table, input.Key as Record<string, unknown>));
      write += units.write;
      indexWrite += units.indexWrite;
    }
  }
  return { read, write, indexWrite };
}
