/**
 * Where each part of the key set comes from (a secret per part in AWS, one
 * file locally, memory in tests), and the per-container cache of each part
 * that picks up rotations.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CachedValue, readSecretString } from '../infra/secrets.ts';
import {
  parseKeyMaterial,
  parsePublicMaterial,
  parseTokenSecret,
  publicMaterialOf,
  RELOAD_AFTER_MS,
  secretKeyOf,
  toSigningKeys,
  tokenSecretOf,
  toVerificationKeys,
  type KeyMaterial,
  type SigningKeys,
  type VerificationKeys,
} from './signing-keys.ts';

/** Where a key set is read from: the whole set (a file, memory), or one part's secret in AWS. */
export type KeySource =
  | { readonly kind: 'secret'; readonly secretArn: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'memory'; readonly material: KeyMaterial };

/** Where each part comes from; a part a function was not given fails when first used, naming its variable. */
export interface KeySources {
  readonly signing: KeySource | undefined;
  readonly publicKeys: KeySource | undefined;
  readonly tokenSecret: KeySource | undefined;
}

const fromSecret = (arn: string | undefined): KeySource | undefined => (arn ? { kind: 'secret', secretArn: arn } : undefined);

export function keySourceFromEnv(env: Record<string, string | undefined> = process.env): KeySources {
  if (env.SIGNING_KEYS_FILE) {
    const file: KeySource = { kind: 'file', path: env.SIGNING_KEYS_FILE };
    return { signing: file, publicKeys: file, tokenSecret: file };
  }
  return {
    signing: fromSecret(env.SIGNING_SECRET_ARN),
    publicKeys: fromSecret(env.PUBLIC_KEYS_SECRET_ARN),
    tokenSecret: fromSecret(env.TOKEN_SECRET_ARN),
  };
}

/** Every part from one key set in memory (tests, tools). */
export const memorySources = (material: KeyMaterial): KeySources => {
  const memory: KeySource = { kind: 'memory', material };
  return { signing: memory, publicKeys: memory, tokenSecret: memory };
};

async function readText(source: Extract<KeySource, { kind: 'secret' | 'file' }>): Promise<string> {
  return source.kind === 'file' ? readFile(source.path, 'utf8') : readSecretString(source.secretArn);
}

/** Reads one part: from its own secret, or taken out of a whole key set. */
async function readPart<T>(source: KeySource, ofWhole: (material: KeyMaterial) => T, parsePart: (text: string) => T): Promise<T> {
  if (source.kind === 'memory') return ofWhole(source.material);
  if (source.kind === 'file') return ofWhole(parseKeyMaterial(await readText(source)));
  return parsePart(await readText(source));
}

const variableOf = { signing: 'SIGNING_SECRET_ARN', publicKeys: 'PUBLIC_KEYS_SECRET_ARN', tokenSecret: 'TOKEN_SECRET_ARN' } as const;

/** Caches each part of the key set per container and picks up rotations. */
export class KeyStore {
  private readonly signingPart: CachedValue<SigningKeys>;
  private readonly publicPart: CachedValue<VerificationKeys>;
  private readonly secretPart: CachedValue<KeyObject>;

  /** `sources` may be a function, so that a store can exist before its sources are configured. */
  constructor(sources: KeySources | (() => KeySources), now: () => number = Date.now) {
    const sourceOf = (part: keyof KeySources): KeySource => {
      const source = (typeof sources === 'function' ? sources() : sources)[part];
      if (!source) throw new Error(`Set ${variableOf[part]} or SIGNING_KEYS_FILE`);
      return source;
    };
    this.signingPart = new CachedValue(async () => toSigningKeys(await readPart(sourceOf('signing'), (m) => m, parseKeyMaterial)), now);
    this.publicPart = new CachedValue(
      async () => toVerificationKeys(await readPart(sourceOf('publicKeys'), publicMaterialOf, parsePublicMaterial)),
      now,
    );
    this.secretPart = new CachedValue(
      async () => secretKeyOf((await readPart(sourceOf('tokenSecret'), tokenSecretOf, parseTokenSecret)).refreshSecret),
      now,
    );
  }

  /** The whole set, private keys included: only for the functions that sign access tokens. */
  get(): Promise<SigningKeys> {
    return this.signingPart.get(RELOAD_AFTER_MS);
  }

  /** The public keys and the JWKS. */
  verification(): Promise<VerificationKeys> {
    return this.publicPart.get(RELOAD_AFTER_MS);
  }

  /**
   * The public keys read again now, at most once a second: a token whose
   * `kid` is unknown may come from a key rotated in after this container loaded.
   */
  reloadVerification(): Promise<VerificationKeys> {
    return this.publicPart.get(1000);
  }

  /** The HMAC secret that derives refresh tokens and keys reset codes and API-token hashes. */
  tokenSecret(): Promise<KeyObject> {
    return this.secretPart.get(RELOAD_AFTER_MS);
  }
}
