/** Opaque page cursors: base64url of where the next page starts, checked on the way back in. */
import * as z from 'zod';
import type { UserCursor } from '../records/users.ts';

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decode = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/** Audit pages: the sort key of the last event returned. */
const AUDIT_SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;
export const encodeAuditCursor = (sortKey: string): string => encode(sortKey);
export function decodeAuditCursor(cursor: string): string | null {
  const sortKey = decode(cursor);
  return AUDIT_SORT_KEY.test(sortKey) ? sortKey : null;
}

/** User pages: the index key of the last user returned. */
// Exactly what listUsers hands out: a crafted cursor (empty strings, wrong types, keys of another index) is no cursor.
const userCursorShape = z.strictObject({
  pk: z.string().regex(/^USER#[0-9a-f-]{36}$/),
  tenantId: z.string().min(1).max(256),
  createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
});
export const encodeUserCursor = (cursor: UserCursor): string => encode(JSON.stringify(cursor));
export function decodeUserCursor(cursor: string): UserCursor | null {
  try {
    const parsed = userCursorShape.safeParse(JSON.parse(decode(cursor)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
