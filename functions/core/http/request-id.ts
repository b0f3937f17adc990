/** `X-Request-Id`: the caller's when it is safe to echo, else one of ours. */
import { randomUUID } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(headers: Record<string, string | undefined>, generated?: string): string {
  for (const name of ['x-request-id', 'uuid']) {
    const value = headers[name];
    if (value !== undefined && SAFE_ID.test(value)) return value;
  }
  return generated && SAFE_ID.test(generated) ? generated : randomUUID();
}
