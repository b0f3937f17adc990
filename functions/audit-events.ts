/** GET /audit/events (MANAGER): the tenant's audit events, newest first, with filters and a cursor. */
import { z } from 'zod';
import { auditTypes, listAuditEvents } from './core/audit.ts';
import { ApiError } from './core/errors.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

/** The cursor is the sort key of the last event returned, base64url-encoded: opaque to clients. */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;
const encodeCursor = (sk: string) => Buffer.from(sk, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  return SORT_KEY.test(sk) ? sk : null;
};

export const auditQuery = z.strictObject({
  user_id: z.string().min(1).max(64).optional(),
  type: z.enum(auditTypes).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).refine((c) => decodeCursor(c) !== null, 'Invalid cursor').optional(),
});

export const handler = protectedRoute('listAuditEvents', { query: auditQuery }, async ({ d, query, principal }) => {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    throw new ApiError('invalid_request', { message: 'since must not be after until', details: [{ path: 'since', message: 'After until' }] });
  }
  const page = await listAuditEvents(d, {
    tenantId: principal.tenantId,
    limit: query.limit,
    ...(query.user_id ? { userId: query.user_id } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.until ? { until: query.until } : {}),
    ...(query.cursor ? { after: decodeCursor(query.cursor) as string } : {}),
  });
  return json(200, { items: page.items, cursor: page.next ? encodeCursor(page.next) : null });
});
