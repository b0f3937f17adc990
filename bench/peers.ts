/**
 * Peers, side by side: the same login → refresh → authorized-call flow against
 * this service on the local server, against @openauthjs/openauth (password
 * provider, DynamoStorage on its own dynalite) and against better-auth (email
 * and password, bearer and jwt plugins, memory adapter). All three run in this
 * process; rounds are interleaved (a login, a refresh and an authorized call
 * of each system in turn, the order rotating every round) so that machine
 * noise hits all alike, and each peer figure is given as a ratio to ours from
 * the same run. A password-hash-only timing per system, in the same rounds,
 * shows how much of each login is the hash.
 *
 * The peers are devDependencies of bench/ only (bench/package.json); when
 * bench/node_modules is missing, `npm ci --prefix bench` installs them.
 *
 *   npm run bench:peers -- [samples] [logins]   (default 100 refreshes and authorized calls, half as many logins)
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, timed } from './stats.ts';
import {
  type OnClose,
  type Operation,
  type PeerReport,
  type Percentiles,
  type System,
  type SystemReport,
  benchDir,
  ensurePeersInstalled,
  errorText,
  quietHonoLogger,
  packageVersion,
} from './peers/common.ts';
import { ourDynamoCalls, startOurs } from './peers/ours.ts';
import { startOpenauth } from './peers/openauth.ts';
import { startBetterAuth } from './peers/better-auth.ts';

// ---------------------------------------------------------------- the run

export async function runPeers(options: { samples: number; loginSamples?: number; log?: (line: string) => void }): Promise<PeerReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const samples = Math.max(1, Math.floor(options.samples));
  const loginSamples = Math.min(samples, Math.max(1, Math.floor(options.loginSamples ?? Math.ceil(samples / 2))));
  const notes: string[] = [];
  const install = ensurePeersInstalled(log);
  const restoreLog = quietHonoLogger();

  const reports = new Map<string, SystemReport>();
  const failed = (name: string, version: string, error: string): SystemReport => ({
    name,
    version,
    passwordHash: 'n/a',
    store: 'n/a',
    flow: { login: 'n/a', refresh: 'n/a', authorized: 'n/a' },
    login: null,
    refresh: null,
    authorized: null,
    hashOnly: null,
    error,
  });
  const systems: System[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const onClose: OnClose = (step) => closers.push(step);
  try {
    log('Starting ours (startLocal)');
    systems.push(await startOurs(onClose));

    const installProblem = install?.startsWith('installed') ? null : install;
    const starters: [string, string, (onClose: OnClose) => Promise<System>][] = [
      ['openauth', '@openauthjs/openauth', startOpenauth],
      ['better-auth', 'better-auth', startBetterAuth],
    ];
    for (const [name, pkg, start] of starters) {
      let version = 'not installed';
      try {
        version = `${pkg} ${await packageVersion(join(benchDir, 'node_modules', pkg))}`;
      } catch {
        // reported below
      }
      if (installProblem || version === 'not installed') {
        reports.set(name, failed(name, version, installProblem ?? `${pkg} is not in bench/node_modules`));
        continue;
      }
      log(`Starting ${name}`);
      try {
        systems.push(await start(onClose));
      } catch (error) {
        reports.set(name, failed(name, version, `could not be started: ${errorText(error)}`));
      }
    }

    // Warm-up, interleaved like the measured rounds.
    log(`Warming up ${systems.map((s) => s.name).join(', ')}`);
    const live = new Set(systems);
    const durations = new Map<System, Record<Operation, number[]>>(
      systems.map((s) => [s, { login: [], refresh: [], authorized: [], hashOnly: [] }]),
    );
    const problems = new Map<System, string>();
    const attempt = async (system: System, op: Operation, record: boolean) => {
      if (!live.has(system)) return;
      try {
        const ms = await timed(system.run[op]);
        if (record) durations.get(system)![op].push(ms);
      } catch (error) {
        live.delete(system);
        problems.set(system, `failed during ${record ? 'the measured rounds' : 'warm-up'} (${op}): ${errorText(error)}`);
      }
    };
    for (let round = 0; round < 10; round++) {
      for (const system of systems) {
        if (round < 3) await attempt(system, 'login', false);
        if (round < 3) await attempt(system, 'hashOnly', false);
        await attempt(system, 'refresh', false);
        await attempt(system, 'authorized', false);
      }
    }

    log(`Measuring: ${samples} rounds (refresh, authorized call), ${loginSamples} with a login and a hash-only check`);
    for (let round = 0; round < samples; round++) {
      // The order rotates so no system always follows the same one.
      const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
      for (const system of order) {
        if (round < loginSamples) {
          await attempt(system, 'login', true);
          await attempt(system, 'hashOnly', true);
        }
        await attempt(system, 'refresh', true);
        await attempt(system, 'authorized', true);
      }
      if ((round + 1) % 25 === 0) log(`  ${round + 1}/${samples}`);
    }

    // Store round trips per operation, where they can be counted (not timed).
    for (const system of systems) {
      if (!live.has(system)) continue;
      try {
        if (system.name === 'ours') {
          const c = await ourDynamoCalls(system);
          notes.push(`ours: DynamoDB calls per login/refresh/authorized call: ${c.login}/${c.refresh}/${c.authorized}`);
        } else if ('storageCalls' in system) {
          const c = await (system as Awaited<ReturnType<typeof startOpenauth>>).storageCalls();
          notes.push(
            `openauth: storage calls (DynamoDB requests) per login/refresh/authorized call: ${c.login}/${c.refresh}/${c.authorized}`,
          );
        }
      } catch (error) {
        notes.push(`${system.name}: store calls not counted: ${errorText(error)}`);
      }
    }

    for (const system of systems) {
      const d = durations.get(system)!;
      // A system that failed midway has no figures: a shorter window would not compare with the others'.
      const figures = (op: Operation): Percentiles | null => {
        if (problems.has(system) || d[op].length === 0) return null;
        const s = summarize(d[op]);
        return { n: s.n, p50: s.p50, p95: s.p95 };
      };
      reports.set(system.name, {
        name: system.name,
        version: system.version,
        passwordHash: system.passwordHash,
        store: system.store,
        flow: system.flow,
        login: figures('login'),
        refresh: figures('refresh'),
        authorized: figures('authorized'),
        hashOnly: figures('hashOnly'),
        error: problems.get(system) ?? null,
      });
    }
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // the rest still runs
      }
    }
    restoreLog();
  }
  if (!reports.has('ours')) throw new Error('ours did not start');
  notes.push(
    'All three run in this one Node process (servers and the client driving them over HTTP on 127.0.0.1), so they share its event loop and libuv thread pool alike.',
    "Hono's request log lines, which openauth's issuer always prints, are dropped from the console (ours logs nothing at POWERTOOLS_LOG_LEVEL=ERROR); formatting them still counts.",
  );
  const ordered = ['ours', 'openauth', 'better-auth'].map((name) => reports.get(name)).filter((r): r is SystemReport => r !== undefined);
  return { node: process.version, samples, loginSamples, install, systems: ordered, notes };
}

// ---------------------------------------------------------------- the table

const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

export function printPeers(report: PeerReport, write: (line: string) => void = console.log): void {
  const ours = report.systems.find((s) => s.name === 'ours');
  const columns: [Operation, string][] = [
    ['login', 'login'],
    ['refresh', 'refresh'],
    ['authorized', 'authorized call'],
    ['hashOnly', 'hash alone'],
  ];
  write(
    `Peers, side by side: ${report.samples} interleaved rounds of refresh + authorized call, ${report.loginSamples} of them with a login and a hash-alone check; Node ${report.node}`,
  );
  write(report.install ? `Peers: ${report.install}` : 'Peers: from bench/node_modules (already installed)');
  write("Milliseconds, p50 / p95; × is the peer's figure over ours from this same run (above 1: slower than ours).");
  write('');
  const cell = (system: SystemReport, op: Operation): string => {
    const f = system[op];
    if (!f) return '—';
    const base = ours?.[op];
    const ratio = (value: number, reference: number | undefined) =>
      system === ours || reference === undefined ? '' : ` ${(value / reference).toFixed(2)}×`;
    return `${fmt(f.p50)}${ratio(f.p50, base?.p50)} / ${fmt(f.p95)}${ratio(f.p95, base?.p95)}`;
  };
  const header = ['system', ...columns.map(([, label]) => label)];
  const rows = report.systems.map((s) => [s.name, ...columns.map(([op]) => cell(s, op))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  write(line(header));
  for (const row of rows) write(line(row));
  write('');
  for (const s of report.systems) {
    write(`${s.name}: ${s.version}`);
    if (s.error) write(`  NO FIGURES: ${s.error}`);
    if (s.passwordHash !== 'n/a') write(`  password hash   ${s.passwordHash}`);
    if (s.store !== 'n/a') write(`  store           ${s.store}`);
    if (s.flow.login !== 'n/a') {
      write(`  login           ${s.flow.login}`);
      write(`  refresh         ${s.flow.refresh}`);
      write(`  authorized call ${s.flow.authorized}`);
    }
  }
  write('');
  for (const note of report.notes) write(`Note: ${note}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const samples = Number(process.argv[2] ?? 100);
  const loginSamples = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  if (!Number.isFinite(samples) || samples < 1 || (loginSamples !== undefined && !(loginSamples >= 1))) {
    console.error('usage: npm run bench:peers -- [samples (default 100)] [logins (default half the samples)]');
    process.exit(2);
  }
  const report = await runPeers({ samples, ...(loginSamples ? { loginSamples } : {}) });
  printPeers(report);
  process.exit(0);
}
