/** DELETE /auth/sessions/{id}: revokes one of the caller's sessions; its tokens stop at once. */
import { audit } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { getSession, isLive, revokeSession } from './core/records/sessions.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';
import { settleAll } from './core/infra/settle.ts';

export const handler = protectedRoute('revokeSession', {}, async ({ d, pathParameters, principal, client }) => {
  // Sessions live under their user: another user's id is simply not found here.
  const session = await getSession(d, principal.userId, pathParameters.id ?? '');
  if (!session || !isLive(session, d.clock.now())) throw new ApiError('not_found');
  await settleAll([
    revokeSession(d, principal.userId, session.sessionId),
    audit(d, client, { type: 'session.revoked', outcome: 'success', reason: session.sessionId === principal.sessionId ? 'current' : 'other', userId: principal.userId, tenantId: principal.tenantId }),
  ]);
  return noContent();
});
