/** DELETE /auth/api-tokens/{id}: the token stops at once. */
import { deleteOwnApiToken } from './core/flows/api-token-lifecycle.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('deleteApiToken', async ({ d, pathParameters, principal, client }) => {
  unlessRefused(await deleteOwnApiToken(d, principal, pathParameters.id ?? '', client));
  return noContent();
});
