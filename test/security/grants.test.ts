/**
 * Least privilege, from the code's side: the local server lets each function
 * send DynamoDB only what its role may send in AWS (local/grants.ts), so a
 * missing grant fails here, not first in AWS.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deps } from '../../functions/core/deps.ts';
import type { FunctionDefinition } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { runAs } from '../../local/grants.ts';
import { startTestServer } from '../fixtures/local.ts';

let local: LocalEnvironment;
beforeAll(async () => {
  local = await startTestServer({ env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
});
afterAll(() => local.close());

describe('the local server, like IAM', () => {
  const reader: FunctionDefinition = { handler: 'reader', needs: { tables: { users: 'read' } } };
  const get = () => deps().db.send(new GetCommand({ TableName: deps().tables.users, Key: { pk: 'USER#nobody' } }));
  const put = (table: 'users' | 'sessions') =>
    deps().db.send(new PutCommand({ TableName: deps().tables[table], Item: { pk: 'GRANTS#probe', sk: 'probe' } }));

  it('refuses a running function a call its grants do not name, on its tables and on the others', async () => {
    await expect(runAs(reader, put.bind(null, 'users'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'reader is not authorized to perform dynamodb:PutItem on table users',
    });
    await expect(runAs(reader, put.bind(null, 'sessions'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('lets the calls its grants name through, and leaves calls made outside any function alone', async () => {
    await expect(runAs(reader, get)).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    await expect(put('sessions')).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
  });
});
