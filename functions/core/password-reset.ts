/**
 * Forgotten passwords: a code by email, then a new password with the code.
 * The request answers the same, in about the same time, whether or not the
 * account exists.
 */
import { audit, type AuditOrigin } from './audit.ts';
import type { Deps } from './deps.ts';
import { passwordChangedEmail, resetCodeEmail } from './emails.ts';
import { ApiError } from './errors.ts';
import { clearFailures } from './lockout.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import { hitWindow, type WindowResult } from './rate-limits.ts';
import { issueResetCode, restoreResetCode, spendResetCode } from './reset-codes.ts';
import { revokeAllSessions } from './sessions.ts';
import { sendQuietly } from './mail.ts';
import { settleAll } from './settle.ts';
import { TimingEqualizer } from './timing.ts';
import { findUserByIdentifier, setPasswordHash } from './users.ts';

const HOUR = 3600;
/** Reset attempts one email may make in a day, whatever the codes and addresses: four codes' worth of tries. */
export const MAX_CODE_GUESSES_PER_DAY = 20;
/** How long the existing-account path takes, for the other path to match; 60 ms until measured. */
const forgotTiming = new TimingEqualizer(60);

function refusal(results: WindowResult[]): ApiError | null {
  const refused = results.filter((r): r is Extract<WindowResult, { allowed: false }> => !r.allowed);
  if (refused.length === 0) return null;
  const retryAfter = Math.max(...refused.map((r) => r.retryAfter));
  return new ApiError('rate_limit_exceeded', { headers: { 'Retry-After': String(retryAfter) } });
}

/** Counts a forgot or reset request against the source IP's hourly limit. */
const ipWindow = (d: Deps, origin: AuditOrigin) =>
  hitWindow(d, { kind: 'password', source: origin.ip ?? 'unknown', limit: d.settings.resetIpLimit, windowSeconds: HOUR });

/** `POST /auth/password/forgot`. Throws only `rate_limit_exceeded`; every other outcome is the same 202. */
export async function requestPasswordReset(d: Deps, email: string, origin: AuditOrigin): Promise<void> {
  const started = performance.now();
  const [byEmail, byIp, user] = await settleAll([
    hitWindow(d, { kind: 'forgot', source: email, limit: d.settings.resetEmailLimit, windowSeconds: HOUR }),
    ipWindow(d, origin),
    findUserByIdentifier(d, { kind: 'email', value: email }),
  ]);
  const about = { userId: user?.id ?? null, tenantId: user?.tenantId ?? null };
  const refused = refusal([byEmail, byIp]);
  if (refused) {
    await audit(d, origin, { type: 'password.reset_requested', outcome: 'failure', reason: 'rate_limited', ...about });
    throw refused;
  }
  if (!user || user.status !== 'active') {
    await audit(d, origin, { type: 'password.reset_requested', outcome: 'failure', reason: user ? 'disabled' : 'unknown_identifier', ...about });
    await forgotTiming.pad(started);
    return;
  }
  const code = await issueResetCode(d, user.id);
  const sent = await sendQuietly(d.mailer, resetCodeEmail(d.settings.productName, user.email, code, d.settings.resetCodeTtl));
  await audit(d, origin, { type: 'password.reset_requested', outcome: sent ? 'success' : 'failure', reason: sent ? null : 'mail_failed', ...about });
  forgotTiming.observe(performance.now() - started);
}

export interface ResetInput {
  readonly email: string;
  readonly code: string;
  readonly password: string;
}

/** `POST /auth/password/reset`: a weak password spends neither the code nor a try. */
export async function resetPassword(d: Deps, input: ResetInput, origin: AuditOrigin): Promise<void> {
  const [byIp, guesses, user] = await settleAll([
    ipWindow(d, origin),
    // Each new code brings five tries; this caps the tries on one email across codes and addresses.
    hitWindow(d, { kind: 'reset-guess', source: input.email, limit: MAX_CODE_GUESSES_PER_DAY, windowSeconds: 24 * HOUR }),
    findUserByIdentifier(d, { kind: 'email', value: input.email }),
  ]);
  const refused = refusal([byIp]);
  if (refused) throw refused;
  assertStrongPassword(input.password, { minLength: d.settings.passwordMinLength, email: input.email, username: user?.username ?? null });
  const about = { userId: user?.id ?? null, tenantId: user?.tenantId ?? null };
  const spent = user?.status === 'active' && guesses.allowed ? await spendResetCode(d, user.id, input.code) : null;
  if (!user || !spent) {
    const reason = guesses.allowed ? 'invalid_code' : 'too_many_guesses';
    await audit(d, origin, { type: 'password.reset', outcome: 'failure', reason, ...about });
    throw new ApiError('invalid_code');
  }
  try {
    await setPasswordHash(d, user.id, await hashPassword(input.password));
    await settleAll([
      revokeAllSessions(d, user.id),
      clearFailures(d, { userId: user.id }),
      sendQuietly(d.mailer, passwordChangedEmail(d.settings.productName, user.email, d.clock.now())),
      audit(d, origin, { type: 'password.reset', outcome: 'success', ...about }),
    ]);
  } catch (error) {
    // The caller is told 503, safe to retry: with its code back, the retry finishes what this request began.
    await restoreResetCode(d, spent).catch(() => undefined);
    throw error;
  }
}
