/**
 * The DynamoDB client on a real engine (dynalite), and on the wire through a
 * proxy that answers as DynamoDB does when it throttles, fails or stalls.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, tableNamesFromEnv, unlessConditionFails, type TableNames } from '../../functions/core/infra/db.ts';
import { DynamoDb, type DbCall } from '../../functions/core/infra/dynamodb.ts';
import { awsEndpoint } from '../../functions/core/infra/dynamodb-transport.ts';
import { ensureTables, startDynamo, type LocalDynamo } from '../../local/dynamo.ts';
import { awsError, rawAnswer, startDynamoProxy, type DynamoProxy, type ProxyAnswer } from '../fixtures/dynamo-proxy.ts';
import { toApiError } from '../../functions/core/http/errors.ts';
import { isThrottle, isTransient } from '../../functions/core/infra/transient.ts';

let dynamo: LocalDynamo;
let tables: TableNames;
let db: DynamoDb;
beforeAll(async () => {
  dynamo = await startDynamo();
  tables = tableNamesFromEnv(await ensureTables(dynamo.endpoint, `${dynamo.tablePrefix}client-`));
  db = createDb({ endpoint: dynamo.endpoint });
});
afterAll(async () => {
  db.destroy();
  await dynamo.close();
});

const key = (id: string) => ({ pk: `USER#${id}`, sk: 'SESSION#s1' });

describe('calls on a real engine', () => {
  it('writes and reads back an item of every value kind, in plain values', async () => {
    const item = {
      ...key('kinds'),
      text: 'héllo ✓',
      count: 42,
      ratio: 0.5,
      yes: true,
      nothing: null,
      list: [1, 'two', { three: 3 }],
      map: { nested: { deep: ['x'] } },
      names: new Set(['a', 'b']),
    };
    await db.put({ TableName: tables.sessions, Item: { ...item, dropped: undefined } });

    expect((await db.get({ TableName: tables.sessions, Key: key('kinds'), ConsistentRead: true })).Item).toEqual(item);
  });

  it('answers an update’s new values and a delete’s old ones, and nothing for a missing item', async () => {
    await db.put({ TableName: tables.sessions, Item: { ...key('upd'), generation: 1 } });

    const updated = await db.update({
      TableName: tables.sessions,
      Key: key('upd'),
      UpdateExpression: 'SET generation = generation + :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    const deleted = await db.delete({ TableName: tables.sessions, Key: key('upd'), ReturnValues: 'ALL_OLD' });

    expect(updated.Attributes).toEqual({ ...key('upd'), generation: 2 });
    expect(deleted.Attributes).toEqual({ ...key('upd'), generation: 2 });
    expect(await db.get({ TableName: tables.sessions, Key: key('upd'), ConsistentRead: true })).toEqual({});
  });

  it('queries page by page, each page’s last key starting the next', async () => {
    for (let i = 0; i < 5; i++) await db.put({ TableName: tables.sessions, Item: { pk: 'USER#q', sk: `SESSION#${i}` } });
    const query = { TableName: tables.sessions, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'USER#q' } };

    const first = await db.query({ ...query, Limit: 3 });
    const second = await db.query({ ...query, Limit: 3, ExclusiveStartKey: first.LastEvaluatedKey });

    expect(first.Items.map((item) => item.sk)).toEqual(['SESSION#0', 'SESSION#1', 'SESSION#2']);
    expect(first.Count).toBe(3);
    expect(first.LastEvaluatedKey).toEqual({ pk: 'USER#q', sk: 'SESSION#2' });
    expect(second.Items.map((item) => item.sk)).toEqual(['SESSION#3', 'SESSION#4']);
    expect(second.LastEvaluatedKey).toBeUndefined();
    expect(await db.query({ ...query, Select: 'COUNT' })).toMatchObject({ Count: 5 });
  });

  it('names a failed condition as DynamoDB does, and changes nothing', async () => {
    await db.put({ TableName: tables.sessions, Item: { ...key('cond'), generation: 1 } });
    const write = () =>
      db.update({
        TableName: tables.sessions,
        Key: key('cond'),
        UpdateExpression: 'SET generation = :two',
        ConditionExpression: 'generation = :zero',
        ExpressionAttributeValues: { ':two': 2, ':zero': 0 },
      });

    await expect(write()).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    expect(await unlessConditionFails(write())).toBeNull();
    expect((await db.get({ TableName: tables.sessions, Key: key('cond'), ConsistentRead: true })).Item?.generation).toBe(1);
  });

  it('refuses an invalid request without retrying it', async () => {
    await expect(db.get({ TableName: tables.sessions, Key: { pk: 'USER#only-half' } })).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
  });
});

describe('hooks', () => {
  afterEach(() => {
    db.removeHook('outer');
    db.removeHook('inner');
  });

  it('see each call’s operation and plain input, outermost first, and can refuse it before it is sent', async () => {
    const seen: string[] = [];
    let input: DbCall['input'] | undefined;
    db.addHook('outer', async (call, next) => {
      seen.push(`outer ${call.operation}`);
      input = call.input;
      return next();
    });
    db.addHook('inner', async (call, next) => {
      seen.push(`inner ${call.operation}`);
      if (call.operation === 'PutItem') throw Object.assign(new Error('refused'), { name: 'AccessDeniedException' });
      return next();
    });

    await db.get({ TableName: tables.sessions, Key: key('hooked') });
    await expect(db.put({ TableName: tables.sessions, Item: key('hooked') })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    db.removeHook('inner');
    await db.get({ TableName: tables.sessions, Key: key('hooked') });

    expect(seen).toEqual(['outer GetItem', 'inner GetItem', 'outer PutItem', 'inner PutItem', 'outer GetItem']);
    expect(input).toEqual({ TableName: tables.sessions, Key: key('hooked') });
    expect((await db.get({ TableName: tables.sessions, Key: key('hooked'), ConsistentRead: true })).Item).toBeUndefined();
  });
});

describe('on the wire', () => {
  let proxy: DynamoProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  /** A client through a proxy that answers the nth request with `answers[n]`, and passes the rest to dynalite. */
  async function through(answers: ProxyAnswer[], options: { requestTimeoutMs?: number; onThrottle?: () => void } = {}) {
    proxy = await startDynamoProxy(dynamo.endpoint, (n) => answers[n] ?? 'pass');
    return new DynamoDb({ region: 'us-east-1', endpoint: proxy.url, ...options });
  }
  const throttle = awsError(400, 'ThrottlingException', 'Rate exceeded');
  const getItem = (client: DynamoDb) => client.get({ TableName: tables.sessions, Key: key('wire'), ConsistentRead: true });

  it('retries a throttle and a 500, telling of each throttle, and then answers', async () => {
    let throttles = 0;
    await db.put({ TableName: tables.sessions, Item: { ...key('wire'), ok: true } });
    const client = await through([throttle, awsError(500, 'InternalServerError')], { onThrottle: () => throttles++ });

    const out = await getItem(client);

    expect(out.Item).toEqual({ ...key('wire'), ok: true });
    expect(proxy?.received).toEqual(['GetItem', 'GetItem', 'GetItem']);
    expect(throttles).toBe(1);
  });

  it('gives up after three attempts with the last error, its attempts and delay in its metadata', async () => {
    const client = await through([throttle, throttle, throttle, 'pass']);

    await expect(getItem(client)).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400, attempts: 3, totalRetryDelay: expect.any(Number) },
    });
    expect(proxy?.received).toHaveLength(3);
  });

  it('times out an attempt that gets no answer, and retries it', async () => {
    const client = await through(['hang', 'pass'], { requestTimeoutMs: 200 });
    await db.put({ TableName: tables.sessions, Item: key('wire') });

    expect((await getItem(client)).Item).toEqual(key('wire'));
    expect(proxy?.received).toHaveLength(2);
  });

  it('fails as a timeout when no attempt is answered', async () => {
    const client = await through(['hang', 'hang', 'hang'], { requestTimeoutMs: 100 });

    await expect(getItem(client)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(proxy?.received).toHaveLength(3);
  });

  it('retries a proxy’s HTML 502 and an edge’s plain-text 504, and then answers', async () => {
    await db.put({ TableName: tables.sessions, Item: key('wire') });
    const client = await through([
      rawAnswer(502, '<html><body>502 Bad Gateway</body></html>'),
      rawAnswer(504, 'upstream request timeout', { 'content-type': 'text/plain' }),
    ]);

    expect((await getItem(client)).Item).toEqual(key('wire'));
    expect(proxy?.received).toHaveLength(3);
  });

  it('fails a run of HTML 502s by their status: transient, which the API answers 503', async () => {
    const page = rawAnswer(502, '<html>Bad Gateway</html>');
    const client = await through([page, page, page]);

    const error = await getItem(client).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'Http502', $fault: 'server', $metadata: { httpStatusCode: 502, attempts: 3 } });
    expect(isTransient(error)).toBe(true);
    expect(toApiError(error).status).toBe(503);
  });

  it('refuses a 200 whose body is not JSON, without retrying it', async () => {
    const client = await through([rawAnswer(200, '<html>captive portal</html>')]);

    await expect(getItem(client)).rejects.toMatchObject({ name: 'DeserializationError', $metadata: { httpStatusCode: 200 } });
    expect(proxy?.received).toHaveLength(1);
  });

  it('reads an error type named only in the x-amzn-errortype header, and a 429, as throttles', async () => {
    let throttles = 0;
    await db.put({ TableName: tables.sessions, Item: key('wire') });
    const client = await through(
      [rawAnswer(400, '', { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/' }), rawAnswer(429, '')],
      { onThrottle: () => throttles++ },
    );

    expect((await getItem(client)).Item).toEqual(key('wire'));
    expect(proxy?.received).toHaveLength(3);
    expect(throttles).toBe(2);
  });

  it('reads a failed condition whose type carries a suffix, and does not retry it', async () => {
    const client = await through([awsError(400, 'ConditionalCheckFailedException:http://internal.amazon.com/coral/')]);

    expect(await unlessConditionFails(client.put({ TableName: tables.sessions, Item: key('suffix') }))).toBeNull();
    expect(proxy?.received).toHaveLength(1);
  });

  it('fails with the network’s error when nothing listens', async () => {
    const client = new DynamoDb({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });

    await expect(getItem(client)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('the endpoint in AWS', () => {
  it.each([
    ['a commercial region', 'eu-west-1', {}, 'https://dynamodb.eu-west-1.amazonaws.com'],
    ['FIPS asked for', 'us-east-1', { AWS_USE_FIPS_ENDPOINT: 'true' }, 'https://dynamodb-fips.us-east-1.amazonaws.com'],
    [
      'FIPS in GovCloud, where the regional endpoint is the FIPS one',
      'us-gov-west-1',
      { AWS_USE_FIPS_ENDPOINT: 'true' },
      'https://dynamodb.us-gov-west-1.amazonaws.com',
    ],
    ['FIPS turned off', 'us-east-1', { AWS_USE_FIPS_ENDPOINT: 'false' }, 'https://dynamodb.us-east-1.amazonaws.com'],
    ['a China region', 'cn-north-1', {}, 'https://dynamodb.cn-north-1.amazonaws.com.cn'],
    ['the European Sovereign Cloud', 'eusc-de-east-1', {}, 'https://dynamodb.eusc-de-east-1.amazonaws.eu'],
    ['an ISO region', 'us-iso-east-1', {}, 'https://dynamodb.us-iso-east-1.c2s.ic.gov'],
    ['an ISO-B region', 'us-isob-east-1', {}, 'https://dynamodb.us-isob-east-1.sc2s.sgov.gov'],
    [
      'an endpoint named for DynamoDB',
      'eu-west-1',
      { AWS_ENDPOINT_URL_DYNAMODB: 'https://vpce-1.dynamodb.eu-west-1.vpce.amazonaws.com', AWS_ENDPOINT_URL: 'https://other.example' },
      'https://vpce-1.dynamodb.eu-west-1.vpce.amazonaws.com',
    ],
    ['an endpoint named for every service', 'eu-west-1', { AWS_ENDPOINT_URL: 'https://proxy.example' }, 'https://proxy.example'],
  ])('is the one the SDK gives for %s', (_, region, env, expected) => {
    expect(awsEndpoint(region, env)).toBe(expected);
  });
});

describe('what a retry can cure', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  const answered = (name: string, status: number, message = name) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it.each([
    ['a temporary DNS failure', withCode('EAI_AGAIN')],
    ['an unreachable host', withCode('EHOSTUNREACH')],
    ['an unreachable network', withCode('ENETUNREACH')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a 429', answered('Http429', 429)],
    [
      'a signature that expired on the way',
      answered('InvalidSignatureException', 400, 'Signature expired: 20261204T100000Z is now earlier than 20261204T100500Z'),
    ],
    ['a 503', answered('Http503', 503)],
  ])('includes %s', (_, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a failed condition', answered('ConditionalCheckFailedException', 400)],
    ['a validation error', answered('ValidationException', 400)],
    ['a signature that is wrong', answered('InvalidSignatureException', 400, 'The request signature we calculated does not match')],
    ['access denied', answered('AccessDeniedException', 400)],
    ['a value that is not an error', 'ECONNRESET'],
  ])('excludes %s', (_, error) => {
    expect(isTransient(error)).toBe(false);
  });

  it('counts a 429 as a throttle, and a 400 that is not one as none', () => {
    expect(isThrottle(answered('Http429', 429))).toBe(true);
    expect(isThrottle(answered('ValidationException', 400))).toBe(false);
  });
});
