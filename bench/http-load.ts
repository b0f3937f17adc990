/**
 * Load with autocannon against a server on loopback: a fixed number of
 * connections for a fixed time, then it stops by itself. Each connection
 * sends one request at a time; a `Recorder` times every request by kind
 * (login, refresh, ...) from its `setupRequest` to its `onResponse`, so
 * the figures keep sub-millisecond precision and separate the kinds.
 */
import autocannon, { type Request } from 'autocannon';
import { summarize } from './stats.ts';

export interface LoadSettings {
  readonly seconds: number;
  readonly connections: number;
}

export interface KindFigures {
  readonly kind: string;
  /** Requests answered. */
  readonly answered: number;
  /** Answered with 2xx. */
  readonly ok: number;
  readonly perSecond: number;
  /** 2xx answers per second. */
  readonly okPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Answers by status code. */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface LoadFigures extends LoadSettings {
  /** Every kind together. */
  readonly all: KindFigures;
  readonly kinds: readonly KindFigures[];
  readonly non2xx: number;
  /** Connection errors (timeouts included). */
  readonly errors: number;
  readonly timeouts: number;
  /** Requests sent that had no answer when the run ended (or timed out). */
  readonly unanswered: number;
}

interface Tally {
  sent: number;
  durations: number[];
  statuses: Record<string, number>;
}

/** Where a connection's context keeps the time its request went out. */
const STARTED = 'startedAt';

/** Times requests by kind; the context is autocannon's per-connection one. */
export class Recorder {
  private readonly tallies = new Map<string, Tally>();

  private tally(kind: string): Tally {
    let tally = this.tallies.get(kind);
    if (!tally) {
      tally = { sent: 0, durations: [], statuses: {} };
      this.tallies.set(kind, tally);
    }
    return tally;
  }

  sent(kind: string, context: Record<string, unknown>): void {
    this.tally(kind).sent++;
    context[STARTED] = performance.now();
  }

  answered(kind: string, status: number, context: Record<string, unknown>): void {
    const tally = this.tally(kind);
    tally.durations.push(performance.now() - (context[STARTED] as number));
    tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
  }

  unanswered(): number {
    return [...this.tallies.values()].reduce((sum, t) => sum + t.sent - t.durations.length, 0);
  }

  figures(seconds: number): { all: KindFigures; kinds: KindFigures[] } {
    const figure = (kind: string, tallies: Tally[]): KindFigures => {
      const durations = tallies.flatMap((t) => t.durations);
      const statuses: Record<string, number> = {};
      for (const t of tallies) for (const [status, n] of Object.entries(t.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
      const ok = Object.entries(statuses).reduce((sum, [status, n]) => sum + (status.startsWith('2') ? n : 0), 0);
      const s = summarize(durations);
      return {
        kind,
        answered: durations.length,
        ok,
        perSecond: durations.length / seconds,
        okPerSecond: ok / seconds,
        p50: s.p50,
        p99: s.p99,
        statuses,
      };
    };
    return {
      all: figure('all', [...this.tallies.values()]),
      kinds: [...this.tallies].map(([kind, tally]) => figure(kind, [tally])),
    };
  }
}

/** autocannon wants an address it can connect to as is: loopback by number, never a name. */
export function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === 'localhost') parsed.hostname = '127.0.0.1';
  if (!['127.0.0.1', '[::1]'].includes(parsed.hostname) && !parsed.hostname.startsWith('127.')) {
    throw new Error(`Load is only ever sent to loopback, not to ${parsed.hostname}`);
  }
  return parsed.origin;
}

/** Runs `requests` (each connection loops over them in order) for `seconds`, then stops. */
export async function drive(url: string, requests: Request[], settings: LoadSettings, recorder: Recorder): Promise<LoadFigures> {
  const started = performance.now();
  const result = await autocannon({
    url: loopbackUrl(url),
    connections: settings.connections,
    duration: settings.seconds,
    timeout: 10,
    pipelining: 1,
    requests,
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    ...settings,
    ...recorder.figures(seconds),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    unanswered: recorder.unanswered(),
  };
}

export const formatKind = (k: KindFigures): string =>
  `${k.kind.padEnd(12)} ${String(k.answered).padStart(7)} answered  ${k.perSecond.toFixed(0).padStart(6)}/s  p50 ${k.p50.toFixed(2).padStart(7)} ms  p99 ${k.p99.toFixed(2).padStart(7)} ms  ${Object.entries(
    k.statuses,
  )
    .map(([status, n]) => `${n}×${status}`)
    .join(' ')}`;
