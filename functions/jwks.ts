/** GET /.well-known/jwks.json: the public keys that verify access tokens. */
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('jwks', async ({ d }) => {
  const { jwks } = await d.keys.verification();
  return json(200, jwks, { 'Cache-Control': 'public, max-age=300' });
});
