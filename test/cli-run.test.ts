// The whole flow as a user runs it: `pullproof run` as a child process, asserting on its exit code, its
// report and on Docker afterwards, so an interrupted test runner cannot leak anything. The registry
// suite (harness self-checks, no cluster) keeps these fast.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { TEST_ENTRY, leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';

// The whole run with a failing scenario, scanned for secrets in every form: test/secrets-flow.test.ts.

test('an unknown suite is a usage error: exit 2, naming the flag and the fix', async (t) => {
  const r = await pullproof(['run', '--suite', 'no-such-suite']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--suite: no suite named "no-such-suite"\. Fix: use one of: smoke, loophole, ensure-secret-pulled, image-references, pod-shapes, preloaded-and-allowlisted, kubelet-restarts, service-account-tokens, registry-faults, gate-flips, upgrades, rollbacks, registry, or all/);
});

test('a kubelet version pullproof does not model is a usage error before anything starts', async (t) => {
  const t0 = Date.now();
  const r = await pullproof(['run', '--kubelet', 'v9.9.9']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--kubelet: pullproof does not model Kubernetes "v9\.9\.9"\. Fix: use a version from v1\.32 to v1\.38 \(pinned releases: v1\.32\.\d+, .*v1\.38\.0-beta\.0 \(pre-release\)\)/);
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
