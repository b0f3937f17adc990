/**
 * Compiled, not run: each line fails type-checking when the client's plain
 * wire types and the server's zod schemas drift apart. `wire-types.test.ts`
 * compiles it against the package's built `.d.ts`; `npm run typecheck`
 * against its sources.
 */
import type * as client from '@serverless-auth/client';
import type { z } from 'zod';
import type { ErrorCode } from '../../../functions/core/http/api-error.ts';
import type { roles } from '../../../functions/core/infra/permissions.ts';
import type * as schemas from '../../../functions/core/http/schemas.ts';
import type { expiryChoices } from '../../../functions/core/crypto/token-expiry.ts';

/** `true` only when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<A, B> = [A] extends [B] ? true : false;
type Item<T> = T extends { items: (infer I)[] } ? I : never;

export const sameShapes: true[] = [
  true satisfies Same<client.User, z.infer<typeof schemas.userObject>>,
  true satisfies Same<client.TokenResponse, z.infer<typeof schemas.tokenResponse>>,
  true satisfies Same<client.ErrorBody, z.infer<typeof schemas.errorBody>>,
  true satisfies Same<client.StatusMessage, z.infer<typeof schemas.statusMessage>>,
  true satisfies Same<client.Session, Item<z.infer<typeof schemas.sessionList>>>,
  true satisfies Same<client.ApiToken, Item<z.infer<typeof schemas.apiTokenList>>>,
  true satisfies Same<client.ApiTokenWithText, z.infer<typeof schemas.apiTokenWithText>>,
  true satisfies Same<client.ProfileUpdate, z.input<typeof schemas.updateMeBody>>,
  true satisfies Same<client.ChangePasswordInput, z.input<typeof schemas.changePasswordBody>>,
  true satisfies Same<client.NewApiToken, z.input<typeof schemas.createApiTokenBody>>,
  true satisfies Same<client.LogoutOptions, z.input<typeof schemas.logoutBody>>,
  true satisfies Same<client.ErrorCode, ErrorCode>,
  true satisfies Same<client.Role, (typeof roles)[number]>,
  true satisfies Same<client.ApiTokenExpiry, (typeof expiryChoices)[number]>,
];

/** The client's request types are stricter than the schemas (exactly one identifier, one code field), never looser. */
export const acceptedRequests: true[] = [
  true satisfies Assignable<client.LoginCredentials, z.input<typeof schemas.loginBody>>,
  true satisfies Assignable<client.ResetPasswordInput, z.input<typeof schemas.resetBody>>,
];
