/** POST /auth/api-tokens: a long-lived token for X-Auth-Token; its text appears only in this answer. */
import { createOwnApiToken } from './core/flows/api-token-lifecycle.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';
import { toPublicToken } from './core/records/api-tokens.ts';

export const handler = protectedRoute('createApiToken', async ({ d, body, principal, client }) => {
  const { record, token } = unlessRefused(await createOwnApiToken(d, principal, body.name, body.expires_in, client));
  return json(201, toPublicToken(record, token));
});
