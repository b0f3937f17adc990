/**
 * Login names. Emails and usernames are matched case-insensitively across the
 * whole deployment: NFKC (so look-alike compatibility forms fold together),
 * trimmed, lower-cased.
 */
export const normalizeIdentifier = (value: string): string => value.normalize('NFKC').trim().toLowerCase();

/**
 * Deliberately loose: one `@`, something on each side, no spaces; SES is the
 * real check. No control or format characters either (NUL, bidi overrides,
 * zero-width joiners): they make one address look like another.
 */
const EMAIL = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}]+$/u;
export const MAX_EMAIL_LENGTH = 254;
export const isEmail = (value: string): boolean => value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value);

/** Usernames and POS ids: letters, digits, `.`, `_`, `-`; never an `@`, so they cannot pass for an email. */
export const USERNAME = /^[a-z0-9._-]{3,64}$/;

export type Identifier = { readonly kind: 'email' | 'username'; readonly value: string };
