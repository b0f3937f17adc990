/** The typed client of the auth API: no runtime dependencies, for Node ≥ 22 and browsers. */
export type { AccountApi } from './account.js';
export {
  createAuthClient,
  type AuthClient,
  type AuthClientOptions,
  type AuthEvent,
  type AuthEventListener,
  type FetchLike,
  type SessionEndedListener,
} from './auth-client.js';
export { ApiError, SessionEndedError, type SessionEndReason } from './errors.js';
export { clockOffset, plan, refreshAt, serverNow, type Plan } from './schedule.js';
export { memoryStorage, webStorage, type TokenStorage, type WebStorageLike } from './storage.js';
export type * from './types.js';
