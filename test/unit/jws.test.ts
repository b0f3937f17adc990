/**
 * Our access-token check (node:crypto) against jose's `jwtVerify` with the
 * options the check used to pass it, on every header, claims set and
 * signature below and their combinations: the two must give the same answer
 * (valid, expired, invalid), except where ours is deliberately stricter
 * about a header we never issue, and there ours must refuse.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkAccessToken, signAccessToken } from '../../functions/core/crypto/access-tokens.ts';
import { createKeyMaterial, toSigningKeys, type VerificationKeys } from '../../functions/core/crypto/signing-keys.ts';
import { verifyRs256 } from '../../functions/core/crypto/jws.ts';
import { isRole } from '../../functions/core/infra/permissions.ts';
import { base64url, compactJws, part, signers, type Signer } from '../fixtures/forgery.ts';

const now = new Date('2026-12-04T10:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);
const issuer = 'https://auth.example.com';
const audience = 'serverless-auth';
const server = toSigningKeys(createKeyMaterial(now));
const kid = server.current.kid;
const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicKeys = new Map<string, KeyObject>([...server.publicKeys, ['short', shortRsa.publicKey], ['ec', ec.publicKey]]);
const keys: VerificationKeys = { publicKeys, jwks: { keys: [] } };
const rs256 = signers.rsa('RS256', server.current.privateKey);

type Answer = 'valid' | 'expired' | 'invalid';

const ours = async (token: string): Promise<Answer> => (await checkAccessToken(keys, token, { issuer, audience, now })).kind;

/** The claims of ours that jose does not know, as the check has always judged them. */
const oursToo = (p: Record<string, unknown>): boolean =>
  [p.sub, p.sid, p.jti, p.tenant_id].every((v) => typeof v === 'string' && v !== '') &&
  isRole(p.role) &&
  Array.isArray(p.permissions) &&
  p.permissions.every((v) => typeof v === 'string') &&
  typeof p.exp === 'number' &&
  typeof p.iat === 'number' &&
  p.iat <= seconds + 5;

/** jose, with the options the check passed it before it verified on its own. */
async function reference(token: string): Promise<Answer> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? publicKeys.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        algorithms: ['RS256'],
        issuer,
        audience,
        typ: 'at+jwt',
        currentDate: now,
        clockTolerance: 5,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      },
    );
    return oursToo(payload) ? 'valid' : 'invalid';
  } catch (error) {
    return error instanceof errors.JWTExpired && oursToo(error.payload) ? 'expired' : 'invalid';
  }
}

const goodHeader = { alg: 'RS256', kid, typ: 'at+jwt' };
const goodClaims = {
  iss: issuer,
  aud: audience,
  sub: 'user-1',
  sid: 'session-1',
  jti: 'jti-1',
  role: 'MANAGER',
  tenant_id: 'demo',
  permissions: ['users:read'],
  iat: seconds - 60,
  exp: seconds + 840,
};
const without = (name: keyof typeof goodClaims) => Object.fromEntries(Object.entries(goodClaims).filter(([k]) => k !== name));

/** Headers, each with the signer its token is signed with (the server's RS256 key unless said). */
const headers: readonly [string, Record<string, unknown>, Signer][] = [
  ['ours', goodHeader, rs256],
  ['typ JWT', { ...goodHeader, typ: 'JWT' }, rs256],
  ['no typ', { alg: 'RS256', kid }, rs256],
  ['no kid', { alg: 'RS256', typ: 'at+jwt' }, rs256],
  ['a kid of no key', { ...goodHeader, kid: 'nobody' }, rs256],
  ['a kid that is a number', { ...goodHeader, kid: 7 }, rs256],
  ['alg rs256', { ...goodHeader, alg: 'rs256' }, rs256],
  ['alg RS512 with an RS512 signature', { ...goodHeader, alg: 'RS512' }, signers.rsa('RS512', server.current.privateKey)],
  ['alg PS256 with a PS256 signature', { ...goodHeader, alg: 'PS256' }, signers.rsaPss('PS256', server.current.privateKey)],
  [
    'alg HS256 keyed with the public key',
    { ...goodHeader, alg: 'HS256' },
    signers.hmac('HS256', server.publicKeys.get(kid)!.export({ format: 'pem', type: 'spki' }) as string),
  ],
  ['alg none', { ...goodHeader, alg: 'none' }, () => new Uint8Array()],
  ['a 1024-bit RSA key', { ...goodHeader, kid: 'short' }, signers.rsa('RS256', shortRsa.privateKey)],
  ['an EC key under alg RS256', { ...goodHeader, kid: 'ec' }, signers.ecdsa('ES256', ec.privateKey)],
  ['crit naming a claim', { ...goodHeader, crit: ['exp'] }, rs256],
];

