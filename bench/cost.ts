/**
 * What the operations cost on AWS, computed from what the run measured: the
 * DynamoDB calls of each operation and the units their items take (index
 * writes included), its round trips and CPU time turned into Lambda duration
 * at the function's memory, the log bytes it writes, the share of it X-Ray
 * records, and the API Gateway request, at the list prices of bench/prices.ts. Per million operations, and
 * a month of 1 M monthly active users (20 working days; each day 1 login, 40
 * refreshes and 200 calls to other services through the authorizer), with
 * AUDIT_REFRESHES=table and =log, beside Cognito Lite and Essentials.
 */
import { hashesPasswords } from '../lib/bundling.ts';
import type { CpuReport } from './cpu.ts';
import type { LatencyReport } from './latency.ts';
import { assumptions, prices } from './prices.ts';

export interface OperationCost {
  readonly name: string;
  readonly memoryMb: number;
  readonly durationMs: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly logBytes: number;
  /** Dollars per million operations, by part. */
  readonly apiGateway: number;
  readonly lambda: number;
  readonly dynamodb: number;
  readonly logs: number;
  /** X-Ray traces recorded (active tracing's sampled share). */
  readonly traces: number;
  readonly total: number;
  /** Audit bytes written per operation (table and index), for storage. */
  readonly auditBytes: number;
}

export interface MonthCost {
  readonly setting: 'table' | 'log';
  /** How other services' calls are authorized: our Lambda authorizer on each, or `@serverless-auth/verify` in the service. */
  readonly authorizedBy: 'authorizer' | 'verify';
  readonly label: string;
  readonly parts: readonly [string, number][];
  readonly total: number;
  /** API Gateway requests and Lambda invocations, before any duration, DynamoDB or logs: this variant's floor. */
  readonly requestsOnly: number;
}

export interface CostReport {
  readonly perMillion: readonly OperationCost[];
  readonly months: readonly MonthCost[];
  readonly cognito: { readonly lite: number; readonly essentials: number };
  readonly mau: number;
}

const MAU = 1_000_000;
const DAYS = 20;
const PER_DAY = { login: 1, refresh: 40, authorized: 200 };

interface Measured {
  readonly name: string;
  readonly handler: string;
  readonly cpuUs: number;
  readonly roundTrips: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly logBytes: number;
  readonly auditBytes: number;
  /** An API Gateway request of ours (not the authorizer's: that request is the other service's). */
  readonly apiRequest: boolean;
}

function costOf(m: Measured): OperationCost {
  const memoryMb = hashesPasswords(m.handler) ? 1024 : 512; // lib/auth-stack.ts createFunction
  const cpuMs = (m.cpuUs / 1000) * Math.max(1, assumptions.fullVcpuMb / memoryMb);
  const durationMs = Math.ceil(cpuMs + m.roundTrips * assumptions.dynamoRoundTripMs);
  const million = 1_000_000;
  const apiGateway = m.apiRequest ? prices.apiGateway.perMillionRequests : 0;
  const lambda = prices.lambda.perMillionRequests + (durationMs / 1000) * (memoryMb / 1024) * prices.lambda.perGbSecond * million;
  const dynamodb = m.readUnits * prices.dynamodb.perMillionReadUnits + m.writeUnits * prices.dynamodb.perMillionWriteUnits;
  const logs = ((m.logBytes + assumptions.platformLogBytes) / 1e9) * prices.cloudWatch.perGbIngested * million;
  const traces = assumptions.tracedShare * prices.xray.perMillionTracesRecorded;
  return {
    name: m.name,
    memoryMb,
    durationMs,
    readUnits: m.readUnits,
    writeUnits: m.writeUnits,
    logBytes: m.logBytes + assumptions.platformLogBytes,
    apiGateway,
    lambda,
    dynamodb,
    logs,
    traces,
    total: apiGateway + lambda + dynamodb + logs + traces,
    auditBytes: m.auditBytes,
  };
}

function cognito(mau: number): { lite: number; essentials: number } {
  const billable = Math.max(0, mau - prices.cognito.freeMau);
  let lite = 0;
  let from = 0;
  for (const tier of prices.cognito.liteTiers) {
    const inTier = Math.max(0, Math.min(billable, tier.upTo - prices.cognito.freeMau) - from);
    lite += inTier * tier.perMau;
    from += inTier;
  }
  return { lite, essentials: billable * prices.cognito.essentialsPerMau };
}

