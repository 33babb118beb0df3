// junit.xml read back by an independent JUnit reader (Python's junitparser from PyPI, in a virtualenv
// under the pullproof cache): counts, names, classnames, and the failed, flaky, rerun and skipped
// markings Jenkins, GitLab and the GitHub test reporters act on; and each testsuite against the
// structure of Surefire's surefire-test-report-3.0.xsd (the XSD itself is not in any Surefire jar on
// Maven Central, so it cannot be validated against here with xmllint).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../harness/report/write.ts';
import type { Report } from '../harness/report/types.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { ensureVenv } from './helpers/venv.ts';

interface ReadCase { name: string; classname: string; time: number; results: { kind: string; message: string | null; type: string | null }[]; flakyFailures: number; flakyErrors: number; rerunFailures: number; rerunErrors: number; failed: boolean; errored: boolean; skipped: boolean }
interface ReadSuite { name: string; tests: number; failures: number; errors: number; skipped: number; cases: ReadCase[] }

const READER = fileURLToPath(new URL('./helpers/junit-read.py', import.meta.url));

function readBack(t: { teardown(fn: () => void): void; log(...v: unknown[]): void }, report: Report): { suites: ReadSuite[]; surefireProblems: string[] } {
  const venv = ensureVenv('venv-junit', ['junitparser==5.0.3']);
  if (venv.created) t.log(`created ${venv.python} in ${venv.seconds.toFixed(1)} s`);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-junit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(dir, report);
  return JSON.parse(execFileSync(venv.python, [READER, join(dir, 'junit.xml')], { encoding: 'utf8' })) as { suites: ReadSuite[]; surefireProblems: string[] };
}

test('junitparser reads every scenario back with the right counts, names and classnames', (t) => {
  t.timeout(15 * 60_000);
  const report = fixtureReport();
  const { suites } = readBack(t, report);
  const scenarioSuites = suites.filter((s) => s.name !== 'pullproof.infrastructure');
  t.deepEqual(scenarioSuites.map((s) => s.name).sort(), ['pullproof.loophole.kubelet-v1_32_10', 'pullproof.loophole.kubelet-v1_35_4', 'pullproof.smoke.kubelet-v1_32_10', 'pullproof.smoke.kubelet-v1_35_4']);
  const cases = scenarioSuites.flatMap((s) => s.cases);
  t.is(cases.length, report.scenarios.length);
  t.deepEqual(cases.map((c) => c.name).sort(), report.scenarios.map((s) => s.name).sort());
  const s = report.summary;
  const sum = (k: 'tests' | 'failures' | 'errors' | 'skipped'): number => scenarioSuites.reduce((n, x) => n + x[k], 0);
  t.is(sum('tests'), s.total);
  t.is(sum('failures'), s.failed);
  t.is(sum('errors'), s.errors + s.notRun);
  t.is(sum('skipped'), s.knownBugs + s.notApplicable);
  const loopholeOpen = cases.find((c) => c.name.startsWith('A pod in another namespace without a pull secret runs a private image') && c.classname.includes('v1_35_4'));
  t.is(loopholeOpen?.classname, 'pullproof.loophole.kubelet-v1_35_4.gate-off');
  const closed = cases.find((c) => c.name.startsWith('With KubeletEnsureSecretPulledImages on, a pod in another namespace') && c.classname.includes('v1_35_4'));
  t.is(closed?.classname, 'pullproof.loophole.kubelet-v1_35_4.default-policy');
  const infra = suites.find((x) => x.name === 'pullproof.infrastructure');
  t.is(infra?.tests, report.checks.length);
});

test('failed, flaky, rerun, error and skipped scenarios carry the markings CI reporters read', (t) => {
  t.timeout(15 * 60_000);
  const report = fixtureReport();
  // One scenario failed on both attempts (--retries 1): <failure> plus a <rerunFailure>.
  const twice = report.scenarios.find((x) => x.status === 'failed') as Report['scenarios'][number];
  twice.attempts = [{ attempt: 1, status: 'failed', startedAt: twice.startedAt as string, seconds: 10, message: 'attempt 1 disagreed' }, ...twice.attempts.map((a) => ({ ...a, attempt: 2 }))];
  const { suites } = readBack(t, report);
  const cases = suites.flatMap((s) => s.cases);
  const byName = (key: string): ReadCase => {
    const r = report.scenarios.find((x) => x.key === key) as Report['scenarios'][number];
    const c = cases.find((x) => x.name === r.name && x.classname.includes(r.kubelet.replace(/\./g, '_')));
    if (!c) throw new Error(`no testcase for ${key}`);
    return c;
  };
  for (const r of report.scenarios) {
    const c = byName(r.key);
    const what = `${r.key} (${r.status})`;
    t.is(c.failed, r.status === 'failed', what);
    t.is(c.errored, r.status === 'error' || r.status === 'not-run', what);
    t.is(c.skipped, r.status === 'known-bug' || r.status === 'not-applicable', what);
    if (r.status === 'flaky') {
      t.is(c.results.length, 0, `${what}: a flaky pass is a pass`);
      t.is(c.flakyFailures + c.flakyErrors, r.attempts.filter((a) => a.status !== 'passed').length, what);
    } else {
      t.is(c.flakyFailures + c.flakyErrors, 0, what);
    }
    if (r.status === 'failed') t.regex(c.results[0]?.message ?? '', /^expected .+, observed /, what);
    if (r.status === 'known-bug') t.regex(c.results[0]?.message ?? '', /^known bug kubernetes#\d+/, what);
    if (r.status === 'not-applicable') t.regex(c.results[0]?.message ?? '', /^not applicable: the v1\.32\.10 kubelet has no KubeletEnsureSecretPulledImages/, what);
  }
  const rerun = byName(twice.key);
  t.is(rerun.rerunFailures, 1);
  t.true(rerun.failed);
});

test('each testsuite has the structure of Surefire\'s test-report schema (attributes, child order, SUREFIRE_TIME)', (t) => {
  t.timeout(15 * 60_000);
  const report = fixtureReport();
  const twice = report.scenarios.find((x) => x.status === 'error') as Report['scenarios'][number];
  twice.attempts = [{ attempt: 1, status: 'failed', startedAt: twice.startedAt as string, seconds: 10, message: 'first' }, ...twice.attempts.map((a) => ({ ...a, attempt: 2 }))];
  t.deepEqual(readBack(t, report).surefireProblems, []);
});
