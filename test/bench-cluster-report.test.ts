// The bench's report, arm applicability, kubelet settings and `pullproof diff` on bench reports,
// without a cluster: synthetic samples whose answer is known go through analyse() into a report
// folder (report.json validated against the schema, junit.xml, summary.md, index.html) and two such
// folders through the diff command.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse } from '../harness/bench/analyse.ts';
import { ARMS, armById, type ArmId } from '../harness/bench/arms.ts';
import { armApplicability, kubeletSettings, seedingNeeds } from '../harness/bench/cluster/config.ts';
import { benchReport, type BenchReportInput } from '../harness/bench/cluster/report.ts';
import { diffBench } from '../harness/bench/diff.ts';
import type { BenchResult } from '../harness/bench/result.ts';
import { reportProblems } from '../harness/report/validate.ts';
import { writeReport } from '../harness/report/write.ts';
import { pullproof } from './helpers/cli.ts';
import { syntheticSamples, syntheticTimestamps } from './helpers/bench-synthetic.ts';

function result(seed: number, o: Parameters<typeof syntheticSamples>[1] = {}, kubelet = 'v1.35.4'): BenchResult {
  return analyse({ samples: syntheticSamples(seed, o), seed, resamples: 1000, harness: syntheticTimestamps(30, 1300, 60), environment: { kubelet: `${kubelet} (synthetic)` } });
}

function input(r: BenchResult | undefined, o: Partial<BenchReportInput> = {}): BenchReportInput {
  const at = new Date('2026-01-15T10:00:00Z');
  return {
    run: { id: 'pp00bb22', command: ['bench', 'latency'], startedAt: at, finishedAt: new Date(at.getTime() + 60_000), complete: true, kubelet: 'v1.35.4', host: { os: 'linux x64', kernel: '6.1', cpus: 2, memoryGiB: 24 } },
    result: r, notApplicable: [], planned: r ? r.arms.map((a) => a.id) : [], clusters: [], windows: [], checks: [{ name: 'cleanup: cluster', ok: true }], measurements: [],
    ...o,
  };
}

test('arms that cannot apply to a kubelet say why; the rest apply', (t) => {
  const na = (v: string): Record<string, string> => Object.fromEntries(ARMS.flatMap((a) => { const x = armApplicability(a, v); return x.applicable ? [] : [[a.id, x.reason]]; }));
  t.deepEqual(Object.keys(na('v1.32.10')), ['record-hit', 'reverify', 'always', 'sa-hit', 'sa-miss']);
  t.regex(na('v1.32.10').reverify ?? '', /no KubeletEnsureSecretPulledImages feature/);
  t.deepEqual(Object.keys(na('v1.33.13')), ['sa-hit', 'sa-miss']);
  t.regex(na('v1.33.13')['sa-hit'] ?? '', /cacheType/);
  t.deepEqual(na('v1.34.4'), {});
  t.deepEqual(na('v1.35.4'), {});
});

test('each configuration sets the gate explicitly, the policy only with the gate on, and the provider only for the service-account arms', (t) => {
  t.deepEqual(kubeletSettings(armById('gate-off').kubelet), { ensureSecretPulledImages: false });
  t.deepEqual(kubeletSettings(armById('reverify').kubelet), { ensureSecretPulledImages: true, policy: 'NeverVerifyPreloadedImages' });
  const sa = kubeletSettings(armById('sa-miss').kubelet);
  t.is(sa.provider?.matchRepository, 'provider');
  t.is(sa.provider?.serviceAccount?.cacheType, 'ServiceAccount');
  t.true(sa.serviceAccountTokens);
  t.deepEqual(seedingNeeds([armById('gate-off')]), { ensureSecretPulledImages: false });
  t.truthy(seedingNeeds(ARMS).serviceAccountProvider);
});

