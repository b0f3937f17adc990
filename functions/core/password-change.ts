/**
 * Changing one's own password: the current one first (a wrong one counts
 * toward the lockout), then the policy; every other session ends.
 */
import { audit, type AuditOrigin } from './audit.ts';
import type { Principal } from './authorize.ts';
import type { Deps } from './deps.ts';
import { passwordChangedEmail } from './emails.ts';
import { ApiError } from './errors.ts';
import { forgetFailures, lockedFor, readFailures, recordFailure } from './lockout.ts';
import { sendQuietly } from './mail.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { revokeAllSessions } from './sessions.ts';
import { getUser, setPasswordHash } from './users.ts';
import { settleAll } from './settle.ts';

export async function changePassword(d: Deps, principal: Principal, current: string, next: string, origin: AuditOrigin): Promise<void> {
  const subject = { userId: principal.userId };
  const [user, failures] = await settleAll([getUser(d, principal.userId), readFailures(d, subject)]);
  if (!user || user.status !== 'active') throw new ApiError('unauthorized');
  const about = { userId: user.id, tenantId: user.tenantId };
  const locked = lockedFor(d, failures);
  if (locked > 0) throw new ApiError('account_locked', { headers: { 'Retry-After': String(locked) } });

  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) {
    const [{ locked: nowLocked }] = await settleAll([
      recordFailure(d, subject, failures),
      audit(d, origin, { type: 'password.changed', outcome: 'failure', reason: 'bad_password', ...about }),
    ]);
    if (nowLocked) await audit(d, origin, { type: 'lockout.locked', outcome: 'failure', reason: 'too_many_failures', ...about });
    throw new ApiError('invalid_credentials');
  }
  assertStrongPassword(next, { minLength: d.settings.passwordMinLength, email: user.email, username: user.username, field: 'newPassword' });

  await setPasswordHash(d, user.id, await hashPassword(next));
  await settleAll([
    revokeAllSessions(d, user.id, principal.sessionId ?? undefined),
    // Only the failures it read: any counted since (and a lock they set) stay.
    failures?.failures ? forgetFailures(d, subject, failures) : Promise.resolve(),
    sendQuietly(d.mailer, passwordChangedEmail(d.settings.productName, user.email, d.clock.now())),
    audit(d, origin, { type: 'password.changed', outcome: 'success', ...about }),
  ]);
}
