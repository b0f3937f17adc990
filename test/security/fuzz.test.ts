/**
 * Property tests over every route of the operation table, public and
 * protected (the protected ones with a live MANAGER token, so that the body
 * is actually parsed): random JSON, wrong types for each known field, huge
 * strings, Unicode, NUL bytes, prototype-pollution keys, random headers and
 * random query strings. Whatever comes in:
 *
 * - never a 5xx;
 * - a 4xx is the error shape of API.md (`{error, message, details?}`, plus
 *   `role` on a 403 `forbidden`), JSON, `Cache-Control: no-store`, with a
 *   safe `X-Request-Id`, and says nothing of the implementation (no stack
 *   frame, no source file, no package, no exception or engine name);
 * - a 4xx changes no durable state (below), and nothing pollutes
 *   `Object.prototype` of the process the handlers run in.
 *
 * Durable state is the users, sessions and API tokens tables and the
 * lockouts table. Refused requests are allowed three kinds of writes there,
 * all of which API.md asks for: the per-IP and per-email fixed-window counters
 * (`WINDOW#…`, "refused requests count too"), the failed-login counters
 * (`FAILED#…`, a wrong password on login or password change "counts toward
 * the lockout") and the wrong-try count of a pending reset code (`tries` of
 * `RESET#…`, "dies after 5 wrong tries"). The audit table records refusals by
 * design and is not compared.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { contractOf } from '../../functions/core/http/operation-contracts.ts';
import { operations, type Operation } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { openDirectSession } from '../fixtures/direct-sessions.ts';
import { SAFE_REQUEST_ID, startSessionServer } from '../fixtures/e2e.ts';
import { sendRaw, type RawAnswer } from '../fixtures/raw-http.ts';
import { scanTable } from '../fixtures/tables.ts';

/** Runs per category; a route without a body schema has no known fields, and spends those runs on random JSON. */
const RUNS = {
  json: 5,
  wrongTypes: 5,
  hugeStrings: 3,
  unicode: 4,
  nulBytes: 3,
  pollution: 4,
  headers: 3,
  suffixJsonTypes: 1,
  query: 2,
} as const;
const RUNS_PER_ROUTE = Object.values(RUNS).reduce((a, b) => a + b, 0);

const MAX_BODY_BYTES = 16 * 1024;
const DUMMY_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const LIMIT_OUT_OF_REACH = '1000000';

let server: LocalEnvironment;

beforeAll(async () => {
  server = await startSessionServer({
    clock: new FakeClock(new Date('2026-11-23T12:00:00.000Z')),
    // Rate limits and lockouts have tests of their own; here they must never be what answers.
    env: {
      LOGIN_RATE_LIMIT: LIMIT_OUT_OF_REACH,
      LOCKOUT_THRESHOLD: LIMIT_OUT_OF_REACH,
      RESET_EMAIL_LIMIT: LIMIT_OUT_OF_REACH,
      RESET_IP_LIMIT: LIMIT_OUT_OF_REACH,
    },
  });
});

afterAll(async () => {
  await server?.close();
});

// ---------------------------------------------------------------------------
// What the API must never say, and what the test therefore never sends.

/** Implementation details an error body must not show. */
const LEAKS: readonly RegExp[] = [/\.ts:/, /node_modules/, /Exception/, /TypeError/, /dynalite/i, /DynamoDB/i];
/**
 * A stack frame: "at fn (file:line:col)" or "at /path/file:line:col". A bare
 * "at " is not a leak: the password rules of API.md say "Must be at least 8
 * characters".
 */
const STACK_FRAME = /\bat (?:async )?\S+ \(|\bat (?:file:\/\/|node:|\/)\S*:\d+/;
const leaksIn = (text: string): RegExp[] => [...LEAKS, STACK_FRAME].filter((pattern) => pattern.test(text));

/** The status of each error code of API.md. */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  weak_password: 400,
  invalid_code: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_grant: 401,
  forbidden: 403,
  account_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_exceeded: 429,
  account_locked: 429,
  internal_server_error: 500,
  service_unavailable: 503,
};

// ---------------------------------------------------------------------------
// The routes: what each takes, and a body each would accept.

type BodySchema = z.ZodObject;

const bodySchemaOf = (operation: Operation): BodySchema | undefined => contractOf(operation.operationId)?.body as BodySchema | undefined;

