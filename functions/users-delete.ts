/** DELETE /users/{id}: disables the user; its sessions and API tokens stop at once. */
import { disableManagedUser } from './core/flows/user-admin.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('disableUser', async ({ d, pathParameters, principal, client }) => {
  unlessRefused(await disableManagedUser(d, principal, pathParameters.id ?? '', client), principal);
  return noContent();
});
