/** PATCH /auth/me: the caller's own profile fields, and nothing else. */
import { updateOwnProfile } from './core/flows/profile.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';
import { profileChanges } from './core/http/user-input.ts';
import { toPublicUser } from './core/records/users.ts';

export const handler = protectedRoute('updateMe', async ({ d, body, principal, client }) => {
  const { user } = unlessRefused(await updateOwnProfile(d, principal, profileChanges(body), client));
  return json(200, toPublicUser(user));
});
