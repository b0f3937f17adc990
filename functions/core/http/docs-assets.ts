/**
 * The files of `swagger-ui-dist` that the docs page loads, by the name it
 * loads them under, with their media types. Plain data: `lib/bundling.ts`
 * reads it to ship exactly these files beside the docs-asset bundle.
 */
export const docsAssetPackage = 'swagger-ui-dist';

export const docsAssets = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
} as const satisfies Record<string, string>;

export type DocsAsset = keyof typeof docsAssets;

export const isDocsAsset = (name: string): name is DocsAsset => Object.hasOwn(docsAssets, name);
