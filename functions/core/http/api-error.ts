/**
 * The one error type meant for callers. Exactly one middleware renders it
 * (`http/errors.ts`); anything else becomes a 500 with nothing of its own shown.
 */
import type { UnauthorizedReason } from '../flows/authorize.ts';

export type ErrorCode =
  | 'invalid_request'
  | 'weak_password'
  | 'invalid_code'
  | 'unauthorized'
  | 'invalid_credentials'
  | 'invalid_grant'
  | 'forbidden'
  | 'account_disabled'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limit_exceeded'
  | 'account_locked'
  | 'internal_server_error'
  | 'service_unavailable';

/** The HTTP status of each code: the renderer's and the OpenAPI document's. */
export const statusOf: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  weak_password: 400,
  invalid_code: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_grant: 401,
  forbidden: 403,
  account_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_exceeded: 429,
  account_locked: 429,
  internal_server_error: 500,
  service_unavailable: 503,
};

/** The one public message per code where the message must not vary. */
const defaultMessage: Record<ErrorCode, string> = {
  invalid_request: 'The request is invalid',
  weak_password: 'The password does not meet the password policy',
  invalid_code: 'The reset code is invalid or expired',
  unauthorized: 'A valid credential is required',
  invalid_credentials: 'Invalid credentials',
  invalid_grant: 'The refresh token is invalid, expired or revoked',
  forbidden: 'You are not allowed to do this',
  account_disabled: 'The account is disabled',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'The resource already exists',
  payload_too_large: 'The request body is larger than 16 KiB',
  unsupported_media_type: 'The request body must be sent as application/json',
  rate_limit_exceeded: 'Too many requests',
  account_locked: 'Too many failed attempts; try again later',
  internal_server_error: 'Internal server error',
  service_unavailable: 'The service is temporarily unavailable; try again',
};

/**
 * The challenge of a 401 `unauthorized` (RFC 6750 §3): the bare scheme when
 * the request carried no credential (§3.1), else `invalid_token` with one of
 * two fixed descriptions, expired or not. A malformed, forged, revoked or
 * unknown credential all get the second, so the answer tells an attacker
 * nothing; the body is the same in all three cases.
 */
export const challenges: Readonly<Record<UnauthorizedReason, string>> = {
  missing: 'Bearer',
  expired: 'Bearer error="invalid_token", error_description="The credential expired"',
  invalid: 'Bearer error="invalid_token", error_description="A valid credential is required"',
};

/** Headers a code always carries; an `unauthorized` that does not say why gets the generic challenge. */
const defaultHeaders: Partial<Record<ErrorCode, Readonly<Record<string, string>>>> = {
  unauthorized: { 'WWW-Authenticate': challenges.invalid },
};

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export interface ApiErrorOptions {
  readonly message?: string;
  readonly details?: readonly ErrorDetail[];
  /** Extra public fields of the body, such as `role` on `forbidden`. */
  readonly extra?: Readonly<Record<string, string>>;
  /** Extra response headers, such as `Retry-After` or `Allow`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Private detail for the logs; never rendered. */
  readonly cause?: unknown;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly details: readonly ErrorDetail[] | undefined;
  readonly extra: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    options: ApiErrorOptions = {},
  ) {
    super(options.message ?? defaultMessage[code], { cause: options.cause });
    this.status = statusOf[code];
    this.details = options.details;
    this.extra = options.extra ?? {};
    this.headers = { ...defaultHeaders[code], ...options.headers };
  }

  /** The public body, in the shape of API.md. */
  toBody(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...this.extra,
    };
  }
}

/** A 401 `unauthorized` whose challenge says why, as far as the caller may know. */
export const unauthorized = (reason: UnauthorizedReason): ApiError =>
  new ApiError('unauthorized', { headers: { 'WWW-Authenticate': challenges[reason] } });

/** A 400 that lists what is wrong; the message names the first problem. */
export function invalidRequest(details: readonly ErrorDetail[]): ApiError {
  const [first] = details;
  const message = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'The request is invalid';
  return new ApiError('invalid_request', { message, details });
}
