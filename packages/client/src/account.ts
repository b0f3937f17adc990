/** The account routes of the API: the user's profile, password, sessions and API tokens. */
import { ApiError } from './errors.js';
import type {
  ApiToken,
  ApiTokenWithText,
  ChangePasswordInput,
  NewApiToken,
  ProfileUpdate,
  ResetPasswordInput,
  Session,
  StatusMessage,
  User,
} from './types.js';

export interface AccountApi {
  /** The caller's user object. Throws `ApiError` or `SessionEndedError`. */
  me(): Promise<User>;
  /** `PATCH /auth/me`: first name, last name, phone; returns the updated user. */
  updateProfile(fields: ProfileUpdate): Promise<User>;
  /** Asks for a reset code by email; the answer is the same whether the account exists or not. No session needed. */
  forgotPassword(email: string): Promise<StatusMessage>;
  /** Sets a new password with the emailed code; every session of the user ends. No session needed. */
  resetPassword(input: ResetPasswordInput): Promise<StatusMessage>;
  /** Changes the caller's password; every other session of the user ends, this one stays. */
  changePassword(input: ChangePasswordInput): Promise<StatusMessage>;
  /** The caller's live sessions; `current` marks this one. */
  listSessions(): Promise<Session[]>;
  /** Ends one of the caller's sessions (another device, say). */
  revokeSession(id: string): Promise<void>;
  /** Creates an API token; its text is in this answer only. Needs `api_tokens:manage`. */
  createApiToken(input: NewApiToken): Promise<ApiTokenWithText>;
  /** The caller's API tokens, without their text. */
  listApiTokens(): Promise<ApiToken[]>;
  /** Replaces a token's text (same id and expiry); the old text stops at once. */
  rotateApiToken(id: string): Promise<ApiTokenWithText>;
  deleteApiToken(id: string): Promise<void>;
}

type Send = (input: string, init?: RequestInit) => Promise<Response>;
type PostJson = (path: string, body: unknown) => Promise<Response>;

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The body of a 2xx answer, or `ApiError`. */
async function answer<T>(response: Response): Promise<T> {
  if (!response.ok) throw await ApiError.from(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

const segment = (id: string) => encodeURIComponent(id);

export function accountApi(authorized: Send, postJson: PostJson, userChanged: (user: User) => Promise<void>): AccountApi {
  return {
    me: async () => answer<User>(await authorized('/auth/me')),
    async updateProfile(fields) {
      const user = await answer<User>(await authorized('/auth/me', json('PATCH', fields)));
      await userChanged(user);
      return user;
    },
    forgotPassword: async (email) => answer<StatusMessage>(await postJson('/auth/password/forgot', { email })),
    resetPassword: async (input) => answer<StatusMessage>(await postJson('/auth/password/reset', input)),
    changePassword: async (input) => answer<StatusMessage>(await authorized('/auth/password/change', json('POST', input))),
    listSessions: async () => (await answer<{ items: Session[] }>(await authorized('/auth/sessions'))).items,
    revokeSession: async (id) => answer<void>(await authorized(`/auth/sessions/${segment(id)}`, { method: 'DELETE' })),
    createApiToken: async (input) => answer<ApiTokenWithText>(await authorized('/auth/api-tokens', json('POST', input))),
    listApiTokens: async () => (await answer<{ items: ApiToken[] }>(await authorized('/auth/api-tokens'))).items,
    rotateApiToken: async (id) => answer<ApiTokenWithText>(await authorized(`/auth/api-tokens/${segment(id)}/rotate`, { method: 'POST' })),
    deleteApiToken: async (id) => answer<void>(await authorized(`/auth/api-tokens/${segment(id)}`, { method: 'DELETE' })),
  };
}
