// The proof of the measurement: slope fits with their CIs, critical-path counting from request
// intervals, the pass rule, and which requests a timing source contains.
import test from 'ava';
import { attributeSlope, fitSlope, judgeSlope, type Point } from '../harness/bench/slope.ts';
import { criticalPathCount, criticalPathFor, roundTrips, toIntervals, type BenchRequest, type Interval } from '../harness/bench/requests.ts';
import { seededRandom } from '../harness/bench/random.ts';

function normals(seed: number): () => number {
  const rnd = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** n samples at each of 0, 50 and 200 ms: y = intercept + slope × x + noise. */
function points(slope: number, sd: number, n: number, seed = 1, intercept = 400): Point[] {
  const z = normals(seed);
  return [0, 50, 200].flatMap((x) => Array.from({ length: n }, () => ({ x, y: intercept + slope * x + sd * z() })));
}

test('an exact line gives its slope and intercept with a zero-width interval', (t) => {
  const fit = fitSlope([0, 50, 200].flatMap((x) => [{ x, y: 100 + 2 * x }, { x, y: 100 + 2 * x }]));
  t.is(Number(fit.slope.toFixed(9)), 2);
  t.is(Number(fit.intercept.toFixed(9)), 100);
  t.is(Number((fit.ci[1] - fit.ci[0]).toFixed(9)), 0);
  t.deepEqual(fit.levels, [0, 50, 200]);
  t.is(fit.df, 4);
});

test('a slope of exactly 2 with noise: the 95% CI contains 2, is narrower than 0.5, and the proof passes', (t) => {
  const fit = fitSlope(points(2, 20, 30));
  t.true(fit.ci[0] < 2 && 2 < fit.ci[1], `[${fit.ci[0]}, ${fit.ci[1]}]`);
  t.true(fit.ci[1] - fit.ci[0] < 0.5);
  t.is(fit.n, 90);
  t.regex(fit.method, /ordinary least squares/);
  t.regex(fit.method, /t quantile/);
  t.deepEqual(judgeSlope(fit, 2).reasons, []);
  t.true(judgeSlope(fit, 2).pass);
});

test('the t-based interval matches a hand computation on a small data set', (t) => {
  const pts = [{ x: 0, y: 10 }, { x: 50, y: 25 }, { x: 200, y: 60 }, { x: 0, y: 14 }];
  const fit = fitSlope(pts);
  // Reference: the textbook formulas written out, and t(0.975, 2) = 4.302652729911275 from a t table.
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p.x, 0) / n;
  const my = pts.reduce((a, p) => a + p.y, 0) / n;
  const sxx = pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const slope = pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
  const b = my - slope * mx;
  const rss = pts.reduce((a, p) => a + (p.y - (b + slope * p.x)) ** 2, 0);
  const se = Math.sqrt(rss / (n - 2) / sxx);
  t.is(Number(fit.slope.toFixed(9)), Number(slope.toFixed(9)));
  t.is(Number(fit.se.toFixed(9)), Number(se.toFixed(9)));
  t.is(Number(fit.ci[0].toFixed(6)), Number((slope - 4.302652729911275 * se).toFixed(6)));
});

test('the proof fails when the CI misses the counted round trips', (t) => {
  const fit = fitSlope(points(1, 20, 30));
  const v = judgeSlope(fit, 2);
  t.false(v.pass);
  t.is(v.reasons.length, 1);
  t.regex(v.reasons[0] ?? '', /does not contain the 2\.00 delayed round trips/);
});

test('the proof fails when the CI is 0.5 or wider, even if it contains the count', (t) => {
  const fit = fitSlope(points(2, 200, 10, 3));
  t.true(fit.ci[1] - fit.ci[0] >= 0.5);
  const v = judgeSlope(fit, fit.slope);
  t.false(v.pass);
  t.regex(v.reasons.join(' '), /not narrower than 0\.5/);
});

test('an arm that never leaves the node has slope 0 and passes against a count of 0', (t) => {
  const fit = fitSlope(points(0, 20, 30, 7));
  t.true(judgeSlope(fit, 0).pass, `[${fit.ci[0]}, ${fit.ci[1]}]`);
});

