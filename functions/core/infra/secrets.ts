/**
 * Reading a Secrets Manager secret, and keeping a per-container copy of what
 * was read: the signing keys (crypto/key-store.ts) and the origin secret
 * (origin-secret.ts) are both loaded this way.
 */

/**
 * The text of a secret's current version. A read gives up after two tries of
 * at most 1.5 s each (a `TimeoutError`, which callers answer with a 503): a
 * Secrets Manager that does not answer must not hold every request until the
 * Lambda timeout, and the SDK's own request timeout only warns unless told to throw.
 */
export async function readSecretString(secretArn: string): Promise<string> {
  // Loaded only where a secret is used, so local runs never pay for it.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 1500, throwOnRequestTimeout: true },
  });
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return out.SecretString ?? '';
}

/** A value loaded on first use and again once it is older than asked, one load at a time. */
export class CachedValue<T> {
  private cached: { value: T; loadedAt: number } | undefined;
  private loading: Promise<T> | undefined;

  /**
   * @param onFailedReload - when given, a reload that fails is reported to it and the value loaded
   *   before is kept for another period, instead of failing every caller until the source is back
   * @default - a failed reload fails its callers, and the next call tries again
   */
  constructor(
    private readonly load: () => Promise<T>,
    private readonly now: () => number = Date.now,
    private readonly onFailedReload?: (error: unknown) => void,
  ) {}

  get(maxAgeMs: number): Promise<T> {
    if (this.cached && this.now() - this.cached.loadedAt < maxAgeMs) return Promise.resolve(this.cached.value);
    this.loading ??= this.load()
      .then(
        (value) => this.keep(value),
        (error: unknown) => {
          if (!this.cached || !this.onFailedReload) throw error;
          this.onFailedReload(error);
          return this.keep(this.cached.value);
        },
      )
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private keep(value: T): T {
    this.cached = { value, loadedAt: this.now() };
    return value;
  }
}
