/** POST /auth/logout: revoke the caller's session, or with `{"all": true}` every session of the user. */
import { logOut } from './core/flows/own-sessions.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('logout', async ({ d, body, principal, client }) => {
  await logOut(d, principal, body.all === true, client);
  return noContent();
});
