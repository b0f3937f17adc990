/**
 * @serverless-auth/verify, built, against the local server's real tokens and
 * JWKS: the principal of a good token, every JWT attack refused, the key set
 * cached and fetched again only for a key it has not seen, and the optional
 * revocation check reading the real sessions table.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createVerifier, type VerifierOptions } from '@serverless-auth/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../../local/environment.ts';
import { decodeAccessToken, permissionsOfRole, startSessionServer } from '../../fixtures/e2e.ts';
import { compactJws, part, serverKeyOf, signers, splitJws, type ServerKey } from '../../fixtures/forgery.ts';
import { call, login } from '../../fixtures/local.ts';

let server: LocalEnvironment;
let key: ServerKey;
let token: string;

/** Counts the verifier's JWKS requests. */
function countingFetch() {
  const urls: string[] = [];
  return { urls, fetch: (url: string, init: RequestInit) => (urls.push(url), fetch(url, init)) };
}

const verifierOf = (options: Partial<VerifierOptions> = {}) => createVerifier({ issuer: server.url, ...options });

/** A token with the server's own key and a valid `kid`, but any header and claims. */
const forged = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
  compactJws({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header }, claims, signers.rsa('RS256', key.privateKey));

describe('@serverless-auth/verify', () => {
  beforeAll(async () => {
    server = await startSessionServer();
    key = await serverKeyOf(server);
    token = (await login(server.url, 'manager@example.com')).access_token;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('returns the typed principal of a real access token', async () => {
    // Prepare
    const { claims } = decodeAccessToken(token);

    // Act
    const result = await verifierOf().verify(token);

    // Assess
    expect(result).toEqual({
      valid: true,
      principal: {
        userId: claims.sub,
        role: 'MANAGER',
        tenantId: 'demo',
        permissions: expect.arrayContaining(permissionsOfRole.MANAGER),
        sessionId: claims.sid,
        tokenId: claims.jti,
        expiresAt: new Date((claims.exp as number) * 1000),
      },
    });
  });

  describe('JWT attacks', () => {
    const claimsOfToken = () => splitJws(token).payload;
    const attacks: [string, () => string][] = [
      ['alg none, no signature', () => compactJws({ alg: 'none', typ: 'at+jwt', kid: key.kid }, claimsOfToken(), '')],
      [
        'HS256 keyed with the public key (as JWK text)',
        () =>
          compactJws({ alg: 'HS256', typ: 'at+jwt', kid: key.kid }, claimsOfToken(), signers.hmac('HS256', JSON.stringify(key.publicJwk))),
      ],
      [
        'HS256 keyed with the public key (as PEM)',
        () =>
          compactJws(
            { alg: 'HS256', typ: 'at+jwt', kid: key.kid },
            claimsOfToken(),
            signers.hmac('HS256', key.publicKey.export({ format: 'pem', type: 'spki' }) as string),
          ),
      ],
      [
        'RS384 with the server’s own key (algorithm not pinned)',
        () => compactJws({ alg: 'RS384', typ: 'at+jwt', kid: key.kid }, claimsOfToken(), signers.rsa('RS384', key.privateKey)),
      ],
      [
        'PS256 with the server’s own key',
        () => compactJws({ alg: 'PS256', typ: 'at+jwt', kid: key.kid }, claimsOfToken(), signers.rsaPss('PS256', key.privateKey)),
      ],
      [
        'an attacker’s RSA key under an unknown kid',
        () =>
          compactJws(
            { alg: 'RS256', typ: 'at+jwt', kid: randomUUID() },
            claimsOfToken(),
            signers.rsa('RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
          ),
      ],
      [
        'an attacker’s RSA key under the server’s kid',
        () =>
          compactJws(
            { alg: 'RS256', typ: 'at+jwt', kid: key.kid },
            claimsOfToken(),
            signers.rsa('RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
          ),
      ],
      ['typ JWT instead of at+jwt', () => forged({ typ: 'JWT' }, claimsOfToken())],
      ['no typ', () => forged({ typ: undefined }, claimsOfToken())],
      ['wrong issuer', () => forged({}, { ...claimsOfToken(), iss: 'https://evil.example.com' })],
      ['wrong audience', () => forged({}, { ...claimsOfToken(), aud: 'another-service' })],
      ['no exp', () => forged({}, { ...claimsOfToken(), exp: undefined })],
      ['permissions not a list of strings', () => forged({}, { ...claimsOfToken(), permissions: 'refunds:process' })],
      [
        'tampered payload (role raised), signature kept',
        () => {
          const { encoded } = splitJws(token);
          const payload = part({ ...claimsOfToken(), role: 'MANAGER', tenant_id: 'demo-2' });
          return `${encoded.header}.${payload}.${encoded.signature}`;
        },
      ],
      ['signature stripped', () => `${token.split('.').slice(0, 2).join('.')}.`],
      ['not a JWT at all', () => 'not-a-token'],
    ];

    it.each(attacks)('refuses %s as invalid', async (_name, build) => {
      // Act
      const result = await verifierOf().verify(build());

      // Assess
      expect(result).toEqual({ valid: false, reason: 'invalid' });
    });

    it('accepts the unaltered token the attacks start from', async () => {
      expect((await verifierOf().verify(forged({}, claimsOfToken()))).valid).toBe(true);
    });
  });

  describe('expiry and clock skew', () => {
    const exp = () => decodeAccessToken(token).claims.exp as number;

    it('accepts a token up to 5 s past its exp', async () => {
      const result = await verifierOf({ now: () => new Date((exp() + 4) * 1000) }).verify(token);
      expect(result.valid).toBe(true);
    });

    it('refuses a token more than 5 s past its exp as expired', async () => {
      const result = await verifierOf({ now: () => new Date((exp() + 6) * 1000) }).verify(token);
      expect(result).toEqual({ valid: false, reason: 'expired' });
    });
  });

  describe('the key set', () => {
    it('is fetched once for many tokens', async () => {
      // Prepare
      const requests = countingFetch();
      const verifier = verifierOf({ fetch: requests.fetch });

      // Act
      const results = await Promise.all(Array.from({ length: 5 }, () => verifier.verify(token)));
      await verifier.verify(token);

      // Assess
      expect(results.every((result) => result.valid)).toBe(true);
      expect(requests.urls).toEqual([`${server.url}/.well-known/jwks.json`]);
    });

    it('is fetched again when a token names a key it has not seen (a rotation)', async () => {
      // Prepare: the first key set the verifier sees predates the server's current key.
      const stale = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
      const urls: string[] = [];
      const verifier = verifierOf({
        jwksCooldownMs: 0,
        fetch: async (url, init) => {
          urls.push(url);
          if (urls.length === 1) return Response.json({ keys: [{ ...stale, kid: 'retired', alg: 'RS256', use: 'sig' }] });
          return fetch(url, init);
        },
      });

      // Act
      const result = await verifier.verify(token);

      // Assess
      expect(result.valid).toBe(true);
      expect(urls).toHaveLength(2);
    });

    it('is not fetched again for every unknown kid inside the cool-down (forged kids cannot flood it)', async () => {
      // Prepare
      const requests = countingFetch();
      const verifier = verifierOf({ fetch: requests.fetch });
      await verifier.verify(token);
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

      // Act
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          verifier.verify(
            compactJws({ alg: 'RS256', typ: 'at+jwt', kid: randomUUID() }, splitJws(token).payload, signers.rsa('RS256', attacker)),
          ),
        ),
      );

      // Assess
      expect(results.every((result) => !result.valid)).toBe(true);
      expect(requests.urls).toHaveLength(1);
    });
  });

  describe('revocation check against the sessions table', () => {
    const sessions = () => ({
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: server.dynamoEndpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      ),
      tableName: server.env.SESSIONS_TABLE as string,
    });

    it('accepts a live session’s token, and refuses it as revoked right after logout (without the check it still passes)', async () => {
      // Prepare
      const own = (await login(server.url, 'agent@example.com')).access_token;
      const checked = verifierOf({ sessions: sessions() });
      const before = await checked.verify(own);

      // Act
      const logout = await call(server.url, '/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${own}` } });

      // Assess
      expect(logout.status).toBe(204);
      expect(before.valid).toBe(true);
      expect(await checked.verify(own)).toEqual({ valid: false, reason: 'revoked' });
      expect((await verifierOf().verify(own)).valid).toBe(true);
    });

    it('refuses a good signature whose session does not exist', async () => {
      const result = await verifierOf({ sessions: sessions() }).verify(forged({}, { ...splitJws(token).payload, sid: 'no-such-session' }));
      expect(result).toEqual({ valid: false, reason: 'revoked' });
    });
  });
});
