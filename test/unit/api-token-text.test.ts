import { crc32 } from 'node:zlib';
import { createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  API_TOKEN_PREFIX,
  hashTokenSecret,
  looksLikeApiToken,
  newTokenId,
  newTokenText,
  parseTokenText,
  sameSecretHash,
} from '../../functions/core/crypto/api-token-text.ts';

const fresh = () => {
  const tokenId = newTokenId();
  return { tokenId, ...newTokenText(tokenId) };
};

/** Characters a typo or a forger could put anywhere in a token. */
const replacements = [...'0123456789abcdefABCDEF_-gxz.=+/ '];

describe('API token text', () => {
  it('is the fixed prefix, an id, a 256-bit secret and a checksum of the rest', () => {
    // Prepare
    const { tokenId, token, secret } = fresh();

    // Act
    const shape = /^sat_([0-9a-f]+)_([0-9a-f]+)$/.exec(token);

    // Assess
    expect(API_TOKEN_PREFIX).toBe('sat_');
    expect(token.startsWith('sat_')).toBe(true);
    expect(shape).not.toBeNull();
    expect(shape?.[1]).toBe(tokenId);
    expect(secret).toMatch(/^[0-9a-f]+$/);
    expect(Buffer.from(secret, 'hex').length * 8).toBeGreaterThanOrEqual(256);
    const body = `sat_${tokenId}_${secret}`;
    expect(token.slice(0, body.length)).toBe(body);
    const check = token.slice(body.length);
    expect(check.length).toBeGreaterThan(0);
    expect(check).toBe(crc32(body).toString(16).padStart(8, '0'));
    expect(looksLikeApiToken(token)).toBe(true);
  });

  it('never repeats an id or a secret', () => {
    const tokens = Array.from({ length: 500 }, fresh);
    expect(new Set(tokens.map((t) => t.tokenId)).size).toBe(500);
    expect(new Set(tokens.map((t) => t.secret)).size).toBe(500);
  });

  it('parses back to its id and secret', () => {
    fc.assert(
      fc.property(fc.constant(null).map(fresh), ({ tokenId, token, secret }) => {
        expect(parseTokenText(token)).toEqual({ tokenId, secret });
      }),
      { numRuns: 200 },
    );
  });

  it('fails the checksum when any single character is changed', () => {
    const { token } = fresh();
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...replacements), (position, replacement) => {
        fc.pre(token[position] !== replacement);
        const changed = `${token.slice(0, position)}${replacement}${token.slice(position + 1)}`;
        expect(parseTokenText(changed)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('fails for every position changed to every other hex digit', () => {
    const { token } = fresh();
    const hex = [...'0123456789abcdef'];
    for (let position = 0; position < token.length; position++) {
      for (const digit of hex) {
        if (token[position] === digit) continue;
        expect(parseTokenText(`${token.slice(0, position)}${digit}${token.slice(position + 1)}`), `position ${position}`).toBeNull();
      }
    }
  });

  it('fails in another case, with whitespace, truncated or extended', () => {
    // Prepare
    const { token } = fresh();
    const variants = [
      token.toUpperCase(),
      `SAT_${token.slice(4)}`,
      ` ${token}`,
      `${token} `,
      `${token}\n`,
      `\t${token}`,
      `${token.slice(0, 20)} ${token.slice(20)}`,
      `${token}0`,
      `${token}${token}`,
      '',
      'sat_',
      ...Array.from({ length: token.length }, (_, n) => token.slice(0, n)),
      ...Array.from({ length: token.length }, (_, n) => token.slice(n + 1)),
    ];

    // Act
    const parsed = variants.map((variant) => parseTokenText(variant));

    // Assess
    expect(parsed.every((p) => p === null)).toBe(true);
    expect(parseTokenText(token)).not.toBeNull();
  });
});

describe('hashTokenSecret', () => {
  it('depends on the server secret, the id and the secret, and holds none of them', () => {
    const serverSecret = createSecretKey(Buffer.alloc(32, 7));
    const { tokenId, secret } = fresh();
    const hash = hashTokenSecret(serverSecret, tokenId, secret);
    expect(hashTokenSecret(serverSecret, tokenId, secret)).toBe(hash);
    expect(hashTokenSecret(createSecretKey(Buffer.alloc(32, 8)), tokenId, secret)).not.toBe(hash);
    expect(hashTokenSecret(serverSecret, newTokenId(), secret)).not.toBe(hash);
    expect(hashTokenSecret(serverSecret, tokenId, newTokenText(tokenId).secret)).not.toBe(hash);
    expect(hash).not.toContain(secret);
    expect(hash).not.toContain(Buffer.from(secret, 'hex').toString('base64url'));
    expect(sameSecretHash(hash, hashTokenSecret(serverSecret, tokenId, secret))).toBe(true);
    expect(sameSecretHash(hash, `${hash.slice(0, -1)}${hash.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(sameSecretHash(hash, hash.slice(1))).toBe(false);
  });
});
