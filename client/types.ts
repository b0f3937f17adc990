/**
 * The client's types, inferred from the schemas the handlers validate with.
 * Type-only imports: nothing of zod or the handlers reaches a bundle.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../functions/core/http/api-error.ts';
import type { errorBody, loginBody, logoutBody, tokenResponse, userObject } from '../functions/core/http/schemas.ts';

/** The body of a login or refresh. */
export type TokenResponse = z.infer<typeof tokenResponse>;
/** The user object of `/auth/me`, login and refresh. */
export type User = z.infer<typeof userObject>;
/** The one error shape of the API. */
export type ErrorBody = z.infer<typeof errorBody>;
export type { ErrorCode };

type LoginFields = Required<z.input<typeof loginBody>>;
type One<K extends keyof LoginFields> = { [P in K]: LoginFields[P] };

/** One identifier (`email`, or `username` / its alias `posId`) and the password (or its alias `currentPassword`). */
export type LoginCredentials = (One<'email'> | One<'username'> | One<'posId'>) & (One<'password'> | One<'currentPassword'>);

export type LogoutOptions = z.input<typeof logoutBody>;

/** What the client keeps between calls: the token body of the last login or refresh. */
export type StoredSession = Pick<TokenResponse, 'access_token' | 'expires_in' | 'expires_at' | 'refresh_token' | 'refresh_expires_at' | 'user'>;
