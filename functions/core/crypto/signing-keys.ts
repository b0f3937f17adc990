/**
 * The signing key set: RS256 key pairs (newest first signs) and the secret
 * that derives refresh tokens, reset codes and API-token hashes. In AWS it is
 * kept as three Secrets Manager secrets, so that each function reads only
 * what it needs: the whole set (the functions that sign access tokens), the
 * public keys (the JWKS and the verifiers), the token secret (the functions
 * that derive or check tokens and codes). The key manager writes all three.
 * Locally, one file under `.local/` holds the set and every part comes from it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';

const privateJwkSchema = z.looseObject({
  kty: z.literal('RSA'),
  n: z.string(),
  e: z.string(),
  d: z.string(),
});

const keyMaterialSchema = z.object({
  version: z.literal(1),
  keys: z
    .array(
      z.object({
        kid: z.string().min(1),
        createdAt: z.iso.datetime(),
        /** When a newer key took over signing; the key stays for verification a while after. */
        retiredAt: z.iso.datetime().optional(),
        privateJwk: privateJwkSchema,
      }),
    )
    .min(1),
  refreshSecret: z.string().min(43),
});

/** The stored document. Never logged, never returned. */
export type KeyMaterial = z.infer<typeof keyMaterialSchema>;

export interface PublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
}

export interface VerificationKeys {
  /** Public keys by `kid`, for verification. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** The JWKS document: public members only. */
  readonly jwks: { readonly keys: readonly PublicJwk[] };
}

export interface SigningKeys extends VerificationKeys {
  /** The key that signs new tokens. */
  readonly current: { readonly kid: string; readonly privateKey: KeyObject };
  /** HMAC key that derives refresh tokens. */
  readonly refreshSecret: Buffer;
}

const publicMaterialSchema = z.object({
  version: z.literal(1),
  keys: z.array(z.object({ kid: z.string().min(1), n: z.string(), e: z.string() })).min(1),
});
/** The public part of a key set, newest first: what the public-keys secret holds. */
export type PublicKeyMaterial = z.infer<typeof publicMaterialSchema>;

const tokenSecretSchema = z.object({ version: z.literal(1), refreshSecret: z.string().min(43) });
/** The HMAC secret of a key set alone: what the token secret holds. */
export type TokenSecretMaterial = z.infer<typeof tokenSecretSchema>;

export function publicMaterialOf(material: KeyMaterial): PublicKeyMaterial {
  return {
    version: 1,
    keys: material.keys.map(({ kid, privateJwk }) => {
      const { n, e } = createPublicKey(createPrivateKey({ key: privateJwk, format: 'jwk' })).export({ format: 'jwk' }) as { n: string; e: string };
      return { kid, n, e };
    }),
  };
}

export const tokenSecretOf = (material: KeyMaterial): TokenSecretMaterial => ({ version: 1, refreshSecret: material.refreshSecret });

