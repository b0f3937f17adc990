/** Operations of the operation table (functions/routes.ts). What the API publishes about itself: public keys, discovery, the OpenAPI document and its page. */
import type { Operation } from '../routes.ts';

export const discoveryOperations: readonly Operation[] = [
  {
    operationId: 'jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: 'jwks',
    auth: 'public',
    summary: 'Public signing keys',
    needs: { publicKeys: true },
  },
  {
    operationId: 'openidConfiguration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    handler: 'openid-configuration',
    auth: 'public',
    summary: 'Discovery document',
    needs: {},
  },
  {
    operationId: 'openApiDocument',
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi-document',
    auth: 'public',
    summary: 'This API described in OpenAPI 3.1',
    needs: {},
  },
  {
    operationId: 'docsPage',
    method: 'GET',
    path: '/docs',
    handler: 'docs',
    auth: 'public',
    summary: 'This API documented in a page (Swagger UI over /openapi.json)',
    needs: {},
  },
  {
    operationId: 'docsAsset',
    method: 'GET',
    path: '/docs/{asset}',
    handler: 'docs-asset',
    auth: 'public',
    summary: 'A script or style sheet of the docs page',
    needs: {},
  },
];
