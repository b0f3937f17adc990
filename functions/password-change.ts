import { changePassword } from './core/flows/password-change.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('changePassword', async ({ d, body, principal, client }) => {
  unlessRefused(await changePassword(d, principal, body.currentPassword, body.newPassword, client));
  return json(200, { status: true, message: 'Password changed successfully' });
});
