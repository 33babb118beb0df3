// Percentiles, seeded bootstrap intervals and round-trip counts of the bench, on data whose answer is known.
import test from 'ava';
import { bootstrapMedian, bootstrapMedianDifference, percentiles, summariseCounts } from '../harness/bench/stats.ts';
import { deriveSeed, seededRandom } from '../harness/bench/random.ts';

/** Normal noise from the seeded source (Box-Muller). */
function normals(seed: number, n: number, mu: number, sd: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => mu + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

test('the seeded source gives the same sequence for a seed and different first draws for different seeds', (t) => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const xs = Array.from({ length: 5 }, () => a());
  t.deepEqual(Array.from({ length: 5 }, () => b()), xs);
  for (const x of xs) t.true(x >= 0 && x < 1);
  // Small seeds must not start alike (xoroshiro128+ in pure-rand does: 0.99998 for every one).
  const firsts = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => seededRandom(s)());
  t.true(Math.max(...firsts) - Math.min(...firsts) > 0.3, firsts.join(' '));
  t.not(deriveSeed(42, 'overhead:a'), deriveSeed(42, 'overhead:b'));
  t.is(deriveSeed(42, 'overhead:a'), deriveSeed(42, 'overhead:a'));
});

test('p50 and p95 use linear interpolation; p99 appears only from 100 samples', (t) => {
  const xs = Array.from({ length: 99 }, (_, i) => i + 1); // 1..99
  const p = percentiles(xs);
  t.is(p.n, 99);
  t.is(p.p50, 50);
  t.is(p.p95, 94.1); // index (99-1) × 0.95 = 93.1, between 94 and 95
  t.is(p.p99, undefined);
  const q = percentiles(Array.from({ length: 100 }, (_, i) => i + 1));
  t.is(q.p50, 50.5);
  t.is(Number(q.p99?.toFixed(6)), 99.01);
  t.is(q.min, 1);
  t.is(q.max, 100);
});

test('the bootstrap CI of a median contains the true median in a seeded case, and is reproducible', (t) => {
  const xs = normals(123, 101, 250, 20); // true median 250
  const ci = bootstrapMedian(xs, { seed: 9, resamples: 4000 });
  t.true(ci.lo < 250 && 250 < ci.hi, `[${ci.lo}, ${ci.hi}]`);
  // The median's standard error here is about 1.25 × 20 / √101 ≈ 2.5 ms: the interval is about ±5 ms, not wide open.
  t.true(ci.hi - ci.lo < 15, `width ${ci.hi - ci.lo}`);
  t.deepEqual(bootstrapMedian(xs, { seed: 9, resamples: 4000 }), ci);
  t.is(ci.seed, 9);
  t.is(ci.resamples, 4000);
  t.regex(ci.method, /percentile bootstrap/);
});

test('the bootstrap CI of a difference of medians finds a known shift of 40 ms and excludes 0', (t) => {
  const base = normals(1, 30, 300, 15);
  const shifted = normals(2, 30, 340, 15);
  const d = bootstrapMedianDifference(shifted, base, { seed: 5 });
  t.true(d.lo < 40 && 40 < d.hi, `[${d.lo}, ${d.hi}]`);
  t.true(d.lo > 0, 'a 40 ms shift with 15 ms noise and n=30 is not compatible with no difference');
  t.deepEqual(d.n, [30, 30]);
  t.is(d.resamples, 10000);
  t.is(d.level, 0.95);
});

test('the bootstrap CI of a difference of medians contains 0 when the arms are the same', (t) => {
  const d = bootstrapMedianDifference(normals(3, 30, 300, 15), normals(4, 30, 300, 15), { seed: 5 });
  t.true(d.lo < 0 && 0 < d.hi, `[${d.lo}, ${d.hi}]`);
});

test('another seed gives another interval, each reproducible from its seed', (t) => {
  const a = normals(3, 30, 300, 15);
  const b = normals(4, 30, 320, 15);
  const one = bootstrapMedianDifference(a, b, { seed: 1 });
  const two = bootstrapMedianDifference(a, b, { seed: 2 });
  t.notDeepEqual([one.lo, one.hi], [two.lo, two.hi]);
  t.deepEqual(bootstrapMedianDifference(a, b, { seed: 2 }), two);
});

test('round-trip counts summarise to mean, median and range', (t) => {
  t.deepEqual(summariseCounts([2, 2, 3, 2]), { n: 4, mean: 2.25, median: 2, min: 2, max: 3 });
  t.deepEqual(summariseCounts([]), { n: 0, mean: 0, median: 0, min: 0, max: 0 });
});
