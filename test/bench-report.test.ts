// From raw samples to the bench result, its Markdown table and its SVG plots, on synthetic pod
// starts whose answer is known: each arm's time grows by its number of sequential delayed requests
// times the injected delay, plus seeded noise.
import test from 'ava';
import { analyse } from '../harness/bench/analyse.ts';
import { ARMS, type ArmId, type MustPullResult } from '../harness/bench/arms.ts';
import { harnessOverhead, type PodTimestamps } from '../harness/bench/harness-overhead.ts';
import { renderBenchMarkdown } from '../harness/bench/markdown.ts';
import { seededRandom } from '../harness/bench/random.ts';
import type { BenchRequest } from '../harness/bench/requests.ts';
import type { BenchResult, BenchSample } from '../harness/bench/result.ts';
import { schedule } from '../harness/bench/schedule.ts';
import { svgDistribution, svgSlopes } from '../harness/bench/svg.ts';

/** Per arm: base in-node ms, the chain of requests one pod start makes, and its must-pull result. */
const TRUTH: Record<ArmId, { base: number; chain: BenchRequest['target'][][]; mustPull?: MustPullResult; plugin: boolean }> = {
  'gate-off': { base: 420, chain: [], plugin: false },
  'record-hit': { base: 425, chain: [], mustPull: 'credentialRecordFound', plugin: false },
  // HEAD manifest (401), token, HEAD manifest again: three one after another.
  reverify: { base: 470, chain: [['registry'], ['token'], ['registry']], mustPull: 'mustAuthenticate', plugin: false },
  always: { base: 465, chain: [['registry'], ['token'], ['registry']], plugin: false },
  'sa-hit': { base: 430, chain: [], mustPull: 'credentialRecordFound', plugin: false },
  // STS exchange, then the pull; the config and manifest fetched concurrently at the end.
  'sa-miss': { base: 520, chain: [['sts'], ['registry'], ['token'], ['registry', 'registry']], mustPull: 'mustAuthenticate', plugin: true },
};

function synthetic(seed: number): BenchSample[] {
  const rnd = seededRandom(seed);
  const noise = (): number => 12 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const s = schedule({ seed, samples: 30, proofDelaysMs: [50, 200], proofSamples: 10 });
  let clock = Date.UTC(2026, 0, 15, 10, 0, 0);
  return s.blocks.flatMap((b) => b.samples).map((x): BenchSample => {
    const truth = TRUTH[x.arm];
    const requests: BenchRequest[] = [];
    let t = clock + 5;
    for (const step of truth.chain) {
      for (const target of step) requests.push({ target, kind: target === 'registry' ? 'manifest' : target === 'token' ? 'token' : 'exchange', at: new Date(t).toISOString(), durationMs: x.delayMs + 1.5, status: 200 });
      t += x.delayMs + 4;
    }
    const registryPath = truth.chain.filter((st) => !st.includes('sts')).length;
    const measures: BenchSample['measures'] = { inNode: truth.base + truth.chain.length * x.delayMs + noise(), endToEnd: 1400 + truth.chain.length * x.delayMs + 8 * noise() };
    if (registryPath) {
      // The kubelet's pull excludes the credential lookup, so the STS exchange is not in it.
      measures.pulled = 30 + registryPath * x.delayMs + noise() / 3;
    }
    if (truth.plugin) measures.plugin = 18 + x.delayMs + noise() / 3;
    clock += 3000;
    const sample: BenchSample = { id: x.id, arm: x.arm, block: x.block, seq: x.seq, delayMs: x.delayMs, warmup: x.warmup, measures, requests, mustPull: truth.mustPull ? { [truth.mustPull]: 1 } : {} };
    if (x.arm.startsWith('sa-')) sample.plugin = [{ plugin: 'pullproof-credential-provider', calls: truth.plugin ? 1 : 0, seconds: truth.plugin ? (measures.plugin ?? 0) / 1000 : 0 }];
    return sample;
  });
}

function harness(n: number, kubeletMs: number, extraMs: number): PodTimestamps[] {
  return Array.from({ length: n }, (_, i) => {
    const create = 1_000_000 + i * 5000;
    return { pod: `p${i}`, createReturnedMs: create, kubeletStartMs: create + 30, kubeletEndMs: create + 30 + kubeletMs, watchHandledMs: create + kubeletMs + extraMs + (i % 3) };
  });
}

