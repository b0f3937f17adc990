/** POST /auth/api-tokens/{id}/rotate: a new secret, same id and dates; the old text stops at once. */
import { rotateApiToken, toPublicToken } from './core/records/api-tokens.ts';
import { audit } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('rotateApiToken', {}, async ({ d, pathParameters, principal, client }) => {
  const rotated = await rotateApiToken(d, principal.userId, pathParameters.id ?? '');
  if (!rotated) throw new ApiError('not_found');
  await audit(d, client, { type: 'api_token.rotated', outcome: 'success', reason: rotated.record.tokenId, userId: principal.userId, tenantId: principal.tenantId });
  return json(200, toPublicToken(rotated.record, rotated.token));
});
