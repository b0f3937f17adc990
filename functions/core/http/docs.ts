/**
 * The API documentation page: Swagger UI, served by this API from its own
 * copy of `swagger-ui-dist` (no CDN), pointed at `/openapi.json`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { docsAssetPackage, docsAssets, type DocsAsset } from './docs-assets.ts';

// Relative URLs, so the page works under a named stage too (`/prod/docs`).
const init =
  "SwaggerUIBundle({ url: 'openapi.json', dom_id: '#swagger-ui', displayOperationId: true, deepLinking: true, validatorUrl: null });";

export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Serverless Auth API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>${init}</script>
</body>
</html>
`;

/**
 * What the page may load: its own scripts (the inline one by its hash), its
 * style sheet (Swagger UI also sets inline styles), data: icons, and fetches
 * to this API only. Swagger UI renders Markdown through innerHTML, which
 * Trusted Types would refuse, so that directive is dropped here; the sandbox
 * keeps scripts, the origin (for fetch), downloads of responses, and forms
 * (the Authorize dialog submits one to take a credential).
 */
export const docsPagePolicy: Readonly<Record<string, string>> = {
  'default-src': "'none'",
  'script-src': `'self' 'sha256-${createHash('sha256').update(init).digest('base64')}'`,
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  sandbox: 'allow-scripts allow-same-origin allow-downloads allow-forms',
  'require-trusted-types-for': '',
};

/**
 * Where the package's files are: `node_modules/` beside the running module,
 * the project's under `npm run dev`, the one the afterBundling hook fills
 * beside `index.mjs` in Lambda.
 */
const assetDir = (): string => dirname(createRequire(import.meta.url).resolve(`${docsAssetPackage}/package.json`));

const cache = new Map<DocsAsset, Promise<string>>();

/** An asset's text, read once per container; its source-map comment is dropped (the map does not ship). */
export function docsAsset(name: DocsAsset): Promise<string> {
  let content = cache.get(name);
  if (!content) {
    content = readFile(join(assetDir(), name), 'utf8').then((text) => text.replace(/\n?\/[/*]# sourceMappingURL=\S+\s*(\*\/)?\s*$/, '\n'));
    // A failed read is retried on the next request rather than cached.
    content.catch(() => cache.delete(name));
    cache.set(name, content);
  }
  return content;
}

export const docsAssetType = (name: DocsAsset): string => docsAssets[name];
