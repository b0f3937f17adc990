import { unlessRefused } from './core/http/refusals.ts';
import { loginCredentials } from './core/http/login-input.ts';
import { attemptLogin } from './core/flows/login.ts';
import { issueTokens, tokenHeaders } from './core/flows/tokens.ts';
import { toPublicUser } from './core/records/users.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('login', async ({ d, body, client, issuer }) => {
  const { identifier, password } = loginCredentials(body);
  const outcome = unlessRefused(await attemptLogin(d, identifier, password, client));
  const tokens = await issueTokens(d, outcome.session, outcome.refreshToken, issuer);
  return json(200, { ...tokens, user: toPublicUser(outcome.user) }, tokenHeaders(tokens));
});
