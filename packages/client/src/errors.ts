/** The two errors the client throws: an API answer that is not a success, and the end of the session. */
import type { ErrorBody, ErrorCode } from './types.js';

/** A non-2xx answer of the API, with the fields of its error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** The API's error code; `invalid_response` when the body was not the API's error shape (a proxy's page, say). */
  readonly error: ErrorCode | 'invalid_response';
  readonly details: NonNullable<ErrorBody['details']>;
  /** Set on `403 forbidden`: the caller's role. */
  readonly role: ErrorBody['role'];

  constructor(status: number, body: Partial<ErrorBody> | undefined) {
    const error = typeof body?.error === 'string' ? (body.error as ErrorCode) : 'invalid_response';
    super(typeof body?.message === 'string' ? body.message : `HTTP ${status}`);
    this.status = status;
    this.error = error;
    this.details = Array.isArray(body?.details) ? body.details : [];
    this.role = body?.role;
  }

  /** Reads the error body of a response (consumes it). */
  static async from(response: Response): Promise<ApiError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    return new ApiError(response.status, body !== null && typeof body === 'object' ? (body as Partial<ErrorBody>) : undefined);
  }
}

/**
 * Why a session ended without `logout()` of this client:
 * - `midnight`: past `refresh_expires_at`, the session's last moment;
 * - `invalid_grant`: the API refused the refresh token (revoked, reused, user disabled);
 * - `cleared`: the shared storage was emptied by someone else (another client's logout or end);
 * - `no_session`: nobody has logged in.
 */
export type SessionEndReason = 'midnight' | 'invalid_grant' | 'cleared' | 'no_session';

/** The session is over; only a new login helps. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
  readonly reason: SessionEndReason;
  constructor(reason: SessionEndReason) {
    super(reason === 'no_session' ? 'Not logged in' : `The session has ended (${reason}); log in again`);
    this.reason = reason;
  }
}
