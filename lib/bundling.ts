/**
 * How every handler is bundled, as plain data. The stack (through
 * `NodejsFunction`) and `test/bundle.test.ts` (through esbuild's API) both read
 * this file, so the bundle that is tested is the bundle that ships.
 */
import { docsAssetPackage, docsAssets } from '../functions/core/http/docs-assets.ts';
import { authorizerFunction, fallbackFunction, mailFeedbackFunction, operations, type FunctionNeeds } from '../functions/routes.ts';

/** The custom-resource handler that fills the signing-key secret. */
export const keyManagerHandler = 'key-manager';

/**
 * Handler modules (under `functions/`) whose bundles import argon2: those that
 * hash or verify passwords. Only these bundles ship argon2's native module; the
 * bundle test fails when this list and the bundles' actual imports disagree.
 */
export const passwordHandlers: ReadonlySet<string> = new Set([
  'login',
  'password-forgot',
  'password-reset',
  'password-change',
  'users-create',
]);

export const hashesPasswords = (handler: string): boolean => passwordHandlers.has(handler);

/** Every handler module the stack deploys, once each. */
export const deployedHandlers: readonly string[] = [
  ...new Set([
    ...operations.map((operation) => operation.handler),
    authorizerFunction.handler,
    fallbackFunction.handler,
    mailFeedbackFunction.handler,
    keyManagerHandler,
  ]),
];

/** `functions/<handler>.ts`, relative to the project root. */
export const entryOf = (handler: string): string => `functions/${handler}.ts`;

/**
 * ESM bundles have no `require`; some CommonJS dependencies call it for Node
 * built-ins. The alias keeps the banner from colliding with a bundled
 * `import { createRequire } from 'module'`.
 */
export const esmRequireBanner =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/**
 * esbuild options shared by the stack and the bundle test. `@aws-sdk/*` is
 * bundled on purpose: the versions we test are the versions we ship, and a
 * runtime SDK upgrade cannot change behaviour under us.
 */
export const bundleOptions = {
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: true,
  // Stack traces need only the mappings; the sources would double the map and
  // its parse time under `--enable-source-maps`.
  sourcesContent: false,
  // Prefer ES module builds, which tree-shake far better (the AWS SDK ships both).
  mainFields: ['module', 'main'],
  banner: esmRequireBanner,
  // Native: it cannot be bundled, so it ships as a node module (see below).
  external: ['argon2'],
} as const;

const needsOf = (handler: string): FunctionNeeds =>
  [...operations, authorizerFunction, fallbackFunction, mailFeedbackFunction].find((f) => f.handler === handler)?.needs ??
  (handler === keyManagerHandler ? { signingKeys: true } : {});

/**
 * AWS SDK clients a handler never calls, left out of its bundle. The domain
 * loads them with a dynamic import on first use, which such a handler never
 * reaches (and were it to, Lambda's Node runtime carries the SDK).
 */
export const unusedSdkClients = (handler: string): string[] => {
  const needs = needsOf(handler);
  return [
    ...(needs.mail ? [] : ['@aws-sdk/client-ses']),
    // Secrets Manager stays in every bundle: behind CloudFront, every function reads the origin secret.
    ...credentialProvidersLambdaSkips,
  ];
};

/**
 * Providers of the SDK's default credential chain that no function reaches:
 * Lambda hands a function its credentials in environment variables, which the
 * chain's first provider reads. The chain loads these with a dynamic import;
 * bundled, they (and the SSO and STS clients they bring) were about 110 KB of
 * every bundle.
 */
const credentialProvidersLambdaSkips = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
];

/** Everything a handler's bundle leaves out: argon2 (shipped beside it when needed) and the SDK clients it never calls. */
export const externalsOf = (handler: string): string[] => [...bundleOptions.external, ...unusedSdkClients(handler)];

/** The file `NodejsFunction` writes an ESM bundle to (its handler is `index.handler`). */
export const bundleFile = 'index.mjs';

/**
 * What argon2 needs at run time, relative to `node_modules/`: its entry
 * (`argon2.cjs` requires `@phc/format` and `node-gyp-build`), its
 * `package.json` (for `main`, and read by node-gyp-build), and the prebuilt
 * binary for the target platform. No compiler, no `npm install`.
 */
export const nativeModuleFiles = (platform: string): readonly string[] => [
  'argon2/package.json',
  'argon2/argon2.cjs',
  `argon2/prebuilds/${platform}`,
  'node-gyp-build/package.json',
  'node-gyp-build/index.js',
  'node-gyp-build/node-gyp-build.js',
  '@phc/format/package.json',
  '@phc/format/index.js',
];

/** Lambda's platform: `arm64` on Linux. */
export const lambdaPlatform = 'linux-arm64';

const quote = (path: string): string => `'${path.replaceAll("'", `'\\''`)}'`;

/** Shell commands that copy `files` (relative to `node_modules/`) from the project into a bundle's `node_modules/`. */
const copyCommands = (files: readonly string[], inputDir: string, outputDir: string): string[] =>
  files.map((file) => {
    const target = `${outputDir}/node_modules/${file}`;
    const parent = target.slice(0, target.lastIndexOf('/'));
    return `mkdir -p ${quote(parent)} && cp -R ${quote(`${inputDir}/node_modules/${file}`)} ${quote(target)}`;
  });

/**
 * Shell commands that copy argon2 and its run-time dependencies into a
 * bundle's `node_modules/` (the stack's afterBundling hook; the bundle test
 * runs the same commands).
 */
export function copyNativeModulesCommands(inputDir: string, outputDir: string, platform = lambdaPlatform): string[] {
  return copyCommands(nativeModuleFiles(platform), inputDir, outputDir);
}

/**
 * Files a handler reads at run time instead of importing, relative to
 * `node_modules/`, by handler: the Swagger UI script and style sheet the
 * docs page loads (about 1.9 MB; nothing else of the package, no source
 * maps), and the package's `package.json` so that they resolve as in the
 * project. Copied like argon2, by the same afterBundling hook.
 */
export const staticFiles: Readonly<Record<string, readonly string[]>> = {
  'docs-asset': [`${docsAssetPackage}/package.json`, ...Object.keys(docsAssets).map((name) => `${docsAssetPackage}/${name}`)],
};

/** Shell commands that copy the static files of `handler` (if any) into its bundle's `node_modules/`. */
export const copyStaticFilesCommands = (handler: string, inputDir: string, outputDir: string): string[] =>
  copyCommands(staticFiles[handler] ?? [], inputDir, outputDir);
