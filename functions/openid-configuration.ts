/** GET /.well-known/openid-configuration: enough discovery for JWT authorizers and JWT libraries. */
import { apiBaseUrl, publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('openidConfiguration', {}, async ({ event, issuer }) => {
  const base = apiBaseUrl(event);
  return json(
    200,
    {
      issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      // No authorization endpoint and no ID tokens: only what verifiers of our access tokens need.
      claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid', 'role', 'tenant_id', 'permissions'],
    },
    { 'Cache-Control': 'public, max-age=300' },
  );
});
