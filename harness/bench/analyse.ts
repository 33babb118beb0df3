// From raw samples to the bench result: percentiles per arm and timing source, overheads with
// bootstrap CIs, round trips, the slope proof per arm and the attribution of each timing source,
// cross-checks that each arm did what it claims, and the verdict.
import { ARMS, MEASURES, type Arm, type ArmId, type MeasureId } from './arms.ts';
import { harnessOverhead, type HarnessOverhead, type PodTimestamps } from './harness-overhead.ts';
import { RANDOM_METHOD, deriveSeed, checkSeed } from './random.ts';
import { OVERLAP_TOLERANCE_MS, TARGETS, criticalPathFor, roundTrips } from './requests.ts';
import {
  BENCH_SCHEMA, type ArmCheck, type ArmResult, type BenchMethods, type BenchResult, type BenchSample, type MeasureStats,
  type ProofResult, type SourceAttribution,
} from './result.ts';
import { SLOPE_METHOD, attributeSlope, fitSlope, judgeSlope, MAX_CI_WIDTH } from './slope.ts';
import { DEFAULT_RESAMPLES, QUANTILE_METHOD, bootstrapMedianDifference, percentiles, summariseCounts, type CountSummary } from './stats.ts';
import type { Target } from '../proxy/records.ts';

export interface AnalyseOptions {
  samples: readonly BenchSample[];
  seed: number;
  /** Arm definitions; default ARMS. Only arms with samples appear in the result. */
  arms?: readonly Arm[];
  resamples?: number;
  /** Timing source for overheads and the proof; default inNode. */
  measure?: MeasureId;
  maxSlopeWidth?: number;
  design?: { text: string; restarts: number; blocks: number };
  environment?: Record<string, string>;
  /** The harness's own time: computed here from timestamps, or passed in computed. */
  harness?: readonly PodTimestamps[] | HarnessOverhead;
}

const ALL_MEASURES = Object.keys(MEASURES) as MeasureId[];

