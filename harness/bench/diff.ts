// Two bench results compared (`pullproof diff` on two bench reports, e.g. a 1.34 kubelet with the
// alpha gate against 1.35): per arm the change of the median pod start, and the change of the arm's
// overhead against gate off, each with a 95% percentile-bootstrap interval from both reports' raw
// samples (seeded from the two run seeds and the arm, so the same pair of reports gives the same
// interval), and whether each arm's proof still holds.
import { median, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import { MEASURES, type ArmId, type MeasureId } from './arms.ts';
import { deriveSeed, seededRandom } from './random.ts';
import type { BenchResult, BenchSample } from './result.ts';
import { bootstrapMedianDifference, DEFAULT_RESAMPLES, type BootstrapInterval } from './stats.ts';

export interface BenchArmChange {
  arm: ArmId;
  measure: MeasureId;
  a: { median: number; n: number };
  b: { median: number; n: number };
  /** median(b) - median(a) of the pod start, ms, with its 95% interval. */
  change: BootstrapInterval;
  /** (median(b arm) - median(b gate-off)) - (median(a arm) - median(a gate-off)), ms, with its 95% interval. */
  overheadChange?: BootstrapInterval;
  proof: { a: string; b: string };
}

export interface BenchDiff {
  a: { kubelet: string; seed: number; verdict: BenchResult['verdict'] };
  b: { kubelet: string; seed: number; verdict: BenchResult['verdict'] };
  arms: BenchArmChange[];
  /** Arms in only one of the two. */
  onlyInA: ArmId[];
  onlyInB: ArmId[];
  how: string;
}

function baseline(r: BenchResult, arm: ArmId, m: MeasureId): number[] {
  return r.samples.filter((s: BenchSample) => s.arm === arm && !s.warmup && s.delayMs === 0 && typeof s.measures[m] === 'number').map((s) => s.measures[m] as number);
}

/** Percentile bootstrap of a difference of differences of medians: four independent groups resampled each time. */
export function bootstrapOverheadChange(aArm: readonly number[], aRef: readonly number[], bArm: readonly number[], bRef: readonly number[], seed: number, resamples = DEFAULT_RESAMPLES, level = 0.95): BootstrapInterval {
  for (const g of [aArm, aRef, bArm, bRef]) if (g.length < 2) throw new Error('a bootstrap interval needs at least 2 samples in each group');
  const rng = seededRandom(seed);
  const d = (x: readonly number[], y: readonly number[]): number => median([...x]) - median([...y]);
  const stats: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const r = (g: readonly number[]): number[] => sampleWithReplacement([...g], g.length, rng);
    stats.push(d(r(bArm), r(bRef)) - d(r(aArm), r(aRef)));
  }
  stats.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return {
    estimate: d(bArm, bRef) - d(aArm, aRef), lo: quantileSorted(stats, tail), hi: quantileSorted(stats, 1 - tail), level, seed, resamples,
    n: [aArm.length, aRef.length, bArm.length, bRef.length],
    method: `percentile bootstrap of (median B arm - median B gate-off) - (median A arm - median A gate-off): ${resamples} resamples, the four groups drawn independently with replacement (simple-statistics sampleWithReplacement, seeded PRNG)`,
  };
}

export function diffBench(a: BenchResult, b: BenchResult, o: { resamples?: number } = {}): BenchDiff {
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const measure: MeasureId = a.arms[0]?.overhead.measure ?? 'inNode';
  const idsA = a.arms.map((x) => x.id);
  const idsB = b.arms.map((x) => x.id);
  const arms: BenchArmChange[] = [];
  for (const arm of idsA.filter((id) => idsB.includes(id))) {
    const xa = baseline(a, arm, measure);
    const xb = baseline(b, arm, measure);
    if (xa.length < 2 || xb.length < 2) continue;
    const seed = deriveSeed(a.seed, `diff:${b.seed}:${arm}:${measure}`);
    const c: BenchArmChange = {
      arm, measure, a: { median: median(xa), n: xa.length }, b: { median: median(xb), n: xb.length },
      change: bootstrapMedianDifference(xb, xa, { seed, resamples }),
      proof: { a: a.proof.find((p) => p.arm === arm)?.status ?? 'absent', b: b.proof.find((p) => p.arm === arm)?.status ?? 'absent' },
    };
    const ra = baseline(a, 'gate-off', measure);
    const rb = baseline(b, 'gate-off', measure);
    if (arm !== 'gate-off' && ra.length >= 2 && rb.length >= 2) c.overheadChange = bootstrapOverheadChange(xa, ra, xb, rb, deriveSeed(seed, 'overhead'), resamples);
    arms.push(c);
  }
  return {
    a: { kubelet: a.environment.kubelet ?? '?', seed: a.seed, verdict: a.verdict },
    b: { kubelet: b.environment.kubelet ?? '?', seed: b.seed, verdict: b.verdict },
    arms, onlyInA: idsA.filter((id) => !idsB.includes(id)), onlyInB: idsB.filter((id) => !idsA.includes(id)),
    how: `${MEASURES[measure].name} at 0 ms injected delay, warm-ups left out; change = median(B) - median(A) and overhead change = B's (arm - gate off) - A's (arm - gate off), each with a 95% percentile-bootstrap interval (${resamples} resamples, seeded from both run seeds and the arm)`,
  };
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(1)} ms`;
}

function interval(b: BootstrapInterval): string {
  return `${signed(b.estimate)} [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}]`;
}

export function formatBenchDiff(d: BenchDiff): string {
  const lines = [
    `Bench (validation latency): A ${d.a.kubelet}, verdict ${d.a.verdict} -> B ${d.b.kubelet}, verdict ${d.b.verdict}`,
    `  ${d.how}`,
    ...d.arms.map((c) => `  ${c.arm.padEnd(10)} median ${c.a.median.toFixed(1)} ms (n=${c.a.n}) -> ${c.b.median.toFixed(1)} ms (n=${c.b.n}): change ${interval(c.change)}` +
      `${c.overheadChange ? `; overhead vs gate off changed ${interval(c.overheadChange)}` : ''}; proof ${c.proof.a} -> ${c.proof.b}`),
  ];
  if (d.onlyInA.length) lines.push(`  only in A: ${d.onlyInA.join(', ')}`);
  if (d.onlyInB.length) lines.push(`  only in B: ${d.onlyInB.join(', ')}`);
  return lines.join('\n') + '\n';
}
