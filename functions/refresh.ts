import { bearerOf } from './core/flows/authorize.ts';
import { ApiError } from './core/http/api-error.ts';
import { refreshGrant } from './core/flows/refresh.ts';
import { issueTokens, tokenHeaders } from './core/flows/tokens.ts';
import { toPublicUser } from './core/records/users.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

/** The token from the body, `X-Refresh-Token`, or `Authorization: Bearer`, in that order. */
function presentedToken(body: { refresh_token?: string | undefined }, headers: Record<string, string | undefined>) {
  return (body.refresh_token ?? headers['x-refresh-token'] ?? bearerOf(headers))?.trim() || undefined;
}

export const handler = publicRoute('refresh', async ({ d, body, headers, client, issuer }) => {
  const token = presentedToken(body, headers);
  if (!token) {
    throw new ApiError('invalid_request', {
      message: 'refresh_token is required (body, X-Refresh-Token or Authorization: Bearer)',
      details: [{ path: 'refresh_token', message: 'Required' }],
    });
  }
  const result = await refreshGrant(d, token, client);
  if (result.kind !== 'rotated') throw new ApiError('invalid_grant');
  const tokens = await issueTokens(d, result.session, result.refreshToken, issuer);
  return json(200, { ...tokens, user: toPublicUser(result.user) }, tokenHeaders(tokens));
});