test('a passing bench is a report with one JUnit testcase per check, its tables and both plots, and exit code 0', (t) => {
  const r = result(7);
  t.is(r.verdict, 'pass', r.reasons.join('; '));
  const report = benchReport(input(r, { notApplicable: [] }));
  t.deepEqual(reportProblems(JSON.parse(JSON.stringify(report))), []);
  t.is(report.run.exitCode, 0);
  t.is(report.scenarios.length, 6 * 2 + 1);
  t.true(report.scenarios.every((s) => s.status === 'passed' && s.kind === 'check'));
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-bench-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(dir, report);
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.is((junit.match(/<testcase /g) ?? []).length, 13 + 1);
  t.regex(junit, /name="reverify: the 95% confidence interval of the in-node pod start time&apos;s slope/);
  t.regex(junit, /name="the harness&apos;s own time per pod start is under 10% of the median pod start"/);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  t.is((html.match(/<svg /g) ?? []).length, 2, 'the distribution and the slopes');
  t.regex(html, /Proof of the measurement/);
  // Self-contained: no script loaded from anywhere (the filters' one inline script is allowed by its hash) and no address.
  t.notRegex(html, /<script[^>]*\ssrc=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  t.regex(md, /## Validation latency/);
  t.regex(md, /\| reverify \| in-node pod start \| [23]\.\d{3} \[/);
  const back = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { bench: BenchResult };
  t.is(back.bench.samples.length, r.samples.length);
});

test('a failed proof fails its testcase (exit 1); an arm that did not run is not run (exit 3); every arm not applicable is exit 4', (t) => {
  const r = result(7);
  const broken: BenchResult = { ...r, proof: r.proof.map((p) => (p.arm === 'always' ? { ...p, status: 'fail', reasons: ['the CI is 0.9 wide'] } : p)) };
  const failed = benchReport(input(broken));
  t.is(failed.run.exitCode, 1);
  t.is(failed.scenarios.find((s) => s.id === 'bench-latency/proof/always')?.status, 'failed');
  const partial = benchReport(input(result(7, { arms: ['gate-off', 'reverify'] }), { planned: ['gate-off', 'reverify', 'always'] }));
  t.is(partial.scenarios.find((s) => s.id === 'bench-latency/proof/always')?.status, 'not-run');
  t.is(partial.run.exitCode, 3);
  const none = benchReport(input(undefined, { planned: [], notApplicable: ARMS.filter((a) => a.id !== 'gate-off').map((arm) => ({ arm, reason: 'no feature' })) }));
  t.is(none.run.exitCode, 4);
  t.is(none.summary.notApplicable, 5);
  const interrupted = benchReport(input(r, { run: { ...input(r).run, complete: false, incompleteReason: 'interrupted by SIGINT', signalExit: 130 } }));
  t.is(interrupted.run.exitCode, 130);
  t.false(interrupted.run.complete);
});

test('diff of two bench results: the change per arm with a bootstrap interval that finds a known shift and no change where there is none', (t) => {
  const shift: Partial<Record<ArmId, number>> = { reverify: 50 };
  const d = diffBench(result(7), result(8, { shift }), { resamples: 2000 });
  const rev = d.arms.find((a) => a.arm === 'reverify');
  t.truthy(rev);
  t.true((rev?.change.lo ?? 0) > 25 && (rev?.change.hi ?? 0) < 75, JSON.stringify(rev?.change));
  t.true((rev?.overheadChange?.lo ?? 0) > 20 && (rev?.overheadChange?.hi ?? 0) < 80, JSON.stringify(rev?.overheadChange));
  const hit = d.arms.find((a) => a.arm === 'record-hit');
  t.true((hit?.change.lo ?? 1) < 0 && (hit?.change.hi ?? -1) > 0, JSON.stringify(hit?.change));
  t.deepEqual(diffBench(result(7), result(8, { shift }), { resamples: 2000 }), d, 'seeded: the same reports give the same intervals');
});

test('pullproof diff on two bench report folders prints each arm\'s change with its interval', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pullproof-bench-diff-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeReport(join(root, 'a'), benchReport(input(result(7, {}, 'v1.34.4'), { run: { ...input(undefined).run, kubelet: 'v1.34.4' } })));
  writeReport(join(root, 'b'), benchReport(input(result(8, { shift: { reverify: 50 } }))));
  const r = await pullproof(['diff', join(root, 'a'), join(root, 'b')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Bench \(validation latency\): A v1\.34\.4 \(synthetic\), verdict pass -> B v1\.35\.4 \(synthetic\), verdict pass/);
  t.regex(r.stdout, /reverify\s+median [\d.]+ ms \(n=30\) -> [\d.]+ ms \(n=30\): change \+[45]\d\.\d ms \[[\d.]+, [\d.]+\]; overhead vs gate off changed/);
  const json = await pullproof(['diff', '--json', join(root, 'a'), join(root, 'b')]);
  const parsed = JSON.parse(json.stdout) as { bench: { arms: { arm: string }[] } };
  t.is(parsed.bench.arms.length, 6);
});

test('bench latency refuses bad options before anything starts, naming the flag (exit 2)', async (t) => {
  for (const [args, flag] of [
    [['--arms', 'gate-off,nope'], /--arms: no arm named "nope"/],
    [['--delays', '50,0'], /--delays: "0" is not a positive number/],
    [['--kubelet', 'v1.31.0'], /--kubelet: pullproof does not model Kubernetes/],
    [['--samples', '1'], /--samples/],
  ] as const) {
    const r = await pullproof(['bench', 'latency', ...args]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, flag);
    t.notRegex(r.stderr, /run pp[0-9a-f]{6}/, 'no run was started');
  }
});
