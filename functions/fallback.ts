/** `$default`: what no route matches. A known path with the wrong method is 405 with `Allow`; anything else 404. */
import { ApiError } from './core/http/api-error.ts';
import { baseStack } from './core/http/route.ts';
import { matchRoute } from './routes.ts';

export const handler = baseStack().handler(async (event) => {
  const match = matchRoute(event.requestContext.http.method, event.rawPath);
  if (match.kind === 'method_not_allowed') {
    throw new ApiError('method_not_allowed', { headers: { Allow: match.allow.join(', ') } });
  }
  throw new ApiError('not_found');
});
