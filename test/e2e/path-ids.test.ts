/**
 * Ids in the path, as long as a caller likes: every route that takes one
 * answers an id no record can have with 404, as API.md says of an unknown id,
 * and never lets it reach a DynamoDB key (which refuses a sort key over 1,024
 * bytes, a partition key over 2,048, and would make a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment.ts';
import { expectError, startSessionServer } from '../fixtures/e2e.ts';
import { call, login } from '../fixtures/local.ts';

let server: LocalEnvironment;
let manager: string;
let customer: string;

beforeAll(async () => {
  server = await startSessionServer();
  manager = (await login(server.url, 'manager@example.com')).access_token;
  customer = (await login(server.url, 'customer@example.com')).access_token;
});

afterAll(async () => {
  await server?.close();
});

/** Each route with an id, the caller it is tried as, and its body. */
const routes: readonly [string, string, () => string, unknown?][] = [
  ['DELETE', '/auth/sessions/{id}', () => customer],
  ['GET', '/users/{id}', () => manager],
  ['PATCH', '/users/{id}', () => manager, { first_name: 'Mallory' }],
  ['DELETE', '/users/{id}', () => manager],
  ['POST', '/users/{id}/unlock', () => manager],
  ['DELETE', '/auth/api-tokens/{id}', () => manager],
  ['POST', '/auth/api-tokens/{id}/rotate', () => manager],
];

const ids: readonly [string, string][] = [
  ['an unknown id', '00000000-0000-4000-8000-000000000000'],
  ['an id of 128 bytes, the most any id may have', 'a'.repeat(128)],
  ['an id of 1,030 characters (over a sort key’s 1,024 bytes)', 'a'.repeat(1030)],
  ['an id of 2,100 characters (over a partition key’s 2,048 bytes)', 'b'.repeat(2100)],
  ['an id of 400 three-byte characters (1,200 bytes in UTF-8)', encodeURIComponent('あ'.repeat(400))],
];

describe('ids in the path', () => {
  it.each(
    routes.flatMap(([method, path, token, body]) =>
      ids.map(([name, id]) => [`${method} ${path}`, name, method, path, token, body, id] as const),
    ),
  )('%s answers %s with 404 not_found', async (_route, _name, method, path, token, body, id) => {
    const answer = await call(server.url, path.replace('{id}', id), {
      method,
      headers: { authorization: `Bearer ${token()}` },
      ...(body ? { body } : {}),
    });
    expectError(answer, 404, 'not_found');
  });

  it('still finds what a real id names (a control)', async () => {
    const me = await call(server.url, '/auth/me', { headers: { authorization: `Bearer ${manager}` } });
    const answer = await call(server.url, `/users/${me.body.id}`, { headers: { authorization: `Bearer ${manager}` } });
    expect(answer.status).toBe(200);
    expect(answer.body.id).toBe(me.body.id);
  });
});
