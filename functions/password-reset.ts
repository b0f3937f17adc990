import { emailField } from './core/http/email-input.ts';
import { invalidRequest } from './core/http/api-error.ts';
import { resetPassword } from './core/flows/password-reset.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('resetPassword', async ({ d, body, client }) => {
  if (body.code !== undefined && body.resetCode !== undefined) {
    throw invalidRequest([{ path: 'resetCode', message: 'Send code or resetCode, not both' }]);
  }
  const given = body.code ?? body.resetCode;
  if (given === undefined) throw invalidRequest([{ path: 'code', message: 'code is required' }]);
  unlessRefused(await resetPassword(d, { email: emailField(body.email), code: given, password: body.password }, client));
  return json(200, { status: true, message: 'Password reset successfully' });
});
