/** POST /auth/login: email, username or POS id and password → tokens. */
import { loginBody } from './core/http/schemas.ts';
import { ApiError } from './core/http/api-error.ts';
import { loginCredentials } from './core/http/login-input.ts';
import { attemptLogin } from './core/flows/login.ts';
import { issueTokens, tokenHeaders } from './core/flows/tokens.ts';
import { toPublicUser } from './core/records/users.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

export const handler = publicRoute('login', { body: loginBody }, async ({ d, body, client, issuer }) => {
  const { identifier, password } = loginCredentials(body);
  const outcome = await attemptLogin(d, identifier, password, client);
  switch (outcome.kind) {
    case 'invalid_credentials':
      throw new ApiError('invalid_credentials');
    case 'disabled':
      throw new ApiError('account_disabled');
    case 'rate_limited':
      throw new ApiError('rate_limit_exceeded', { headers: { 'Retry-After': String(outcome.retryAfter) } });
    case 'locked':
      throw new ApiError('account_locked', { headers: { 'Retry-After': String(outcome.retryAfter) } });
  }
  const tokens = await issueTokens(d, outcome.session, outcome.refreshToken, issuer);
  return json(200, { ...tokens, user: toPublicUser(outcome.user) }, tokenHeaders(tokens));
});
