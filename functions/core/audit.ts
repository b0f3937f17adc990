/**
 * Audit events: one structured log line per authentication event. Never a
 * password, token or code: only ids, outcomes and reasons.
 */
import { logger } from './logger.ts';

export type AuditType =
  | 'login.succeeded'
  | 'login.failed'
  | 'refresh.succeeded'
  | 'refresh.reuse_detected'
  | 'logout'
  | 'session.revoked';

export interface AuditEvent {
  readonly type: AuditType;
  readonly outcome: 'success' | 'failure';
  readonly reason?: string;
  readonly userId?: string | null;
  readonly tenantId?: string | null;
  readonly actorId?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
}

export function audit(event: AuditEvent): void {
  logger.info('audit', {
    audit: {
      type: event.type,
      outcome: event.outcome,
      reason: event.reason ?? null,
      user_id: event.userId ?? null,
      tenant_id: event.tenantId ?? null,
      actor_id: event.actorId ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent ?? null,
    },
  });
}
