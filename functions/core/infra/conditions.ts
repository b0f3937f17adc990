/**
 * Conditional writes that read like sentences: named parts of a DynamoDB
 * condition expression (`itemExists`, `is('generation', 3)`, …) composed
 * with `and` / `or`, and put, update and delete helpers that turn a failed
 * condition into `null` right there (`unlessConditionFails`).
 */
import type { DeleteCommandInput, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unlessConditionFails } from './db.ts';
import type { DynamoDb, Operations } from './dynamodb.ts';

export interface Condition {
  readonly expression: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Attribute names always go through `#name`, so reserved words (`role`, `status`) need no care. */
const compare =
  (operator: string, suffix: string) =>
  (attribute: string, value: unknown): Condition => ({
    expression: `#${attribute} ${operator} :${attribute}_${suffix}`,
    names: { [`#${attribute}`]: attribute },
    values: { [`:${attribute}_${suffix}`]: value },
  });

export const has = (attribute: string): Condition => ({
  expression: `attribute_exists(#${attribute})`,
  names: { [`#${attribute}`]: attribute },
  values: {},
});
export const lacks = (attribute: string): Condition => ({
  expression: `attribute_not_exists(#${attribute})`,
  names: { [`#${attribute}`]: attribute },
  values: {},
});
/** The attribute holds JSON `null`. */
export const isNull = (attribute: string): Condition => ({
  expression: `attribute_type(#${attribute}, :${attribute}_type)`,
  names: { [`#${attribute}`]: attribute },
  values: { [`:${attribute}_type`]: 'NULL' },
});
/** The item is there (every table's partition key is `pk`). */
export const itemExists = has('pk');
/** No item with this key yet. */
export const isNew = lacks('pk');

export const is = compare('=', 'eq');
export const below = compare('<', 'lt');
export const atMost = compare('<=', 'le');
export const above = compare('>', 'gt');
export const atLeast = compare('>=', 'ge');

function merge(into: Record<string, unknown>, from: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(from)) {
    if (key in into && into[key] !== value) throw new Error(`condition placeholder ${key} bound twice`);
    into[key] = value;
  }
}

function join(operator: 'AND' | 'OR', parts: readonly Condition[]): Condition {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const part of parts) {
    merge(names, part.names);
    merge(values, part.values);
  }
  const expression = parts.length === 1 ? parts[0]!.expression : parts.map((part) => `(${part.expression})`).join(` ${operator} `);
  return { expression, names, values };
}

export const and = (...parts: Condition[]): Condition => join('AND', parts);
export const or = (...parts: Condition[]): Condition => join('OR', parts);

type Conditioned<T> = Omit<T, 'ConditionExpression'>;

/** The command input with the condition's expression, and its names and values merged into the input's own. */
function withCondition<
  T extends { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
>(input: T, condition: Condition): T & { ConditionExpression: string } {
  const names: Record<string, string> = { ...input.ExpressionAttributeNames };
  const values: Record<string, unknown> = { ...input.ExpressionAttributeValues };
  merge(names, condition.names);
  merge(values, condition.values);
  return {
    ...input,
    ConditionExpression: condition.expression,
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** The write's answer, or `null` when its condition did not hold. */
export const updateIf = (
  db: DynamoDb,
  input: Conditioned<UpdateCommandInput>,
  condition: Condition,
): Promise<Operations['UpdateItem']['output'] | null> => unlessConditionFails(db.update(withCondition(input, condition)));

export const putIf = (
  db: DynamoDb,
  input: Conditioned<PutCommandInput>,
  condition: Condition,
): Promise<Operations['PutItem']['output'] | null> => unlessConditionFails(db.put(withCondition(input, condition)));

export const deleteIf = (
  db: DynamoDb,
  input: Conditioned<DeleteCommandInput>,
  condition: Condition,
): Promise<Operations['DeleteItem']['output'] | null> => unlessConditionFails(db.delete(withCondition(input, condition)));

/**
 * Puts an item that must be new; `false` when its key is taken. The client
 * sends a write again when its answer was lost, and the retry then fails its
 * own condition: an item found whose `sameWrite` attributes hold what this put
 * wrote is this very write, landed by the earlier attempt.
 */
export async function putNew(
  db: DynamoDb,
  input: Conditioned<PutCommandInput> & { readonly Item: Record<string, unknown> },
  sameWrite: readonly string[],
): Promise<boolean> {
  if ((await putIf(db, input, isNew)) !== null) return true;
  const { pk, sk } = input.Item;
  const key = sk === undefined ? { pk } : { pk, sk };
  const found = (await db.get({ TableName: input.TableName, Key: key, ConsistentRead: true })).Item;
  return found !== undefined && sameWrite.every((name) => found[name] === input.Item[name]);
}

/** For a write whose failed condition is a fault, not an outcome: the command with the condition in it. */
export const conditionInput = withCondition;
