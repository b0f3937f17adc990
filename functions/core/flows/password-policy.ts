/**
 * The password policy (NIST SP 800-63B): a length range in Unicode code
 * points after NFKC, no composition rules, not a common password, and not
 * built on the account's own names.
 */
import { commonPasswords } from './data/common-passwords.ts';
import type { PolicyProblem, Refusal } from './outcomes.ts';
import { normalizePassword } from '../crypto/passwords.ts';

export const MAX_PASSWORD_LENGTH = 128;
/** Names shorter than this are too common a substring to forbid. */
const MIN_NAME_LENGTH = 3;

let common: ReadonlySet<string> | undefined;
/** Built on first use, once per container. */
const commonSet = (): ReadonlySet<string> => (common ??= new Set(commonPasswords().map((p) => p.toLowerCase())));

export interface PolicyContext {
  readonly minLength: number;
  /** The body field the details name. @default 'password' */
  readonly field?: string;
  readonly email?: string | null;
  readonly username?: string | null;
}

/** The rules a password breaks; empty when it is acceptable. */
export function passwordProblems(password: string, context: PolicyContext): PolicyProblem[] {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  const problems: PolicyProblem[] = [];
  const problem = (message: string) => problems.push({ path: context.field ?? 'password', message });
  if (length < context.minLength) problem(`Must be at least ${context.minLength} characters`);
  if (length > MAX_PASSWORD_LENGTH) problem(`Must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = normalized.toLowerCase();
  if (commonSet().has(lower)) problem('Is a commonly used password');
  const localPart = context.email?.split('@')[0]?.normalize('NFKC').toLowerCase();
  if (localPart && [...localPart].length >= MIN_NAME_LENGTH && lower.includes(localPart)) {
    problem('Must not contain the email address');
  }
  const username = context.username?.normalize('NFKC').toLowerCase();
  if (username && [...username].length >= MIN_NAME_LENGTH && lower.includes(username)) {
    problem('Must not contain the username');
  }
  return problems;
}

/** `weak_password` with the broken rules, or `null` when the password is acceptable. */
export function weakPassword(password: string, context: PolicyContext): Extract<Refusal, { kind: 'weak_password' }> | null {
  const problems = passwordProblems(password, context);
  return problems.length > 0 ? { kind: 'weak_password', problems } : null;
}
