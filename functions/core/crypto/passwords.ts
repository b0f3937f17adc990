/**
 * argon2id password hashes with OWASP's parameters. Passwords are NFKC-normalized
 * before they are hashed or compared.
 */
import argon2 from 'argon2';

/** OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1. */
export const hashParameters = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const normalizePassword = (password: string): string => password.normalize('NFKC');

export const hashPassword = (password: string): Promise<string> => argon2.hash(normalizePassword(password), hashParameters);

/** `false` for a wrong password or a hash that cannot be read. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, normalizePassword(password));
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters than today's. */
export const needsRehash = (hash: string): boolean => argon2.needsRehash(hash, hashParameters);

let dummyHash: Promise<string> | undefined;
/**
 * Spends one verification against a hash that matches nothing, so an unknown
 * identifier costs the same time as a wrong password. Always `false`.
 */
export async function spendVerification(password: string): Promise<false> {
  dummyHash ??= argon2.hash('not a password: equalizes timing', hashParameters);
  await verifyPassword(await dummyHash, password);
  return false;
}
