/**
 * Forgotten passwords: a code by email, then a new password with the code.
 * The request answers the same, doing the same work, whether or not the
 * account exists: an unknown email's code is stored for nobody and its mail
 * goes to SES's mailbox simulator, which delivers nowhere. An address SES
 * reported bounced or complained of takes that same path. With mail off,
 * every request stores no code and sends nothing, alike.
 */
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Deps } from '../deps.ts';
import { notifyPasswordChanged, resetCodeEmail } from './emails.ts';
import { refused, type Refusal } from './outcomes.ts';
import { clearFailures } from '../records/lockouts.ts';
import { DECOY_RECIPIENT, sendQuietly } from '../infra/mail.ts';
import { weakPassword } from './password-policy.ts';
import { hashPassword } from '../crypto/passwords.ts';
import { clientSourceOf, hitWindow, type WindowResult } from '../records/rate-limits.ts';
import { giveBackTry, issueResetCode, restoreResetCode, spendResetCode, tryResetCode } from '../records/reset-codes.ts';
import { revokeAllSessions } from '../records/sessions.ts';
import { openingSessionsOf } from '../records/user-logins.ts';
import { settleAll } from '../infra/settle.ts';
import { acceptsMail, findUserByIdentifier, setPasswordHash, type UserRecord } from '../records/users.ts';

const HOUR = 3600;
/** Whose codes an email's requests store when no active account takes them: a name no user id can have. */
const nobodyFor = (email: string) => `NOBODY#${email}`;

/** The longest wait among the windows that refused, or `null` when none did. */
function refusal(results: WindowResult[]): Extract<Refusal, { kind: 'rate_limited' }> | null {
  const refusedBy = results.filter((r): r is Extract<WindowResult, { allowed: false }> => !r.allowed);
  if (refusedBy.length === 0) return null;
  return { kind: 'rate_limited', retryAfter: Math.max(...refusedBy.map((r) => r.retryAfter)) };
}

/** Counts a forgot or reset request against the source IP's hourly limit. */
const ipWindow = (d: Deps, origin: AuditOrigin) =>
  hitWindow(d, { kind: 'password', source: clientSourceOf(origin), limit: d.settings.resetIpLimit, windowSeconds: HOUR });

/** The account a code request or a reset is for: an existing, enabled one, or none. */
const eligible = (user: UserRecord | null): UserRecord | null => (user?.status === 'active' ? user : null);

/** Why a forgot request mailed no code (its audit reason), or `null` when the code was mailed. */
function whyNoCode(
  user: UserRecord | null,
  owner: UserRecord | null,
  recipient: UserRecord | null,
  mailOff: boolean,
  sent: boolean,
): string | null {
  if (!user) return 'unknown_identifier';
  if (!owner) return 'disabled';
  if (mailOff) return 'mail_off';
  if (!recipient) return `email_${owner.emailStatus}`;
  return sent ? null : 'mail_failed';
}

/** `POST /auth/password/forgot`: refused only by a rate limit; every other outcome is the same `requested`. */
export async function requestPasswordReset(
  d: Deps,
  email: string,
  origin: AuditOrigin,
): Promise<{ readonly kind: 'requested' } | Extract<Refusal, { kind: 'rate_limited' }>> {
  const [byEmail, byIp, user] = await settleAll([
    hitWindow(d, { kind: 'forgot', source: email, limit: d.settings.resetEmailLimit, windowSeconds: HOUR }),
    ipWindow(d, origin),
    findUserByIdentifier(d, { kind: 'email', value: email }),
  ]);
  const about = { userId: user?.id ?? null, tenantId: user?.tenantId ?? null };
  const limited = refusal([byEmail, byIp]);
  if (limited) {
    await audit(d, origin, { type: 'password.reset_requested', outcome: 'failure', reason: 'rate_limited', ...about });
    return limited;
  }
  const owner = eligible(user);
  // A marked address goes the unknown email's way: a code kept for nobody, its mail to the simulator.
  const recipient = owner && acceptsMail(owner) ? owner : null;
  const mailOff = d.settings.mailDelivery === 'off';
  let sent = false;
  if (!mailOff) {
    const code = await issueResetCode(d, recipient?.id ?? nobodyFor(email));
    const mail = resetCodeEmail(d.settings.productName, recipient?.email ?? DECOY_RECIPIENT, code, d.settings.resetCodeTtl);
    sent = await sendQuietly(d.mailer, mail);
  }
  const reason = whyNoCode(user, owner, recipient, mailOff, sent);
  await audit(d, origin, { type: 'password.reset_requested', outcome: reason ? 'failure' : 'success', reason, ...about });
  return { kind: 'requested' };
}

export interface ResetInput {
  readonly email: string;
  readonly code: string;
  readonly password: string;
}

/**
 * `POST /auth/password/reset`. The code is judged first, so only its holder
 * learns anything of the account (such as which passwords its policy
 * refuses); a weak password spends neither the code nor a try.
 */
export async function resetPassword(d: Deps, input: ResetInput, origin: AuditOrigin): Promise<{ readonly kind: 'reset' } | Refusal> {
  const [byIp, user] = await settleAll([ipWindow(d, origin), findUserByIdentifier(d, { kind: 'email', value: input.email })]);
  const limited = refusal([byIp]);
  if (limited) return limited;
  const about = { userId: user?.id ?? null, tenantId: user?.tenantId ?? null };
  const owner = eligible(user);
  const right = await tryResetCode(d, owner?.id ?? nobodyFor(input.email), input.code);
  if (!owner || !right) {
    await audit(d, origin, { type: 'password.reset', outcome: 'failure', reason: 'invalid_code', ...about });
    return refused.invalidCode;
  }
  const weak = weakPassword(input.password, { minLength: d.settings.passwordMinLength, email: owner.email, username: owner.username });
  if (weak) {
    await giveBackTry(d, right);
    return weak;
  }
  if (!(await spendResetCode(d, right))) {
    // Another request with the same code spent it first.
    await audit(d, origin, { type: 'password.reset', outcome: 'failure', reason: 'invalid_code', ...about });
    return refused.invalidCode;
  }
  try {
    const changed = await setPasswordHash(d, owner.id, await hashPassword(input.password));
    await settleAll([
      revokeAllSessions(d, owner.id, undefined, openingSessionsOf(changed)),
      clearFailures(d, { userId: owner.id }),
      notifyPasswordChanged(d, owner),
      audit(d, origin, { type: 'password.reset', outcome: 'success', ...about }),
    ]);
    return { kind: 'reset' };
  } catch (error) {
    // The caller is told 503, safe to retry: with its code back, the retry finishes what this request began.
    await restoreResetCode(d, right).catch(() => undefined);
    throw error;
  }
}
