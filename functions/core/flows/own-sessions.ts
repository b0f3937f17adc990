/** A user ending its own sessions: logout (this one or all), or one chosen from its list. */
import type { Deps } from '../deps.ts';
import { settleAll } from '../infra/settle.ts';
import { audit, type AuditOrigin } from '../records/audit.ts';
import { getSession, isLive, revokeAllSessions, revokeSession } from '../records/sessions.ts';
import type { Principal } from './authorize.ts';
import { refused, type Refusal } from './outcomes.ts';

export async function logOut(
  d: Deps,
  caller: Principal,
  everySession: boolean,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'logged_out' }> {
  await settleAll([
    everySession ? revokeAllSessions(d, caller.userId) : caller.sessionId && revokeSession(d, caller.userId, caller.sessionId),
    audit(d, origin, {
      type: 'logout',
      outcome: 'success',
      reason: everySession ? 'all_sessions' : 'this_session',
      userId: caller.userId,
      tenantId: caller.tenantId,
    }),
  ]);
  return { kind: 'logged_out' };
}

export async function revokeOwnSession(
  d: Deps,
  caller: Principal,
  sessionId: string,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'revoked' } | Extract<Refusal, { kind: 'not_found' }>> {
  // Sessions live under their user: another user's id is simply not found here.
  const session = await getSession(d, caller.userId, sessionId);
  if (!session || !isLive(session, d.clock.now())) return refused.notFound;
  await settleAll([
    revokeSession(d, caller.userId, session.sessionId),
    audit(d, origin, {
      type: 'session.revoked',
      outcome: 'success',
      reason: session.sessionId === caller.sessionId ? 'current' : 'other',
      userId: caller.userId,
      tenantId: caller.tenantId,
    }),
  ]);
  return { kind: 'revoked' };
}
