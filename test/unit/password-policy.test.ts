import { describe, expect, it } from 'vitest';
import { commonPasswords } from '../../functions/core/flows/data/common-passwords.ts';
import { refusalError } from '../../functions/core/http/refusals.ts';
import { passwordProblems, weakPassword, type PolicyContext } from '../../functions/core/flows/password-policy.ts';
import { hashPassword, verifyPassword } from '../../functions/core/crypto/passwords.ts';

const policy: PolicyContext = { minLength: 8 };
/** The rules a password breaks, as `path: message` lines. */
const problems = (password: string, context: PolicyContext = policy) =>
  passwordProblems(password, context).map((p) => `${p.path}: ${p.message}`);

const TOO_SHORT = /^password: .*at least 8/;
const TOO_LONG = /^password: .*at most 128/;
const COMMON = /^password: .*common/i;
const HAS_EMAIL = /^password: .*email/i;
const HAS_USERNAME = /^password: .*username/i;

describe('passwordProblems', () => {
  describe('length, in code points after NFKC', () => {
    it.each([
      ['7 characters', 'zq7#kLp', [TOO_SHORT]],
      ['8 characters', 'zq7#kLpw', []],
      ['7 emoji (14 UTF-16 units)', '🔑'.repeat(7), [TOO_SHORT]],
      ['8 emoji', '🔑'.repeat(8), []],
      ['4 ligatures that NFKC makes 8 letters', '\uFB01\uFB02\uFB00\uFB01', []],
      ['128 characters', `${'x'.repeat(127)}a`, []],
      ['128 emoji (256 UTF-16 units)', '🔑'.repeat(128), []],
      ['129 characters', `${'x'.repeat(128)}a`, [TOO_LONG]],
      ['129 emoji', '🔑'.repeat(129), [TOO_LONG]],
    ])('%s', (_, password, expected) => {
      const found = problems(password);
      expect(found).toHaveLength(expected.length);
      for (const [i, rule] of expected.entries()) expect(found[i]).toMatch(rule);
    });

    it('takes PASSWORD_MIN_LENGTH from the context', () => {
      expect(problems('eleven char', { minLength: 12 })).toEqual(['password: Must be at least 12 characters']);
      expect(problems('twelve chars', { minLength: 12 })).toEqual([]);
    });
  });

  describe('common passwords, case-insensitively', () => {
    it('ships a list of at least 10,000 entries', () => {
      expect(new Set(commonPasswords().map((p) => p.toLowerCase())).size).toBeGreaterThanOrEqual(9_000);
      expect(commonPasswords().length).toBeGreaterThanOrEqual(10_000);
    });

    it.each(['password', 'Password1', 'qwerty123', 'password123', 'sunshine'])('refuses %s, as listed', (password) => {
      expect(commonPasswords()).toContain(password);
      expect(problems(password)).toEqual([expect.stringMatching(COMMON)]);
    });

    it.each(['QWERTY123', 'PassWord1', 'BaSeBaLl', 'iLoveYou', 'TrUsTnO1'])('refuses %s, listed only in another case', (password) => {
      expect(commonPasswords()).not.toContain(password);
      expect(problems(password)).toEqual([expect.stringMatching(COMMON)]);
    });

    it('refuses the fullwidth ｐａｓｓｗｏｒｄ, which NFKC makes password', () => {
      expect(problems('ｐａｓｓｗｏｒｄ')).toEqual([expect.stringMatching(COMMON)]);
      expect(problems('ＰＡＳＳＷＯＲＤ１')).toEqual([expect.stringMatching(COMMON)]);
    });
  });

  describe("the account's own names", () => {
    it.each([
      ['the email local part', 'I am Maria.Lopez here', { email: 'maria.lopez@example.com' }, [HAS_EMAIL]],
      ['the email local part in other case', 'MARIA.LOPEZ-2026', { email: 'maria.lopez@example.com' }, [HAS_EMAIL]],
      ['a 3-character local part', 'bobsleigh champion', { email: 'bob@example.com' }, [HAS_EMAIL]],
      ['a 2-character local part (too short to forbid)', 'al is a fine passphrase', { email: 'al@example.com' }, []],
      ['the domain of the email (allowed)', 'example.com forever and ever', { email: 'maria.lopez@example.com' }, []],
      ['the username', 'counter POS-001 till', { username: 'pos-001' }, [HAS_USERNAME]],
      ['the username in other case', 'the Cashier99 passphrase', { username: 'cashier99' }, [HAS_USERNAME]],
      ['a 2-character username (too short to forbid)', 'jo went to the market', { username: 'jo' }, []],
      ['neither name', 'violet submarine at dawn', { email: 'maria.lopez@example.com', username: 'pos-001' }, []],
    ])('%s', (_, password, names, expected) => {
      const found = problems(password, { ...policy, ...names });
      expect(found).toHaveLength(expected.length);
      for (const [i, rule] of expected.entries()) expect(found[i]).toMatch(rule);
    });
  });

  describe('no composition rules', () => {
    it.each([
      'correct horse battery staple',
      'alllowercaseandlongenough',
      'ALL CAPITALS WITHOUT DIGITS',
      '8305729461035',
      'ça ne fait rien du tout',
    ])('accepts %s', (password) => {
      expect(problems(password)).toEqual([]);
    });
  });

  it('names every broken rule, under the field given', () => {
    const found = passwordProblems('password', { minLength: 12, email: 'password@example.com', field: 'newPassword' });
    expect(found.map((p) => p.path)).toEqual(['newPassword', 'newPassword', 'newPassword']);
    expect(found.map((p) => p.message)).toEqual([
      expect.stringMatching(/at least 12/),
      expect.stringMatching(/common/i),
      expect.stringMatching(/email/i),
    ]);
  });
});

