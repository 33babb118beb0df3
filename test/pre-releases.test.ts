// Kubernetes pre-releases (-alpha.N, -beta.N, -rc.N) as release engineers test them: accepted wherever a
// release is, ordered before their release, built from their own staging modules and toolchain, and
// labelled in every report so a result from v1.38.0-beta.0 is never read as one from a release.
import test from 'ava';
import { UsageError } from '../harness/errors.ts';
import { checkSupportedRelease, compareVersions, factsOf, inRange, isPreRelease, newest, parseRelease, versionLabel, TESTED_RELEASES } from '../harness/oracle/versions.ts';
import { stagingReplaces, unavailableModules } from '../harness/build/kubernetes.ts';
import { plan } from '../harness/engine/plan.ts';
import { smoke } from '../suites/smoke.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { renderJunit } from '../harness/report/junit.ts';
import { renderHtml } from '../harness/report/html.ts';
import { preReleasesIn, type Report } from '../harness/report/types.ts';
import { reportProblems } from '../harness/report/validate.ts';
import { fullReport } from './helpers/full-report.ts';

test('parseRelease: releases and Kubernetes pre-releases; anything else is a usage error naming the field', (t) => {
  t.like(parseRelease('v1.38.0-beta.0'), { major: 1, minor: 38, patch: 0, suffix: '-beta.0', preRelease: { kind: 'beta', n: 0 } });
  t.like(parseRelease('v1.38.0-rc.1'), { suffix: '-rc.1', preRelease: { kind: 'rc', n: 1 } });
  t.like(parseRelease('v1.38.0-alpha.3'), { preRelease: { kind: 'alpha', n: 3 } });
  t.is(parseRelease('v1.35.4').preRelease, undefined);
  for (const bad of ['1.35.4', 'v1.38.0-beta', 'v1.38.0-gamma.1', 'v1.35.4-dirty', 'v1.38']) {
    const err = t.throws(() => parseRelease(bad, '--kubelet'), { instanceOf: UsageError });
    t.is(err?.field, '--kubelet', bad);
    t.regex(err?.message ?? '', /v1\.38\.0-beta\.0/);
  }
});

test('compareVersions: alpha < beta < rc < the release, each by its number; other suffixes ignored', (t) => {
  const order = ['v1.37.2', 'v1.38.0-alpha.1', 'v1.38.0-alpha.2', 'v1.38.0-beta.0', 'v1.38.0-rc.0', 'v1.38.0-rc.1', 'v1.38.0', 'v1.38.1'];
  t.deepEqual([...order].reverse().sort(compareVersions), order);
  t.is(compareVersions('v1.35.4-dirty', 'v1.35.4'), 0);
  t.is(newest(['v1.37.2', 'v1.38.0-beta.0']), 'v1.38.0-beta.0');
  // A known bug "fixed in v1.36.0" is still there in v1.36.0-rc.1.
  t.true(inRange('v1.36.0-rc.1', '>=1.33.0 <1.36.0'));
  t.false(inRange('v1.36.0', '>=1.33.0 <1.36.0'));
  t.true(inRange('v1.38.0-beta.0', '>=1.38.0-alpha.1'));
});

test('v1.38.0-beta.0 is a supported version with its facts, labelled a pre-release', (t) => {
  t.is(checkSupportedRelease('v1.38.0-beta.0', '--kubelet').text, 'v1.38.0-beta.0');
  t.true(TESTED_RELEASES.includes('v1.38.0-beta.0'));
  t.like(factsOf('v1.38.0-beta.0'), { minor: 38, recordApiVersion: 'v1beta1', ensureSecretPulledImages: { stage: 'beta', defaultOn: true } });
  t.regex(factsOf(38)?.ensureSecretPulledImages?.source ?? '', /at v1\.38\.0-beta\.0/);
  t.true(isPreRelease('v1.38.0-beta.0'));
  t.false(isPreRelease('v1.37.2'));
  t.is(versionLabel('v1.38.0-beta.0'), 'v1.38.0-beta.0 (pre-release)');
  t.is(versionLabel('v1.37.2'), 'v1.37.2');
  // The oracle predicts on it like any other kubelet.
  const p = plan({ suites: [smoke], kubelets: ['v1.38.0-beta.0'] });
  t.is(p.scenarios.find((s) => s.id === 'smoke/gate-on/never-no-secret')?.prediction.outcome, 'never-pull');
});

