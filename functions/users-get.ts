/** GET /users/{id}: a user the caller may manage. */
import { managedUser } from './core/flows/user-admin.ts';
import { toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('getUser', {}, async ({ d, pathParameters, principal }) =>
  json(200, toPublicUser(await managedUser(d, principal, pathParameters.id ?? ''))),
);
