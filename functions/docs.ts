/** GET /docs: the API documentation page (Swagger UI over /openapi.json). */
import { docsPage, docsPagePolicy } from './core/http/docs.ts';
import { publicRoute } from './core/http/route.ts';
import { text } from './core/http/response.ts';

// no-store, like every page of this API: it is tiny, and its policy hash must match the script it ships.
export const handler = publicRoute('docsPage', async () => text(200, docsPage, 'text/html; charset=utf-8'), {
  contentSecurityPolicy: docsPagePolicy,
});