/** Headers jose takes and we refuse: none is one we issue. */
const stricter: readonly [string, Record<string, unknown>][] = [
  ['typ AT+JWT', { ...goodHeader, typ: 'AT+JWT' }],
  ['typ application/at+jwt', { ...goodHeader, typ: 'application/at+jwt' }],
  ['crit b64 with b64 true', { ...goodHeader, crit: ['b64'], b64: true }],
  ['an embedded jwk', { ...goodHeader, jwk: server.publicKeys.get(kid)!.export({ format: 'jwk' }) }],
  ['a cty', { ...goodHeader, cty: 'JWT' }],
];

const claimSets: readonly [string, unknown][] = [
  ['ours', goodClaims],
  ['expired 4 s ago (within the skew)', { ...goodClaims, exp: seconds - 4 }],
  ['expired 5 s ago (the skew’s edge)', { ...goodClaims, exp: seconds - 5 }],
  ['expired an hour ago', { ...goodClaims, exp: seconds - 3600 }],
  ['expired, and of another issuer', { ...goodClaims, exp: seconds - 3600, iss: 'https://evil.example' }],
  ['expired, and of another role', { ...goodClaims, exp: seconds - 3600, role: 'ROOT' }],
  ['exp a fraction', { ...goodClaims, exp: seconds + 0.5 }],
  ['exp a string', { ...goodClaims, exp: String(seconds + 840) }],
  ['no exp', without('exp')],
  ['no iat', without('iat')],
  ['iat a string', { ...goodClaims, iat: String(seconds) }],
  ['iat 10 s ahead', { ...goodClaims, iat: seconds + 10 }],
  ['iat 4 s ahead', { ...goodClaims, iat: seconds + 4 }],
  ['nbf 10 s ahead', { ...goodClaims, nbf: seconds + 10 }],
  ['nbf 4 s ahead', { ...goodClaims, nbf: seconds + 4 }],
  ['nbf a string', { ...goodClaims, nbf: String(seconds) }],
  ['nbf null', { ...goodClaims, nbf: null }],
  ['another issuer', { ...goodClaims, iss: 'https://evil.example' }],
  ['no iss', without('iss')],
  ['iss in an array', { ...goodClaims, iss: [issuer] }],
  ['another audience', { ...goodClaims, aud: 'other' }],
  ['aud an array holding ours', { ...goodClaims, aud: ['other', audience] }],
  ['aud an array without ours', { ...goodClaims, aud: ['other'] }],
  ['no aud', without('aud')],
  ['no sub', without('sub')],
  ['sub empty', { ...goodClaims, sub: '' }],
  ['sub a number', { ...goodClaims, sub: 1 }],
  ['no jti', without('jti')],
  ['no sid', without('sid')],
  ['role ROOT', { ...goodClaims, role: 'ROOT' }],
  ['tenant_id empty', { ...goodClaims, tenant_id: '' }],
  ['permissions a string', { ...goodClaims, permissions: 'users:read' }],
  ['an array', [goodClaims]],
  ['null', 'null'],
  ['not JSON', '{"iss":'],
];

const signatureFaults: readonly [string, (token: string) => string][] = [
  [
    'one byte flipped',
    (t) => {
      const [h, p, s] = t.split('.');
      const bytes = Buffer.from(s!, 'base64url');
      bytes[9]! ^= 1;
      return `${h}.${p}.${base64url(bytes)}`;
    },
  ],
  ['empty', (t) => t.slice(0, t.lastIndexOf('.') + 1)],
  [
    'cut short',
    (t) => {
      const [h, p, s] = t.split('.');
      return `${h}.${p}.${base64url(Buffer.from(s!, 'base64url').subarray(0, 128))}`;
    },
  ],
  [
    'claims swapped for others after signing',
    (t) => {
      const [h, , s] = t.split('.');
      return `${h}.${part({ ...goodClaims, role: 'MANAGER', sub: 'user-2' })}.${s}`;
    },
  ],
  ['a fourth part', (t) => `${t}.${t.split('.')[2]}`],
  ['the header alone', (t) => t.split('.')[0]!],
];