test('a pre-release is built against the staging modules of the same pre-release', (t) => {
  const goMod = 'require (\n\tk8s.io/api v0.0.0\n\tk8s.io/kubelet v0.0.0\n\tsigs.k8s.io/yaml v1.6.0\n)\n';
  t.deepEqual(stagingReplaces(goMod, 'v1.38.0-beta.0'), ['k8s.io/api => k8s.io/api v0.38.0-beta.0', 'k8s.io/kubelet => k8s.io/kubelet v0.38.0-beta.0']);
  t.deepEqual(stagingReplaces(goMod, 'v1.37.2'), ['k8s.io/api => k8s.io/api v0.37.2', 'k8s.io/kubelet => k8s.io/kubelet v0.37.2']);
});

test('a module the proxy refuses is named in full, staging or not, pre-release versions included', (t) => {
  // The go command's words on this machine for v1.38.0-beta.0 (2026-12-07).
  const stderr = [
    'go: pullproof.local/k8sbuild imports',
    '\tk8s.io/kubernetes/cmd/kube-proxy/app imports',
    '\tsigs.k8s.io/iptables-wrappers/pkg/iptables: sigs.k8s.io/iptables-wrappers@v1.0.0: reading https://proxy.golang.org/sigs.k8s.io/iptables-wrappers/@v/v1.0.0.zip: 403 Forbidden',
    '\tk8s.io/api/core/v1: k8s.io/api@v0.38.0-beta.0: reading https://proxy.golang.org/k8s.io/api/@v/v0.38.0-beta.0.zip: 404 Not Found',
  ].join('\n');
  t.deepEqual(unavailableModules(stderr), ['sigs.k8s.io/iptables-wrappers@v1.0.0', 'k8s.io/api@v0.38.0-beta.0']);
});

function withKubelet(kubelet: string): Report {
  const r = structuredClone(fullReport) as Report;
  r.run.kubelets = [kubelet];
  delete r.run.preReleases;
  for (const s of r.scenarios) s.kubelet = kubelet;
  for (const c of r.environment.clusters) c.nodes.forEach((n) => { n.kubelet = kubelet; });
  return r;
}

test('every report format says the run used a pre-release, and none says so for a release', (t) => {
  const pre = withKubelet('v1.38.0-beta.0');
  t.deepEqual(preReleasesIn(pre), ['v1.38.0-beta.0']);
  const md = renderMarkdown(pre);
  t.regex(md, /\*\*Pre-release\.\*\* v1\.38\.0-beta\.0 is a Kubernetes pre-release, not a release/);
  t.regex(md, /^## smoke on v1\.38\.0-beta\.0 \(pre-release\)$/m);
  t.regex(renderJunit(pre), /<property name="pullproof\.preReleases" value="v1\.38\.0-beta\.0"\/>/);
  t.regex(renderHtml(pre), /<p class="prerelease"><strong>Pre-release\.<\/strong> v1\.38\.0-beta\.0 is a Kubernetes pre-release/);
  const rel = withKubelet('v1.37.2');
  t.deepEqual(preReleasesIn(rel), []);
  t.notRegex(renderMarkdown(rel) + renderJunit(rel) + renderHtml(rel), /pre-release|preReleases/i);
  // report.json carries them, and the schema knows the field.
  t.deepEqual(reportProblems({ ...pre, run: { ...pre.run, preReleases: ['v1.38.0-beta.0'] } }), []);
});
