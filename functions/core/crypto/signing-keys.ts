/**
 * The signing key set: RS256 key pairs (newest first signs) and the secret
 * that derives refresh tokens, reset codes and API-token hashes. In AWS it is
 * kept as three Secrets Manager secrets, so that each function reads only
 * what it needs: the whole set (the functions that sign access tokens), the
 * public keys (the JWKS and the verifiers), the token secret (the functions
 * that derive or check tokens and codes). The key manager writes all three.
 * Locally, one file under `.local/` holds the set and every part comes from it.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
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
  readonly refreshSecret: KeyObject;
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
      const { n, e } = createPublicKey(createPrivateKey({ key: privateJwk, format: 'jwk' })).export({ format: 'jwk' }) as {
        n: string;
        e: string;
      };
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
export const RELOAD_AFTER_MS = 5 * 60 * 1000;

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

/**
 * The stored token secret as an HMAC key. A KeyObject, not a Buffer: Node.js
 * checks a Buffer key on every HMAC at several times the cost of the HMAC.
 */
export const secretKeyOf = (base64url: string): KeyObject => createSecretKey(Buffer.from(base64url, 'base64url'));

export function toSigningKeys(material: KeyMaterial): SigningKeys {
  const newest = material.keys[0] as KeyMaterial['keys'][number];
  return {
    ...toVerificationKeys(publicMaterialOf(material)),
    current: { kid: newest.kid, privateKey: createPrivateKey({ key: newest.privateJwk, format: 'jwk' }) },
    refreshSecret: secretKeyOf(material.refreshSecret),
  };
}
