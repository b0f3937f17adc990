/** The emails the service sends, each as plain text and HTML. */
import type { Deps } from '../deps.ts';
import { type MailMessage, sendQuietly } from '../infra/mail.ts';
import { acceptsMail, type UserRecord } from '../records/users.ts';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A message of paragraphs with an optional code after the first one. */
function message(product: string, to: string, subject: string, paragraphs: readonly string[], code?: string): MailMessage {
  const [first = '', ...rest] = paragraphs;
  const text = [first, ...(code ? [`    ${code}`] : []), ...rest].join('\n\n');
  const codeHtml = code
    ? `<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">${escapeHtml(code)}</p>`
    : '';
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;color:#222">',
    `<h2>${escapeHtml(product)}</h2>`,
    `<p>${escapeHtml(first)}</p>${codeHtml}`,
    ...rest.map((p) => `<p>${escapeHtml(p)}</p>`),
    '</body></html>',
  ].join('\n');
  return { to, subject: `${product}: ${subject}`, text: `${text}\n`, html };
}

const minutes = (seconds: number) => Math.max(1, Math.round(seconds / 60));

export const resetCodeEmail = (product: string, to: string, code: string, ttlSeconds: number): MailMessage =>
  message(
    product,
    to,
    'your password reset code',
    [
      `Your ${product} password reset code is below. It works once, for ${minutes(ttlSeconds)} minutes.`,
      'If you did not ask to reset your password, ignore this email: your password stays as it is.',
    ],
    code,
  );

export const passwordChangedEmail = (product: string, to: string, when: Date): MailMessage =>
  message(product, to, 'your password was changed', [
    `The password of your ${product} account was changed on ${when.toISOString().replace('T', ' ').slice(0, 16)} UTC, and your other sessions were signed out.`,
    'If this was not you, reset your password at once and tell your administrator.',
  ]);

/** Tells a user their password changed, unless SES marked their address; a failed send changes nothing. */
export const notifyPasswordChanged = (d: Deps, user: UserRecord): Promise<boolean> | undefined =>
  acceptsMail(user) ? sendQuietly(d.mailer, passwordChangedEmail(d.settings.productName, user.email, d.clock.now())) : undefined;

export const inviteEmail = (product: string, to: string, code: string, ttlSeconds: number): MailMessage =>
  message(
    product,
    to,
    'set your password',
    [
      `You have been invited to ${product}. Choose your password with this code within ${minutes(ttlSeconds)} minutes.`,
      'Enter it with your email address where your application asks for a password reset code.',
    ],
    code,
  );
