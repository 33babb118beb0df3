// The whole flow as a user runs it: `pullproof run` as a child process, asserting on its exit code, its
// report and on Docker afterwards, so an interrupted test runner cannot leak anything. The registry
// suite (harness self-checks, no cluster) keeps these fast.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { TEST_ENTRY, leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('a run with one deliberately failing scenario exits 1, exports logs, leaks no secret and leaves nothing behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-flow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secretsFile = join(dir, 'secrets.json');
  const reportDir = join(dir, 'report');
  const r = await pullproof(['run', '--suite', 'registry', '--report-dir', reportDir],
    { PULLPROOF_TEST_SECRETS_FILE: secretsFile, PULLPROOF_TEST_FAIL_SCENARIO: 'Tenant A pulls' }, { entry: TEST_ENTRY });
  t.is(r.code, 1, 'a failed scenario makes the run exit 1');
  const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
  t.regex(junit, /<testsuites name="pullproof" tests="\d+" failures="1"/);
  t.regex(junit, /<testcase name="Tenant A pulls its own repository with its credentials" classname="pullproof.registry"[^>]*>\s*<failure/);
  for (const f of ['logs/registry.log', 'logs/requests.jsonl', 'logs/token-decisions.jsonl', 'report.json', 'summary.md', 'run.log', 'fence.json']) {
    t.true(existsSync(join(reportDir, f)), `${f} exists`);
  }
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as string[];
  t.true(secrets.length >= 5, `the run registered its passwords, tokens and keys (${secrets.length})`);
  const written = [r.stdout, r.stderr, ...filesUnder(reportDir).map((f) => readFileSync(f, 'utf8'))];
  const leaked = secrets.filter((s) => written.some((w) => w.includes(s)));
  t.deepEqual(leaked.map((s) => `${s.slice(0, 4)}... (${s.length} chars)`), []);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('an unknown suite is a usage error: exit 2, naming the flag and the fix', async (t) => {
  const r = await pullproof(['run', '--suite', 'no-such-suite']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--suite: no suite named "no-such-suite"\. Fix: use one of: smoke, loophole, ensure-secret-pulled, preloaded-and-allowlisted, kubelet-restarts, service-account-tokens, registry-faults, registry, or all/);
});

test('a kubelet version pullproof does not model is a usage error before anything starts', async (t) => {
  const t0 = Date.now();
  const r = await pullproof(['run', '--kubelet', 'v9.9.9']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--kubelet: pullproof does not model Kubernetes "v9\.9\.9"\. Fix: use a version from v1\.32 to v1\.37/);
  t.true(Date.now() - t0 < 15_000, 'refused before any setup');
});

test('a malformed --timeout is a usage error with exit 2', async (t) => {
  const r = await pullproof(['run', '--timeout', 'soon']);
  t.is(r.code, 2);
  t.regex(r.stderr, /"soon" is not a duration/);
});

test('Ctrl-C during a run writes a partial report marked incomplete, cleans up everything and exits 130', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-int-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = start(['run', '--suite', 'registry', '--report-dir', dir]);
  const line = await run.waitFor(/PASS /);
  t.truthy(line);
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.regex(report.run.incompleteReason ?? '', /interrupted by SIGINT/);
  t.true(report.scenarios.some((s) => s.status === 'passed'), 'what finished is reported');
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('a crash in the middle of a run still writes the report and cleans up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await pullproof(['run', '--suite', 'registry', '--report-dir', dir], { PULLPROOF_TEST_CRASH_IN_SCENARIO: 'Tenant A pulls' }, { entry: TEST_ENTRY });
  t.is(r.code, 3);
  t.regex(r.stderr, /unexpected error: Error: deliberate crash/);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('the run timeout stops the run, reports the scenarios not run as such, exits 3 and cleans up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-timeout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await pullproof(['run', '--suite', 'registry', '--timeout', '1ms', '--report-dir', dir]);
  t.is(r.code, 3);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.true(report.scenarios.length > 0 && report.scenarios.every((x) => x.status === 'not-run' && /timeout/.test(x.message ?? '')));
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('a selection that leaves nothing to run exits 4 (CI must not go green having tested nothing)', async (t) => {
  const r = await pullproof(['run', '--suite', 'smoke', '--kubelet', 'v1.32.10', '--focus', 'gate-on']);
  t.is(r.code, 4);
  t.regex(r.stderr, /nothing to run: \d+ scenario\(s\) selected, all not applicable/);
});
