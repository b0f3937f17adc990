/** POST /users/{id}/unlock (MANAGER): clear a user's login lockout. */
import { unlockUser } from './core/flows/user-admin.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('unlockUser', async ({ d, pathParameters, principal, client }) => {
  unlessRefused(await unlockUser(d, principal, pathParameters.id ?? '', client));
  return noContent();
});