test('a fit needs two delay levels and three samples', (t) => {
  t.throws(() => fitSlope([{ x: 0, y: 1 }, { x: 0, y: 2 }, { x: 0, y: 3 }]), { message: /two or more injected delays/ });
  t.throws(() => fitSlope([{ x: 0, y: 1 }, { x: 50, y: 2 }]), { message: /at least 3 samples/ });
});

const iv = (startMs: number, endMs: number): Interval => ({ target: 'registry', kind: 'manifest', startMs, endMs });

test('requests made one after another count each', (t) => {
  t.is(criticalPathCount([iv(0, 200), iv(201, 402), iv(405, 610)]), 3);
});

test('concurrent (overlapping) requests count once', (t) => {
  t.is(criticalPathCount([iv(0, 200), iv(5, 205), iv(10, 212)]), 1);
});

test('a token fetch then two concurrent blob fetches then a manifest count 3', (t) => {
  t.is(criticalPathCount([iv(0, 200), iv(201, 401), iv(203, 404), iv(406, 606)]), 3);
});

test('a staircase of overlapping requests counts the longest chain of non-overlapping ones', (t) => {
  // A and C do not overlap, B overlaps both: a pod start waits at least two delays.
  t.is(criticalPathCount([iv(0, 200), iv(100, 300), iv(201, 400)]), 2);
});

test('a request starting within 2 ms of the previous end (ms record times) is sequential', (t) => {
  t.is(criticalPathCount([iv(0, 200.6), iv(200, 400)]), 2);
  t.is(criticalPathCount([iv(0, 210), iv(200, 400)]), 1);
  t.is(criticalPathCount([]), 0);
});

const rec = (target: BenchRequest['target'], at: string, durationMs: number): BenchRequest => ({ target, kind: target === 'registry' ? 'manifest' : target === 'token' ? 'token' : 'exchange', at, durationMs, status: 200 });

test('request records become intervals; round trips and critical paths are counted per target', (t) => {
  const records = [
    rec('sts', '2026-01-01T00:00:00.000Z', 50.4),
    rec('token', '2026-01-01T00:00:00.060Z', 50.2),
    rec('registry', '2026-01-01T00:00:00.115Z', 50.1),
    rec('registry', '2026-01-01T00:00:00.120Z', 50.3),
  ];
  t.deepEqual(toIntervals(records)[1], { target: 'token', kind: 'token', startMs: Date.parse('2026-01-01T00:00:00.060Z'), endMs: Date.parse('2026-01-01T00:00:00.060Z') + 50.2 });
  t.deepEqual(roundTrips(records), { registry: 2, token: 1, sts: 1 });
  t.is(criticalPathFor(records, ['registry', 'token', 'sts']), 3);
  t.is(criticalPathFor(records, ['registry', 'token']), 2);
  t.is(criticalPathFor(records, ['sts']), 1);
  t.throws(() => toIntervals([rec('sts', 'yesterday', 1)]), { message: /not an ISO time/ });
});

test('attribution finds the targets a timing source contains from its slope', (t) => {
  // A source that waits for the registry and token requests (2 on the path) but not the STS (1).
  const fit = fitSlope(points(2, 10, 20, 11));
  const counts: Record<string, number> = { '': 0, registry: 1, token: 1, sts: 1, 'registry+token': 2, 'registry+sts': 2, 'token+sts': 2, 'registry+token+sts': 3 };
  const matches = attributeSlope(fit, ['registry', 'token', 'sts'], (targets) => counts[targets.join('+')] ?? NaN);
  t.is(matches.length, 8);
  t.deepEqual(matches.filter((m) => m.inside).map((m) => m.targets.join('+')).sort(), ['registry+sts', 'registry+token', 'token+sts']);
  t.false(matches.find((m) => m.targets.join('+') === 'registry+token+sts')?.inside);
  // Only the targets an arm contacted are considered.
  t.deepEqual(attributeSlope(fit, ['registry', 'token'], (targets) => counts[targets.join('+')] ?? NaN).filter((m) => m.inside).map((m) => m.targets), [['registry', 'token']]);
});
