// `pullproof bench latency` end to end on a real 1.35.4 cluster, short: 3 pod starts per arm at 0 ms
// and 3 at 200 ms injected delay. Too few for the 0.5-wide slope interval (the measured example in
// docs/bench-example/ has N=30), so this test checks what must hold at any N and any load: every arm did
// what it claims (registry contact, plugin execs, the must-pull check), every pod start has its timing
// sources, the delayed round trips counted are the arm's chain, each delayed image check lasted at least
// those delays, the reported slope is the fit of the recorded samples, the report folder is complete,
// and nothing is left.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArmId } from '../harness/bench/arms.ts';
import { fitSlope } from '../harness/bench/slope.ts';
import { readReport } from '../harness/report/validate.ts';
import { leftovers, pullproof, runIdFrom } from './helpers/cli.ts';

const COUNTED: Record<ArmId, number> = { 'gate-off': 0, 'record-hit': 0, reverify: 3, always: 3, 'sa-hit': 0, 'sa-miss': 4 };

test('bench latency on a 1.35.4 cluster: every arm does what it claims, and its image check grows by the delayed round trips it makes', async (t) => {
  t.timeout(20 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-bench-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const t0 = Date.now();
  const r = await pullproof(['bench', 'latency', '--samples', '3', '--proof-samples', '3', '--delays', '200', '--seed', '5', '--report-dir', dir, '--timeout', '15m']);
  t.log(`bench latency took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const tail = r.stderr.split('\n').slice(-25).join('\n');
  // 0: every proof passed; 1: a proof's interval was too wide at N=3 (a check failed). Never 2, 3 or 4.
  t.true(r.code === 0 || r.code === 1, `exit ${r.code}\n${tail}`);
  const { report } = readReport(dir);
  const bench = report.bench;
  if (!bench) return t.fail('the report has no bench section');
  t.deepEqual(bench.arms.map((a) => a.id), ['gate-off', 'record-hit', 'reverify', 'always', 'sa-hit', 'sa-miss']);
  for (const a of bench.arms) {
    t.deepEqual(a.samples, { measured: 6, baseline: 3, warmupDiscarded: a.samples.warmupDiscarded }, a.id);
    t.deepEqual(a.checks.filter((c) => c.status !== 'pass').map((c) => `${c.what}: ${c.observed}`), [], `${a.id} did what it claims`);
  }
  for (const s of bench.samples.filter((x) => !x.warmup)) {
    t.true(typeof s.measures.imageCheck === 'number' && typeof s.measures.inNode === 'number' && typeof s.measures.endToEnd === 'number', `${s.id}: ${JSON.stringify(s.measures)}`);
    if (s.delayMs > 0) t.true(s.requests.every((q) => q.fault === 'latency 200ms'), `${s.id}: every request delayed`);
  }
  // What holds on a busy machine too (load only adds time): the delayed round trips counted on each arm's
  // critical path are exactly its chain, and every delayed pod start's image check lasted at least that
  // many delays (the plugin time of the service-account miss at least its one delayed STS exchange).
  // The slope's size is the live proof of `pullproof bench latency` (N=30, docs/bench-example/), not
  // judged at N=3 here; here its arithmetic is checked on the recorded samples.
  const measured = bench.samples.filter((x) => !x.warmup);
  for (const p of bench.proof) {
    t.not(p.status, 'not-run', p.arm);
    t.is(p.measure, 'imageCheck');
    t.is(p.counted?.mean, COUNTED[p.arm], `${p.arm}: delayed round trips on the critical path`);
    const mine = measured.filter((x) => x.arm === p.arm);
    for (const x of mine.filter((y) => y.delayMs > 0)) {
      t.true((x.measures.imageCheck ?? 0) >= COUNTED[p.arm] * x.delayMs, `${x.id}: image check ${x.measures.imageCheck} ms with ${COUNTED[p.arm]} round trips delayed ${x.delayMs} ms`);
      if (p.arm === 'sa-miss') t.true((x.measures.plugin ?? 0) >= x.delayMs, `${x.id}: plugin ${x.measures.plugin} ms contains the delayed STS exchange`);
    }
    const refit = fitSlope(mine.flatMap((x) => (typeof x.measures.imageCheck === 'number' ? [{ x: x.delayMs, y: x.measures.imageCheck }] : [])));
    t.true(Math.abs(refit.slope - (p.fit?.slope ?? NaN)) < 1e-9, `${p.arm}: the reported slope ${p.fit?.slope} is the fit of its recorded samples (${refit.slope})`);
  }
  t.truthy(bench.harness, 'the harness time was measured');
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.is((junit.match(/classname="pullproof\.bench-latency"/g) ?? []).length, 13);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  t.true((html.match(/<svg /g) ?? []).length >= 3, 'distribution plots and the slope plot');
  t.regex(readFileSync(join(dir, 'summary.md'), 'utf8'), /## Validation latency/);
  t.is(report.environment.fence?.droppedPackets, 0);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});
