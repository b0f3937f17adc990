/** BENCHMARKS.md: one run's machine, versions, settings, figures and targets, as Markdown. */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { heaviestText, kb } from './cold-start.ts';
import { costMarkdownLines } from './cost.ts';
import { sectionValue, type Results, type Section } from './results.ts';
import { judgeTargets } from './targets.ts';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  /** 1-minute load average when the run started and when it ended: how busy the machine was. */
  readonly loadAtStart: number;
  loadAtEnd?: number;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAtStart: loadavg()[0] ?? 0,
  };
}

/** Our version and the installed versions of the packages the figures depend on. */
export async function versions(root: URL): Promise<[string, string][]> {
  const read = async (path: string) => JSON.parse(await readFile(new URL(path, root), 'utf8')) as { name: string; version: string };
  const ours = await read('package.json');
  const packages = [
    'jose',
    'argon2',
    '@middy/core',
    'zod',
    '@aws-sdk/util-dynamodb',
    '@aws-sdk/client-dynamodb',
    '@aws-lambda-powertools/logger',
    'dynalite',
    'esbuild',
    'autocannon',
    'tinybench',
    'tsx',
  ];
  const rows: [string, string][] = [[ours.name, ours.version]];
  for (const name of packages)
    rows.push([
      name,
      await read(`node_modules/${name}/package.json`).then(
        (p) => p.version,
        () => 'not installed',
      ),
    ]);
  return rows;
}

const f2 = (value: number) => value.toFixed(2);
const table = (header: string[], rows: (string | number)[][]): string =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const failed = (section: Section<unknown> | null): string | undefined =>
  section && !section.ok ? `**This section failed:** \`${section.error.split('\n')[0]}\`` : undefined;
const took = (section: Section<unknown> | null) => (section ? ` (${section.seconds.toFixed(0)} s)` : '');

export interface ReportInput {
  readonly machine: Machine;
  readonly versions: readonly [string, string][];
  /** The run's settings, one line each. */
  readonly settings: readonly string[];
  readonly quick: boolean;
  /** How long the whole run took. */
  readonly seconds: number;
  readonly results: Results;
}

