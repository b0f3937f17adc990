/** DELETE /users/{id}: disables the user; its sessions and API tokens stop at once. */
import { disableManagedUser } from './core/flows/user-admin.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('disableUser', {}, async ({ d, pathParameters, principal, client }) => {
  await disableManagedUser(d, principal, pathParameters.id ?? '', client);
  return noContent();
});
