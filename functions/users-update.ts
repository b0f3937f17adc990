/** PATCH /users/{id}: role, status and profile of a user the caller may manage. */
import { z } from 'zod';
import { changeManagedUser } from './core/user-admin.ts';
import { profileChanges, profileFields, roleField, statusField } from './core/user-input.ts';
import { toPublicUser } from './core/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const updateUserBody = z.strictObject({
  role: roleField.optional(),
  status: statusField.optional(),
  ...profileFields,
  /** Only to refuse a move: users never change tenant. */
  tenant_id: z.string().max(256).optional(),
});

export const handler = protectedRoute('updateUser', { body: updateUserBody }, async ({ d, body, pathParameters, principal, client }) => {
  const user = await changeManagedUser(
    d,
    principal,
    pathParameters.id ?? '',
    {
      ...(body.role ? { role: body.role } : {}),
      ...(body.status ? { status: body.status } : {}),
      ...(body.tenant_id !== undefined ? { tenantId: body.tenant_id } : {}),
      ...profileChanges(body),
    },
    client,
  );
  return json(200, toPublicUser(user));
});