function fieldsOf(operation: Operation): string[] {
  return Object.keys(bodySchemaOf(operation)?.shape ?? {});
}

/** Strings some field or other accepts: a field that takes any of them is a string field. */
const STRING_PROBES = ['x', 'someone@example.com', '123456', 'MANAGER', 'active', '24h', '+1 555 0100', 'long enough text'];
const stringFieldsOf = (operation: Operation): string[] => {
  const shape = bodySchemaOf(operation)?.shape ?? {};
  return Object.keys(shape).filter((field) => STRING_PROBES.some((probe) => (shape[field] as z.ZodType).safeParse(probe).success));
};

/**
 * The route's documented example body, the base that one field at a time is
 * spoiled from. POST /auth/password/change gets a wrong current password: its
 * example holds the manager's real one, and a run that kept it would change
 * the password under every later run.
 */
function baseBodyOf(operation: Operation): Record<string, unknown> {
  const example = (contractOf(operation.operationId)?.example ?? {}) as Record<string, unknown>;
  return operation.operationId === 'changePassword' ? { ...example, currentPassword: 'not-the-current-password' } : { ...example };
}

const pathOf = (operation: Operation, query = ''): string => `${operation.path.replace(/\{\w+\}/g, DUMMY_ID)}${query ? `?${query}` : ''}`;

// ---------------------------------------------------------------------------
// One fuzzed request, and what holds for every answer.

interface FuzzInput {
  /** No body when `undefined`. */
  readonly body?: string | Uint8Array;
  /** `application/json` when a body is sent and this is `undefined`; `null` sends no Content-Type. */
  readonly contentType?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Without the `?`. */
  readonly query?: string;
}

const bodyText = (body: FuzzInput['body']): string =>
  body === undefined ? '' : typeof body === 'string' ? body : Buffer.from(body).toString('latin1');

/** Nothing the test sends may contain what the leak check looks for, or an echo would pass for a leak. */
const sendsNoLeakWords = (input: FuzzInput): boolean =>
  leaksIn([bodyText(input.body), input.contentType ?? '', input.query ?? '', ...Object.entries(input.headers ?? {}).flat()].join('\n'))
    .length === 0;

const bodyBytes = (body: FuzzInput['body']): number =>
  body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;

/** The request id the answer must carry when the caller's is safe (API.md, Conventions). */
function echoedRequestId(headers: Readonly<Record<string, string>>): string | undefined {
  for (const name of ['x-request-id', 'uuid']) {
    // The server's HTTP parser drops the spaces around a header value.
    const value = headers[name]?.replace(/^[ \t]+|[ \t]+$/g, '');
    if (value !== undefined && SAFE_REQUEST_ID.test(value)) return value;
  }
  return undefined;
}

const POLLUTION_MARKERS = ['polluted', 'isAdmin', 'role'] as const;
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** A live MANAGER token, renewed after any success (a logout, for one, ends its session). */
let managerToken: string | undefined;
async function credentialFor(operation: Operation): Promise<Record<string, string>> {
  if (operation.auth !== 'protected') return {};
  managerToken ??= (await openDirectSession(server, 'manager@example.com')).accessToken;
  return { authorization: `Bearer ${managerToken}` };
}

