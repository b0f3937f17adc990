/**
 * Every benchmark in one run, then BENCHMARKS.md rewritten with the figures,
 * the machine, the versions, the settings and the performance targets met or
 * missed. Under ten minutes on a 2-core machine.
 *
 *   npm run bench                  the full run; rewrites BENCHMARKS.md
 *   npm run bench -- --quick       a smoke run of each benchmark in seconds; writes to a temp file, not BENCHMARKS.md
 *   npm run bench -- --out FILE    writes the report to FILE instead
 *
 * Exits non-zero when a benchmark fails or the load run lost data; the
 * peers' section is optional and never fails the run.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashParameters } from '../functions/core/crypto/passwords.ts';
import { runMain } from './cli.ts';
import { printColdStart, runColdStart } from './cold-start.ts';
import { printEnumeration, runEnumeration } from './enumeration.ts';
import { printForgot, runForgot } from './forgot.ts';
import type { LoadSettings } from './http-load.ts';
import { printLatency, runLatency } from './latency.ts';
import { benchEnv } from './local.ts';
import { loadPassed, printLoad, runLoad } from './load.ts';
import { printMicro, runMicro } from './micro.ts';
import { printCpu, runCpu } from './cpu.ts';
import { computeCost, printCost } from './cost.ts';
import { describeMachine, renderReport, versions } from './report.ts';
import { sectionValue, type PeerReportLike, type Peers, type Results, type Section } from './results.ts';
import { printThroughput, runThroughput } from './throughput.ts';

interface RunSettings {
  readonly coldStartRuns: number;
  /** `undefined`: every deployed function. */
  readonly coldStartHandlers?: readonly string[];
  readonly latencySamples: number;
  readonly throughput: LoadSettings;
  readonly load: LoadSettings;
  readonly microMs: number;
  /** Calls per operation in the CPU section. */
  readonly cpuIterations: number;
  /** `null`: peers skipped. */
  readonly peerSamples: number | null;
  readonly enumerationRounds: number;
  readonly forgotRounds: number;
}

const full: RunSettings = {
  coldStartRuns: 10,
  latencySamples: 200,
  throughput: { seconds: 15, connections: 20 },
  load: { seconds: 60, connections: 20 },
  microMs: 1000,
  cpuIterations: 3000,
  peerSamples: 100,
  enumerationRounds: 150,
  forgotRounds: 60,
};

const quick: RunSettings = {
  coldStartRuns: 1,
  coldStartHandlers: ['login', 'authorizer'],
  latencySamples: 5,
  throughput: { seconds: 2, connections: 4 },
  load: { seconds: 2, connections: 4 },
  microMs: 50,
  cpuIterations: 100,
  peerSamples: null,
  enumerationRounds: 3,
  forgotRounds: 3,
};

const root = new URL('../', import.meta.url);
const PROGRESS_EVERY_MS = 15_000;

async function section<T>(name: string, run: () => Promise<T>, print: (value: T) => void): Promise<Section<T>> {
  console.log(`\n== ${name}`);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  // Some sections run for minutes without a line of output: say every so often that they still are.
  const progress = setInterval(() => console.error(`   ${name}: still running, ${Math.round(seconds())} s`), PROGRESS_EVERY_MS);
  try {
    const value = await run();
    print(value);
    return { ok: true, value, seconds: seconds() };
  } catch (error) {
    console.error(`${name} failed:`, error);
    return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), seconds: seconds() };
  } finally {
    clearInterval(progress);
  }
}

interface PeerModule {
  runPeers(options: { samples: number }): Promise<PeerReportLike>;
  printPeers(report: PeerReportLike, write?: (line: string) => void): void;
}

/** bench/peers.ts is optional: loaded only when it is there. */
async function peers(samples: number): Promise<Peers> {
  const file = new URL('./peers.ts', import.meta.url);
  if (!existsSync(file)) throw new Error('bench/peers.ts is not there');
  const specifier = file.href;
  const module = (await import(specifier)) as PeerModule;
  const report = await module.runPeers({ samples });
  const printed: string[] = [];
  module.printPeers(report, (line) => printed.push(line));
  return { report, printed };
}

