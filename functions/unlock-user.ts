/** POST /users/{id}/unlock (MANAGER): clear a user's login lockout. */
import { audit } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { clearFailures } from './core/records/lockouts.ts';
import { getUser } from './core/records/users.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('unlockUser', {}, async ({ d, pathParameters, principal, client }) => {
  const user = pathParameters.id ? await getUser(d, pathParameters.id) : null;
  // Another tenant's user is as unknown as no user at all.
  if (!user || user.tenantId !== principal.tenantId) throw new ApiError('not_found');
  const wasLocked = await clearFailures(d, { userId: user.id });
  if (wasLocked) {
    await audit(d, client, { type: 'lockout.unlocked', outcome: 'success', userId: user.id, tenantId: user.tenantId, actorId: principal.userId });
  }
  return noContent();
});
