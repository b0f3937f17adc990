/** GET /.well-known/openid-configuration: enough discovery for JWT authorizers and JWT libraries. */
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('openidConfiguration', async ({ issuer }) => {
  return json(
    200,
    {
      issuer,
      // From the issuer (the ISSUER setting, else the API's own endpoint), never from a header the caller sent.
      jwks_uri: `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      // No authorization endpoint and no ID tokens: only what verifiers of our access tokens need.
      claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'sid', 'role', 'tenant_id', 'permissions'],
    },
    { 'Cache-Control': 'public, max-age=300' },
  );
});
