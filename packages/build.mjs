/**
 * Builds the package in the working directory (`npm run build` runs it in
 * each workspace): `src/index.ts` bundled by esbuild into one ES module,
 * `dist/index.js`, with the package's own dependencies left as imports, and
 * the `.d.ts` files from TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  // Node 22 and the browsers of the last few years; no syntax newer than they run.
  target: ['es2022', 'node22'],
  external: [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})],
  legalComments: 'none',
  logLevel: 'warning',
});
// TypeScript exports no path to its binary; find it beside its package.json.
const tsc = join(dirname(fileURLToPath(import.meta.resolve('typescript/package.json'))), 'bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