const keyOf = (item: Record<string, unknown>) => `${String(item.pk)} ${String(item.sk ?? '')}`;
const byKey = (items: Record<string, unknown>[]) => [...items].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** The state a refused request must leave as it was (see the top of this file for what is left out). */
async function durableState() {
  const [users, sessions, apiTokens, lockouts] = await Promise.all([
    scanTable(server, 'USERS_TABLE'),
    scanTable(server, 'SESSIONS_TABLE'),
    scanTable(server, 'API_TOKENS_TABLE'),
    scanTable(server, 'LOCKOUTS_TABLE'),
  ]);
  return {
    users: byKey(users),
    sessions: byKey(sessions),
    apiTokens: byKey(apiTokens),
    lockouts: byKey(
      lockouts
        .filter((item) => !/^(WINDOW|FAILED)#/.test(String(item.pk)))
        .map((item) => (String(item.pk).startsWith('RESET#') ? { ...item, tries: '(counted)' } : item)),
    ),
  };
}

function expectErrorShape(answer: RawAnswer): void {
  expect(answer.headers['content-type'], answer.text).toMatch(/^application\/json/);
  expect(answer.headers['cache-control']).toBe('no-store');
  const body = answer.body as Record<string, unknown> | undefined;
  expect(typeof body === 'object' && body !== null && !Array.isArray(body), answer.text).toBe(true);
  expect(body).toEqual({
    error: expect.any(String),
    message: expect.any(String),
    ...(body && 'details' in body ? { details: expect.any(Array) } : {}),
    ...(body?.error === 'forbidden' ? { role: expect.any(String) } : {}),
  });
  expect(ERROR_STATUS[body?.error as string], answer.text).toBe(answer.status);
  expect(String(body?.message ?? '').length).toBeGreaterThan(0);
  for (const detail of (body?.details as unknown[] | undefined) ?? []) {
    expect(detail).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
  expect(leaksIn(answer.text), answer.text).toEqual([]);
}

/** Sends one fuzzed request and checks what holds for every answer; returns the answer for checks of its category. */
async function exercise(operation: Operation, input: FuzzInput): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...(await credentialFor(operation)), ...input.headers };
  const contentType = input.contentType === undefined ? (input.body === undefined ? null : 'application/json') : input.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const before = await durableState();

  const answer = await sendRaw(server.url, { method: operation.method, path: pathOf(operation, input.query), headers, body: input.body });

  expect(answer.status, answer.text).toBeLessThan(500);
  expect(answer.headers['x-request-id']).toMatch(SAFE_REQUEST_ID);
  const echoed = echoedRequestId(headers);
  if (echoed) expect(answer.headers['x-request-id']).toBe(echoed);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  for (const marker of POLLUTION_MARKERS) expect(({} as Record<string, unknown>)[marker]).toBeUndefined();
  if (answer.status >= 400) {
    expectErrorShape(answer);
    expect(await durableState()).toEqual(before);
  } else {
    const wellKnown = operation.path.startsWith('/.well-known/');
    expect(answer.headers['cache-control']).toBe(wellKnown ? 'public, max-age=300' : 'no-store');
    managerToken = undefined;
  }
  return answer;
}

interface CheckOptions {
  /** Checks of the category, after those of every answer. */
  readonly assess?: (input: FuzzInput, answer: RawAnswer) => void;
}

async function check(operation: Operation, arbitrary: fc.Arbitrary<FuzzInput>, numRuns: number, options: CheckOptions = {}) {
  await fc.assert(
    fc.asyncProperty(arbitrary.filter(sendsNoLeakWords), async (input) => {
      const answer = await exercise(operation, input);
      options.assess?.(input, answer);
    }),
    // A counterexample is reported as found: shrinking a 16 KiB body over HTTP would not keep the file fast.
    { numRuns, endOnFailure: true },
  );
}

// ---------------------------------------------------------------------------
// Arbitraries.

const key = fc.string({ minLength: 1, maxLength: 16 });
const anyJson = fc.jsonValue({ maxDepth: 3 });

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';

/** Any JSON at all: objects with random keys, arrays, strings, numbers, null, and the known fields with random values. */
function randomJson(operation: Operation): fc.Arbitrary<FuzzInput> {
  const fields = fieldsOf(operation);
  const knownFields = fields.length
    ? fc.record(Object.fromEntries(fields.map((field) => [field, anyJson])), { requiredKeys: [] })
    : fc.constant({});
  return fc
    .oneof(
      anyJson,
      fc.dictionary(key, anyJson, { maxKeys: 8 }),
      fc.array(anyJson, { maxLength: 8 }),
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      knownFields,
      fc.tuple(knownFields, fc.dictionary(key, anyJson, { minKeys: 1, maxKeys: 3 })).map(([known, extra]) => ({ ...extra, ...known })),
    )
    .map((value) => ({ body: json(value) }));
}

