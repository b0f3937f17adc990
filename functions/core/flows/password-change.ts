/**
 * Changing one's own password: the current one first, checked like a login
 * (a place in the lockout budget first, and the source IP's limit on
 * password guesses), then the policy; every other session ends.
 */
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Principal } from './authorize.ts';
import type { Deps } from '../deps.ts';
import { notifyPasswordChanged } from './emails.ts';
import { refused, type Refusal } from './outcomes.ts';
import { forgetAttempts, reserveAttempt } from '../records/lockouts.ts';
import { checkPassword } from './password-check.ts';
import { weakPassword } from './password-policy.ts';
import { hashPassword } from '../crypto/passwords.ts';
import { passwordGuessWindow } from '../records/rate-limits.ts';
import { revokeAllSessions } from '../records/sessions.ts';
import { openingSessionsOf } from '../records/user-logins.ts';
import { getUser, setPasswordHash } from '../records/users.ts';
import { settleAll } from '../infra/settle.ts';

export type PasswordChange = { readonly kind: 'changed' } | Refusal;

export async function changePassword(
  d: Deps,
  principal: Principal,
  current: string,
  next: string,
  origin: AuditOrigin,
): Promise<PasswordChange> {
  const [window, user] = await settleAll([passwordGuessWindow(d, origin), getUser(d, principal.userId)]);
  if (user?.status !== 'active') return refused.unauthorized;
  const about = { userId: user.id, tenantId: user.tenantId };
  if (!window.allowed) {
    await audit(d, origin, { type: 'password.changed', outcome: 'failure', reason: 'rate_limited', ...about });
    return { kind: 'rate_limited', retryAfter: window.retryAfter };
  }

  const check = await checkPassword(d, await reserveAttempt(d, { userId: user.id }), user.passwordHash, current);
  if (check.kind === 'locked') return check;
  if (check.kind === 'wrong') {
    await settleAll([
      audit(d, origin, { type: 'password.changed', outcome: 'failure', reason: 'bad_password', ...about }),
      check.locked ? audit(d, origin, { type: 'lockout.locked', outcome: 'failure', reason: 'too_many_failures', ...about }) : undefined,
    ]);
    return refused.invalidCredentials;
  }
  const weak = weakPassword(next, {
    minLength: d.settings.passwordMinLength,
    email: user.email,
    username: user.username,
    field: 'newPassword',
  });
  if (weak) {
    await forgetAttempts(d, check.reservation); // the current password was right
    return weak;
  }

  const changed = await setPasswordHash(d, user.id, await hashPassword(next));
  await settleAll([
    revokeAllSessions(d, user.id, principal.sessionId ?? undefined, openingSessionsOf(changed)),
    forgetAttempts(d, check.reservation),
    notifyPasswordChanged(d, user),
    audit(d, origin, { type: 'password.changed', outcome: 'success', ...about }),
  ]);
  return { kind: 'changed' };
}
