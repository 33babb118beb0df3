// The proof of the measurement: with a delay d added to every request of the registry, the token
// service and the STS, an in-node timing source that really contains the verification must grow
// by d for every delayed request on the pod start's critical path. The slope of time against d,
// fitted by ordinary least squares, must therefore equal the counted number of delayed round trips
// (0 for arms that never leave the node). The pass rule: its 95% confidence interval contains the
// count and is narrower than 0.5.
import { linearRegression, sum, sumNthPowerDeviations } from 'simple-statistics';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { Target } from '../proxy/records.ts';

export interface Point {
  /** Injected delay per request, ms. */
  x: number;
  /** Measured time, ms. */
  y: number;
}

export interface SlopeFit {
  n: number;
  slope: number;
  intercept: number;
  /** Standard error of the slope. */
  se: number;
  df: number;
  level: number;
  ci: [number, number];
  /** Distinct x values (injected delays) in the fit. */
  levels: number[];
  method: string;
}

export const SLOPE_METHOD = 'ordinary least squares (simple-statistics linearRegression) of the time against the injected delay; confidence interval slope ± t(1-α/2, n-2) × SE, SE = sqrt(residual sum of squares / (n-2) / Σ(x - mean x)²), t quantile from @stdlib/stats-base-dists-t-quantile';

export function fitSlope(points: readonly Point[], level = 0.95): SlopeFit {
  const levels = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  if (points.length < 3) throw new Error(`a slope with a confidence interval needs at least 3 samples, got ${points.length}`);
  if (levels.length < 2) throw new Error('a slope needs samples at two or more injected delays');
  const xs = points.map((p) => p.x);
  const { m, b } = linearRegression(points.map((p) => [p.x, p.y]));
  const rss = sum(points.map((p) => (p.y - (m * p.x + b)) ** 2));
  const df = points.length - 2;
  const sxx = sumNthPowerDeviations(xs, 2);
  const se = Math.sqrt(rss / df / sxx);
  const t = tQuantile(1 - (1 - level) / 2, df);
  return { n: points.length, slope: m, intercept: b, se, df, level, ci: [m - t * se, m + t * se], levels, method: SLOPE_METHOD };
}

export const MAX_CI_WIDTH = 0.5;

export interface SlopeVerdict {
  pass: boolean;
  /** Why it failed, one sentence per failed condition; empty when it passed. */
  reasons: string[];
  width: number;
}

/** The pass rule of the issue: the CI contains the counted delayed round trips and is narrower than maxWidth. */
export function judgeSlope(fit: SlopeFit, expected: number, maxWidth = MAX_CI_WIDTH): SlopeVerdict {
  const [lo, hi] = fit.ci;
  const width = hi - lo;
  const reasons: string[] = [];
  if (!(lo <= expected && expected <= hi)) {
    reasons.push(`the ${Math.round(fit.level * 100)}% CI of the slope [${lo.toFixed(3)}, ${hi.toFixed(3)}] does not contain the ${expected.toFixed(2)} delayed round trips counted on the critical path`);
  }
  if (!(width < maxWidth)) reasons.push(`the CI is ${width.toFixed(3)} wide, not narrower than ${maxWidth}: more samples or larger delays are needed`);
  return { pass: reasons.length === 0, reasons, width };
}

export interface TargetSetMatch {
  targets: Target[];
  /** Mean critical-path count over the delayed samples, counting only these targets' requests. */
  expected: number;
  inside: boolean;
}

/**
 * Which requests a timing source contains, established from its slope instead of assumed: for every
 * set of the targets the arm contacted, the mean critical-path count of those targets' requests, and
 * whether the slope's CI contains it. A source that contains the registry and token requests but not
 * the STS exchange matches {registry, token}, for example. When two sets have the same count, both
 * match: equal delays on every target cannot tell them apart.
 */
export function attributeSlope(fit: SlopeFit, all: readonly Target[], countFor: (targets: Target[]) => number): TargetSetMatch[] {
  const out: TargetSetMatch[] = [];
  for (let mask = 0; mask < 1 << all.length; mask++) {
    const targets = all.filter((_, i) => mask & (1 << i));
    const expected = countFor(targets);
    out.push({ targets, expected, inside: fit.ci[0] <= expected && expected <= fit.ci[1] });
  }
  return out;
}
