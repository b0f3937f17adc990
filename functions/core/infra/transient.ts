/** Which failures of AWS services and of the network a retry can cure: the store's client retries them, the API answers them 503. */

/** What DynamoDB answers when a table or the account is over its throughput. */
const THROTTLES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded']);

const TRANSIENT = new Set([
  ...THROTTLES,
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionConflictException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const statusOf = (error: Error): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export const isThrottle = (error: unknown): boolean => error instanceof Error && (THROTTLES.has(error.name) || statusOf(error) === 429);

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = statusOf(error);
  const code = (error as { code?: string }).code;
  return (
    TRANSIENT.has(error.name) ||
    isThrottle(error) ||
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(code ?? '') ||
    // A request signed just before the clock moved on: signed again, it passes.
    (error.name === 'InvalidSignatureException' && /Signature expired/i.test(error.message))
  );
}
