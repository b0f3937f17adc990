/**
 * Checking a login name and password. Every failure costs one argon2
 * verification, so an unknown identifier takes as long as a wrong password.
 */
import type { Deps } from './deps.ts';
import type { Identifier } from './identifiers.ts';
import { hashPassword, needsRehash, spendVerification, verifyPassword } from './passwords.ts';
import { findUserByIdentifier, recordLogin, type UserRecord } from './users.ts';

export type LoginCheck =
  | { readonly kind: 'ok'; readonly user: UserRecord }
  | { readonly kind: 'bad_password'; readonly user: UserRecord }
  | { readonly kind: 'unknown_identifier' }
  | { readonly kind: 'disabled'; readonly user: UserRecord };

export async function checkLogin(d: Deps, identifier: Identifier, password: string): Promise<LoginCheck> {
  const user = await findUserByIdentifier(d, identifier);
  if (!user || !user.passwordHash) {
    await spendVerification(password);
    return user ? { kind: 'bad_password', user } : { kind: 'unknown_identifier' };
  }
  if (!(await verifyPassword(user.passwordHash, password))) return { kind: 'bad_password', user };
  // Disabled is told only after the right password, so it reveals nothing to a guesser.
  if (user.status !== 'active') return { kind: 'disabled', user };
  return { kind: 'ok', user };
}

/** Stamps the login, and upgrades a hash made with older argon2 parameters. */
export async function completeLogin(d: Deps, user: UserRecord, password: string): Promise<UserRecord> {
  const now = d.clock.now();
  const newHash = user.passwordHash && needsRehash(user.passwordHash) ? await hashPassword(password) : undefined;
  await recordLogin(d, user.id, now, newHash);
  return { ...user, lastLoginAt: now.toISOString(), ...(newHash ? { passwordHash: newHash } : {}) };
}
