/** POST /auth/logout: revoke the caller's session, or with `{"all": true}` every session of the user. */
import { z } from 'zod';
import { audit } from './core/audit.ts';
import { revokeAllSessions, revokeSession } from './core/sessions.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const logoutBody = z.strictObject({ all: z.boolean().optional() });

export const handler = protectedRoute(
  'logout',
  { body: logoutBody, bodyRequired: false },
  async ({ d, body, principal, client }) => {
    if (body.all) await revokeAllSessions(d, principal.userId);
    else if (principal.sessionId) await revokeSession(d, principal.userId, principal.sessionId);
    audit({
      type: 'logout',
      outcome: 'success',
      reason: body.all ? 'all_sessions' : 'this_session',
      userId: principal.userId,
      tenantId: principal.tenantId,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    return noContent();
  },
);
