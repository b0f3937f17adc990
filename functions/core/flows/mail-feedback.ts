/**
 * SES's word on mail it could not deliver, as its configuration set
 * publishes it to SNS: a permanent bounce or a complaint marks the user whose
 * address it was (records/user-mail-status.ts), so that no more mail goes
 * there, with a `mail.bounced` or `mail.complained` event. A transient
 * bounce, a complaint its recipient withdrew (`not-spam`), an address that
 * names no user and a message of any other shape change nothing, and throw
 * nothing: SNS would only deliver them again. A notification delivered twice
 * marks and audits once.
 */
import * as z from 'zod';
import { audit, type AuditOrigin } from '../records/audit.ts';
import type { Deps } from '../deps.ts';
import { isEmail, normalizeIdentifier } from '../infra/identifiers.ts';
import { settleAll } from '../infra/settle.ts';
import { markEmail } from '../records/user-mail-status.ts';
import { userIdNamedBy } from '../records/user-names.ts';
import type { EmailStatus } from '../records/users.ts';

const recipients = z
  .array(z.object({ emailAddress: z.string().max(320) }))
  .min(1)
  .max(50);
// Event publishing names the type `eventType`; an identity's own feedback notifications name it `notificationType`.
const typeOf = (type: 'Bounce' | 'Complaint') =>
  z.union([z.object({ eventType: z.literal(type) }), z.object({ notificationType: z.literal(type) })]);
const mail = z.object({ timestamp: z.iso.datetime({ offset: true }) });

const bounce = z.intersection(
  typeOf('Bounce'),
  z.object({
    bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().max(100).optional(), bouncedRecipients: recipients }),
    mail,
  }),
);
const complaint = z.intersection(
  typeOf('Complaint'),
  z.object({
    complaint: z.object({ complaintFeedbackType: z.string().max(100).optional(), complainedRecipients: recipients }),
    mail,
  }),
);

/** What a notification means for the service: addresses to mark, or why it changes nothing. */
export type Feedback =
  | {
      readonly kind: 'mark';
      readonly status: EmailStatus;
      readonly reason: string | null;
      readonly addresses: string[];
      readonly sentAt: string;
    }
  | { readonly kind: 'ignore'; readonly why: string };

/** The marking of the addresses a bounce or complaint names that are emails at all, with when the mail was sent. */
const mark = (status: EmailStatus, reason: string | undefined, recipients: { emailAddress: string }[], sentAt: string): Feedback => ({
  kind: 'mark',
  status,
  reason: reason ?? null,
  addresses: recipients.map((r) => normalizeIdentifier(r.emailAddress)).filter(isEmail),
  sentAt: new Date(sentAt).toISOString(),
});

/** Reads one SNS message's text. */
function feedbackOf(text: string): Feedback {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: 'ignore', why: 'not JSON' };
  }
  const bounced = bounce.safeParse(message);
  if (bounced.success) {
    const { bounce: b, mail: m } = bounced.data;
    if (b.bounceType !== 'Permanent') return { kind: 'ignore', why: `${b.bounceType} bounce` };
    return mark('bounced', b.bounceSubType, b.bouncedRecipients, m.timestamp);
  }
  const complained = complaint.safeParse(message);
  if (complained.success) {
    const { complaint: c, mail: m } = complained.data;
    if (c.complaintFeedbackType === 'not-spam') return { kind: 'ignore', why: 'not-spam complaint' };
    return mark('complained', c.complaintFeedbackType, c.complainedRecipients, m.timestamp);
  }
  return { kind: 'ignore', why: 'neither a bounce nor a complaint' };
}

/** Marks the users a notification names; how many it marked (0 for one already applied). */
export async function applyFeedback(
  d: Deps,
  text: string,
  origin: AuditOrigin,
): Promise<{ readonly marked: number; readonly feedback: Feedback }> {
  const feedback = feedbackOf(text);
  if (feedback.kind === 'ignore') return { marked: 0, feedback };
  const results = await settleAll(
    feedback.addresses.map(async (address) => {
      const userId = await userIdNamedBy(d, { kind: 'email', value: address });
      const marked = userId ? await markEmail(d, userId, address, feedback.status, feedback.sentAt) : null;
      if (!marked) return 0;
      await audit(d, origin, {
        type: feedback.status === 'bounced' ? 'mail.bounced' : 'mail.complained',
        outcome: 'failure',
        reason: feedback.reason,
        userId: marked.id,
        tenantId: marked.tenantId,
      });
      return 1;
    }),
  );
  return { marked: results.reduce((sum: number, n) => sum + n, 0), feedback };
}
