/** DELETE /auth/api-tokens/{id}: the token stops at once. */
import { deleteApiToken } from './core/records/api-tokens.ts';
import { audit } from './core/records/audit.ts';
import { ApiError } from './core/http/api-error.ts';
import { protectedRoute } from './core/http/route.ts';
import { noContent } from './core/http/response.ts';

export const handler = protectedRoute('deleteApiToken', {}, async ({ d, pathParameters, principal, client }) => {
  const tokenId = pathParameters.id ?? '';
  if (!(await deleteApiToken(d, principal.userId, tokenId))) throw new ApiError('not_found');
  await audit(d, client, { type: 'api_token.deleted', outcome: 'success', reason: tokenId, userId: principal.userId, tenantId: principal.tenantId });
  return noContent();
});
