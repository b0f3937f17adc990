/** GET /docs/{asset}: a file of Swagger UI that the docs page loads, from a fixed list. */
import { docsAsset, docsAssetType } from './core/http/docs.ts';
import { isDocsAsset } from './core/http/docs-assets.ts';
import { ApiError } from './core/http/api-error.ts';
import { publicRoute } from './core/http/route.ts';
import { text } from './core/http/response.ts';

export const handler = publicRoute('docsAsset', async ({ pathParameters }) => {
  const name = pathParameters.asset ?? '';
  if (!isDocsAsset(name)) throw new ApiError('not_found');
  // The names carry no version: a short public cache, so an upgrade shows within minutes.
  return text(200, await docsAsset(name), docsAssetType(name), { 'Cache-Control': 'public, max-age=300' });
});
