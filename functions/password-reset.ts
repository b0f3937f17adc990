/** POST /auth/password/reset: a new password with the emailed code. */
import { z } from 'zod';
import { emailField } from './core/email-input.ts';
import { invalidRequest } from './core/errors.ts';
import { resetPassword } from './core/password-reset.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

const code = z.string().regex(/^\d{1,20}$/, 'Must be the numeric code from the email');

export const resetBody = z.strictObject({
  email: z.string().max(1024),
  code: code.optional(),
  resetCode: code.optional(),
  password: z.string().min(1).max(1024),
});

export const handler = publicRoute('resetPassword', { body: resetBody }, async ({ d, body, client }) => {
  if (body.code !== undefined && body.resetCode !== undefined) {
    throw invalidRequest([{ path: 'resetCode', message: 'Send code or resetCode, not both' }]);
  }
  const given = body.code ?? body.resetCode;
  if (given === undefined) throw invalidRequest([{ path: 'code', message: 'code is required' }]);
  await resetPassword(d, { email: emailField(body.email), code: given, password: body.password }, client);
  return json(200, { status: true, message: 'Password reset successfully' });
});
