/**
 * The one way a password guess is judged, on every route that takes one:
 * with a place reserved in the lockout budget first (records/lockouts.ts),
 * verified only with that place, counted when wrong.
 */
import type { Deps } from '../deps.ts';
import { spendVerification, verifyPassword } from '../crypto/passwords.ts';
import { failAttempt, type Reservation, type ReserveOutcome } from '../records/lockouts.ts';

export type PasswordCheck =
  | { readonly kind: 'right'; readonly reservation: Reservation }
  | { readonly kind: 'wrong'; readonly locked: boolean }
  | { readonly kind: 'locked'; readonly retryAfter: number };

/** Without a hash (no such account) it spends the same verification and fails, so both cost the same. */
export async function checkPassword(d: Deps, reserved: ReserveOutcome, hash: string | null, password: string): Promise<PasswordCheck> {
  if (reserved.kind === 'locked') return reserved;
  const right = hash ? await verifyPassword(hash, password) : await spendVerification(password);
  if (right) return { kind: 'right', reservation: reserved.reservation };
  return { kind: 'wrong', locked: await failAttempt(d, reserved.reservation) };
}
