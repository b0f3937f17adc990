/**
 * The subscriber of the SNS topic to which the SES configuration set sends
 * bounces and complaints (lib/mail.ts): each record's message goes to
 * flows/mail-feedback.ts. An event or message of another shape is logged and
 * dropped, never thrown: a retry would not change its shape. A store that is
 * down throws, and Lambda tries the event again.
 */
import * as z from 'zod';
import { deps } from './core/deps.ts';
import { applyFeedback } from './core/flows/mail-feedback.ts';
import { logger } from './core/infra/logger.ts';

const snsEvent = z.object({
  Records: z.array(z.object({ Sns: z.object({ MessageId: z.string().max(100), Message: z.string().max(256 * 1024) }) })),
});

export const handler = async (event: unknown): Promise<void> => {
  const parsed = snsEvent.safeParse(event);
  if (!parsed.success) {
    logger.warn('mail feedback: not an SNS event; dropped');
    return;
  }
  for (const { Sns: message } of parsed.data.Records) {
    const origin = { ip: null, userAgent: null, requestId: message.MessageId };
    const { marked, feedback } = await applyFeedback(deps(), message.Message, origin);
    if (feedback.kind === 'ignore') logger.info('mail feedback ignored', { messageId: message.MessageId, why: feedback.why });
    else logger.info('mail feedback applied', { messageId: message.MessageId, status: feedback.status, marked });
  }
};
