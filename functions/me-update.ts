/** PATCH /auth/me: the caller's own profile fields, and nothing else. */
import { updateMeBody } from './core/http/schemas.ts';
import { audit } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { profileChanges } from './core/http/user-input.ts';
import { toPublicUser, updateUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { copyUserToSessions } from './core/records/sessions.ts';
import { settleAll } from './core/infra/settle.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('updateMe', { body: updateMeBody }, async ({ d, body, principal, client }) => {
  const changes = profileChanges(body);
  const user = await updateUser(d, principal.userId, changes);
  if (!user || user.status !== 'active') throw new ApiError('unauthorized');
  if (Object.keys(changes).length > 0) {
    await settleAll([
      copyUserToSessions(d, user),
      audit(d, client, { type: 'user.updated', outcome: 'success', reason: Object.keys(body).sort().join(','), userId: user.id, tenantId: user.tenantId }),
    ]);
  }
  return json(200, toPublicUser(user));
});
