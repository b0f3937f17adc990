/** DELETE /auth/sessions/{id}: revokes one of the caller's sessions; its tokens stop at once. */
import { revokeOwnSession } from './core/flows/own-sessions.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('revokeSession', async ({ d, pathParameters, principal, client }) => {
  unlessRefused(await revokeOwnSession(d, principal, pathParameters.id ?? '', client));
  return noContent();
});
