/** POST /auth/login: email, username or POS id and password → tokens. */
import { z } from 'zod';
import { audit } from './core/audit.ts';
import { ApiError } from './core/errors.ts';
import { loginCredentials } from './core/login-input.ts';
import { checkLogin, completeLogin } from './core/login.ts';
import { openSession } from './core/sessions.ts';
import { issueTokens, tokenHeaders } from './core/tokens.ts';
import { toPublicUser } from './core/users.ts';
import { publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

const text = (max: number) => z.string().max(max);

export const loginBody = z.strictObject({
  email: text(1024).optional(),
  username: text(256).optional(),
  posId: text(256).optional(),
  password: text(1024).optional(),
  currentPassword: text(1024).optional(),
});

export const handler = publicRoute('login', { body: loginBody }, async ({ d, body, client, issuer }) => {
  const { identifier, password } = loginCredentials(body);
  const check = await checkLogin(d, identifier, password);
  const about = { ip: client.ip, userAgent: client.userAgent };
  if (check.kind === 'unknown_identifier' || check.kind === 'bad_password') {
    const user = check.kind === 'bad_password' ? check.user : undefined;
    audit({ type: 'login.failed', outcome: 'failure', reason: check.kind, userId: user?.id, tenantId: user?.tenantId, ...about });
    throw new ApiError('invalid_credentials');
  }
  if (check.kind === 'disabled') {
    audit({ type: 'login.failed', outcome: 'failure', reason: 'disabled', userId: check.user.id, tenantId: check.user.tenantId, ...about });
    throw new ApiError('account_disabled');
  }
  const [user, { session, refreshToken }] = await Promise.all([
    completeLogin(d, check.user, password),
    openSession(d, check.user, client),
  ]);
  const tokens = await issueTokens(d, session, refreshToken, issuer);
  audit({ type: 'login.succeeded', outcome: 'success', userId: user.id, tenantId: user.tenantId, ...about });
  return json(200, { ...tokens, user: toPublicUser(user) }, tokenHeaders(tokens));
});