/** A value of every JSON type; those the field accepts are filtered out. */
const anyType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 24 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(key, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** The base body with one known field holding a value of a type (or a value) the field refuses. */
function wrongTypes(operation: Operation): fc.Arbitrary<FuzzInput & { field: string }> {
  const shape = bodySchemaOf(operation)?.shape ?? {};
  const base = baseBodyOf(operation);
  return fc.constantFrom(...Object.keys(shape)).chain((field) =>
    anyType
      // Judged as sent: JSON turns NaN and ±Infinity into null, which a nullable field accepts.
      .map((value) => JSON.parse(json(value)) as unknown)
      .filter((value) => !(shape[field] as z.ZodType).safeParse(value).success)
      // A body with a __proto__ key is refused whole, before any field is judged: the pollution case's business.
      .filter((value) => !json(value).includes('"__proto__"'))
      .map((value) => ({ field, body: json({ ...base, [field]: value }) })),
  );
}

/** Where a string goes: one of the route's string fields in its base body, else a key of its own. */
function withString(operation: Operation, value: string, field?: string): string {
  const fields = stringFieldsOf(operation);
  const target = field ?? fields[0] ?? 'note';
  return json({ ...baseBodyOf(operation), [target]: value });
}

const fieldChoice = (operation: Operation) => {
  const fields = stringFieldsOf(operation);
  return fields.length ? fc.constantFrom(...fields) : fc.constant('note');
};

/** Strings up to the 16 KiB body limit and a little past it, in one-, two-, three- and four-byte characters. */
function hugeStrings(operation: Operation): fc.Arbitrary<FuzzInput> {
  const overhead = Buffer.byteLength(withString(operation, ''), 'utf8');
  const sized = fc
    .record({
      field: fieldChoice(operation),
      unit: fc.constantFrom('a', 'é', '€', '😀', '"', '\\', '\u0001'),
      targetBytes: fc.integer({ min: 4 * 1024, max: MAX_BODY_BYTES + 512 }),
    })
    .map(({ field, unit, targetBytes }) => {
      const unitBytes = Buffer.byteLength(json(unit), 'utf8') - 2;
      return { body: withString(operation, unit.repeat(Math.max(1, Math.floor((targetBytes - overhead) / unitBytes))), field) };
    });
  const random = fc
    .tuple(fieldChoice(operation), fc.string({ minLength: 2048, maxLength: 12 * 1024, unit: 'grapheme-ascii' }))
    .map(([field, value]) => ({ body: withString(operation, value, field) }));
  return fc.oneof(sized, random);
}

const UNICODE_SAMPLES = [
  'e\u0301\u0301\u0301', // combining acute accents
  'Z\u0351\u0352\u0353\u0354\u0355a\u0356\u0357l\u0358\u0359g\u035a\u035bo', // stacked combining marks
  '\u202Eadmin\u202C', // right-to-left override
  'مدير النظام', // Arabic (RTL)
  'מנהל', // Hebrew (RTL)
  'a\u200Bb\u200Cc\u200Dd\u2060e\uFEFF', // zero-width characters and BOM
  '𝕸𝖆𝖓𝖆𝖌𝖊𝖗', // mathematical alphanumerics (astral plane, NFKC folds them)
  'ＭＡＮＡＧＥＲ', // full-width (NFKC folds to ASCII)
  '👩‍👩‍👧‍👦🏳️‍🌈', // emoji ZWJ sequences
  '\uD800', // lone high surrogate
  '\uDC00x', // lone low surrogate
  'İıß\uFB00', // case-mapping oddities and a ligature
  '\u0000\u001F\u007F\u0085\u2028\u2029', // controls and line separators
];
const unicodeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...UNICODE_SAMPLES),
  fc.array(fc.constantFrom(...UNICODE_SAMPLES), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')),
);

/** Unicode in field values (of every plane), in keys, and as the whole body. */
function unicode(operation: Operation): fc.Arbitrary<FuzzInput> {
  return fc.oneof(
    fc.tuple(fieldChoice(operation), unicodeString).map(([field, value]) => ({ body: withString(operation, value, field) })),
    fc
      .tuple(fieldChoice(operation), unicodeString)
      .map(([field, value]) => ({ body: withString(operation, `someone${value}@example.com`, field) })),
    unicodeString.map((value) => ({ body: json({ ...baseBodyOf(operation), [value || '\u200B']: 'x' }) })),
    unicodeString.map((value) => ({ body: json(value) })),
  );
}