describe('the access-token check, held to jose', () => {
  const cases = headers.flatMap(([headerName, header, signer]) =>
    claimSets.map(([claimsName, claims]) => [`${headerName} / ${claimsName}`, compactJws(header, claims, signer)] as const),
  );

  it(`agrees with jose on ${cases.length} tokens (every header by every claims set)`, async () => {
    const disagreements: string[] = [];
    const answers = new Set<Answer>();
    for (const [name, token] of cases) {
      const [mine, theirs] = [await ours(token), await reference(token)];
      answers.add(mine);
      if (mine !== theirs) disagreements.push(`${name}: ours ${mine}, jose ${theirs}`);
    }
    expect(disagreements).toEqual([]);
    // The cases reach every answer, so agreement is not agreement on "invalid" alone.
    expect([...answers].sort()).toEqual(['expired', 'invalid', 'valid']);
  });

  it.each(signatureFaults)('refuses a token whose signature is %s, as jose does', async (_name, fault) => {
    const token = fault(compactJws(goodHeader, goodClaims, rs256));
    expect(await ours(token)).toBe('invalid');
    expect(await reference(token)).toBe('invalid');
  });

  it.each(stricter)('refuses %s, which jose would take', async (_name, header) => {
    const token = compactJws(header, goodClaims, rs256);
    expect(await reference(token)).toBe('valid');
    expect(await ours(token)).toBe('invalid');
  });

  it('takes the tokens signAccessToken issues, and gives back their subject', async () => {
    const token = await signAccessToken(
      server,
      { userId: 'user-1', sessionId: 'session-1', role: 'CASHIER', tenantId: 'demo' },
      { issuer, audience, now, expiresAt: new Date(now.getTime() + 900_000) },
    );
    expect(await checkAccessToken(keys, token, { issuer, audience, now })).toEqual({
      kind: 'valid',
      token: expect.objectContaining({ userId: 'user-1', sessionId: 'session-1', role: 'CASHIER', tenantId: 'demo' }),
    });
    expect(await reference(token)).toBe('valid');
  });
});

describe('verifyRs256', () => {
  it('gives back the header and claims it verified', () => {
    const token = compactJws(goodHeader, goodClaims, rs256);
    expect(verifyRs256(token, publicKeys)).toEqual({ header: goodHeader, payload: goodClaims });
  });

  it('refuses a key that is not RSA even when it verifies the bytes (an ECDSA signature under alg RS256)', () => {
    expect(verifyRs256(compactJws({ ...goodHeader, kid: 'ec' }, goodClaims, signers.ecdsa('ES256', ec.privateKey)), publicKeys)).toBeNull();
  });

  it('refuses a private key in the key set', () => {
    const withPrivate = new Map([[kid, server.current.privateKey]]);
    expect(verifyRs256(compactJws(goodHeader, goodClaims, rs256), withPrivate)).toBeNull();
  });

  it('refuses a header or claims set that names a member twice, though the signature is good', () => {
    const twiceInHeader = `{"alg":"RS256","kid":"${kid}","typ":"at+jwt","typ":"at+jwt"}`;
    const twiceInClaims = `${JSON.stringify(goodClaims).slice(0, -1)},"role":"MANAGER"}`;
    expect(verifyRs256(compactJws(twiceInHeader, goodClaims, rs256), publicKeys)).toBeNull();
    expect(verifyRs256(compactJws(goodHeader, twiceInClaims, rs256), publicKeys)).toBeNull();
    expect(verifyRs256(compactJws(goodHeader, JSON.stringify(goodClaims), rs256), publicKeys)).not.toBeNull();
  });

  it('refuses a header or claims set that is not UTF-8, as jose does, though the signature is good', async () => {
    const withClaims = (bytes: Buffer) => {
      const input = `${part(goodHeader)}.${base64url(bytes)}`;
      return `${input}.${base64url(rs256(input))}`;
    };
    const [before, after] = JSON.stringify(goodClaims).split('"user-1"') as [string, string];
    const bad = withClaims(Buffer.concat([Buffer.from(`${before}"user-1`), Buffer.from([0xff]), Buffer.from(`"${after}`)]));
    expect(Buffer.from(bad.split('.')[1]!, 'base64url').includes(0xff)).toBe(true);
    expect(await reference(bad)).toBe('invalid');
    expect(await ours(bad)).toBe('invalid');
    const withBom = withClaims(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(goodClaims))]));
    expect(await ours(withBom)).toBe('invalid');
    expect(await ours(withClaims(Buffer.from(JSON.stringify(goodClaims))))).toBe('valid');
  });

  it('refuses another spelling of the same bytes: padding, base64 (+ /), unused bits set', () => {
    const token = compactJws(goodHeader, goodClaims, rs256);
    const [h, p, s] = token.split('.') as [string, string, string];
    const last = s.at(-1)!;
    const otherLast = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      .split('')
      .find((c) => c !== last && Buffer.from(`${s.slice(0, -1)}${c}`, 'base64url').equals(Buffer.from(s, 'base64url')));
    const spellings = [
      `${h}.${p}.${s}==`,
      `${h}.${p}=.${s}`,
      `${h}.${p}.${Buffer.from(s, 'base64url').toString('base64').replace(/=+$/, '')}`,
      ...(otherLast ? [`${h}.${p}.${s.slice(0, -1)}${otherLast}`] : []),
    ].filter((spelling) => spelling !== token);
    expect(spellings.length).toBeGreaterThanOrEqual(3);
    for (const spelling of spellings) expect(verifyRs256(spelling, publicKeys)).toBeNull();
    expect(verifyRs256(token, publicKeys)).not.toBeNull();
  });
});
