/**
 * The secret CloudFront adds to every request it sends to the API (the
 * `X-Origin-Verify` header), as the functions learn it: in AWS from its
 * Secrets Manager secret (`ORIGIN_VERIFY_SECRET_ARN`, never the value in the
 * template or the environment), locally from `ORIGIN_VERIFY_SECRET`. Without
 * either the API is not behind CloudFront, and there is no secret to expect.
 */
import { logger } from './logger.ts';
import { CachedValue, readSecretString } from './secrets.ts';

/** The expected header value, or `undefined` when the API is not behind CloudFront. */
export type OriginSecret = () => Promise<string | undefined>;

/** How long a container trusts its copy: a secret replaced by hand is picked up within this. */
const RELOAD_AFTER_MS = 5 * 60 * 1000;

/**
 * Fails closed: until the secret has been read, every request waits for the
 * read and gets its error (a 503 while Secrets Manager fails), never a pass.
 * Once read, a reload that fails keeps the copy for another five minutes:
 * an outage of Secrets Manager must not refuse every request CloudFront sends.
 */
export function originSecretFromEnv(env: Record<string, string | undefined> = process.env): OriginSecret {
  const arn = env.ORIGIN_VERIFY_SECRET_ARN;
  if (arn) {
    const load = async () => {
      const value = await readSecretString(arn);
      // An empty secret would make every request look like it came through CloudFront.
      if (!value) throw new Error('The origin secret is empty');
      return value;
    };
    const cached = new CachedValue(load, Date.now, (error) =>
      logger.warn('origin secret reload failed; keeping the copy read before', { error: (error as Error).name }),
    );
    return () => cached.get(RELOAD_AFTER_MS);
  }
  const value = env.ORIGIN_VERIFY_SECRET || undefined;
  return () => Promise.resolve(value);
}
