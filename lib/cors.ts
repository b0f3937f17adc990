/**
 * Cross-origin access for browser apps on other origins, as plain data: the
 * stack hands it to API Gateway (which answers preflights itself) and the
 * local gateway applies the same rules.
 */
export const cors = {
  allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
  allowHeaders: ['authorization', 'content-type', 'x-access-token', 'x-auth-token', 'x-refresh-token', 'x-request-id', 'uuid'],
  /** Tokens come back in headers too; the client reads them, and the request id. */
  exposeHeaders: ['x-access-token', 'x-refresh-token', 'x-request-id', 'retry-after'],
  maxAgeSeconds: 600,
} as const;

/** `https://app.example.com, https://pos.example.com` → the list; blanks dropped. */
export const parseOrigins = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
