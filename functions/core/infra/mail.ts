/** Email through SES `SendEmail`: a plain-text and an HTML part. Locally, the aws-ses-v2-local server. */
import type { SESClient } from '@aws-sdk/client-ses';
import { logger } from './logger.ts';
import { metricNames } from './metric-names.ts';
import { count } from './metrics.ts';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * SES's mailbox simulator: accepted like any address (in the sandbox too),
 * delivered nowhere, and not counted against the sending quota. Mail that
 * must be sent for the timing's sake, with no one to receive it, goes here.
 */
export const DECOY_RECIPIENT = 'success@simulator.amazonses.com';

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface SesMailerOptions {
  readonly from: string;
  /**
   * The SES configuration set every email goes through: its event destination
   * brings bounces and complaints back to the service.
   * @default - none (locally)
   */
  readonly configurationSet?: string | undefined;
  /** A local SES server; unset in AWS. */
  readonly endpoint?: string;
}

export function sesMailer(options: SesMailerOptions): Mailer {
  let client: SESClient | undefined;
  return {
    async send(message) {
      // Loaded on the first email: functions that never send one leave the SES client out of their bundle.
      const { SESClient, SendEmailCommand } = await import('@aws-sdk/client-ses');
      client ??= new SESClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        maxAttempts: 2,
        // A stalled send fails (two tries of 3 s) well inside the Lambda timeout; unless told to throw, the SDK only warns.
        requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
        ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      });
      await client.send(
        new SendEmailCommand({
          Source: options.from,
          ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
          Destination: { ToAddresses: [message.to] },
          Message: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
          },
        }),
      );
    },
  };
}

/**
 * The mailer of a service deployed with mail off (`MAIL_DELIVERY=off`): it
 * sends nothing. Flows that cannot do without mail (forgot, invitations)
 * look at the setting first; a notice simply goes nowhere.
 */
export const noMailer: Mailer = {
  async send(message) {
    logger.debug('email not sent: mail is off', { subject: message.subject });
  },
};

/**
 * Sends one email; a failure is logged (never the message body, which may
 * hold a code) and reported as `false`, so the caller's answer stays the same.
 */
export async function sendQuietly(mailer: Mailer, message: MailMessage): Promise<boolean> {
  try {
    await mailer.send(message);
    return true;
  } catch (error) {
    count(metricNames.mailSendFailed);
    logger.error('email not sent', { subject: message.subject, error: error instanceof Error ? error.name : String(error) });
    return false;
  }
}
