/** GET /auth/me: the caller's user object. */
import { ApiError } from './core/http/api-error.ts';
import { getUser, toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('getMe', async ({ d, principal }) => {
  // The authorizer's one read already gave the user (the session's copy); only an older session needs a read.
  const user = principal.user ?? (await getUser(d, principal.userId));
  // The credential was live a moment ago; a user removed since then is no longer anyone.
  if (user?.status !== 'active') throw new ApiError('unauthorized');
  return json(200, toPublicUser(user));
});
