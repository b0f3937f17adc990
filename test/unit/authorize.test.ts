import { describe, expect, it } from 'vitest';
import { credentialFrom, decisionFromContext, decisionToContext, type Decision } from '../../functions/core/flows/authorize.ts';
import { permissionsOf } from '../../functions/core/infra/permissions.ts';

describe('credentialFrom', () => {
  it('reads Authorization: Bearer, X-Access-Token and X-Auth-Token, in that order', () => {
    expect(credentialFrom({ authorization: 'Bearer a.b.c' })).toEqual({ kind: 'access_token', token: 'a.b.c' });
    expect(credentialFrom({ authorization: 'bearer   a.b.c ' })).toEqual({ kind: 'access_token', token: 'a.b.c' });
    expect(credentialFrom({ 'x-access-token': 'x.y.z' })).toEqual({ kind: 'access_token', token: 'x.y.z' });
    expect(credentialFrom({ 'x-auth-token': 'tok' })).toEqual({ kind: 'access_or_api_token', token: 'tok' });
    expect(credentialFrom({ authorization: 'Bearer first', 'x-auth-token': 'second' })?.token).toBe('first');
  });

  it('finds nothing in other schemes or empty headers: the request carries no credential', () => {
    expect(credentialFrom({})).toBeNull();
    expect(credentialFrom({ authorization: 'Basic dXNlcjpwdw==' })).toBeNull();
    expect(credentialFrom({ authorization: 'Bearer' })).toBeNull();
    expect(credentialFrom({ 'x-access-token': '   ' })).toBeNull();
  });

  it('finds an oversized value, which is a credential sent (and refused by its length), not a missing one', () => {
    expect(credentialFrom({ 'x-access-token': 'a'.repeat(20_000) })?.token).toHaveLength(20_000);
  });
});

describe('authorizer context', () => {
  const allow: Decision = {
    kind: 'allow',
    principal: {
      userId: 'u1',
      role: 'AGENT',
      tenantId: 't1',
      permissions: permissionsOf('AGENT'),
      sessionId: 's1',
      credential: 'access_token',
    },
  };

  const user = {
    id: 'u1',
    tenantId: 't1',
    role: 'AGENT' as const,
    email: 'a@example.com',
    username: null,
    status: 'active' as const,
    customerId: null,
    firstName: 'Ada',
    lastName: null,
    phone: null,
    createdAt: '2026-11-23T10:00:00.000Z',
    createdBy: null,
    lastLoginAt: null,
  };
  const allowWithUser: Decision = { kind: 'allow', principal: { ...allow.principal, user } };

  it.each<Decision>([
    allow,
    allowWithUser,
    { kind: 'forbidden', role: 'CUSTOMER' },
    { kind: 'unauthorized', reason: 'missing' },
    { kind: 'unauthorized', reason: 'expired' },
    { kind: 'unauthorized', reason: 'invalid' },
    { kind: 'unavailable' },
  ])('round-trips %j through flat string values', (decision) => {
    const context = decisionToContext(decision, true);
    expect(Object.values(context).every((v) => typeof v === 'string')).toBe(true);
    expect(decisionFromContext(context)).toEqual(decision);
  });

  it('passes the user object only when asked to: never to another team’s route', () => {
    expect(decisionToContext(allowWithUser)).not.toHaveProperty('user');
    expect(decisionFromContext(decisionToContext(allowWithUser))).toEqual(allow);
  });

  it('drops a passed user object that is not JSON or names someone else, so the route reads the user itself', () => {
    const context = decisionToContext(allowWithUser, true);
    for (const bad of ['{not json', 'null', JSON.stringify({ ...user, id: 'u2' })]) {
      expect(decisionFromContext({ ...context, user: bad })).toEqual(allow);
    }
  });

  it('reads a missing or malformed context as unauthorized, for no reason it may tell (fail closed)', () => {
    const generic = { kind: 'unauthorized', reason: 'invalid' };
    expect(decisionFromContext(undefined)).toEqual(generic);
    expect(decisionFromContext({ decision: 'allow', userId: 'u1', role: 'ROOT', tenantId: 't', credential: 'access_token' })).toEqual(
      generic,
    );
    expect(
      decisionFromContext({ decision: 'allow', role: 'MANAGER', tenantId: 't', credential: 'access_token', reason: 'missing' }),
    ).toEqual(generic);
    expect(decisionFromContext({ decision: 'unauthorized' })).toEqual(generic);
    expect(decisionFromContext({ decision: 'unauthorized', reason: 'revoked' })).toEqual(generic);
  });
});
