/** GET /users: the users the caller may manage, with filters and an opaque cursor. */
import { z } from 'zod';
import { roleField, statusField } from './core/user-input.ts';
import { creatableRoles } from './core/user-management.ts';
import { listUsers, toPublicUser, type UserCursor } from './core/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

const cursorShape = z.strictObject({ pk: z.string().startsWith('USER#'), tenantId: z.string(), createdAt: z.string() });
const encodeCursor = (cursor: UserCursor) => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
function decodeCursor(text: string): UserCursor | null {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const listUsersQuery = z.strictObject({
  role: roleField.optional(),
  status: statusField.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).refine((c) => decodeCursor(c) !== null, 'Invalid cursor').optional(),
});

export const handler = protectedRoute('listUsers', { query: listUsersQuery }, async ({ d, query, principal }) => {
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const manageable = creatableRoles[principal.role];
  const isManager = principal.role === 'MANAGER';
  // A cursor from another tenant, or a role the caller cannot manage, lists nothing.
  if ((after && after.tenantId !== principal.tenantId) || (query.role && !isManager && !manageable.includes(query.role))) {
    return json(200, { items: [], cursor: null });
  }
  const page = await listUsers(d, {
    tenantId: principal.tenantId,
    limit: query.limit,
    ...(query.role ? { roles: [query.role] } : isManager ? {} : { roles: manageable }),
    ...(query.status ? { status: query.status } : {}),
    ...(isManager ? {} : { createdBy: principal.userId }),
    ...(after ? { after } : {}),
  });
  return json(200, { items: page.items.map(toPublicUser), cursor: page.next ? encodeCursor(page.next) : null });
});