let cached: BenchResult | undefined;
function result(): BenchResult {
  cached ??= analyse({ samples: synthetic(7), seed: 7, resamples: 2000, harness: harness(30, 1300, 60), environment: { kubelet: 'v1.35.4 (synthetic test data)' } });
  return cached;
}

test('every arm\'s slope CI contains its counted delayed round trips and is narrower than 0.5', (t) => {
  const r = result();
  t.is(r.proof.length, 6);
  const expectCount: Record<ArmId, number> = { 'gate-off': 0, 'record-hit': 0, reverify: 3, always: 3, 'sa-hit': 0, 'sa-miss': 4 };
  for (const p of r.proof) {
    t.is(p.status, 'pass', `${p.arm}: ${p.reasons.join('; ')}`);
    t.is(p.counted?.mean, expectCount[p.arm], p.arm);
    t.is(p.fit?.n, 50, p.arm);
  }
  t.is(r.verdict, 'pass', r.reasons.join('; '));
});

test('the Pulled time of the service-account miss is shown to exclude the STS exchange', (t) => {
  const p = result().proof.find((x) => x.arm === 'sa-miss');
  const pulled = p?.attribution.find((a) => a.measure === 'pulled');
  const inside = pulled?.matches.filter((m) => m.inside).map((m) => m.targets.join('+')) ?? [];
  t.true(inside.includes('registry+token'), inside.join(' | '));
  t.false(inside.includes('registry+token+sts'));
  const plugin = p?.attribution.find((a) => a.measure === 'plugin');
  t.true(plugin?.matches.some((m) => m.inside && m.targets.join('+') === 'sts'));
});

test('overheads against gate off and the matching record come with seeded bootstrap CIs', (t) => {
  const r = result();
  const reverify = r.arms.find((a) => a.id === 'reverify');
  const o = reverify?.overhead.vsGateOff;
  // True difference of medians at 0 ms delay: 470 - 420 = 50 ms.
  t.true(o !== undefined && o.lo < 50 && 50 < o.hi, `[${o?.lo}, ${o?.hi}]`);
  t.deepEqual(o?.n, [30, 30]);
  t.is(o?.resamples, 2000);
  t.true(reverify?.overhead.vsRecordHit !== undefined);
  t.is(r.arms.find((a) => a.id === 'gate-off')?.overhead.vsGateOff, undefined, 'no comparison of an arm with itself');
  // Reproducible from the seed.
  const again = analyse({ samples: r.samples, seed: 7, resamples: 2000 });
  t.deepEqual(again.arms.find((a) => a.id === 'reverify')?.overhead, reverify?.overhead);
});

test('percentiles, round trips and plugin time per arm; warm-ups left out', (t) => {
  const r = result();
  const miss = r.arms.find((a) => a.id === 'sa-miss');
  t.is(miss?.samples.baseline, 30);
  t.is(miss?.samples.measured, 50);
  t.true((miss?.samples.warmupDiscarded ?? 0) >= 1);
  t.is(miss?.measures.find((m) => m.measure === 'inNode')?.stats.n, 30);
  t.is(miss?.measures.find((m) => m.measure === 'inNode')?.stats.p99, undefined);
  t.deepEqual(miss?.roundTrips.registry, { n: 50, mean: 3, median: 3, min: 3, max: 3 });
  t.is(miss?.roundTrips.sts.mean, 1);
  t.is(miss?.pluginMs?.n, 30);
  t.true(Math.abs((miss?.pluginMs?.p50 ?? 0) - 18) < 5);
  t.is(miss?.stsMs?.n, 30);
  t.deepEqual(miss?.mustPull, { mustAuthenticate: 50 });
  for (const a of r.arms) for (const c of a.checks) t.not(c.status, 'fail', `${a.id}: ${c.what}: ${c.observed}`);
});

