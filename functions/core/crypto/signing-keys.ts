/**
 * The signing key set: RS256 key pairs (newest first signs) and the secret
 * that derives refresh tokens. Stored as one JSON document: a Secrets Manager
 * secret in AWS, a file under `.local/` on the local server.
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

export interface SigningKeys {
  /** The key that signs new tokens. */
  readonly current: { readonly kid: string; readonly privateKey: KeyObject };
  /** Public keys by `kid`, for verification. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** The JWKS document: public members only. */
  readonly jwks: { readonly keys: readonly PublicJwk[] };
  /** HMAC key that derives refresh tokens. */
  readonly refreshSecret: Buffer;
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

/** Parses and checks a stored key set; throws without echoing its content. */
export function parseKeyMaterial(text: string): KeyMaterial {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('Signing key material is not JSON');
  }
  const parsed = keyMaterialSchema.safeParse(json);
  if (!parsed.success) throw new Error('Signing key material has the wrong shape');
  return parsed.data;
}

export function toSigningKeys(material: KeyMaterial): SigningKeys {
  const publicKeys = new Map<string, KeyObject>();
  const jwks: PublicJwk[] = [];
  for (const { kid, privateJwk } of material.keys) {
    const publicKey = createPublicKey(createPrivateKey({ key: privateJwk, format: 'jwk' }));
    const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    publicKeys.set(kid, publicKey);
    jwks.push({ kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' });
  }
  const newest = material.keys[0] as KeyMaterial['keys'][number];
  return {
    current: { kid: newest.kid, privateKey: createPrivateKey({ key: newest.privateJwk, format: 'jwk' }) },
    publicKeys,
    jwks: { keys: jwks },
    refreshSecret: Buffer.from(material.refreshSecret, 'base64url'),
  };
}

/** Where the key set is read from. */
export type KeySource =
  | { readonly kind: 'secret'; readonly secretArn: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'memory'; readonly material: KeyMaterial };

export function keySourceFromEnv(env: Record<string, string | undefined> = process.env): KeySource {
  if (env.SIGNING_SECRET_ARN) return { kind: 'secret', secretArn: env.SIGNING_SECRET_ARN };
  if (env.SIGNING_KEYS_FILE) return { kind: 'file', path: env.SIGNING_KEYS_FILE };
  throw new Error('Set SIGNING_SECRET_ARN or SIGNING_KEYS_FILE');
}

async function readMaterial(source: KeySource): Promise<KeyMaterial> {
  switch (source.kind) {
    case 'memory':
      return source.material;
    case 'file':
      return parseKeyMaterial(await readFile(source.path, 'utf8'));
    case 'secret': {
      // Loaded only where a secret is used, so local runs never pay for it.
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient({});
      const out = await client.send(new GetSecretValueCommand({ SecretId: source.secretArn }));
      return parseKeyMaterial(out.SecretString ?? '');
    }
  }
}


/** Caches the key set per container and picks up rotations. */
export class KeyStore {
  private cached: { keys: SigningKeys; loadedAt: number } | undefined;
  private loading: Promise<SigningKeys> | undefined;

  /** `source` may be a function, so that a store can exist before its source is configured. */
  constructor(
    private readonly source: KeySource | (() => KeySource),
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<SigningKeys> {
    if (this.cached && this.now() - this.cached.loadedAt < RELOAD_AFTER_MS) return this.cached.keys;
    return this.load();
  }

  /**
   * Reads the key set again now, at most once a second: a token whose `kid`
   * is unknown may come from a key rotated in after this container loaded.
   */
  async reload(): Promise<SigningKeys> {
    if (this.cached && this.now() - this.cached.loadedAt < 1000) return this.cached.keys;
    return this.load();
  }

  private load(): Promise<SigningKeys> {
    const source = typeof this.source === 'function' ? this.source() : this.source;
    this.loading ??= readMaterial(source)
      .then((material) => {
        const keys = toSigningKeys(material);
        this.cached = { keys, loadedAt: this.now() };
        return keys;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