/** NUL in values (after a real value, the classic truncation), in keys, and raw NUL and non-UTF-8 bytes in the body. */
function nulBytes(operation: Operation): fc.Arbitrary<FuzzInput> {
  const base = baseBodyOf(operation);
  const text = fc.string({ maxLength: 12 });
  return fc.oneof(
    fc.tuple(fieldChoice(operation), text).map(([field, tail]) => {
      const value = typeof base[field] === 'string' ? (base[field] as string) : 'x';
      return { body: withString(operation, `${value}\u0000${tail}`, field) };
    }),
    fc.tuple(text, text).map(([a, b]) => ({ body: json({ ...base, [`${a}\u0000${b}`]: 1 }) })),
    fc.constantFrom('\u0000', '{}\u0000', '\u0000{}', `{"a":1}\u0000{"b":2}`, `${json(base)}\u0000`).map((body) => ({ body })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ body: Uint8Array.from([0x7b, 0x00, ...bytes, 0xff, 0x7d]) })),
  );
}

/** `__proto__`, `constructor` and `prototype` at the top level and nested, mixed into the base body; JSON written by hand. */
function pollution(operation: Operation): fc.Arbitrary<FuzzInput> {
  const base = json(baseBodyOf(operation));
  return fc
    .record({
      path: fc.array(fc.constantFrom('__proto__', 'constructor', 'prototype'), { minLength: 1, maxLength: 3 }),
      under: fc.option(fc.oneof(fieldChoice(operation), fc.constant('nested')), { nil: undefined }),
      marker: fc.constantFrom(...POLLUTION_MARKERS),
      value: fc.constantFrom('"MANAGER"', 'true', '1', '{"x":1}'),
    })
    .map(({ path, under, marker, value }) => {
      let inner = `{${json(marker)}:${value}}`;
      for (const name of [...path].reverse()) inner = `{${json(name)}:${inner}}`;
      if (under !== undefined) inner = `{${json(under)}:${inner}}`;
      return { body: base === '{}' ? inner : `${base.slice(0, -1)},${inner.slice(1)}` };
    });
}

const HEADER_CHAR = fc
  .oneof({ weight: 9, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) }, { weight: 1, arbitrary: fc.constantFrom(0x09, 0xa0, 0xe9, 0xff) })
  .map((code) => String.fromCharCode(code));
const headerValue = (maxLength: number) => fc.string({ unit: HEADER_CHAR, maxLength });
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON;Charset=UTF-8',
  'application/json;',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/jsonx',
  'application/json, text/plain',
  '*/*',
  '',
];
const headerName = fc.oneof(
  fc.constantFrom(
    'x-request-id',
    'uuid',
    'user-agent',
    'accept',
    'accept-language',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-real-ip',
    'forwarded',
    'origin',
    'referer',
    'cookie',
    'x-amzn-trace-id',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/).map((name) => `x-fuzz-${name}`),
);

/** The type a media-type header names, without parameters, as API.md reads it. */
const essence = (contentType: string): string => (contentType.split(';')[0] ?? '').trim().toLowerCase();

/** Random Content-Type values (or none) and random headers, one of them up to 8 KiB, on a JSON body. */
function randomHeaders(operation: Operation): fc.Arbitrary<FuzzInput> {
  return fc
    .record({
      contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue(60), fc.constant(null)),
      headers: fc.dictionary(headerName, headerValue(200), { maxKeys: 5 }),
      huge: fc.option(fc.tuple(headerName, fc.integer({ min: 1024, max: 8 * 1024 }), HEADER_CHAR), { nil: undefined }),
    })
    .map(({ contentType, headers, huge }) => ({
      body: json(baseBodyOf(operation)),
      contentType,
      headers: huge ? { ...headers, [huge[0]]: huge[2].repeat(huge[1]) } : headers,
    }));
}

/**
 * JSON media types other than application/json, with the `+json` suffix of
 * RFC 6839. API.md asks for `application/json` and refuses "a missing or
 * other type".
 */
const SUFFIX_JSON_TYPES = ['application/merge-patch+json', 'application/vnd.api+json', 'application/problem+json', 'application/ld+json'];
function suffixJsonTypes(operation: Operation): fc.Arbitrary<FuzzInput> {
  return fc.constantFrom(...SUFFIX_JSON_TYPES).map((contentType) => ({ body: json(baseBodyOf(operation)), contentType }));
}

