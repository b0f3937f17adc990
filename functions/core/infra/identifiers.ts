/**
 * Login names. Emails and usernames are matched case-insensitively across the
 * whole deployment: NFKC (so look-alike compatibility forms fold together),
 * trimmed, lower-cased.
 */
export const normalizeIdentifier = (value: string): string => value.normalize('NFKC').trim().toLowerCase();

/**
 * Deliberately loose: one `@`, something on each side, a dot in the domain
 * between labels, no spaces; SES is the real check. No character that shows
 * nothing either: control and format characters (NUL, bidi overrides,
 * zero-width joiners), the rest of Unicode's default-ignorables (variation
 * selectors, the combining grapheme joiner, Hangul fillers) and the blank
 * braille pattern. They make one address look like another. Nor a domain
 * ending in a dot, which names the same mailbox as the one without it.
 */
const EMAIL =
  /^[^\s@\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]+@(?:[^\s@.\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]+\.)+[^\s@.\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]+$/u;
export const MAX_EMAIL_LENGTH = 254;
export const isEmail = (value: string): boolean => value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value);

/** Usernames and POS ids: letters, digits, `.`, `_`, `-`; never an `@`, so they cannot pass for an email. */
export const MAX_USERNAME_LENGTH = 64;
export const USERNAME = new RegExp(`^[a-z0-9._-]{3,${MAX_USERNAME_LENGTH}}$`);

export type Identifier = { readonly kind: 'email' | 'username'; readonly value: string };
