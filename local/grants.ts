/**
 * IAM in miniature: a function the local gateway invokes may send DynamoDB
 * only the actions its `needs` grant on each table, as its role allows in
 * AWS. Any other call fails as AWS fails it, `AccessDeniedException`, so a
 * grant that is missing shows in every local run and test instead of first
 * in AWS. Calls made outside a function (the seed, the admin CLI, test
 * fixtures) are not checked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TableNames } from '../functions/core/infra/db.ts';
import type { DynamoDb } from '../functions/core/infra/dynamodb.ts';
import type { FunctionDefinition, TableAction } from '../functions/routes.ts';
import type { TableName } from '../lib/tables.ts';

const running = new AsyncLocalStorage<FunctionDefinition>();

/** Runs `work` as the function `definition`: its DynamoDB calls, and those they lead to, are checked against its grants. */
export const runAs = <T>(definition: FunctionDefinition, work: () => Promise<T>): Promise<T> => running.run(definition, work);

/** The function whose code is running, when the gateway invoked one. */
export const runningFunction = (): FunctionDefinition | undefined => running.getStore();

/** Refuses, on `db`, every call of a running function that its grants do not allow. */
export function enforceGrants(db: DynamoDb, tables: TableNames): void {
  const shortNames = new Map(Object.entries(tables).map(([short, actual]) => [actual as string, short as TableName]));
  db.addHook('localGrants', async ({ operation, input }, next) => {
    const definition = running.getStore();
    if (definition) {
      const action: TableAction = operation;
      const tableName = String(input.TableName);
      const table = shortNames.get(tableName);
      const grant = table && definition.needs.tables?.[table];
      if (!grant?.includes(action)) {
        throw Object.assign(
          new Error(`${definition.handler} is not authorized to perform dynamodb:${action} on table ${table ?? tableName}`),
          {
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          },
        );
      }
    }
    return next();
  });
}
