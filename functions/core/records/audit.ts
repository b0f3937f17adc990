/**
 * Audit events: one item in the audit table and one structured log line per
 * event. Never a password, token or code: only ids, outcomes and reasons.
 * Callers write them alongside their own writes, so the caller waits for no
 * extra round trip.
 */
import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../infra/clock.ts';
import { auditSk, auditTenantPk, auditUserPk } from './keys.ts';
import type { Deps } from '../deps.ts';
import { logger } from '../infra/logger.ts';
import { metricNames, type MetricName } from '../infra/metric-names.ts';
import { count } from '../infra/metrics.ts';
import type { ClientInfo } from './sessions.ts';

export const auditTypes = [
  'login.succeeded',
  'login.failed',
  'refresh.succeeded',
  'refresh.reuse_detected',
  'logout',
  'lockout.locked',
  'lockout.unlocked',
  'password.reset_requested',
  'password.reset',
  'password.changed',
  'user.created',
  'user.updated',
  'user.disabled',
  'api_token.created',
  'api_token.rotated',
  'api_token.deleted',
  /** A token of ours used after it was revoked, rotated, expired, or its owner disabled. */
  'api_token.rejected',
  'session.revoked',
  /** SES reported a permanent bounce of mail to the user's address: no more mail goes to it. */
  'mail.bounced',
  /** The user's mail provider reported a complaint (marked as spam): no more mail goes to the address. */
  'mail.complained',
] as const;
export type AuditType = (typeof auditTypes)[number];

/** Who and where, as the request saw it. */
export interface AuditOrigin extends ClientInfo {
  readonly requestId: string | null;
}

export interface AuditInput {
  readonly type: AuditType;
  readonly outcome: 'success' | 'failure';
  readonly reason?: string | null;
  /** The user the event is about. */
  readonly userId?: string | null;
  /** The user's tenant; `null` for identifiers that name no user. */
  readonly tenantId: string | null;
  /** Who did it, when that is someone else. */
  readonly actorId?: string | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly time: string;
  readonly type: AuditType;
  readonly outcome: 'success' | 'failure';
  readonly reason: string | null;
  readonly user_id: string | null;
  readonly actor_id: string | null;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly request_id: string | null;
}

export async function audit(d: Deps, origin: AuditOrigin, input: AuditInput): Promise<void> {
  const now = d.clock.now();
  const event: AuditEvent = {
    id: randomUUID(),
    time: now.toISOString(),
    type: input.type,
    outcome: input.outcome,
    reason: input.reason ?? null,
    user_id: input.userId ?? null,
    actor_id: input.actorId && input.actorId !== input.userId ? input.actorId : null,
    ip: origin.ip,
    user_agent: origin.userAgent,
    request_id: origin.requestId,
  };
  const metric = metricOf(input);
  if (metric) count(metric);
  logger.info('audit', { audit: { ...event, tenant_id: input.tenantId } });
  if (input.type === 'refresh.succeeded' && d.settings.auditRefreshes === 'log') return;
  const sk = auditSk(event.time, event.id);
  await d.db.put({
    TableName: d.tables.audit,
    Item: {
      pk: auditTenantPk(input.tenantId),
      sk,
      ...(event.user_id ? { userPk: auditUserPk(event.user_id) } : {}),
      tenantId: input.tenantId,
      ...event,
      expiresAt: epochSeconds(now) + d.settings.auditRetentionDays * 86_400,
    },
  });
}

/**
 * The metric an event counts in, by `type` or by `type:outcome`: every
 * event the alarms and the dashboard watch passes here, so counting them is
 * one table rather than calls spread over the flows.
 */
const countedEvents: Readonly<Record<string, MetricName>> = {
  'login.succeeded': metricNames.loginSucceeded,
  'login.failed': metricNames.loginFailed,
  'lockout.locked': metricNames.accountLocked,
  'refresh.succeeded': metricNames.refreshSucceeded,
  'refresh.reuse_detected': metricNames.refreshReuseDetected,
  'password.reset_requested': metricNames.passwordResetRequested,
  'password.reset:success': metricNames.passwordResetCompleted,
};

const metricOf = (input: AuditInput): MetricName | undefined =>
  countedEvents[`${input.type}:${input.outcome}`] ?? countedEvents[input.type];

export interface AuditQuery {
  readonly tenantId: string;
  readonly userId?: string;
  readonly type?: AuditType;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  /** The `sk` of the last event already returned. */
  readonly after?: string;
}

/** A tenant's events, newest first; `next` is the `sk` after which the following page starts. */
export async function listAuditEvents(d: Deps, query: AuditQuery): Promise<{ items: AuditEvent[]; next: string | null }> {
  const byUser = query.userId !== undefined;
  const pk = byUser ? auditUserPk(query.userId as string) : auditTenantPk(query.tenantId);
  // Sort keys start with the ISO time; '~' sorts after any `#<id>` suffix.
  const low = query.since ? new Date(query.since).toISOString() : '0';
  let high = query.until ? `${new Date(query.until).toISOString()}~` : '~';
  if (query.after && query.after < high) high = query.after;

  const found: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await d.db.query({
      TableName: d.tables.audit,
      ...(byUser ? { IndexName: 'byUser' } : {}),
      KeyConditionExpression: `${byUser ? 'userPk' : 'pk'} = :pk AND sk BETWEEN :low AND :high`,
      // A user id names events of one tenant only: the caller's.
      FilterExpression: ['tenantId = :tenant', ...(query.type ? ['#type = :type'] : [])].join(' AND '),
      ExpressionAttributeValues: {
        ':pk': pk,
        ':low': low,
        ':high': high,
        ':tenant': query.tenantId,
        ...(query.type ? { ':type': query.type } : {}),
      },
      ...(query.type ? { ExpressionAttributeNames: { '#type': 'type' } } : {}),
      ScanIndexForward: false,
      Limit: query.limit + 1 - found.length + (query.after ? 1 : 0),
      ExclusiveStartKey: startKey,
    });
    found.push(...(out.Items ?? []).filter((item) => item.sk !== query.after));
    startKey = out.LastEvaluatedKey;
  } while (startKey && found.length <= query.limit);

  const page = found.slice(0, query.limit);
  const next = found.length > query.limit ? (page.at(-1)?.sk as string) : null;
  return { items: page.map(toEvent), next };
}

function toEvent(item: Record<string, unknown>): AuditEvent {
  return {
    id: item.id as string,
    time: item.time as string,
    type: item.type as AuditType,
    outcome: item.outcome as 'success' | 'failure',
    reason: (item.reason as string | null) ?? null,
    user_id: (item.user_id as string | null) ?? null,
    actor_id: (item.actor_id as string | null) ?? null,
    ip: (item.ip as string | null) ?? null,
    user_agent: (item.user_agent as string | null) ?? null,
    request_id: (item.request_id as string | null) ?? null,
  };
}