const monthCount = {
  login: MAU * DAYS * PER_DAY.login,
  refresh: MAU * DAYS * PER_DAY.refresh,
  authorized: MAU * DAYS * PER_DAY.authorized,
};

function apiGatewayCost(requests: number): number {
  return (
    (Math.min(requests, 300e6) * prices.apiGateway.perMillionRequests +
      Math.max(0, requests - 300e6) * prices.apiGateway.perMillionRequestsBeyond300M) /
    1e6
  );
}

/**
 * A month of the workload. With `authorized` undefined, the other services
 * verify access tokens themselves with `@serverless-auth/verify` (signature,
 * issuer, audience, expiry: no call to us), so their calls cost this service nothing.
 */
function month(setting: 'table' | 'log', login: OperationCost, refresh: OperationCost, authorized: OperationCost | undefined): MonthCost {
  const count = monthCount;
  const ops: [OperationCost, number][] = [
    [login, count.login],
    [refresh, count.refresh],
    ...(authorized ? ([[authorized, count.authorized]] as [OperationCost, number][]) : []),
  ];
  const api = apiGatewayCost(count.login + count.refresh);
  const sum = (key: 'lambda' | 'dynamodb' | 'logs' | 'traces') => ops.reduce((total, [op, n]) => total + (op[key] * n) / 1e6, 0);
  // Audit items stay AUDIT_RETENTION_DAYS: in steady state that many days of them are stored.
  const auditBytesPerMonth = ops.reduce((total, [op, n]) => total + op.auditBytes * n, 0);
  const storage = auditBytesPerMonth * (assumptions.auditRetentionDays / 30) * 1e-9 * prices.dynamodb.perGbMonth;
  const parts: [string, number][] = [
    ['API Gateway (logins and refreshes)', api],
    ['Lambda (requests and duration)', sum('lambda')],
    ['DynamoDB requests', sum('dynamodb')],
    [`DynamoDB audit storage (${assumptions.auditRetentionDays} days kept)`, storage],
    ['CloudWatch Logs ingestion', sum('logs')],
    ['X-Ray traces recorded', sum('traces')],
  ];
  const invocations = ops.reduce((total, [, n]) => total + n, 0);
  return {
    setting,
    authorizedBy: authorized ? 'authorizer' : 'verify',
    label: `AUDIT_REFRESHES=${setting}${authorized ? '' : ', other services verifying tokens themselves'}`,
    parts,
    total: parts.reduce((sum, [, v]) => sum + v, 0),
    requestsOnly: api + (invocations * prices.lambda.perMillionRequests) / 1e6,
  };
}

export function computeCost(latency: LatencyReport, cpu: CpuReport): CostReport {
  const calls = (name: string) => {
    const c = latency.calls.find((row) => row.name === name);
    if (!c?.units) throw new Error(`no DynamoDB units measured for ${name}`);
    return c as typeof c & { units: NonNullable<typeof c.units> };
  };
  const login = calls('login, success');
  const refresh = calls('refresh');
  const refreshLog = calls('refresh, AUDIT_REFRESHES=log');
  const authorizer = calls('authorizer, JWT');
  // A login is argon2 and little else: its local p50 is taken as CPU (dynalite shares the process, so an over-estimate).
  const loginCpuUs = (latency.operations.find((o) => o.name === 'login')?.p50 ?? 0) * 1000;
  const measured = (name: string, handler: string, c: typeof login, cpuUs: number, logBytes: number, apiRequest: boolean): Measured => ({
    name,
    handler,
    cpuUs,
    roundTrips: c.roundTrips,
    readUnits: c.units.read,
    writeUnits: c.units.write,
    logBytes,
    auditBytes: c.units.auditBytes,
    apiRequest,
  });
  // A login writes one audit line, as a refresh does with AUDIT_REFRESHES=table.
  const loginCost = costOf(measured('login', 'login', login, loginCpuUs, cpu.refresh.logBytes, true));
  const refreshTable = costOf(
    measured('refresh (AUDIT_REFRESHES=table)', 'refresh', refresh, cpu.refresh.cpuUs, cpu.refresh.logBytes, true),
  );
  const refreshLogged = costOf(
    measured('refresh (AUDIT_REFRESHES=log)', 'refresh', refreshLog, cpu.refreshLogAudit.cpuUs, cpu.refreshLogAudit.logBytes, true),
  );
  const authorized = costOf(
    measured('authorized call (the authorizer)', 'authorizer', authorizer, cpu.authorizer.cpuUs, cpu.authorizer.logBytes, false),
  );
  return {
    perMillion: [loginCost, refreshTable, refreshLogged, authorized],
    months: [
      month('table', loginCost, refreshTable, authorized),
      month('log', loginCost, refreshLogged, authorized),
      month('log', loginCost, refreshLogged, undefined),
    ],
    cognito: cognito(MAU),
    mau: MAU,
  };
}

