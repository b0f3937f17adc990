/** POST /auth/api-tokens: a long-lived token for X-Auth-Token; its text appears only in this answer. */
import { createApiTokenBody } from './core/http/schemas.ts';
import { createApiToken, toPublicToken } from './core/records/api-tokens.ts';
import { audit } from './core/records/audit.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('createApiToken', { body: createApiTokenBody }, async ({ d, body, principal, client }) => {
  const { record, token } = await createApiToken(d, principal, body.name, body.expires_in);
  await audit(d, client, { type: 'api_token.created', outcome: 'success', reason: record.tokenId, userId: principal.userId, tenantId: principal.tenantId });
  return json(201, toPublicToken(record, token));
});
