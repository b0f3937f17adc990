/**
 * The served /openapi.json is the contract. Every route of the operation
 * table is called on the local server, for its success and for documented
 * errors, and every answer is held to the document: its status is one the
 * document lists for that operation, its media type one the document gives
 * for that status, and its JSON body valid against that status's schema
 * (ajv, JSON Schema 2020-12, with formats). Errors every route shares (400,
 * 413, 415, and 401/403/404 where they apply) are generated for each route;
 * the rest are written per route.
 */
import { sendRaw } from '../fixtures/raw-http.ts';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type Operation } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { addAccount, setUserAttributes } from '../fixtures/accounts.ts';
import { decodeAccessToken, permissionsOfRole, SAFE_REQUEST_ID } from '../fixtures/e2e.ts';
import { demoPassword, startTestServer } from '../fixtures/local.ts';
import { latestCode as latestCodeOf } from '../fixtures/mail.ts';

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly text: string;
  readonly body: unknown;
}

interface Request {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON with `Content-Type: application/json`; a string as is. */
  readonly body?: unknown;
}

/** One case: what is sent, and the status (and error code) the answer must have. */
interface Case {
  readonly name: string;
  readonly status: number;
  readonly error?: string;
  readonly send: () => Promise<Answer>;
}

let local: LocalEnvironment;
let document: any;
// strictTypes is off: the error schemas narrow `error` with `properties` beside an `allOf` $ref, without
// repeating `type: object` (valid JSON Schema, which strictTypes flags as a style issue).
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
formats.default(ajv);
// The document is registered whole, so that response schemas resolve `#/components/...`; its
// top-level OpenAPI fields are known to ajv as keywords without meaning, and strict mode stays on.
ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components']);
const validators = new Map<string, ValidateFunction>();
/** Statuses each operation answered, by operationId. */
const seen = new Map<string, Set<number>>(operations.map((operation) => [operation.operationId, new Set<number>()]));

