// pullproof merge and pullproof diff on synthetic shard reports (the real cluster version of the merge
// test is the engine's): two shards merged say what the unsharded report of the same scenarios says;
// overlapping shards that disagree and reports of another schema are refused with exit 2; diff exits 0
// when no verdict changed and 1 when one did, matching by id across kubelets and by key otherwise.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeReports } from '../harness/report/merge.ts';
import { diffReports } from '../harness/report/diff.ts';
import { reportProblems } from '../harness/report/validate.ts';
import { writeReport } from '../harness/report/write.ts';
import type { Report, ScenarioResult } from '../harness/report/types.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { pullproof } from './helpers/cli.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'pullproof-merge-'));

/** What a report says about a scenario, apart from where and when it ran. */
function verdicts(r: Report): Record<string, unknown> {
  return Object.fromEntries(r.scenarios.map((s: ScenarioResult) => [s.key, { status: s.status, message: s.message, expected: s.expected, observed: s.observed?.outcome, cause: s.observed?.cause, attempts: s.attempts.map((a) => a.status), labels: s.labels, name: s.name }]));
}

test('two shards merged say what the unsharded report of the same scenarios says', async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const whole = fixtureReport({ runId: 'pp0000aa' });
  const s1 = fixtureReport({ shard: { index: 1, total: 2 }, runId: 'pp1111aa' });
  const s2 = fixtureReport({ shard: { index: 2, total: 2 }, runId: 'pp2222aa' });
  t.true(s1.scenarios.length > 0 && s2.scenarios.length > 0);
  t.is(s1.scenarios.length + s2.scenarios.length, whole.scenarios.length);
  writeReport(join(dir, 's1'), s1);
  writeReport(join(dir, 's2'), s2);
  mkdirSync(join(dir, 's1', 'logs'), { recursive: true });
  writeFileSync(join(dir, 's1', 'logs', 'requests.jsonl'), '{"shard":1}\n');
  const failed = s2.scenarios.find((x) => x.bundle) as ScenarioResult;
  mkdirSync(join(dir, 's2', failed.bundle as string), { recursive: true });
  writeFileSync(join(dir, 's2', failed.bundle as string, 'REPLAY.md'), '# replay\n');

  const out = join(dir, 'merged');
  const r = await pullproof(['merge', join(dir, 's1'), join(dir, 's2'), '--out', out]);
  t.is(r.code, 0, r.stderr);
  const merged = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  t.deepEqual(reportProblems(merged), []);
  t.deepEqual(verdicts(merged), verdicts(whole));
  t.deepEqual(merged.summary, whole.summary);
  t.is(merged.run.exitCode, whole.run.exitCode);
  t.deepEqual(merged.run.kubelets.sort(), whole.run.kubelets.sort());
  t.deepEqual(merged.mergedFrom?.map((m) => [m.runId, m.shard?.index]), [['pp1111aa', 1], ['pp2222aa', 2]]);
  // Every writer's output is kept, and bundle paths point into it.
  for (const f of ['report.json', 'junit.xml', 'summary.md', 'index.html']) t.true(existsSync(join(out, f)), f);
  t.is(readFileSync(join(out, 'shards', '1', 'logs', 'requests.jsonl'), 'utf8'), '{"shard":1}\n');
  const moved = merged.scenarios.find((x) => x.key === failed.key);
  t.is(moved?.bundle, join('shards', '2', failed.bundle as string));
  t.true(existsSync(join(out, moved?.bundle as string, 'REPLAY.md')));
  // Windows keep distinct indexes, and scenarios still point at their own window.
  t.is(new Set(merged.windows.map((w) => w.index)).size, merged.windows.length);
  for (const s of merged.scenarios.filter((x) => x.window !== undefined)) t.is(merged.windows.find((w) => w.index === s.window)?.kubelet, s.kubelet);
});