function values(samples: readonly BenchSample[], m: MeasureId): number[] {
  return samples.map((s) => s.measures[m]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

function meanCount(samples: readonly BenchSample[], targets: readonly Target[]): number {
  const c = samples.map((s) => criticalPathFor(s.requests, targets));
  return c.length ? c.reduce((a, b) => a + b, 0) / c.length : 0;
}

function checksFor(arm: Arm, measured: readonly BenchSample[]): ArmCheck[] {
  const checks: ArmCheck[] = [];
  const n = measured.length;
  const withRegistry = measured.filter((s) => s.requests.some((r) => r.target === 'registry')).length;
  checks.push({
    what: arm.expect.reachesRegistry ? 'every pod start reached the registry' : 'no pod start reached the registry',
    status: (arm.expect.reachesRegistry ? withRegistry === n : withRegistry === 0) ? 'pass' : 'fail',
    observed: `${withRegistry} of ${n} pod starts made registry requests`,
  });
  const withPluginData = measured.filter((s) => s.plugin !== undefined);
  if (withPluginData.length === 0) {
    checks.push({ what: arm.expect.execsPlugin ? 'the plugin ran on every pod start' : 'the plugin never ran', status: 'unavailable', observed: 'no plugin metric deltas recorded' });
  } else {
    const ran = withPluginData.filter((s) => (s.plugin ?? []).some((p) => p.calls > 0)).length;
    checks.push({
      what: arm.expect.execsPlugin ? 'the plugin ran on every pod start' : 'the plugin never ran',
      status: (arm.expect.execsPlugin ? ran === withPluginData.length : ran === 0) ? 'pass' : 'fail',
      observed: withPluginData.every((s) => s.plugin?.length === 0)
        ? `no credential provider configured on the kubelet for ${withPluginData.length} pod starts (0 execs)`
        : `plugin exec count went up on ${ran} of ${withPluginData.length} pod starts`,
    });
  }
  const withMustPull = measured.filter((s) => s.mustPull !== undefined);
  const expected = arm.expect.mustPullResult;
  const what = expected ? `the must-pull check said ${expected} once per pod start` : 'the must-pull check did not run';
  if (withMustPull.length === 0) {
    checks.push({ what, status: 'unavailable', observed: 'no kubelet_imagemanager_image_mustpull_checks_total deltas (the metric exists from 1.35)' });
  } else {
    const ok = withMustPull.filter((s) => {
      const entries = Object.entries(s.mustPull ?? {}).filter(([, v]) => (v ?? 0) > 0);
      return expected ? entries.length === 1 && entries[0]?.[0] === expected && entries[0]?.[1] === 1 : entries.length === 0;
    }).length;
    checks.push({ what, status: ok === withMustPull.length ? 'pass' : 'fail', observed: `${ok} of ${withMustPull.length} pod starts as expected` });
  }
  return checks;
}

function proofFor(arm: Arm, measured: readonly BenchSample[], measure: MeasureId, maxWidth: number): ProofResult {
  const delayed = measured.filter((s) => s.delayMs > 0);
  const base: ProofResult = { arm: arm.id, measure, status: 'not-run', reasons: [], attribution: [] };
  const points = measured.flatMap((s) => (typeof s.measures[measure] === 'number' ? [{ x: s.delayMs, y: s.measures[measure] as number }] : []));
  const levels = new Set(points.map((p) => p.x));
  if (delayed.length === 0 || levels.size < 2 || points.length < 3) {
    base.reasons.push(`needs ${MEASURES[measure].name} times at 0 ms and at least one injected delay; have ${points.length} samples at ${levels.size} delay level(s)`);
    return base;
  }
  const counted: CountSummary = summariseCounts(delayed.map((s) => criticalPathFor(s.requests, TARGETS)));
  const fit = fitSlope(points);
  const verdict = judgeSlope(fit, counted.mean, maxWidth);
  const attribution: SourceAttribution[] = [];
  const contacted = TARGETS.filter((t) => delayed.some((s) => s.requests.some((r) => r.target === t)));
  for (const m of arm.verificationSources) {
    if (m === measure) continue;
    const pts = measured.flatMap((s) => (typeof s.measures[m] === 'number' ? [{ x: s.delayMs, y: s.measures[m] as number }] : []));
    if (pts.length < 3 || new Set(pts.map((p) => p.x)).size < 2) continue;
    const f = fitSlope(pts);
    attribution.push({ measure: m, fit: f, matches: attributeSlope(f, contacted, (targets) => meanCount(delayed, targets)) });
  }
  return { arm: arm.id, measure, status: verdict.pass ? 'pass' : 'fail', fit, counted, verdict, reasons: verdict.reasons, attribution };
}

export function methods(measure: MeasureId, resamples: number): BenchMethods {
  return {
    quantiles: `${QUANTILE_METHOD}; p99 only with 100 or more samples`,
    bootstrap: `percentile bootstrap, ${resamples} resamples, 95% interval; each comparison has its own seed derived from the run seed and the comparison's name (FNV-1a); the two arms are resampled independently; measure: ${MEASURES[measure].name}`,
    slope: `${SLOPE_METHOD}; pass when the 95% CI contains the mean counted delayed round trips and is narrower than ${MAX_CI_WIDTH}`,
    criticalPath: `per delayed pod start, the largest number of its registry, token-service and STS requests that lie one after another (pairwise non-overlapping, earliest end first; overlapping requests count once; ${OVERLAP_TOLERANCE_MS} ms tolerance for the millisecond record times); the expected slope is its mean over the delayed samples`,
    roundTrips: 'requests per pod start by target from the fault proxies\' and the STS\'s request records, over every measured pod start',
    random: RANDOM_METHOD,
    warmup: 'samples at the start of each block after a kubelet restart are recorded with warmup: true and left out of every number',
    measures: Object.fromEntries(ALL_MEASURES.map((m) => [m, MEASURES[m].how])) as Record<MeasureId, string>,
  };
}

export function analyse(o: AnalyseOptions): BenchResult {
  checkSeed(o.seed);
  const defs = o.arms ?? ARMS;
  const measure = o.measure ?? 'inNode';
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const maxWidth = o.maxSlopeWidth ?? MAX_CI_WIDTH;
  for (const s of o.samples) {
    if (!defs.some((a) => a.id === s.arm)) throw new Error(`sample ${s.id} names arm ${s.arm}, which is not defined`);
  }
  const present = defs.filter((a) => o.samples.some((s) => s.arm === a.id));
  const measuredOf = (id: ArmId): BenchSample[] => o.samples.filter((s) => s.arm === id && !s.warmup);
  const baselineOf = (id: ArmId): BenchSample[] => measuredOf(id).filter((s) => s.delayMs === 0);

  const arms: ArmResult[] = present.map((arm) => {
    const measured = measuredOf(arm.id);
    const baseline = baselineOf(arm.id);
    const measures: MeasureStats[] = [];
    for (const m of ALL_MEASURES) {
      const v = values(baseline, m);
      if (v.length) measures.push({ measure: m, name: MEASURES[m].name, how: MEASURES[m].how, stats: percentiles(v) });
    }
    const overhead: ArmResult['overhead'] = { measure };
    const mine = values(baseline, measure);
    for (const [ref, key] of [['gate-off', 'vsGateOff'], ['record-hit', 'vsRecordHit']] as const) {
      if (ref === arm.id) continue;
      const theirs = values(baselineOf(ref), measure);
      if (mine.length >= 2 && theirs.length >= 2) {
        overhead[key] = bootstrapMedianDifference(mine, theirs, { seed: deriveSeed(o.seed, `overhead:${arm.id}:${ref}:${measure}`), resamples });
      }
    }
    const trips = measured.map((s) => roundTrips(s.requests));
    const roundTripSummary = Object.fromEntries(TARGETS.map((t) => [t, summariseCounts(trips.map((r) => r[t]))])) as Record<Target, CountSummary>;
    const result: ArmResult = {
      id: arm.id,
      title: arm.title,
      configuration: arm.kubelet.ensureSecretPulledImages
        ? `gate on${arm.kubelet.serviceAccountProvider ? `, SA provider cacheType ${arm.kubelet.serviceAccountProvider.cacheType}` : ''}`
        : 'gate off',
      samples: { measured: measured.length, baseline: baseline.length, warmupDiscarded: o.samples.filter((s) => s.arm === arm.id && s.warmup).length },
      measures,
      overhead,
      roundTrips: roundTripSummary,
      mustPull: {},
      checks: checksFor(arm, measured),
    };
    const plugin = baseline.flatMap((s) => {
      const p = (s.plugin ?? []).filter((x) => x.calls > 0);
      return p.length ? [p.reduce((a, x) => a + x.seconds, 0) * 1000] : [];
    });
    if (plugin.length) result.pluginMs = percentiles(plugin);
    const sts = baseline.flatMap((s) => s.requests.filter((r) => r.target === 'sts').map((r) => r.durationMs));
    if (sts.length) result.stsMs = percentiles(sts);
    for (const s of measured) {
      for (const [k, v] of Object.entries(s.mustPull ?? {})) {
        const key = k as keyof ArmResult['mustPull'];
        result.mustPull[key] = (result.mustPull[key] ?? 0) + (v ?? 0);
      }
    }
    return result;
  });

  const proof = present.map((arm) => proofFor(arm, measuredOf(arm.id), measure, maxWidth));
  let harness: HarnessOverhead | undefined;
  if (o.harness) harness = Array.isArray(o.harness) ? harnessOverhead(o.harness as readonly PodTimestamps[]) : (o.harness as HarnessOverhead);

  const reasons: string[] = [];
  for (const p of proof) {
    if (p.status !== 'pass') reasons.push(`${p.arm}: proof ${p.status === 'fail' ? 'failed' : 'not run'}: ${p.reasons.join('; ')}`);
  }
  for (const a of arms) for (const c of a.checks) if (c.status === 'fail') reasons.push(`${a.id}: expected ${c.what}; observed ${c.observed}`);
  if (!harness) reasons.push('harness overhead: not measured');
  else if (!harness.pass) reasons.push(`harness overhead: median ${harness.medianHarnessMs.toFixed(1)} ms is ${(harness.ratio * 100).toFixed(1)}% of the median pod start, not under ${harness.limit * 100}%`);
  const failed = proof.some((p) => p.status === 'fail') || arms.some((a) => a.checks.some((c) => c.status === 'fail')) || (harness !== undefined && !harness.pass);
  const incomplete = proof.some((p) => p.status === 'not-run') || !harness;

  const out: BenchResult = {
    schema: BENCH_SCHEMA,
    seed: o.seed,
    resamples,
    level: 0.95,
    environment: { ...(o.environment ?? {}) },
    methods: methods(measure, resamples),
    arms,
    proof,
    verdict: failed ? 'fail' : incomplete ? 'incomplete' : 'pass',
    reasons,
    samples: [...o.samples],
  };
  if (o.design) out.design = o.design;
  if (harness) out.harness = harness;
  return out;
}
