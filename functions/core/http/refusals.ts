/** The one place where a flow's refusal (flows/outcomes.ts) becomes the HTTP error of API.md. */
import type { Principal } from '../flows/authorize.ts';
import { isRefusal, type Refusal } from '../flows/outcomes.ts';
import { ApiError, invalidRequest } from './api-error.ts';

const retryAfter = (seconds: number) => ({ headers: { 'Retry-After': String(seconds) } });

export function refusalError(refusal: Refusal, caller?: Pick<Principal, 'role'>): ApiError {
  switch (refusal.kind) {
    case 'invalid_credentials':
      return new ApiError('invalid_credentials');
    case 'disabled':
      return new ApiError('account_disabled');
    case 'unauthorized':
      return new ApiError('unauthorized');
    case 'forbidden':
      return new ApiError('forbidden', caller ? { extra: { role: caller.role } } : {});
    case 'not_found':
      return new ApiError('not_found');
    case 'invalid_code':
      return new ApiError('invalid_code');
    case 'weak_password':
      return new ApiError('weak_password', { details: refusal.problems });
    case 'conflict':
      return new ApiError('conflict', {
        message: `That ${refusal.field} is already taken`,
        details: [{ path: refusal.field, message: 'Already taken' }],
      });
    case 'rate_limited':
      return new ApiError('rate_limit_exceeded', retryAfter(refusal.retryAfter));
    case 'locked':
      return new ApiError('account_locked', retryAfter(refusal.retryAfter));
    case 'password_required':
      return invalidRequest([{ path: 'password', message: 'Required: this service sends no email, so it cannot invite' }]);
    case 'unavailable':
      return new ApiError('service_unavailable');
  }
}

/** A flow's success, or its refusal thrown as the error the handler answers with. */
export function unlessRefused<T extends { readonly kind: string }>(
  outcome: T | Refusal,
  caller?: Pick<Principal, 'role'>,
): Exclude<T, Refusal> {
  if (isRefusal(outcome)) throw refusalError(outcome, caller);
  return outcome as Exclude<T, Refusal>;
}