/** X-Ray's share of a month with the authorizer and refresh untraced: only the logins' traces are left. */
const untracedTraces = (r: CostReport): number => ((r.perMillion.find((o) => o.name === 'login')?.traces ?? 0) * monthCount.login) / 1e6;

const usd = (value: number) => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function costMarkdownLines(r: CostReport): string[] {
  const lines = [
    `At the us-east-1 list prices of \`bench/prices.ts\` (as of ${prices.asOf}), from this run's DynamoDB calls and units, CPU per call (section CPU), log bytes, and these assumptions: a DynamoDB round trip of ${assumptions.dynamoRoundTripMs} ms; CPU stretched by ${assumptions.fullVcpuMb} MB ÷ the function's memory; ${assumptions.platformLogBytes} bytes of Lambda platform log lines per invocation; X-Ray recording ${(assumptions.tracedShare * 100).toFixed(0)}% of invocations (active tracing at X-Ray's default sampling). The authorized call is the authorizer on another service's route: that route's own API Gateway request is not counted (it is there with any identity provider).`,
    '',
    '| per million | memory | billed duration | RRU | WRU (index) | log bytes | API Gateway | Lambda | DynamoDB | logs | X-Ray | total |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.perMillion.map(
      (o) =>
        `| ${o.name} | ${o.memoryMb} MB | ${o.durationMs} ms | ${o.readUnits} | ${o.writeUnits} | ${o.logBytes.toFixed(0)} | ${usd(o.apiGateway)} | ${usd(o.lambda)} | ${usd(o.dynamodb)} | ${usd(o.logs)} | ${usd(o.traces)} | **${usd(o.total)}** |`,
    ),
    '',
    `A month of ${r.mau.toLocaleString('en-US')} monthly active users (${DAYS} working days; each day ${PER_DAY.login} login, ${PER_DAY.refresh} refreshes, ${PER_DAY.authorized} authorized calls):`,
    '',
    `| part | ${r.months.map((m) => m.label).join(' | ')} |`,
    `| --- |${r.months.map(() => ' --- |').join('')}`,
  ];
  const names = [...new Set(r.months.flatMap((m) => m.parts.map(([n]) => n)))];
  const cells = (value: (m: MonthCost) => string) => r.months.map(value).join(' | ');
  for (const name of names) {
    lines.push(
      `| ${name} | ${cells((m) => {
        const v = m.parts.find(([n]) => n === name)?.[1];
        return v === undefined ? '' : usd(v);
      })} |`,
    );
  }
  lines.push(`| **total** | ${cells((m) => `**${usd(m.total)}**`)} |`);
  lines.push(
    `| of which requests alone (API Gateway, and Lambda invocations before any duration) | ${cells((m) => usd(m.requestsOnly))} |`,
  );
  lines.push(
    `| Cognito Lite, same users | ${usd(r.cognito.lite)} |${' |'.repeat(r.months.length - 1)}`,
    `| Cognito Essentials, same users | ${usd(r.cognito.essentials)} |${' |'.repeat(r.months.length - 1)}`,
    '',
    `With our authorizer on every call, its ${(monthCount.authorized / 1e9).toFixed(0)} billion invocations a month cost ${usd((monthCount.authorized * prices.lambda.perMillionRequests) / 1e6)} in Lambda requests alone, and logout reaches those services at once. X-Ray's row falls to ${usd(untracedTraces(r))} with \`-c untraced=authorizer,refresh\` (logins traced only).`,
    '',
    `A service that verifies tokens itself with \`@serverless-auth/verify\` makes no call to us; a logout then reaches it when the access token expires (\`ACCESS_TOKEN_TTL\`), unless it also reads the session (its revocation check, one read of the sessions table per call).`,
  );
  return lines;
}

export function printCost(r: CostReport): void {
  for (const line of costMarkdownLines(r)) console.log(line);
}
