/** POST /auth/api-tokens/{id}/rotate: a new secret, same id and dates; the old text stops at once. */
import { rotateOwnApiToken } from './core/flows/api-token-lifecycle.ts';
import { unlessRefused } from './core/http/refusals.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';
import { toPublicToken } from './core/records/api-tokens.ts';

export const handler = protectedRoute('rotateApiToken', async ({ d, pathParameters, principal, client }) => {
  const { record, token } = unlessRefused(await rotateOwnApiToken(d, principal, pathParameters.id ?? '', client));
  return json(200, toPublicToken(record, token));
});