/** Random query strings, the known parameters of the route among them, with no body. */
function randomQuery(operation: Operation): fc.Arbitrary<FuzzInput> {
  const known = Object.keys(contractOf(operation.operationId)?.query?.shape ?? {});
  const name = known.length ? fc.oneof(fc.constantFrom(...known), key) : key;
  return fc
    .array(
      fc.tuple(name, fc.oneof(fc.string({ maxLength: 40 }), unicodeString, fc.integer().map(String), fc.base64String({ maxLength: 60 }))),
      { maxLength: 6 },
    )
    .map((pairs) => ({ query: new URLSearchParams(pairs).toString() }));
}

// ---------------------------------------------------------------------------

describe.each(operations.map((operation) => [`${operation.method} ${operation.path}`, RUNS_PER_ROUTE, operation] as const))(
  '%s (%i runs)',
  (_, __, operation) => {
    const hasBodySchema = fieldsOf(operation).length > 0;

    it(`answers random JSON values without a 5xx, a leak or a state change on refusal (${RUNS.json + (hasBodySchema ? 0 : RUNS.wrongTypes)} runs)`, async () => {
      await check(operation, randomJson(operation), RUNS.json + (hasBodySchema ? 0 : RUNS.wrongTypes));
    });

    if (hasBodySchema) {
      it(`answers 400 invalid_request naming the field when one known field has a wrong type (${RUNS.wrongTypes} runs)`, async () => {
        await check(operation, wrongTypes(operation), RUNS.wrongTypes, {
          assess: (input, answer) => {
            const { field } = input as FuzzInput & { field: string };
            expect({ status: answer.status, error: answer.body?.error }, answer.text).toEqual({ status: 400, error: 'invalid_request' });
            const paths = ((answer.body?.details ?? []) as { path: string }[]).map((detail) => detail.path);
            expect(
              paths.some((path) => path === field || path.startsWith(`${field}.`)),
              answer.text,
            ).toBe(true);
          },
        });
      });
    }

    it(`answers 413 payload_too_large exactly when a huge string takes the body past 16 KiB (${RUNS.hugeStrings} runs)`, async () => {
      await check(operation, hugeStrings(operation), RUNS.hugeStrings, {
        assess: (input, answer) => {
          const bytes = bodyBytes(input.body);
          expect(answer.body?.error === 'payload_too_large', `${bytes} bytes: ${answer.status} ${answer.text.slice(0, 300)}`).toBe(
            bytes > MAX_BODY_BYTES,
          );
        },
      });
    });

    it(`takes Unicode of every plane, combining marks, RTL and zero-width characters in stride (${RUNS.unicode} runs)`, async () => {
      await check(operation, unicode(operation), RUNS.unicode);
    });

    it(`takes NUL bytes in values, keys and the raw body in stride (${RUNS.nulBytes} runs)`, async () => {
      await check(operation, nulBytes(operation), RUNS.nulBytes);
    });

    it(`answers 400 invalid_request to __proto__, constructor and prototype keys and pollutes nothing (${RUNS.pollution} runs)`, async () => {
      await check(operation, pollution(operation), RUNS.pollution, {
        assess: (_input, answer) => {
          expect({ status: answer.status, error: answer.body?.error }, answer.text).toEqual({ status: 400, error: 'invalid_request' });
        },
      });
    });

    it(`answers 415 unsupported_media_type to a body of a type that is not JSON, and survives random headers (${RUNS.headers} runs)`, async () => {
      await check(operation, randomHeaders(operation), RUNS.headers, {
        assess: (input, answer) => {
          if (input.contentType === null || essence(input.contentType ?? '') !== 'application/json') {
            expect({ contentType: input.contentType, status: answer.status, error: answer.body?.error }, answer.text).toEqual({
              contentType: input.contentType,
              status: 415,
              error: 'unsupported_media_type',
            });
          }
        },
      });
    });

    it(`answers 415 unsupported_media_type to a body typed as another JSON media type (+json) (${RUNS.suffixJsonTypes} run)`, async () => {
      await check(operation, suffixJsonTypes(operation), RUNS.suffixJsonTypes, {
        assess: (input, answer) => {
          expect({ contentType: input.contentType, status: answer.status, error: answer.body?.error }, answer.text).toEqual({
            contentType: input.contentType,
            status: 415,
            error: 'unsupported_media_type',
          });
        },
      });
    });

    it(`takes random query strings in stride (${RUNS.query} runs)`, async () => {
      await check(operation, randomQuery(operation), RUNS.query);
    });
  },
);