test('an arm that did not do what it claims fails the bench', (t) => {
  // Re-verification samples that turned into record hits (no fresh credentials): no registry requests.
  const samples = synthetic(7).map((s) => (s.arm === 'reverify' ? { ...s, requests: [], mustPull: { credentialRecordFound: 1 } } : s));
  const r = analyse({ samples, seed: 7, resamples: 200, harness: harness(30, 1300, 60) });
  t.is(r.verdict, 'fail');
  t.true(r.reasons.some((x) => /reverify: expected every pod start reached the registry; observed 0 of 50/.test(x)), r.reasons.join('\n'));
  t.true(r.reasons.some((x) => /reverify: expected the must-pull check said mustAuthenticate/.test(x)));
});

test('without delayed samples the proof is not run and the bench is incomplete, never passed', (t) => {
  const r = analyse({ samples: synthetic(7).filter((s) => s.delayMs === 0), seed: 7, resamples: 200, harness: harness(30, 1300, 60) });
  t.is(r.verdict, 'incomplete');
  t.true(r.proof.every((p) => p.status === 'not-run'));
});

test('the harness overhead is its time outside the kubelet, against 10% of the median pod start', (t) => {
  const ok = harnessOverhead(harness(30, 1300, 60));
  t.is(ok.medianPodStartMs, 1361);
  t.is(ok.medianHarnessMs, 61);
  t.true(ok.pass);
  t.is(ok.n, 30);
  const slow = harnessOverhead(harness(30, 1300, 400));
  t.false(slow.pass);
  t.true(slow.ratio > 0.2);
  t.throws(() => harnessOverhead([{ pod: 'x', createReturnedMs: 10, watchHandledMs: 5, kubeletStartMs: 0, kubeletEndMs: 1 }]), { message: /out of order/ });
});

test('the result is JSON: raw samples, seed and the method of every number survive a round trip', (t) => {
  const r = result();
  const back = JSON.parse(JSON.stringify(r)) as BenchResult;
  t.is(back.schema, 'pullproof.bench.latency/v1');
  t.is(back.seed, 7);
  t.is(back.samples.length, r.samples.length);
  t.truthy(back.samples[0]?.requests);
  for (const k of ['quantiles', 'bootstrap', 'slope', 'criticalPath', 'roundTrips', 'random', 'warmup'] as const) t.true(back.methods[k].length > 20, k);
  for (const [m, how] of Object.entries(back.methods.measures)) t.true(how.length > 20, m);
  t.deepEqual(back.proof, r.proof);
});

test('the Markdown table gives every number with its sample count and a method section', (t) => {
  const md = renderBenchMarkdown(result());
  t.regex(md, /\*\*Verdict: pass\.\*\*/);
  t.regex(md, /\| reverify \| gate on \| p50 4\d\d ms, p95 \d+ ms \(n=30\) \| \+\d+(\.\d)? ms \[\d+\.\d, \d+\.\d\] \(n=30\+30\)/);
  t.regex(md, /\| sa-miss \| in-node pod start \| (3\.9|4\.0)\d\d \[3\.9\d\d, 4\.0\d\d\] \| n=50 \(0, 50, 200 ms\) \| 4\.00 \(4–4, n=20\) \| 0\.\d+ \| pass \|/);
  t.regex(md, /## How each number was measured/);
  t.regex(md, /percentile bootstrap, 2000 resamples/);
  t.regex(md, /## The harness's own time/);
  t.notRegex(md, /NaN|undefined/);
});

test('the SVG plots are self-contained and show every arm', (t) => {
  for (const svg of [svgDistribution(result()), svgSlopes(result())]) {
    t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    t.true(svg.endsWith('</svg>'));
    t.notRegex(svg, /<script|<style|href=|NaN|undefined/);
    for (const a of ARMS) t.true(svg.includes(a.id), a.id);
    // Every opened element is closed (a rough well-formedness check without an XML parser).
    const opened = (svg.match(/<(svg|text|title|line|defs|clipPath)[\s>]/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|text|title|line|defs|clipPath)>/g) ?? []).length + (svg.match(/<line [^>]*\/>/g) ?? []).length;
    t.is(opened, closed);
  }
  t.regex(svgDistribution(result()), /reverify \(n=30\)/);
  t.regex(svgSlopes(result()), /slope \d\.\d\d \[\d\.\d\d, \d\.\d\d\], n=50/);
});