test('merge refuses overlapping shards that disagree, naming the scenario (exit 2)', async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = fixtureReport({ shard: { index: 1, total: 2 }, runId: 'pp1111aa' });
  const b = fixtureReport({ shard: { index: 2, total: 2 }, runId: 'pp2222aa' });
  const stolen = { ...(a.scenarios.find((x) => x.status === 'passed') as ScenarioResult), status: 'failed' as const, message: 'disagrees' };
  b.scenarios.push(stolen);
  b.summary.total++;
  b.summary.failed++;
  writeReport(join(dir, 'a'), a);
  writeReport(join(dir, 'b'), b);
  const r = await pullproof(['merge', join(dir, 'a'), join(dir, 'b'), '--out', join(dir, 'm')]);
  t.is(r.code, 2);
  t.true(r.stderr.includes(`${stolen.key}: passed`), r.stderr);
  t.regex(r.stderr, /the shards overlap and disagree on 1 scenario/);
  t.false(existsSync(join(dir, 'm', 'report.json')));
  // Overlapping shards that agree merge into one result per key.
  const same = fixtureReport({ shard: { index: 2, total: 2 }, runId: 'pp3333aa' });
  same.scenarios.push(a.scenarios[0] as ScenarioResult);
  t.is(mergeReports([{ dir: 'a', report: a }, { dir: 'b', report: same }]).scenarios.length, fixtureReport().scenarios.length);
});

test('merge refuses a report of another schema (exit 2)', async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(join(dir, 'a'), fixtureReport({ shard: { index: 1, total: 2 } }));
  mkdirSync(join(dir, 'old'));
  writeFileSync(join(dir, 'old', 'report.json'), JSON.stringify({ ...fixtureReport({ shard: { index: 2, total: 2 } }), schema: 'pullproof-report/v0' }));
  const r = await pullproof(['merge', join(dir, 'a'), join(dir, 'old'), '--out', join(dir, 'm')]);
  t.is(r.code, 2);
  t.regex(r.stderr, /report 2: .*old\/report\.json is a report of schema "pullproof-report\/v0", not pullproof-report\/v1/);
});

test('diff of two kubelet versions matches by id, lists changed verdicts and exits 1', async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = fixtureReport({ kubelets: ['v1.34.4'], runId: 'pp0134aa', statusOf: () => 'passed' });
  const b = fixtureReport({ kubelets: ['v1.35.4'], runId: 'pp0135aa', statusOf: (p) => (p.id === 'smoke/gate-on/never-no-secret' ? 'failed' : 'passed'), slower: 5 });
  writeReport(join(dir, 'a'), a);
  writeReport(join(dir, 'b'), b);
  const d = diffReports(a, b);
  t.is(d.by, 'id');
  t.deepEqual(d.changed.map((c) => [c.match, c.a.status, c.b.status]), [['smoke/gate-on/never-no-secret', 'passed', 'failed']]);
  t.deepEqual(d.added, []);
  t.deepEqual(d.removed, []);
  t.is(d.timing.scenarios.length, a.scenarios.filter((x) => x.startedAt).length);
  t.true(d.timing.scenarios.every((x) => Math.abs(x.delta - 5) < 1e-9));
  const r = await pullproof(['diff', join(dir, 'a'), join(dir, 'b')]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /matched by id: the reports tested different kubelets \(v1\.34\.4 vs v1\.35\.4\)/);
  t.regex(r.stdout, /Verdicts changed: 1\n {2}smoke\/gate-on\/never-no-secret: agrees \(observed never-pull \(no-credentials\)\) -> disagrees \(observed runs-cached\)/);
  const json = await pullproof(['diff', join(dir, 'a'), join(dir, 'b'), '--json']);
  t.is(json.code, 1);
  t.is((JSON.parse(json.stdout) as { changed: unknown[] }).changed.length, 1);
});

test('diff of two runs of the same kubelets matches by key and exits 0 when no verdict changed; added and removed scenarios are listed', async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = fixtureReport({ runId: 'ppaaaa01' });
  const b = fixtureReport({ runId: 'ppbbbb02' });
  const gone = b.scenarios.pop() as ScenarioResult;
  b.summary.total--;
  b.summary.notApplicable -= gone.status === 'not-applicable' ? 1 : 0;
  writeReport(join(dir, 'a'), a);
  writeReport(join(dir, 'b'), b);
  const d = diffReports(a, b);
  t.is(d.by, 'key');
  t.deepEqual(d.changed, []);
  t.deepEqual(d.removed.map((x) => x.key), [gone.key]);
  const r = await pullproof(['diff', join(dir, 'a'), join(dir, 'b')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`Scenarios removed: 1\\n {2}- ${gone.key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  // --by id on reports that ran one id on two kubelets is ambiguous: a usage error.
  const amb = await pullproof(['diff', join(dir, 'a'), join(dir, 'b'), '--by', 'id']);
  t.is(amb.code, 2);
  t.regex(amb.stderr, /--by id cannot pair/);
});
