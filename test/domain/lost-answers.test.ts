/**
 * A write whose answer is lost after DynamoDB applied it (a timeout on the
 * way back) is sent again by the client's retry, and then fails its own
 * condition (`attribute_not_exists`). These writes tell their own item from
 * another's, so the retry is not taken for a conflict: on the wire, through a
 * proxy that passes the first write on and never returns DynamoDB's answer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../functions/core/deps.ts';
import { DynamoDb } from '../../functions/core/infra/dynamodb.ts';
import { createApiToken, listApiTokens } from '../../functions/core/records/api-tokens.ts';
import { getSession, newSession, putSession } from '../../functions/core/records/sessions.ts';
import { createUser } from '../../functions/core/records/users.ts';
import { userIdNamedBy } from '../../functions/core/records/user-names.ts';
import { startDynamoProxy, type DynamoProxy } from '../fixtures/dynamo-proxy.ts';
import { startDomain, type DomainFixture } from '../fixtures/domain.ts';

let fx: DomainFixture;
let proxy: DynamoProxy | undefined;
beforeAll(async () => {
  fx = await startDomain();
});
afterAll(() => fx.close());
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** The domain's deps with a client whose first call of `operation` lands and whose answer is lost. */
async function losingFirst(operation: string): Promise<Deps> {
  let lost = false;
  proxy = await startDynamoProxy(fx.endpoint, (n) => {
    if (!lost && proxy?.received[n] === operation) {
      lost = true;
      return 'lose';
    }
    return 'pass';
  });
  return { ...fx.deps, db: new DynamoDb({ region: 'us-east-1', endpoint: proxy.url, requestTimeoutMs: 200 }) };
}

describe('a write retried after its answer was lost', () => {
  it('stores a new session once and reports it stored', async () => {
    const d = await losingFirst('PutItem');
    const owner = { id: 'lost-answer-user', tenantId: 'acme', role: 'CASHIER' as const };
    const { session } = await newSession(d, owner, { ip: '203.0.113.7', userAgent: 'vitest' });

    expect(await putSession(d, session)).toBe(true);
    expect(proxy?.received.filter((op) => op === 'PutItem')).toHaveLength(2);
    expect((await getSession(fx.deps, owner.id, session.sessionId))?.tokenHash).toBe(session.tokenHash);
  });

  it('creates a user whose name it claimed, not a conflict with itself', async () => {
    const d = await losingFirst('PutItem');

    const result = await createUser(d, {
      tenantId: 'acme',
      role: 'CASHIER',
      email: 'lost-answer@example.com',
      username: null,
      passwordHash: null,
      createdBy: null,
    });

    expect(result.kind).toBe('created');
    const created = result.kind === 'created' ? result.user : undefined;
    expect(await userIdNamedBy(fx.deps, { kind: 'email', value: 'lost-answer@example.com' })).toBe(created?.id);
  });

  it('creates an API token once and hands it out', async () => {
    const made = await createUser(fx.deps, {
      tenantId: 'acme',
      role: 'MANAGER',
      email: 'lost-answer-token-owner@example.com',
      username: null,
      passwordHash: null,
      createdBy: null,
    });
    if (made.kind !== 'created') throw new Error('owner not created');
    const owner = { userId: made.user.id, tenantId: 'acme' };
    const d = await losingFirst('PutItem');

    const issued = await createApiToken(d, owner, 'ci', '1mo');
    if (!issued) throw new Error('token refused');
    const { record, token } = issued;

    expect(token).toMatch(new RegExp(record.tokenId));
    expect((await listApiTokens(fx.deps, owner.userId)).map((stored) => stored.tokenId)).toEqual([record.tokenId]);
  });
});
