/** What one run of every benchmark produced, as the runner keeps it: each section's figures, or why it has none. */
import type { ColdStartReport } from './cold-start.ts';
import type { CostReport } from './cost.ts';
import type { CpuReport } from './cpu.ts';
import type { EnumerationReport } from './enumeration.ts';
import type { ForgotReport } from './forgot.ts';
import type { LatencyReport } from './latency.ts';
import type { LoadReport } from './load.ts';
import type { MicroReport } from './micro.ts';
import type { ThroughputReport } from './throughput.ts';

export type Section<T> =
  | { readonly ok: true; readonly value: T; readonly seconds: number }
  | { readonly ok: false; readonly error: string; readonly seconds: number };

/** The part of bench/peers.ts's report the runner reads (the module is optional). */
export interface PeerFigures {
  readonly p50: number;
  readonly p95: number;
}
export interface PeerSystem {
  readonly name: string;
  readonly version: string;
  readonly login: PeerFigures | null;
  readonly refresh: PeerFigures | null;
  readonly authorized: PeerFigures | null;
  readonly error: string | null;
}
export interface PeerReportLike {
  readonly systems: readonly PeerSystem[];
}
export interface Peers {
  readonly report: PeerReportLike;
  /** What bench/peers.ts's own printer writes. */
  readonly printed: readonly string[];
}

export interface Results {
  readonly coldStart: Section<ColdStartReport>;
  readonly latency: Section<LatencyReport>;
  readonly throughput: Section<ThroughputReport>;
  readonly load: Section<LoadReport>;
  readonly micro: Section<MicroReport>;
  readonly cpu: Section<CpuReport>;
  readonly cost: Section<CostReport>;
  /** `null` when the run skipped the peers. */
  readonly peers: Section<Peers> | null;
  readonly enumeration: Section<EnumerationReport>;
  readonly forgot: Section<ForgotReport>;
}

export const sectionValue = <T>(section: Section<T> | null): T | undefined => (section?.ok ? section.value : undefined);
