/** GET /users: the users the caller may manage, with filters and an opaque cursor. */
import { invalidRequest } from './core/http/api-error.ts';
import { decodeUserCursor, encodeUserCursor } from './core/http/cursors.ts';
import { creatableRoles } from './core/flows/user-management.ts';
import { listUsers, toPublicUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('listUsers', async ({ d, query, principal }) => {
  const after = query.cursor ? decodeUserCursor(query.cursor) : null;
  // A cursor is handed out for the caller's tenant only: another tenant's is not one.
  if (after && after.tenantId !== principal.tenantId) throw invalidRequest([{ path: 'cursor', message: 'Invalid cursor' }]);
  const manageable = creatableRoles[principal.role];
  const isManager = principal.role === 'MANAGER';
  // A role the caller cannot manage lists nothing.
  if (query.role && !isManager && !manageable.includes(query.role)) return json(200, { items: [], cursor: null });
  const page = await listUsers(d, {
    tenantId: principal.tenantId,
    limit: query.limit,
    ...(query.role ? { roles: [query.role] } : isManager ? {} : { roles: manageable }),
    ...(query.status ? { status: query.status } : {}),
    ...(isManager ? {} : { createdBy: principal.userId }),
    ...(after ? { after } : {}),
  });
  return json(200, { items: page.items.map(toPublicUser), cursor: page.next ? encodeUserCursor(page.next) : null });
});
