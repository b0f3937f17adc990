/** GET /auth/api-tokens: the caller's tokens, never their text. */
import { listApiTokens, toPublicToken } from './core/records/api-tokens.ts';
import { protectedRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = protectedRoute('listApiTokens', async ({ d, principal }) =>
  json(200, { items: (await listApiTokens(d, principal.userId)).map((record) => toPublicToken(record)) }),
);