function settingsLines(s: RunSettings, isQuick: boolean): string[] {
  return [
    `mode: ${isQuick ? 'quick (smoke test)' : 'full'}`,
    `argon2id m=${hashParameters.memoryCost} KiB, t=${hashParameters.timeCost}, p=${hashParameters.parallelism} (the service's own parameters)`,
    `local server: the handlers behind local/gateway.ts on dynalite in memory, with ${Object.entries(benchEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `cold start: median of ${s.coldStartRuns} fresh Node processes per function${s.coldStartHandlers ? ` (${s.coldStartHandlers.join(', ')} only)` : ' (every deployed function)'}`,
    `latency: ${s.latencySamples} samples per operation, server in the benchmark's process`,
    `throughput: ${s.throughput.connections} connections × ${s.throughput.seconds} s per request kind, autocannon, server in its own process`,
    `load: ${s.load.connections} connections × ${s.load.seconds} s, autocannon, server in its own process, 50 pool users`,
    `micro: tinybench, ${s.microMs} ms per task`,
    `CPU: ${s.cpuIterations} calls per operation, handlers in process, DynamoDB answering from a stub, logs at INFO`,
    `peers: ${s.peerSamples === null ? 'skipped' : `${s.peerSamples} samples (bench/peers.ts)`}`,
    `enumeration: ${s.enumerationRounds} rounds of each; forgot: ${s.forgotRounds} rounds of each`,
  ];
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

runMain(async () => {
  const isQuick = process.argv.includes('--quick');
  const s = isQuick ? quick : full;
  const out = option('--out') ?? (isQuick ? join(tmpdir(), 'BENCHMARKS.quick.md') : fileURLToPath(new URL('BENCHMARKS.md', root)));
  const machine = describeMachine();
  const started = performance.now();

  const coldStart = await section(
    'cold start',
    () => runColdStart({ runs: s.coldStartRuns, ...(s.coldStartHandlers ? { handlers: s.coldStartHandlers } : {}) }),
    printColdStart,
  );
  const latency = await section('latency and DynamoDB calls', () => runLatency({ samples: s.latencySamples }), printLatency);
  const throughput = await section('throughput', () => runThroughput(s.throughput), printThroughput);
  const load = await section('load', () => runLoad(s.load), printLoad);
  const micro = await section('micro-benchmarks', () => runMicro({ msPerTask: s.microMs }), printMicro);
  const cpu = await section('CPU per operation', () => runCpu({ iterations: s.cpuIterations }), printCpu);
  const cost = await section(
    'cost',
    async () => {
      const [l, c] = [sectionValue(latency), sectionValue(cpu)];
      if (!l || !c) throw new Error('needs the latency and CPU sections');
      return computeCost(l, c);
    },
    printCost,
  );
  const peerSection =
    s.peerSamples === null
      ? null
      : await section(
          'peers',
          () => peers(s.peerSamples as number),
          (p) => {
            for (const line of p.printed) console.log(line);
          },
        );
  const enumeration = await section('failed-login timing', () => runEnumeration({ rounds: s.enumerationRounds }), printEnumeration);
  const forgot = await section('forgot-password timing', () => runForgot({ rounds: s.forgotRounds }), printForgot);
  machine.loadAtEnd = loadavg()[0] ?? 0;

  const results: Results = { coldStart, latency, throughput, load, micro, cpu, cost, peers: peerSection, enumeration, forgot };
  const markdown = renderReport({
    machine,
    versions: await versions(root),
    settings: settingsLines(s, isQuick),
    quick: isQuick,
    seconds: (performance.now() - started) / 1000,
    results,
  });
  await writeFile(out, markdown);
  console.log(`\nAll benchmarks in ${((performance.now() - started) / 1000).toFixed(0)} s; report written to ${out}`);

  const broken = Object.entries(results)
    .filter(([name, r]) => name !== 'peers' && r && !r.ok)
    .map(([name]) => name);
  if (broken.length) console.error(`Failed: ${broken.join(', ')}`);
  const lost = load.ok && !loadPassed(load.value);
  if (lost) console.error('The load run lost data: see its FAIL checks');
  return broken.length || lost ? 1 : 0;
});
