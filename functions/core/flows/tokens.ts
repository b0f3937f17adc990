/** The token response of login and refresh: an access token capped at the session's midnight. */
import { signAccessToken } from '../crypto/access-tokens.ts';
import type { Deps } from '../deps.ts';
import type { SessionRecord } from '../records/sessions.ts';

export interface TokenSet {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly expires_at: string;
  readonly refresh_token: string;
  readonly refresh_expires_at: string;
}

export async function issueTokens(d: Deps, session: SessionRecord, refreshToken: string, issuer: string): Promise<TokenSet> {
  const keys = await d.keys.get();
  const now = d.clock.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const sessionEnd = Math.floor(Date.parse(session.endsAt) / 1000);
  // Whole seconds, as in the JWT: never past the session's midnight.
  const expiresAt = new Date(Math.min(nowSeconds + d.settings.accessTokenTtl, sessionEnd) * 1000);
  const accessToken = await signAccessToken(
    keys,
    { userId: session.userId, sessionId: session.sessionId, role: session.role, tenantId: session.tenantId },
    { issuer, audience: d.settings.audience, now, expiresAt },
  );
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: Math.max(0, Math.floor(expiresAt.getTime() / 1000) - nowSeconds),
    expires_at: expiresAt.toISOString(),
    refresh_token: refreshToken,
    refresh_expires_at: session.endsAt,
  };
}

/** Login and refresh also hand the tokens over in headers. */
export const tokenHeaders = (tokens: TokenSet): Record<string, string> => ({
  'X-Access-Token': tokens.access_token,
  'X-Refresh-Token': tokens.refresh_token,
});
