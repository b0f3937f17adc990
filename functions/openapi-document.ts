/** GET /openapi.json: the OpenAPI 3.1 document of this API, generated from its schemas. */
import { openApiDocument } from './core/http/openapi.ts';
import { apiBaseUrl, publicRoute } from './core/http/route.ts';
import { json } from './core/http/response.ts';

let document: ReturnType<typeof openApiDocument> | undefined;
let documentFor: string | undefined;

export const handler = publicRoute('openApiDocument', async ({ event }) => {
  const base = apiBaseUrl(event);
  // Built once per container (per base URL): it never changes while the code does not.
  if (documentFor !== base) {
    document = openApiDocument(base);
    documentFor = base;
  }
  return json(200, document);
});
