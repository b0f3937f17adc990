/**
 * Cold start of every function the stack deploys: bundle size, and the time
 * from process start to "handler imported" in a fresh Node process (median of
 * N), next to two floors measured in the same run: a bare handler, and one
 * that only imports and constructs the DynamoDB document client.
 *
 *   npm run bench:cold-start -- [runs]   (default 20)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { bundleOptions, deployedHandlers } from '../lib/bundling.ts';
import { buildFunction, projectRoot } from '../test/fixtures/bundle.ts';
import { summarize } from './stats.ts';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 20);

/** Milliseconds from process start until `file` is imported, in a fresh Node process. */
async function importTime(file: string): Promise<number> {
  const script = `await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now()));`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script]);
  return Number(stdout);
}

async function medianImport(file: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await importTime(file));
  return summarize(samples).p50;
}

/** A floor: a tiny entry bundled with the same options. */
async function floor(name: string, source: string): Promise<{ bytes: number; ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), `floor-${name}-`));
  await writeFile(join(projectRoot, `.floor-${name}.ts`), source);
  try {
    const out = join(dir, 'index.mjs');
    const result = await build({
      absWorkingDir: projectRoot,
      entryPoints: [join(projectRoot, `.floor-${name}.ts`)],
      outfile: out,
      bundle: true,
      platform: bundleOptions.platform,
      target: bundleOptions.target,
      format: bundleOptions.format,
      minify: bundleOptions.minify,
      banner: { js: bundleOptions.banner },
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + (o.entryPoint ? o.bytes : 0), 0);
    return { bytes, ms: await medianImport(out) };
  } finally {
    await rm(join(projectRoot, `.floor-${name}.ts`), { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(5)} KB`;
console.log(`Cold start: import time in a fresh Node ${process.version} process, median of ${runs}`);
const bare = await floor('bare', 'export const handler = async () => ({ statusCode: 200 });');
const dynamo = await floor(
  'dynamodb',
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })); export const handler = async () => ({ statusCode: 200, db: typeof db });",
);
console.log(`  ${'floor: bare handler'.padEnd(34)} ${kb(bare.bytes)}  ${bare.ms.toFixed(1).padStart(6)} ms`);
console.log(`  ${'floor: DynamoDB document client'.padEnd(34)} ${kb(dynamo.bytes)}  ${dynamo.ms.toFixed(1).padStart(6)} ms`);
for (const handler of deployedHandlers) {
  const built = await buildFunction(handler);
  try {
    const ms = await medianImport(built.file);
    console.log(`  ${handler.padEnd(34)} ${kb(built.bytes)}  ${ms.toFixed(1).padStart(6)} ms  (${(ms / dynamo.ms).toFixed(2)} × floor)`);
  } finally {
    await built.remove();
  }
}
