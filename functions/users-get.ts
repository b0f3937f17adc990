/** GET /users/{id}: a user the caller may manage. */
import { managedUser } from './core/flows/user-admin.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('getUser', async ({ d, pathParameters, principal }) => {
  const { user } = unlessRefused(await managedUser(d, principal, pathParameters.id ?? ''), principal);
  return json(200, toPublicUser(user));
});
