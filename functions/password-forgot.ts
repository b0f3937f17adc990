import { emailField } from './core/http/email-input.ts';
import { requestPasswordReset } from './core/flows/password-reset.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('forgotPassword', async ({ d, body, client }) => {
  unlessRefused(await requestPasswordReset(d, emailField(body.email), client));
  return json(202, { status: true, message: 'If the account exists, a reset code has been sent.' });
});
