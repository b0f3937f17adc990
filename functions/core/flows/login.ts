/**
 * A login attempt: three round trips whether it succeeds or not, and
 * whether the identifier exists or not: the IP window with the name's
 * pointer, then the user with a reserved place in the lockout budget, then
 * the writes. Every guess with a place costs one argon2 verification, so an
 * unknown identifier takes as long as a wrong password. A success writes its
 * session and, in the same round trip, the user as it read it, naming the
 * session: a password change, role change or disabling that lands before
 * the user's write fails it (the session is taken back), and one that lands
 * after gets the session's name back from its own write and ends it, even
 * if the session's item lands later (records/user-logins.ts).
 */
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Deps } from '../deps.ts';
import type { Identifier } from '../infra/identifiers.ts';
import { refused, type Refusal } from './outcomes.ts';
import { forgetAttempts, releaseAttempt, reserveAttempt, type LockoutSubject } from '../records/lockouts.ts';
import { checkPassword } from './password-check.ts';
import { hashPassword, needsRehash } from '../crypto/passwords.ts';
import { passwordGuessWindow } from '../records/rate-limits.ts';
import { deleteSession, newSession, putSession, sessionUserOf, type SessionRecord } from '../records/sessions.ts';
import { recordLogin } from '../records/user-logins.ts';
import { settleAll } from '../infra/settle.ts';
import { userIdNamedBy } from '../records/user-names.ts';
import { getUser, NOBODY_ID, type UserRecord } from '../records/users.ts';

export type LoginOutcome =
  | { readonly kind: 'ok'; readonly user: UserRecord; readonly session: SessionRecord; readonly refreshToken: string }
  | Extract<Refusal, { kind: 'invalid_credentials' | 'disabled' | 'rate_limited' | 'locked' | 'unavailable' }>;

export async function attemptLogin(d: Deps, identifier: Identifier, password: string, origin: AuditOrigin): Promise<LoginOutcome> {
  const [window, userId] = await settleAll([passwordGuessWindow(d, origin), userIdNamedBy(d, identifier)]);
  const subject: LockoutSubject = userId ? { userId } : { identifier: `${identifier.kind}:${identifier.value}` };
  if (!window.allowed) {
    const user = await getUser(d, userId ?? NOBODY_ID);
    await audit(d, origin, { type: 'login.failed', outcome: 'failure', reason: 'rate_limited', ...aboutUser(user) });
    return { kind: 'rate_limited', retryAfter: window.retryAfter };
  }

  // The user is read while a place in the lockout budget is reserved; the password is checked only with a place.
  const [user, reserved] = await settleAll([getUser(d, userId ?? NOBODY_ID), reserveAttempt(d, subject)]);
  const about = aboutUser(user);
  const check = await checkPassword(d, reserved, user?.passwordHash ?? null, password);
  if (check.kind === 'locked') {
    await audit(d, origin, { type: 'login.failed', outcome: 'failure', reason: 'locked', ...about });
    return { kind: 'locked', retryAfter: check.retryAfter };
  }
  if (check.kind === 'wrong') {
    await settleAll([
      check.locked ? audit(d, origin, { type: 'lockout.locked', outcome: 'failure', reason: 'too_many_failures', ...about }) : undefined,
      audit(d, origin, { type: 'login.failed', outcome: 'failure', reason: user ? 'bad_password' : 'unknown_identifier', ...about }),
    ]);
    return refused.invalidCredentials;
  }
  const { reservation } = check;
  const known = user as UserRecord;
  // Disabled is told only after the right password, so it reveals nothing to a guesser.
  if (known.status !== 'active') {
    await settleAll([
      releaseAttempt(d, reservation),
      audit(d, origin, { type: 'login.failed', outcome: 'failure', reason: 'disabled', ...about }),
    ]);
    return refused.disabled;
  }

  const now = d.clock.now();
  const newHash = known.passwordHash && needsRehash(known.passwordHash) ? await hashPassword(password) : undefined;
  const loggedIn: UserRecord = { ...known, lastLoginAt: now.toISOString(), ...(newHash ? { passwordHash: newHash } : {}) };
  const { session, refreshToken } = await newSession(d, known, origin, sessionUserOf(loggedIn));
  // One round trip: the session, and the user as read naming it (see records/user-logins.ts for why that is enough).
  const writes = await Promise.allSettled([
    putSession(d, session),
    recordLogin(d, known, session.sessionId, now, newHash),
    forgetAttempts(d, reservation),
    audit(d, origin, { type: 'login.succeeded', outcome: 'success', ...about }),
  ]);
  const failed = writes.find((write): write is PromiseRejectedResult => write.status === 'rejected');
  const held = writes[0].status === 'fulfilled' && writes[0].value && writes[1].status === 'fulfilled' && writes[1].value;
  if (failed || !held) {
    // No token without every write of its login: the session goes, and the caller's retry starts
    // over, judged on the account as it is by then.
    await deleteSession(d, known.id, session.sessionId).catch(() => undefined);
    if (failed) throw failed.reason;
    return refused.unavailable;
  }
  return { kind: 'ok', user: loggedIn, session, refreshToken };
}

const aboutUser = (user: UserRecord | null) => ({ userId: user?.id ?? null, tenantId: user?.tenantId ?? null });
