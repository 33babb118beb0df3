// Statistics of the bench, from simple-statistics: percentiles per arm and percentile-bootstrap
// confidence intervals of medians and of differences of medians, resampled with a seeded PRNG
// so the same seed gives the same interval.
import { max, mean, median, min, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import { seededRandom } from './random.ts';

export const QUANTILE_METHOD = 'simple-statistics quantileSorted: linear interpolation between order statistics (type 7, as R and numpy default)';

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  /** Only when n >= 100: fewer samples cannot place a 99th percentile. */
  p99?: number;
  min: number;
  max: number;
  mean: number;
}

export const P99_MIN_SAMPLES = 100;

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) throw new Error('no samples to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const out: Percentiles = {
    n: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    min: min(sorted),
    max: max(sorted),
    mean: mean(sorted),
  };
  if (sorted.length >= P99_MIN_SAMPLES) out.p99 = quantileSorted(sorted, 0.99);
  return out;
}

export interface BootstrapOptions {
  seed: number;
  /** Default 10000. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
}

export interface BootstrapInterval {
  estimate: number;
  lo: number;
  hi: number;
  level: number;
  seed: number;
  resamples: number;
  /** Sample sizes (one for a median, two for a difference). */
  n: number[];
  method: string;
}

export const DEFAULT_RESAMPLES = 10_000;

function interval(stats: number[], level: number): [number, number] {
  stats.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(stats, tail), quantileSorted(stats, 1 - tail)];
}

function resolve(o: BootstrapOptions): { resamples: number; level: number } {
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 100) throw new Error(`bootstrap resamples must be a whole number of at least 100, not ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`confidence level must be between 0 and 1, not ${level}`);
  return { resamples, level };
}

/** Percentile-bootstrap CI of a median. */
export function bootstrapMedian(values: readonly number[], o: BootstrapOptions): BootstrapInterval {
  if (values.length < 2) throw new Error('a bootstrap interval needs at least 2 samples');
  const { resamples, level } = resolve(o);
  const rng = seededRandom(o.seed);
  const xs = [...values];
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) stats.push(median(sampleWithReplacement(xs, xs.length, rng)));
  const [lo, hi] = interval(stats, level);
  return {
    estimate: median(xs), lo, hi, level, seed: o.seed, resamples, n: [xs.length],
    method: `percentile bootstrap of the median: ${resamples} resamples with replacement (simple-statistics sampleWithReplacement, seeded PRNG), interval from the ${(100 * (1 - level) / 2).toFixed(1)}th and ${(100 * (1 + level) / 2).toFixed(1)}th percentiles of the resampled medians`,
  };
}

/**
 * Percentile-bootstrap CI of median(a) - median(b): each resample draws a and b independently with
 * replacement (the arms are independent pod starts), and takes the difference of their medians.
 */
export function bootstrapMedianDifference(a: readonly number[], b: readonly number[], o: BootstrapOptions): BootstrapInterval {
  if (a.length < 2 || b.length < 2) throw new Error('a bootstrap interval needs at least 2 samples in each arm');
  const { resamples, level } = resolve(o);
  const rng = seededRandom(o.seed);
  const xa = [...a];
  const xb = [...b];
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    stats.push(median(sampleWithReplacement(xa, xa.length, rng)) - median(sampleWithReplacement(xb, xb.length, rng)));
  }
  const [lo, hi] = interval(stats, level);
  return {
    estimate: median(xa) - median(xb), lo, hi, level, seed: o.seed, resamples, n: [xa.length, xb.length],
    method: `percentile bootstrap of the difference of medians: ${resamples} resamples, each arm drawn independently with replacement (simple-statistics sampleWithReplacement, seeded PRNG), interval from the ${(100 * (1 - level) / 2).toFixed(1)}th and ${(100 * (1 + level) / 2).toFixed(1)}th percentiles of the resampled differences`,
  };
}

export interface CountSummary {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}

/** Mean, median and range of per-sample counts (round trips per pod start). */
export function summariseCounts(counts: readonly number[]): CountSummary {
  if (counts.length === 0) return { n: 0, mean: 0, median: 0, min: 0, max: 0 };
  return { n: counts.length, mean: mean(counts), median: median(counts), min: min(counts), max: max(counts) };
}
