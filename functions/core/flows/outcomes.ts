/**
 * The ways a flow says no. Every flow returns its success as a tagged value
 * (`{ kind: 'changed' }`, `{ kind: 'created', user }` …) or one of these;
 * only handlers turn them into HTTP errors (http/refusals.ts). A fault, such
 * as a store that is down, is still thrown.
 */

/** One rule a new password breaks, with the body field it is about. */
export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}

export type Refusal =
  | { readonly kind: 'invalid_credentials' }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'invalid_code' }
  | { readonly kind: 'weak_password'; readonly problems: readonly PolicyProblem[] }
  | { readonly kind: 'conflict'; readonly field: 'email' | 'username' }
  | { readonly kind: 'rate_limited'; readonly retryAfter: number }
  | { readonly kind: 'locked'; readonly retryAfter: number }
  /** A user without a password would be invited by email, and this service sends none (mail is off). */
  | { readonly kind: 'password_required' }
  /** The account changed under the request; a retry is judged on it as it is then. */
  | { readonly kind: 'unavailable' };

const refusalKinds: ReadonlySet<string> = new Set<Refusal['kind']>([
  'invalid_credentials',
  'disabled',
  'unauthorized',
  'forbidden',
  'not_found',
  'invalid_code',
  'weak_password',
  'conflict',
  'rate_limited',
  'locked',
  'password_required',
  'unavailable',
]);

export const isRefusal = (outcome: { readonly kind: string }): outcome is Refusal => refusalKinds.has(outcome.kind);

export const refused = {
  invalidCredentials: { kind: 'invalid_credentials' },
  disabled: { kind: 'disabled' },
  unauthorized: { kind: 'unauthorized' },
  forbidden: { kind: 'forbidden' },
  notFound: { kind: 'not_found' },
  invalidCode: { kind: 'invalid_code' },
  passwordRequired: { kind: 'password_required' },
  unavailable: { kind: 'unavailable' },
} as const satisfies Record<string, Refusal>;