export function toVerificationKeys(material: PublicKeyMaterial): VerificationKeys {
  const publicKeys = new Map<string, KeyObject>();
  const jwks: PublicJwk[] = [];
  for (const { kid, n, e } of material.keys) {
    publicKeys.set(kid, createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' }));
    jwks.push({ kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' });
  }
  return { publicKeys, jwks: { keys: jwks } };
}

/** A fresh key set with one RS256 key pair and a new refresh-token secret. */
export function createKeyMaterial(now: Date): KeyMaterial {
  return { version: 1, keys: [newKey(now)], refreshSecret: randomBytes(32).toString('base64url') };
}

function newKey(now: Date): KeyMaterial['keys'][number] {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateJwk = privateJwkSchema.parse(privateKey.export({ format: 'jwk' }));
  return { kid: randomUUID(), createdAt: now.toISOString(), privateJwk };
}

/** How long a container trusts its copy before it looks for a rotated key set. */
const RELOAD_AFTER_MS = 5 * 60 * 1000;

/**
 * How long a retired key must stay in the JWKS: every token it signed has
 * expired by then. Tokens live at most `accessTokenTtl`; a container may keep
 * signing with a cached key set for up to `RELOAD_AFTER_MS` after a rotation;
 * verifiers allow 5 s of skew.
 */
export const retirementGraceSeconds = (accessTokenTtl: number): number => accessTokenTtl + RELOAD_AFTER_MS / 1000 + 5;

/**
 * A new key signs from now on; the previous one is retired, and keys retired
 * longer ago than the grace leave. The refresh secret stays: refresh tokens,
 * API tokens and reset codes outlive any key.
 */
export function rotateKeyMaterial(material: KeyMaterial, now: Date, accessTokenTtl: number): KeyMaterial {
  const horizon = now.getTime() - retirementGraceSeconds(accessTokenTtl) * 1000;
  const retired = material.keys.map((key, i) => (i === 0 && !key.retiredAt ? { ...key, retiredAt: now.toISOString() } : key));
  return {
    ...material,
    keys: [newKey(now), ...retired.filter((key) => Date.parse(key.retiredAt ?? now.toISOString()) > horizon)],
  };
}

/** Drops retired keys past the grace without adding one (a scheduled clean-up between rotations). */
export function pruneKeyMaterial(material: KeyMaterial, now: Date, accessTokenTtl: number): KeyMaterial {
  const horizon = now.getTime() - retirementGraceSeconds(accessTokenTtl) * 1000;
  const [current, ...rest] = material.keys as [KeyMaterial['keys'][number], ...KeyMaterial['keys']];
  return { ...material, keys: [current, ...rest.filter((key) => Date.parse(key.retiredAt ?? now.toISOString()) > horizon)] };
}

/** Parses and checks a stored document; throws without echoing its content. */
function parseStored<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${what} has the wrong shape`);
  return parsed.data;
}

export const parseKeyMaterial = (text: string): KeyMaterial => parseStored(text, keyMaterialSchema, 'Signing key material');
export const parsePublicMaterial = (text: string): PublicKeyMaterial => parseStored(text, publicMaterialSchema, 'Public key material');
export const parseTokenSecret = (text: string): TokenSecretMaterial => parseStored(text, tokenSecretSchema, 'Token secret');

export function toSigningKeys(material: KeyMaterial): SigningKeys {
  const newest = material.keys[0] as KeyMaterial['keys'][number];
  return {
    ...toVerificationKeys(publicMaterialOf(material)),
    current: { kid: newest.kid, privateKey: createPrivateKey({ key: newest.privateJwk, format: 'jwk' }) },
    refreshSecret: Buffer.from(material.refreshSecret, 'base64url'),
  };
}

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
  if (source.kind === 'file') return readFile(source.path, 'utf8');
  // Loaded only where a secret is used, so local runs never pay for it.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: source.secretArn }));
  return out.SecretString ?? '';
}

/** Reads one part: from its own secret, or taken out of a whole key set. */
async function readPart<T>(source: KeySource, ofWhole: (material: KeyMaterial) => T, parsePart: (text: string) => T): Promise<T> {
  if (source.kind === 'memory') return ofWhole(source.material);
  if (source.kind === 'file') return ofWhole(parseKeyMaterial(await readText(source)));
  return parsePart(await readText(source));
}

const variableOf = { signing: 'SIGNING_SECRET_ARN', publicKeys: 'PUBLIC_KEYS_SECRET_ARN', tokenSecret: 'TOKEN_SECRET_ARN' } as const;

/** One part's cached copy, reloaded after a while to pick up rotations. */
class CachedPart<T> {
  private cached: { value: T; loadedAt: number } | undefined;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly now: () => number,
  ) {}

  get(maxAgeMs: number): Promise<T> {
    if (this.cached && this.now() - this.cached.loadedAt < maxAgeMs) return Promise.resolve(this.cached.value);
    this.loading ??= this.load()
      .then((value) => {
        this.cached = { value, loadedAt: this.now() };
        return value;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}

/** Caches each part of the key set per container and picks up rotations. */
export class KeyStore {
  private readonly signingPart: CachedPart<SigningKeys>;
  private readonly publicPart: CachedPart<VerificationKeys>;
  private readonly secretPart: CachedPart<Buffer>;

  /** `sources` may be a function, so that a store can exist before its sources are configured. */
  constructor(sources: KeySources | (() => KeySources), now: () => number = Date.now) {
    const sourceOf = (part: keyof KeySources): KeySource => {
      const source = (typeof sources === 'function' ? sources() : sources)[part];
      if (!source) throw new Error(`Set ${variableOf[part]} or SIGNING_KEYS_FILE`);
      return source;
    };
    this.signingPart = new CachedPart(async () => toSigningKeys(await readPart(sourceOf('signing'), (m) => m, parseKeyMaterial)), now);
    this.publicPart = new CachedPart(
      async () => toVerificationKeys(await readPart(sourceOf('publicKeys'), publicMaterialOf, parsePublicMaterial)),
      now,
    );
    this.secretPart = new CachedPart(
      async () => Buffer.from((await readPart(sourceOf('tokenSecret'), tokenSecretOf, parseTokenSecret)).refreshSecret, 'base64url'),
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
  tokenSecret(): Promise<Buffer> {
    return this.secretPart.get(RELOAD_AFTER_MS);
  }
}
