// The bench result as data: what report.json carries (raw samples included, so users can
// re-analyse), and what the Markdown table and the SVG plots are rendered from. Every number
// sits next to its sample count and the name of its method; the methods are spelled out once in
// `methods`.
import type { ArmId, MeasureId, MustPullResult } from './arms.ts';
import type { HarnessOverhead } from './harness-overhead.ts';
import type { EnsureImageDelta, PluginDelta } from './parse-prometheus.ts';
import type { BenchRequest } from './requests.ts';
import type { SlopeFit, SlopeVerdict, TargetSetMatch } from './slope.ts';
import type { BootstrapInterval, CountSummary, Percentiles } from './stats.ts';
import type { Target } from '../proxy/records.ts';

export const BENCH_SCHEMA = 'pullproof.bench.latency/v1';

/** One pod start as the wiring records it. Times in ms; absent when the source gave nothing. */
export interface BenchSample {
  /** The schedule's sample id (`<arm>-<nnn>`), also the pod name suffix and the request-log scenario. */
  id: string;
  arm: ArmId;
  block: number;
  seq: number;
  delayMs: number;
  warmup: boolean;
  measures: Partial<Record<MeasureId, number>>;
  /** Request records of this pod start (registry, token service, STS). */
  requests: BenchRequest[];
  /** Credential provider plugin execs and time over this pod start (metric deltas). */
  plugin?: PluginDelta[];
  /** kubelet_imagemanager_image_mustpull_checks_total increments; absent on kubelets without the metric. */
  mustPull?: Partial<Record<MustPullResult, number>>;
  ensureImage?: EnsureImageDelta[];
}

export interface MeasureStats {
  measure: MeasureId;
  name: string;
  how: string;
  stats: Percentiles;
}

export interface ArmCheck {
  what: string;
  status: 'pass' | 'fail' | 'unavailable';
  observed: string;
}

export interface ArmResult {
  id: ArmId;
  title: string;
  configuration: string;
  /** Pod starts: measured (all delays), measured at 0 ms delay, warm-ups discarded. */
  samples: { measured: number; baseline: number; warmupDiscarded: number };
  /** Percentiles per timing source, at 0 ms injected delay. */
  measures: MeasureStats[];
  /** Median overhead of `measure` at 0 ms delay against the reference arms, with bootstrap CIs. */
  overhead: { measure: MeasureId; vsGateOff?: BootstrapInterval; vsRecordHit?: BootstrapInterval };
  /** Requests per pod start by target, over all measured samples. */
  roundTrips: Record<Target, CountSummary>;
  /** Plugin time per pod start (metric delta) where the plugin ran, at 0 ms delay. */
  pluginMs?: Percentiles;
  /** STS request durations at the proxy, at 0 ms delay (no injected delay in them). */
  stsMs?: Percentiles;
  mustPull: Partial<Record<MustPullResult, number>>;
  checks: ArmCheck[];
}

export interface SourceAttribution {
  measure: MeasureId;
  fit: SlopeFit;
  /** Sets of targets whose mean critical-path count lies inside the slope's CI. */
  matches: TargetSetMatch[];
}

export interface ProofResult {
  arm: ArmId;
  measure: MeasureId;
  status: 'pass' | 'fail' | 'not-run';
  fit?: SlopeFit;
  /** Delayed round trips on the critical path per pod start, over the samples with a delay. */
  counted?: CountSummary;
  verdict?: SlopeVerdict;
  reasons: string[];
  /** What the other timing sources of the arm contain, established from their slopes. */
  attribution: SourceAttribution[];
}

export interface BenchMethods {
  quantiles: string;
  bootstrap: string;
  slope: string;
  criticalPath: string;
  roundTrips: string;
  random: string;
  warmup: string;
  measures: Record<MeasureId, string>;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  seed: number;
  resamples: number;
  level: number;
  /** The schedule's design in words and its restart count, when the wiring passes them. */
  design?: { text: string; restarts: number; blocks: number };
  /** Facts about the run the wiring adds: kubelet version, machine, date. */
  environment: Record<string, string>;
  methods: BenchMethods;
  arms: ArmResult[];
  proof: ProofResult[];
  harness?: HarnessOverhead;
  verdict: 'pass' | 'fail' | 'incomplete';
  reasons: string[];
  samples: BenchSample[];
}
