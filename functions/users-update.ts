import { changeManagedUser } from './core/flows/user-admin.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { profileChanges } from './core/http/user-input.ts';
import { toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('updateUser', async ({ d, body, pathParameters, principal, client }) => {
  const outcome = await changeManagedUser(
    d,
    principal,
    pathParameters.id ?? '',
    {
      ...(body.role ? { role: body.role } : {}),
      ...(body.status ? { status: body.status } : {}),
      ...profileChanges(body),
    },
    client,
  );
  return json(200, toPublicUser(unlessRefused(outcome, principal).user));
});