/** Any method with any body (fetch refuses a body on GET); an object body goes as JSON. */
async function send(path: string, options: Request = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const raw = await sendRaw(local.url, { method: options.method ?? 'GET', path, headers, ...(body !== undefined ? { body } : {}) });
  const answerHeaders = Object.fromEntries(
    Object.entries(raw.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
  return { status: raw.status, headers: answerHeaders, text: raw.text, body: raw.body };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function login(email: string, password = demoPassword) {
  const answer = await send('/auth/login', { method: 'POST', body: { email, password } });
  if (answer.status !== 200) throw new Error(`login ${email}: ${answer.status} ${answer.text}`);
  return answer.body as { access_token: string; refresh_token: string; user: { id: string } };
}

const operation = (operationId: string): Operation => {
  const found = operations.find((o) => o.operationId === operationId);
  if (!found) throw new Error(`No operation ${operationId}`);
  return found;
};

/** The operation's path with its parameters filled in. */
const pathOf = (op: Operation, parameters: Record<string, string> = {}): string =>
  op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(parameters[name] ?? 'does-not-exist'));

/** `operationId`'s request, its path filled with `parameters`. */
const call = (operationId: string, options: Request & { parameters?: Record<string, string>; query?: string } = {}) => {
  const op = operation(operationId);
  return send(`${pathOf(op, options.parameters)}${options.query ?? ''}`, { method: op.method, ...options });
};

const documented = (op: Operation): { responses: Record<string, any> } => document.paths[op.path][op.method.toLowerCase()];

const pointer = (...segments: string[]): string =>
  segments.map((segment) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

function validatorFor(op: Operation, status: number): ValidateFunction {
  const ref = `openapi.json#/${pointer('paths', op.path, op.method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`No schema at ${ref}`);
    validators.set(ref, validate);
  }
  return validate;
}

/** Holds one answer of `op` to the served document, and to the status (and code) the case expects. */
function expectDocumented(op: Operation, answer: Answer, status: number, error?: string): void {
  const key = `${op.method} ${op.path}`;
  seen.get(op.operationId)?.add(answer.status);
  const responses = documented(op).responses;
  expect(Object.keys(responses), `${key} answered ${answer.status}, a status its document does not list`).toContain(String(answer.status));
  expect(answer.status, `${key}: ${answer.text.slice(0, 300)}`).toBe(status);
  if (error !== undefined) expect((answer.body as { error?: string } | undefined)?.error, answer.text).toBe(error);

  const response = responses[String(status)];
  expect(answer.headers['x-request-id']).toMatch(SAFE_REQUEST_ID);
  // The document writes the Cache-Control value of a success as the header's description; errors are never cached.
  expect(answer.headers['cache-control']).toBe(response.headers?.['Cache-Control']?.description ?? 'no-store');
  if (status === 429) expect(answer.headers['retry-after']).toMatch(/^\d+$/);

  if (!response.content) {
    if (status === 204) expect(answer.text).toBe('');
    return;
  }
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  expect(Object.keys(response.content), `${key} ${status} sent ${mediaType}`).toContain(mediaType);
  if (mediaType === 'application/json') {
    const validate = validatorFor(op, status);
    expect(validate(answer.body), `${key} ${status}: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 500)}`).toBe(true);
  } else {
    expect(answer.text.length).toBeGreaterThan(0);
  }
}

// Accounts of their own for the cases that change or lock one.
let accounts = 0;
const PASSWORD = 'Contract passphrase 2026';
async function freshAccount(role: 'CASHIER' | 'CUSTOMER' = 'CASHIER') {
  const email = `contract-${++accounts}@example.com`;
  const id = await addAccount({ email, password: PASSWORD, role });
  return { email, id };
}

let manager: string;
let customer: string;
const asManager = () => bearer(manager);

async function createApiToken(): Promise<string> {
  const answer = await call('createApiToken', { headers: asManager(), body: { name: 'contract', expires_in: '24h' } });
  return (answer.body as { id: string }).id;
}

const latestCode = (email: string) => latestCodeOf(local, email);

/** The success of each operation, and the errors that are its own. */
const routeCases: Record<string, Case[]> = {
  login: [
    { name: 'logs in', status: 200, send: () => call('login', { body: { email: 'manager@example.com', password: demoPassword } }) },
    {
      name: 'refuses a body without a password',
      status: 400,
      error: 'invalid_request',
      send: () => call('login', { body: { email: 'manager@example.com' } }),
    },
    {
      name: 'refuses a wrong password',
      status: 401,
      error: 'invalid_credentials',
      send: async () => call('login', { body: { email: (await freshAccount()).email, password: 'not the password at all' } }),
    },
    {
      name: 'refuses a disabled account after the right password',
      status: 403,
      error: 'account_disabled',
      send: async () => {
        const { email, id } = await freshAccount();
        await setUserAttributes(local, id, { status: 'disabled' });
        return call('login', { body: { email, password: PASSWORD } });
      },
    },
    {
      name: 'locks an account after five failures, the right password included',
      status: 429,
      error: 'account_locked',
      send: async () => {
        const { email } = await freshAccount();
        for (let i = 0; i < 5; i++) {
          expectDocumented(
            operation('login'),
            await call('login', { body: { email, password: `wrong ${i} of five` } }),
            401,
            'invalid_credentials',
          );
        }
        return call('login', { body: { email, password: PASSWORD } });
      },
    },
  ],
  refresh: [
    {
      name: 'rotates a refresh token',
      status: 200,
      send: async () => call('refresh', { body: { refresh_token: (await login('agent@example.com')).refresh_token } }),
    },
    { name: 'refuses a request without a token', status: 400, error: 'invalid_request', send: () => call('refresh') },
    {
      name: 'refuses an unknown token',
      status: 401,
      error: 'invalid_grant',
      send: () => call('refresh', { body: { refresh_token: 'rt_not-a-token' } }),
    },
  ],
  logout: [
    {
      name: 'revokes the session',
      status: 204,
      send: async () => call('logout', { headers: bearer((await login('agent@example.com')).access_token) }),
    },
  ],
  getMe: [{ name: "returns the caller's user", status: 200, send: () => call('getMe', { headers: asManager() }) }],
  updateMe: [
    {
      name: 'changes profile fields',
      status: 200,
      send: () => call('updateMe', { headers: asManager(), body: { first_name: 'Ada', phone: '+44 20 7946 0000' } }),
    },
    {
      name: 'refuses a role change',
      status: 400,
      error: 'invalid_request',
      send: () => call('updateMe', { headers: asManager(), body: { role: 'AGENT' } }),
    },
  ],
  jwks: [{ name: 'lists the public keys', status: 200, send: () => call('jwks') }],
  openidConfiguration: [{ name: 'describes the issuer', status: 200, send: () => call('openidConfiguration') }],
  openApiDocument: [{ name: 'serves the document', status: 200, send: () => call('openApiDocument') }],
  docsPage: [{ name: 'serves the page', status: 200, send: () => call('docsPage') }],
  docsAsset: [
    { name: 'serves the script', status: 200, send: () => call('docsAsset', { parameters: { asset: 'swagger-ui-bundle.js' } }) },
    { name: 'serves the style sheet', status: 200, send: () => call('docsAsset', { parameters: { asset: 'swagger-ui.css' } }) },
  ],
  forgotPassword: [
    { name: 'accepts a request', status: 202, send: async () => call('forgotPassword', { body: { email: (await freshAccount()).email } }) },
    {
      name: 'limits requests per email',
      status: 429,
      error: 'rate_limit_exceeded',
      send: async () => {
        const { email } = await freshAccount();
        for (let i = 0; i < 5; i++) expectDocumented(operation('forgotPassword'), await call('forgotPassword', { body: { email } }), 202);
        return call('forgotPassword', { body: { email } });
      },
    },
  ],
  resetPassword: [
    {
      name: 'sets a new password with the emailed code',
      status: 200,
      send: async () => {
        const { email } = await freshAccount();
        await call('forgotPassword', { body: { email } });
        return call('resetPassword', { body: { email, code: await latestCode(email), password: 'A reset passphrase 2026' } });
      },
    },
    {
      name: 'refuses a wrong code',
      status: 400,
      error: 'invalid_code',
      send: async () => {
        const { email } = await freshAccount();
        await call('forgotPassword', { body: { email } });
        const code = await latestCode(email);
        const wrong = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
        return call('resetPassword', { body: { email, code: wrong, password: 'A reset passphrase 2026' } });
      },
    },
    {
      name: 'refuses a weak password',
      status: 400,
      error: 'weak_password',
      send: async () => {
        const { email } = await freshAccount();
        await call('forgotPassword', { body: { email } });
        return call('resetPassword', { body: { email, code: await latestCode(email), password: 'password' } });
      },
    },
  ],
  changePassword: [
    {
      name: 'changes the password',
      status: 200,
      send: async () => {
        const { email } = await freshAccount();
        const { access_token } = await login(email, PASSWORD);
        return call('changePassword', {
          headers: bearer(access_token),
          body: { currentPassword: PASSWORD, newPassword: 'A changed passphrase 2026' },
        });
      },
    },
    {
      name: 'refuses a wrong current password',
      status: 401,
      error: 'invalid_credentials',
      send: async () => {
        const { email } = await freshAccount();
        const { access_token } = await login(email, PASSWORD);
        return call('changePassword', {
          headers: bearer(access_token),
          body: { currentPassword: 'not it at all', newPassword: 'A changed passphrase 2026' },
        });
      },
    },
    {
      name: 'refuses a weak new password',
      status: 400,
      error: 'weak_password',
      send: async () => {
        const { email } = await freshAccount();
        const { access_token } = await login(email, PASSWORD);
        return call('changePassword', { headers: bearer(access_token), body: { currentPassword: PASSWORD, newPassword: 'password' } });
      },
    },
  ],
  createUser: [
    {
      name: 'creates a user',
      status: 201,
      send: () =>
        call('createUser', {
          headers: asManager(),
          body: { email: `created-${++accounts}@example.com`, role: 'CASHIER', password: 'second till by the door' },
        }),
    },
    {
      name: 'refuses a taken email',
      status: 409,
      error: 'conflict',
      send: () => call('createUser', { headers: asManager(), body: { email: 'agent@example.com', role: 'CASHIER' } }),
    },
    {
      name: 'refuses a weak password',
      status: 400,
      error: 'weak_password',
      send: () =>
        call('createUser', {
          headers: asManager(),
          body: { email: `weak-${++accounts}@example.com`, role: 'CASHIER', password: 'password' },
        }),
    },
  ],
  listUsers: [
    { name: 'lists users', status: 200, send: () => call('listUsers', { headers: asManager(), query: '?role=CASHIER&limit=5' }) },
    {
      name: 'refuses a bad limit',
      status: 400,
      error: 'invalid_request',
      send: () => call('listUsers', { headers: asManager(), query: '?limit=0' }),
    },
  ],
  getUser: [
    {
      name: 'returns a user',
      status: 200,
      send: async () => call('getUser', { headers: asManager(), parameters: { id: (await freshAccount()).id } }),
    },
  ],
  updateUser: [
    {
      name: 'changes a user',
      status: 200,
      send: async () =>
        call('updateUser', {
          headers: asManager(),
          parameters: { id: (await freshAccount()).id },
          body: { role: 'AGENT', last_name: 'Hopper' },
        }),
    },
    {
      name: 'refuses tenant_id, an unknown field: users never move',
      status: 400,
      error: 'invalid_request',
      send: async () =>
        call('updateUser', { headers: asManager(), parameters: { id: (await freshAccount()).id }, body: { tenant_id: 'demo-2' } }),
    },
  ],
  disableUser: [
    {
      name: 'disables a user',
      status: 204,
      send: async () => call('disableUser', { headers: asManager(), parameters: { id: (await freshAccount()).id } }),
    },
  ],
  unlockUser: [
    {
      name: 'clears a lockout',
      status: 204,
      send: async () => call('unlockUser', { headers: asManager(), parameters: { id: (await freshAccount()).id } }),
    },
  ],
  createApiToken: [
    {
      name: 'creates a token',
      status: 201,
      send: () => call('createApiToken', { headers: asManager(), body: { name: 'nightly report', expires_in: '3mo' } }),
    },
    {
      name: 'refuses an expiry outside the list',
      status: 400,
      error: 'invalid_request',
      send: () => call('createApiToken', { headers: asManager(), body: { name: 'x', expires_in: '2y' } }),
    },
  ],
  listApiTokens: [{ name: "lists the caller's tokens", status: 200, send: () => call('listApiTokens', { headers: asManager() }) }],
  rotateApiToken: [
    {
      name: 'rotates a token',
      status: 200,
      send: async () => call('rotateApiToken', { headers: asManager(), parameters: { id: await createApiToken() } }),
    },
  ],
  deleteApiToken: [
    {
      name: 'deletes a token',
      status: 204,
      send: async () => call('deleteApiToken', { headers: asManager(), parameters: { id: await createApiToken() } }),
    },
  ],
  listSessions: [{ name: "lists the caller's sessions", status: 200, send: () => call('listSessions', { headers: asManager() }) }],
  revokeSession: [
    {
      name: 'revokes another session of the caller',
      status: 204,
      send: async () => {
        const other = await login('manager@example.com');
        return call('revokeSession', { headers: asManager(), parameters: { id: decodeAccessToken(other.access_token).claims.sid } });
      },
    },
  ],
  listAuditEvents: [
    {
      name: "lists the tenant's events",
      status: 200,
      send: () => call('listAuditEvents', { headers: asManager(), query: '?type=login.succeeded&limit=5' }),
    },
    {
      name: 'refuses a malformed since',
      status: 400,
      error: 'invalid_request',
      send: () => call('listAuditEvents', { headers: asManager(), query: '?since=yesterday' }),
    },
    {
      name: 'is reserved to managers',
      status: 403,
      error: 'forbidden',
      send: async () => call('listAuditEvents', { headers: bearer((await login('agent@example.com')).access_token) }),
    },
  ],
};

/** A body the route accepts, for the generic cases that must get past body validation. */
const validBody: Record<string, unknown> = { updateUser: { first_name: 'Nobody' } };

/** Whether a CUSTOMER's credential is refused by the route's permission or role. */
const refusesCustomers = (op: Operation): boolean =>
  op.roles
    ? !op.roles.includes('CUSTOMER')
    : op.permission !== undefined && ![op.permission].flat().some((permission) => permissionsOfRole.CUSTOMER.includes(permission));

/** Errors every route documents, where they apply: made for each route from its table entry. */
function sharedCases(op: Operation): Case[] {
  const auth = () => (op.auth === 'protected' ? asManager() : {});
  const id = op.operationId;
  const cases: Case[] = [
    {
      name: 'refuses an unknown body field',
      status: 400,
      error: 'invalid_request',
      send: () => call(id, { headers: auth(), body: { unknown_field: true } }),
    },
    {
      name: 'refuses a body that is not application/json',
      status: 415,
      error: 'unsupported_media_type',
      send: () => call(id, { headers: { ...auth(), 'content-type': 'text/plain' }, body: '{}' }),
    },
    {
      name: 'refuses a body over 16 KiB',
      status: 413,
      error: 'payload_too_large',
      send: () => call(id, { headers: auth(), body: { padding: 'x'.repeat(17 * 1024) } }),
    },
  ];
  if (op.auth === 'protected') {
    cases.push({ name: 'refuses a request without a credential', status: 401, error: 'unauthorized', send: () => call(id) });
  }
  if (refusesCustomers(op)) {
    cases.push({
      name: "refuses a CUSTOMER's credential",
      status: 403,
      error: 'forbidden',
      send: () => call(id, { headers: bearer(customer), body: validBody[id] }),
    });
  }
  if (op.path.includes('{')) {
    cases.push({
      name: 'answers 404 for an unknown id',
      status: 404,
      error: 'not_found',
      send: () => call(id, { headers: auth(), body: validBody[id] }),
    });
  }
  return cases;
}

describe('every route answers as the served /openapi.json documents', () => {
  beforeAll(async () => {
    // Forgot and reset are limited per IP; the per-email limit is what these cases reach.
    local = await startTestServer({ env: { RESET_IP_LIMIT: '100000' } });
    document = (await send('/openapi.json')).body;
    ajv.addSchema(document, 'openapi.json');
    manager = (await login('manager@example.com')).access_token;
    customer = (await login('customer@example.com')).access_token;
  });

  afterAll(async () => {
    await local?.close();
  });

  it('has cases for exactly the operations of the table', () => {
    expect(Object.keys(routeCases).sort()).toEqual(operations.map((op) => op.operationId).sort());
  });

  describe.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))('%s', (_, op) => {
    it.each([...(routeCases[op.operationId] ?? []), ...sharedCases(op)].map((c) => [`${c.status} ${c.name}`, c] as const))(
      '%s',
      async (__, c) => {
        expectDocumented(op, await c.send(), c.status, c.error);
      },
    );
  });

  it('saw each operation succeed and fail in at least three documented ways', () => {
    for (const op of operations) {
      const statuses = [...(seen.get(op.operationId) ?? [])];
      const success = Object.keys(documented(op).responses)
        .map(Number)
        .find((status) => status < 300);
      expect({ op: op.operationId, success: statuses.includes(success as number) }).toEqual({ op: op.operationId, success: true });
      expect(statuses.filter((status) => status >= 400).length, `${op.operationId}: ${statuses.join(', ')}`).toBeGreaterThanOrEqual(3);
    }
  });
});
