/**
 * One spelling per value. Node (and jose) decode base64url leniently: `=`
 * padding, `+` and `/`, and non-zero unused bits in the last character all
 * decode to the same bytes as the canonical text. Anything keyed on a
 * token's text (its hash in a session, a cache, a log) must see only the
 * one spelling we issue.
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/;

export const isCanonicalBase64url = (text: string): boolean =>
  ALPHABET.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
