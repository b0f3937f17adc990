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
import { isMain, numberArg, runMain } from './cli.ts';
import { summarize } from './stats.ts';

const run = promisify(execFile);

export interface ColdStartRow {
  readonly name: string;
  /** The minified bundle. */
  readonly bytes: number;
  /** Median time from process start to "handler imported". */
  readonly ms: number;
  /** The three packages (or files of ours) that weigh most in the bundle, with their minified bytes. */
  readonly heaviest?: readonly { readonly name: string; readonly bytes: number }[];
}

export interface ColdStartReport {
  readonly runs: number;
  readonly node: string;
  readonly floors: { readonly bare: ColdStartRow; readonly dynamodb: ColdStartRow };
  readonly functions: readonly ColdStartRow[];
}

/** Milliseconds from process start until `file` is imported, in a fresh Node process. */
async function importTime(file: string): Promise<number> {
  const script = `await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now()));`;
  const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script]);
  return Number(stdout);
}

async function medianImport(file: string, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await importTime(file));
  return summarize(samples).p50;
}

/** A floor: a tiny entry bundled with the same options. */
async function floor(id: string, name: string, source: string, runs: number): Promise<ColdStartRow> {
  const dir = await mkdtemp(join(tmpdir(), `floor-${id}-`));
  await writeFile(join(projectRoot, `.floor-${id}.ts`), source);
  try {
    const out = join(dir, 'index.mjs');
    const result = await build({
      absWorkingDir: projectRoot,
      entryPoints: [join(projectRoot, `.floor-${id}.ts`)],
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
    return { name, bytes, ms: await medianImport(out, runs) };
  } finally {
    await rm(join(projectRoot, `.floor-${id}.ts`), { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ColdStartOptions {
  readonly runs: number;
  /** @default every function the stack deploys */
  readonly handlers?: readonly string[];
}

export async function runColdStart(options: ColdStartOptions): Promise<ColdStartReport> {
  const { runs } = options;
  const bare = await floor('bare', 'floor: bare handler', 'export const handler = async () => ({ statusCode: 200 });', runs);
  const dynamodb = await floor(
    'dynamodb',
    'floor: DynamoDB document client',
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })); export const handler = async () => ({ statusCode: 200, db: typeof db });",
    runs,
  );
  const functions: ColdStartRow[] = [];
  for (const handler of options.handlers ?? deployedHandlers) {
    const built = await buildFunction(handler);
    try {
      functions.push({ name: handler, bytes: built.bytes, ms: await medianImport(built.file, runs), heaviest: built.weights.slice(0, 3) });
    } finally {
      await built.remove();
    }
  }
  return { runs, node: process.version, floors: { bare, dynamodb }, functions };
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;

/** "@smithy/core 131 KB, zod 97 KB, …" */
export const heaviestText = (row: ColdStartRow): string => (row.heaviest ?? []).map((w) => `${w.name} ${kb(w.bytes)}`).join(', ');

export function printColdStart(report: ColdStartReport): void {
  const row = (r: ColdStartRow, note = '') => `  ${r.name.padEnd(34)} ${kb(r.bytes).padStart(8)}  ${r.ms.toFixed(1).padStart(6)} ms${note}`;
  console.log(`Cold start: import time in a fresh Node ${report.node} process, median of ${report.runs}`);
  console.log(row(report.floors.bare));
  console.log(row(report.floors.dynamodb));
  for (const f of report.functions) console.log(row(f, `  (${(f.ms / report.floors.dynamodb.ms).toFixed(2)} × floor)  ${heaviestText(f)}`));
}

if (isMain(import.meta.url)) {
  runMain(async () => printColdStart(await runColdStart({ runs: numberArg(0, 20) })));
}