export function renderReport(input: ReportInput): string {
  const { machine, results } = input;
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);

  add('# Benchmarks', '');
  add(
    `Written by \`npm run bench${input.quick ? ' -- --quick' : ''}\` on ${machine.date} in ${(input.seconds / 60).toFixed(1)} minutes. Every figure below comes from that one run; run it again to refresh this file.` +
      (input.quick ? ' **Quick mode: tiny samples, smoke test only; the figures mean nothing.**' : ''),
    '',
  );

  add('## Machine', '');
  add(
    table(
      ['', ''],
      [
        ['CPU', machine.cpu],
        ['cores', machine.cores],
        ['memory', `${machine.memoryGiB} GiB`],
        ['platform', machine.platform],
        ['Node', machine.node],
        ['load average (1 min) at start / end', `${f2(machine.loadAtStart)} / ${f2(machine.loadAtEnd ?? Number.NaN)}`],
      ],
    ),
    '',
  );
  if (machine.loadAtStart > machine.cores * 0.5 || (machine.loadAtEnd ?? 0) > machine.cores * 1.5) {
    add(
      `The machine was shared with other work during the run (load average above what the benchmarks alone make): expect noisier, slower figures than on an idle machine.`,
      '',
    );
  }

  add(
    '## Versions',
    '',
    table(
      ['package', 'version'],
      input.versions.map(([n, v]) => [`\`${n}\``, v]),
    ),
    '',
  );
  add('## Settings', '', ...input.settings.map((s) => `- ${s}`), '');

  add('## Performance targets', '', 'Goals, not assertions: met or missed in this run.', '');
  add(
    table(
      ['target', 'measured', ''],
      judgeTargets(results).map((t) => [t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'met' : '**missed**']),
    ),
    '',
  );

  add(`## Cold start${took(results.coldStart)}`, '');
  const cold = sectionValue(results.coldStart);
  if (cold) {
    add(
      `Bundle size and the time from process start to "handler imported" in a fresh Node process, median of ${cold.runs}; × is over the DynamoDB-client-only floor.`,
      '',
    );
    add(
      table(
        ['function', 'bundle', 'import p50', '× floor', 'weighs most (esbuild metafile, minified)'],
        [
          [
            cold.floors.bare.name,
            kb(cold.floors.bare.bytes),
            `${cold.floors.bare.ms.toFixed(1)} ms`,
            f2(cold.floors.bare.ms / cold.floors.dynamodb.ms),
            '',
          ],
          [cold.floors.dynamodb.name, kb(cold.floors.dynamodb.bytes), `${cold.floors.dynamodb.ms.toFixed(1)} ms`, '1.00', ''],
          ...cold.functions.map((f) => [f.name, kb(f.bytes), `${f.ms.toFixed(1)} ms`, f2(f.ms / cold.floors.dynamodb.ms), heaviestText(f)]),
        ],
      ),
      '',
    );
  } else add(failed(results.coldStart) ?? '', '');

  add(`## Latency per operation${took(results.latency)}`, '');
  const latency = sectionValue(results.latency);
  if (latency) {
    add(
      `The local server in the benchmark's process, one request at a time over loopback HTTP, ${latency.samples} samples each after 10 warm-up calls. The floor of a login is one argon2 verification alone (\`verifyPassword\`, same parameters, same process), timed alternately with the logins. "In DynamoDB calls" is the time some call of the handlers' DynamoDB client was in flight: the client, loopback HTTP and dynalite, which runs in this process; "besides them" is the rest of the request: the handler's own work, the local gateway and the HTTP client.`,
      '',
    );
    add(
      table(
        ['operation', 'p50', 'p95', 'p99', 'in DynamoDB calls (p50)', 'besides them (p50)', '× floor (p50)'],
        [
          ...latency.operations.map((o) => [
            o.name,
            `${f2(o.p50)} ms`,
            `${f2(o.p95)} ms`,
            `${f2(o.p99)} ms`,
            o.inDynamo ? `${f2(o.inDynamo.p50)} ms` : '',
            o.inDynamo ? `${f2(o.inDynamo.besidesP50)} ms` : '',
            o.name === 'login' ? f2(o.p50 / latency.argon2.p50) : 'see Peers',
          ]),
          [
            'argon2 verification alone (floor of a login)',
            `${f2(latency.argon2.p50)} ms`,
            `${f2(latency.argon2.p95)} ms`,
            `${f2(latency.argon2.p99)} ms`,
            '',
            '',
            '1.00',
          ],
          ['login less argon2 (p50 − p50)', `${f2(latency.loginBesidesArgon2)} ms`, '', '', '', '', ''],
        ],
      ),
      '',
    );
    const login = latency.operations.find((o) => o.name === 'login');
    if (login) add(`argon2 is ${((latency.argon2.p50 / login.p50) * 100).toFixed(0)} % of a login's p50.`, '');
    add('### DynamoDB calls per operation', '');
    add('Counted by a middleware on the client the handlers use. Calls that start while another is in flight share a round trip.', '');
    add(
      'Units are what DynamoDB would bill (bench/capacity.ts): one write unit per KB of the item, one more per KB on each index whose keys it carries; one read unit per 4 KB read consistently.',
      '',
    );
    add(
      table(
        ['operation', 'calls', 'round trips', 'commands', 'read units', 'write units (on indexes)'],
        latency.calls.map((c) => [
          c.name,
          c.calls,
          c.roundTrips,
          c.commands,
          c.units?.read ?? '',
          c.units ? `${c.units.write} (${c.units.indexWrite})` : '',
        ]),
      ),
      '',
    );
  } else add(failed(results.latency) ?? '', '');

  add(`## Throughput${took(results.throughput)}`, '');
  const throughput = sectionValue(results.throughput);
  if (throughput) {
    const { seconds, connections } = throughput.refresh;
    add(
      `autocannon on loopback, ${connections} connections for ${seconds} s each after a warm-up; the server (handlers and dynalite) in a process of its own, the load generator in another, on the same ${machine.cores} cores. Each refresh spends a token a previous refresh returned.`,
      '',
    );
    add(
      table(
        ['request', 'per second (2xx)', 'p50', 'p99', 'non-2xx', 'timeouts', 'connection errors'],
        [
          ['POST /auth/refresh', throughput.refresh],
          ['GET /auth/me (JWT)', throughput.authorized],
        ].map(([name, f]) => {
          const figures = f as typeof throughput.refresh;
          return [
            name as string,
            figures.all.okPerSecond.toFixed(0),
            `${f2(figures.all.p50)} ms`,
            `${f2(figures.all.p99)} ms`,
            figures.non2xx,
            figures.timeouts,
            figures.errors,
          ];
        }),
      ),
      '',
    );
  } else add(failed(results.throughput) ?? '', '');

  add(`## Load${took(results.load)}`, '');
  const load = sectionValue(results.load);
  if (load) {
    const f = load.figures;
    add(
      `\`npm run bench:load\`: autocannon on loopback, ${f.connections} connections for ${f.seconds} s, the server in a process of its own; ${load.mix}.`,
      '',
    );
    add(
      table(
        ['requests', 'answered', 'per second', 'p50', 'p99', 'statuses'],
        [f.all, ...f.kinds].map((k) => [
          k.kind,
          k.answered,
          k.perSecond.toFixed(0),
          `${f2(k.p50)} ms`,
          `${f2(k.p99)} ms`,
          Object.entries(k.statuses)
            .map(([s, n]) => `${n} × ${s}`)
            .join(', '),
        ]),
      ),
      '',
    );
    add(
      `Errors: ${f.non2xx} non-2xx, ${f.timeouts} timeouts, ${f.errors} connection errors; ${f.unanswered} requests were in flight when the run ended.`,
      '',
    );
    add('Nothing lost (checked in the tables after the run, each write matched to its request by the id it carried):', '');
    add(
      table(
        ['check', '', 'detail'],
        load.checks.map((c) => [c.name, c.pass ? 'PASS' : '**FAIL**', c.detail]),
      ),
      '',
    );
  } else add(failed(results.load) ?? '', '');

  add(`## Micro-benchmarks${took(results.micro)}`, '');
  const micro = sectionValue(results.micro);
  if (micro) {
    add(
      `tinybench, ${micro.msPerTask} ms per task. Ours against its floor: bare jose with the same key, and a bare async handler returning the same body.`,
      '',
    );
    const us = (value: number) => `${(value * 1000).toFixed(1)} µs`;
    add(
      table(
        ['what', 'ours', 'p50', 'p99', 'floor', 'p50', 'p99', 'overhead p50', '× floor'],
        micro.pairs.map((p) => [
          p.what,
          p.ours.name,
          us(p.ours.p50),
          us(p.ours.p99),
          p.floor.name,
          us(p.floor.p50),
          us(p.floor.p99),
          us(p.ours.p50 - p.floor.p50),
          f2(p.ours.p50 / p.floor.p50),
        ]),
      ),
      '',
    );
  } else add(failed(results.micro) ?? '', '');

  add(`## CPU per operation${took(results.cpu)}`, '');
  const cpu = sectionValue(results.cpu);
  if (cpu) {
    add(
      `The refresh and authorizer handlers run as Lambda runs them, each in a process of its own beside its floor, ${cpu.iterations} calls each after a warm-up, in 10 interleaved rounds (the median round is shown), with the handlers' DynamoDB client answering from a stub in place of the network (for measuring only; no test stubs the store), logs at INFO. CPU is user + system time (\`process.cpuUsage\`). The floors: the one RSA signature a refresh makes and the one RSA verification an authorizer decision makes, with node:crypto's one-shot \`sign\` and \`verify\` of a token's bytes, as the handlers make them. Beside them, one DynamoDB call through the client against the same stub (request signing and JSON both ways), which every operation pays per call, and for reference one RS256 JWT signed and one verified with jose (through WebCrypto, in a process of their own), which the handlers used until its hand-off to the thread pool proved to cost more than the RSA work itself.`,
      '',
    );
    add(
      table(
        ['what', 'CPU per call', '× one RSA signature', '× one RSA verification', 'log bytes per call'],
        [
          cpu.refresh,
          cpu.refreshLogAudit,
          cpu.authorizer,
          cpu.sign,
          cpu.verify,
          cpu.dbCall,
          cpu.storeInProcess.refreshLogAudit,
          cpu.storeInProcess.authorizer,
          cpu.jose.sign,
          cpu.jose.verify,
        ].map((r) => [
          r.name,
          `${r.cpuUs.toFixed(0)} µs`,
          f2(r.cpuUs / cpu.sign.cpuUs),
          f2(r.cpuUs / cpu.verify.cpuUs),
          r.logBytes.toFixed(0),
        ]),
      ),
      '',
    );
    add(
      `Besides its floors: a refresh (one sign and two DynamoDB calls with the audit in the table) leaves ${(cpu.refresh.cpuUs - cpu.sign.cpuUs - 2 * cpu.dbCall.cpuUs).toFixed(0)} µs to the rest; the authorizer (one verify, one call) ${(cpu.authorizer.cpuUs - cpu.verify.cpuUs - cpu.dbCall.cpuUs).toFixed(0)} µs. With the store answered in process, without the client, a refresh (AUDIT_REFRESHES=log) takes ${f2(cpu.storeInProcess.refreshLogAudit.cpuUs / cpu.sign.cpuUs)} × one sign and the authorizer ${f2(cpu.storeInProcess.authorizer.cpuUs / cpu.verify.cpuUs)} × one verify.`,
      '',
    );
  } else add(failed(results.cpu) ?? '', '');

  add(`## Cost${took(results.cost)}`, '');
  const cost = sectionValue(results.cost);
  if (cost) add(...costMarkdownLines(cost), '');
  else add(failed(results.cost) ?? '', '');

  add(`## Peers${took(results.peers)}`, '');
  if (results.peers === null) add('Skipped in this run.', '');
  else if (results.peers.ok) add('What `bench/peers.ts` reports:', '', '```', ...results.peers.value.printed, '```', '');
  else add(failed(results.peers) ?? '', '');

  add(`## Failed logins and password-reset requests: timing${took(results.enumeration)}`, '');
  const enumeration = sectionValue(results.enumeration);
  const forgot = sectionValue(results.forgot);
  const timing: (string | number)[][] = [];
  if (enumeration) {
    timing.push(
      [
        `failed login, unknown identifier (${enumeration.rounds})`,
        `${f2(enumeration.unknownIdentifier.p50)} ms`,
        `${f2(enumeration.unknownIdentifier.p95)} ms`,
      ],
      [
        `failed login, wrong password (${enumeration.rounds})`,
        `${f2(enumeration.wrongPassword.p50)} ms`,
        `${f2(enumeration.wrongPassword.p95)} ms`,
      ],
      [
        'difference',
        `${f2(enumeration.wrongPassword.p50 - enumeration.unknownIdentifier.p50)} ms`,
        `${f2(enumeration.wrongPassword.p95 - enumeration.unknownIdentifier.p95)} ms`,
      ],
    );
  }
  if (forgot) {
    timing.push(
      [`forgot password, existing account (${forgot.rounds})`, `${f2(forgot.existing.p50)} ms`, `${f2(forgot.existing.p95)} ms`],
      [`forgot password, unknown email (${forgot.rounds})`, `${f2(forgot.unknown.p50)} ms`, `${f2(forgot.unknown.p95)} ms`],
      ['difference', `${f2(forgot.existing.p50 - forgot.unknown.p50)} ms`, `${f2(forgot.existing.p95 - forgot.unknown.p95)} ms`],
    );
  }
  add('Interleaved, so that drift in machine load falls on both sides alike; the two sides of each pair should not be told apart.', '');
  if (timing.length) add(table(['request (rounds)', 'p50', 'p95'], timing), '');
  for (const section of [results.enumeration, results.forgot]) if (!section.ok) add(failed(section) ?? '', '');
  return `${out.join('\n').trimEnd()}\n`;
}
