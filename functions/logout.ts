/** POST /auth/logout: revoke the caller's session, or with `{"all": true}` every session of the user. */
import { logoutBody } from './core/http/schemas.ts';
import { audit } from './core/records/audit.ts';
import { revokeAllSessions, revokeSession } from './core/records/sessions.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';
import { settleAll } from './core/infra/settle.ts';

export const handler = protectedRoute(
  'logout',
  { body: logoutBody, bodyRequired: false },
  async ({ d, body, principal, client }) => {
    await settleAll([
      body.all
        ? revokeAllSessions(d, principal.userId)
        : principal.sessionId && revokeSession(d, principal.userId, principal.sessionId),
      audit(d, client, {
        type: 'logout',
        outcome: 'success',
        reason: body.all ? 'all_sessions' : 'this_session',
        userId: principal.userId,
        tenantId: principal.tenantId,
      }),
    ]);
    return noContent();
  },
);
