// The conformance suites on a real 1.35 kubelet, as CI runs them: a representative subset of every suite
// (about 25 scenarios: policies, credential cases, preloaded and allowlisted images, a refused
// configuration, restarts, service-account tokens with the STS, a registry outage). The full matrix (every
// suite on every version) runs with `pullproof run --suite all`.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { leftovers, pullproof, runIdFrom } from './helpers/cli.ts';

/** The CI subset: one regular expression per suite, on scenario ids. */
export const CI_SUBSET = [
  '^ensure-secret-pulled/AlwaysVerify/IfNotPresent/',
  '^ensure-secret-pulled/gate-off/IfNotPresent/(no-secret|same-secret)$',
  '^preloaded-and-allowlisted/(refused/tagged|allowlist/prefix/Never|preloaded/AlwaysVerify/Never/no-secret|preloaded/poisoned/NeverVerifyPreloadedImages)$',
  '^kubelet-restarts/NeverVerifyPreloadedImages/(intent/no-secret|corrupt/same-secret)$',
  '^service-account-tokens/(pull|same-sa/cache-service-account|other-sa/denied/Never|recreated-sa)$',
  '^registry-faults/registry-outage/reverify-recovers$',
];

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

test('a representative subset of every conformance suite agrees with the oracle on a 1.35.4 kubelet', async (t) => {
  t.timeout(60 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-suites-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await pullproof(['run', '--suite', 'all', '--kubelet', 'v1.35.4', ...CI_SUBSET.flatMap((f) => ['--focus', f]), '--report-dir', dir]);
  const report = readReport(dir);
  const bad = report.scenarios.filter((s) => !['passed', 'known-bug'].includes(s.status)).map((s) => `${s.id}: ${s.status} ${s.message ?? ''}`);
  t.deepEqual(bad, [], r.stderr.split('\n').slice(-30).join('\n'));
  t.is(r.code, 0, r.stderr.split('\n').slice(-40).join('\n'));
  t.true(report.scenarios.length >= 20, `${report.scenarios.length} scenarios ran`);
  for (const suite of ['ensure-secret-pulled', 'preloaded-and-allowlisted', 'kubelet-restarts', 'service-account-tokens', 'registry-faults']) {
    t.true(report.scenarios.some((s) => s.suite === suite && s.status === 'passed'), `${suite} ran`);
  }
  // The refused configuration was reported with the kubelet's own words, and the node came back.
  const refused = report.scenarios.find((s) => s.id === 'preloaded-and-allowlisted/refused/tagged');
  t.regex(refused?.message ?? '', /kubelet refused its configuration: .*preloadedImagesVerificationAllowlist/);
  t.is(report.environment.fence?.droppedPackets, 0);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});
