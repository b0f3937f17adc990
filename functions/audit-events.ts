import { decodeAuditCursor, encodeAuditCursor } from './core/http/cursors.ts';
import { listAuditEvents } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('listAuditEvents', async ({ d, query, principal }) => {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    throw new ApiError('invalid_request', {
      message: 'since must not be after until',
      details: [{ path: 'since', message: 'After until' }],
    });
  }
  const page = await listAuditEvents(d, {
    tenantId: principal.tenantId,
    limit: query.limit,
    ...(query.user_id ? { userId: query.user_id } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.until ? { until: query.until } : {}),
    ...(query.cursor ? { after: decodeAuditCursor(query.cursor) as string } : {}),
  });
  return json(200, { items: page.items, cursor: page.next ? encodeAuditCursor(page.next) : null });
});
