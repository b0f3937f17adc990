/** GET /auth/sessions: the caller's live sessions, the current one marked. */
import { isLive, listSessions } from './core/records/sessions.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('listSessions', async ({ d, principal }) => {
  const now = d.clock.now();
  const live = (await listSessions(d, principal.userId)).filter((s) => isLive(s, now));
  live.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  return json(200, {
    items: live.map((s) => ({
      id: s.sessionId,
      created_at: s.createdAt,
      last_used_at: s.lastUsedAt,
      ip: s.ip,
      user_agent: s.userAgent,
      current: s.sessionId === principal.sessionId,
    })),
  });
});
