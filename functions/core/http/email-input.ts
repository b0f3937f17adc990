/** An email field of a request: normalized, or a 400 that names the field. */
import { ApiError } from './api-error.ts';
import { isEmail, normalizeIdentifier } from '../infra/identifiers.ts';

export function emailField(value: string, path = 'email'): string {
  const email = normalizeIdentifier(value);
  if (!isEmail(email)) {
    throw new ApiError('invalid_request', {
      message: `${path} must be a valid email address`,
      details: [{ path, message: 'Invalid email address' }],
    });
  }
  return email;
}
