/** The typed client of the auth API: no runtime dependencies, for Node ≥ 22 and browsers. */
export { createAuthClient, type AuthClient, type AuthClientOptions, type FetchLike, type SessionEndedListener } from './auth-client.ts';
export { ApiError, SessionEndedError, type SessionEndReason } from './errors.ts';
export { plan, type Plan } from './schedule.ts';
export { memoryStorage, webStorage, type TokenStorage, type WebStorageLike } from './storage.ts';
export type { ErrorBody, ErrorCode, LoginCredentials, LogoutOptions, StoredSession, TokenResponse, User } from './types.ts';