describe('weakPassword', () => {
  it('refuses with the broken rules, which the handler answers as 400 weak_password with them as details', () => {
    const refusal = weakPassword('Password1', { ...policy, field: 'newPassword' });

    expect(refusal).toEqual({ kind: 'weak_password', problems: [{ path: 'newPassword', message: expect.stringMatching(/common/i) }] });
    const error = refusalError(refusal!);
    expect(error.status).toBe(400);
    expect(error.toBody()).toEqual({
      error: 'weak_password',
      message: expect.any(String),
      details: [{ path: 'newPassword', message: expect.stringMatching(/common/i) }],
    });
  });

  it('returns null for an acceptable password', () => {
    expect(weakPassword('violet submarine at dawn', { ...policy, email: 'maria.lopez@example.com', username: 'pos-001' })).toBeNull();
  });
});

describe('hashPassword and verifyPassword', () => {
  it('never truncate: two 128-character passwords that differ only in the last character are different passwords', async () => {
    const hash = await hashPassword(`${'x'.repeat(127)}b`);

    expect(await verifyPassword(hash, `${'x'.repeat(127)}a`)).toBe(false);
    expect(await verifyPassword(hash, `${'x'.repeat(127)}b`)).toBe(true);
  });

  it('normalize with NFKC: a composed é verifies against the hash of the decomposed e + U+0301, and the reverse', async () => {
    const decomposed = 'cafe\u0301 au lait tous les jours';
    const composed = 'caf\u00e9 au lait tous les jours';
    expect(decomposed).not.toBe(composed);

    expect(await verifyPassword(await hashPassword(decomposed), composed)).toBe(true);
    expect(await verifyPassword(await hashPassword(composed), decomposed)).toBe(true);
    expect(await verifyPassword(await hashPassword(composed), 'cafe au lait tous les jours')).toBe(false);
  });

  it('normalize with NFKC: a fullwidth password verifies against the hash of its ASCII form', async () => {
    expect(await verifyPassword(await hashPassword('violet sub 42'), 'ｖｉｏｌｅｔ ｓｕｂ ４２')).toBe(true);
  });
});
