/**
 * The API's wire format as plain types, so that the package needs nothing
 * but itself. `test/packages/client/wire-types.test.ts` keeps them equal to
 * the server's zod schemas.
 */

/** ISO 8601 in UTC with milliseconds. */
export type Timestamp = string;

export type Role = 'MANAGER' | 'AGENT' | 'CASHIER' | 'CUSTOMER';

/** The user object of `/auth/me`, login and refresh. */
export interface User {
  id: string;
  email: string;
  username: string | null;
  role: Role;
  tenant_id: string;
  customer_id: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  status: 'active' | 'disabled';
  created_at: Timestamp;
  created_by: string | null;
  last_login_at: Timestamp | null;
  /** `bounced` or `complained` once SES reported the address undeliverable: no mail goes to it then. */
  email_status: 'bounced' | 'complained' | null;
  permissions: string[];
}

/** The body of a login or refresh. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  expires_at: Timestamp;
  refresh_token: string;
  refresh_expires_at: Timestamp;
  user: User;
}

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

/** The one error shape of the API. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: { path: string; message: string }[];
  role?: Role;
}

type Identifier = { email: string } | { username: string } | { posId: string };
type Secret = { password: string } | { currentPassword: string };

/** One identifier (`email`, or `username` / its alias `posId`) and the password (or its alias `currentPassword`). */
export type LoginCredentials = Identifier & Secret;

export interface LogoutOptions {
  /** Revoke every session of the user, not only this one. */
  all?: boolean;
}

/** `{ status: true, message }`: the answer of the password routes. */
export interface StatusMessage {
  status: true;
  message: string;
}

/** The body of `POST /auth/password/reset`; `code` may be sent as its alias `resetCode`. */
export type ResetPasswordInput = { email: string; password: string } & ({ code: string } | { resetCode: string });

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}

/** `PATCH /auth/me`: only these fields; `null` clears one. */
export interface ProfileUpdate {
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
}

/** One live session of the caller (`GET /auth/sessions`). */
export interface Session {
  id: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

export type ApiTokenExpiry = '24h' | '1mo' | '3mo' | '6mo' | '1y';

export interface NewApiToken {
  name: string;
  expires_in: ApiTokenExpiry;
}

/** An API token as listed: never its text. */
export interface ApiToken {
  id: string;
  name: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
}

/** An API token as created or rotated: the only time its text is shown. */
export interface ApiTokenWithText extends ApiToken {
  token: string;
}

/**
 * What the client keeps between calls: the token body of the last login or
 * refresh, and `clock_offset_ms`, the server's clock minus the device's when
 * it arrived (so a wrong device clock does not move the refresh).
 */
export interface StoredSession {
  access_token: string;
  expires_in: number;
  expires_at: Timestamp;
  refresh_token: string;
  refresh_expires_at: Timestamp;
  user: User;
  /** @default 0 (a session stored by an older client) */
  clock_offset_ms?: number;
}
