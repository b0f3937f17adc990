import { emailField } from './core/http/email-input.ts';
import { invalidRequest } from './core/http/api-error.ts';
import { USERNAME, normalizeIdentifier } from './core/infra/identifiers.ts';
import { createManagedUser } from './core/flows/user-creation.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('createUser', async ({ d, body, principal, client }) => {
  const username = body.username ? normalizeIdentifier(body.username) : null;
  if (username !== null && !USERNAME.test(username)) {
    throw invalidRequest([{ path: 'username', message: '3 to 64 letters, digits, dots, dashes or underscores' }]);
  }
  const outcome = await createManagedUser(
    d,
    principal,
    {
      email: emailField(body.email),
      username,
      password: body.password ?? null,
      role: body.role,
      firstName: body.first_name ?? null,
      lastName: body.last_name ?? null,
      phone: body.phone ?? null,
    },
    client,
  );
  return json(201, toPublicUser(unlessRefused(outcome, principal).user));
});
