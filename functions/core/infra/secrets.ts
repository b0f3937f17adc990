/**
 * Reading a Secrets Manager secret, and keeping a per-container copy of what
 * was read: the signing keys (crypto/key-store.ts) and the origin secret
 * (origin-secret.ts) are both loaded this way.
 */

/** The text of a secret's current version. */
export async function readSecretString(secretArn: string): Promise<string> {
  // Loaded only where a secret is used, so local runs never pay for it.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  return out.SecretString ?? '';
}

/** A value loaded on first use and again once it is older than asked, one load at a time. */
export class CachedValue<T> {
  private cached: { value: T; loadedAt: number } | undefined;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly now: () => number = Date.now,
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
