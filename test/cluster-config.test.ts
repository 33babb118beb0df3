// Per-node gates and kubelet settings, checked against what the kubelet itself would accept.
// The gate list is the real `kubelet --help` output of the v1.35.4 kubelet pullproof builds.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../harness/errors.ts';
import { parseKubeletGates, resolveGates, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS } from '../harness/cluster/gates.ts';
import { applyKubeletSettings, validateAllowlistEntry } from '../harness/cluster/kubelet-config.ts';
import { hostsToml, splitReference } from '../harness/cluster/mirror.ts';
import { audienceRbac } from '../harness/cluster/credential-provider.ts';

const gates135 = parseKubeletGates(readFileSync(new URL('../fixtures/kubelet/help-feature-gates-v1.35.4.txt', import.meta.url), 'utf8'));
const target135 = { version: 'v1.35.4', gates: gates135, cgroupV1: true };
const BASE = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n';

test('the 1.35 kubelet lists both features as beta and on by default', (t) => {
  t.deepEqual(gates135.get('KubeletEnsureSecretPulledImages'), { stage: 'BETA', defaultValue: true });
  t.deepEqual(gates135.get(SA_TOKEN_FOR_CREDENTIAL_PROVIDERS), { stage: 'BETA', defaultValue: true });
});

test("the v1.33 blog's gate name maps to the real gate", (t) => {
  t.deepEqual(resolveGates({ ServiceAccountTokenForKubeletCredentialProviders: true }, gates135, 'v1.35.4', 'nodes[1].featureGates'), { [SA_TOKEN_FOR_CREDENTIAL_PROVIDERS]: true });
});

test('an unknown gate is a usage error naming the node field', (t) => {
  const err = t.throws(() => resolveGates({ KubeletEnsureSecretPulledImagez: true }, gates135, 'v1.35.4', 'nodes[1].featureGates'), { instanceOf: UsageError });
  t.regex(err?.message ?? '', /^nodes\[1\]\.featureGates\.KubeletEnsureSecretPulledImagez: the v1\.35\.4 kubelet does not know/);
});

test('turning KubeletEnsureSecretPulledImages off drops the policy fields already in the config', (t) => {
  const before = BASE + 'imagePullCredentialsVerificationPolicy: AlwaysVerify\n';
  const out = parse(applyKubeletSettings(before, { featureGates: { KubeletEnsureSecretPulledImages: false } }, target135, 'nodes[1]')) as Record<string, unknown>;
  t.deepEqual([out.featureGates, out.imagePullCredentialsVerificationPolicy], [{ KubeletEnsureSecretPulledImages: false }, undefined]);
});

test('a policy with the gate off is refused before the kubelet sees it', (t) => {
  t.throws(() => applyKubeletSettings(BASE, { featureGates: { KubeletEnsureSecretPulledImages: false }, imagePullCredentialsVerificationPolicy: 'AlwaysVerify' }, target135, 'nodes[1]'),
    { instanceOf: UsageError, message: /imagePullCredentialsVerificationPolicy: must not be set while KubeletEnsureSecretPulledImages is off/ });
});

test('an allowlist is only accepted with NeverVerifyAllowlistedImages', (t) => {
  t.throws(() => applyKubeletSettings(BASE, { imagePullCredentialsVerificationPolicy: 'AlwaysVerify', preloadedImagesVerificationAllowlist: ['registry.k8s.io/*'] }, target135, 'nodes[1]'),
    { instanceOf: UsageError, message: /only valid with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages/ });
  const ok = parse(applyKubeletSettings(BASE, { imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages', preloadedImagesVerificationAllowlist: ['registry.k8s.io/*'] }, target135, 'nodes[1]')) as Record<string, unknown>;
  t.deepEqual(ok.preloadedImagesVerificationAllowlist, ['registry.k8s.io/*']);
});

const allowlistRows: [string, boolean][] = [
  ['registry.k8s.io/*', true], ['registry.example/org/*', true], ['docker.io/library/nginx', true], ['localhost:5000/app', true],
  ['*', false], ['/*', false], ['', false], [' registry.k8s.io/*', false], ['a/*/b', false], ['repo/pokus*', false],
  ['test.io/x:tag', false], ['nginx', false], ['registry.example/app@sha256:abc', false],
];
for (const [entry, valid] of allowlistRows) {
  test(`allowlist entry ${JSON.stringify(entry)} is ${valid ? 'valid' : 'refused'} as by the kubelet`, (t) => {
    if (valid) t.notThrows(() => validateAllowlistEntry(entry, 'x'));
    else t.throws(() => validateAllowlistEntry(entry, 'x'), { instanceOf: UsageError });
  });
}

test('from 1.36 a familiar allowlist entry (nginx, org/app) is accepted as the kubelet parses it unnormalised (kubernetes#137629); a tag is still refused', (t) => {
  t.notThrows(() => validateAllowlistEntry('nginx', 'x', 'v1.36.3'));
  t.notThrows(() => validateAllowlistEntry('org/app', 'x', 'v1.37.2'));
  t.throws(() => validateAllowlistEntry('nginx', 'x', 'v1.35.4'), { instanceOf: UsageError });
  t.throws(() => validateAllowlistEntry('nginx:1.2', 'x', 'v1.37.2'), { instanceOf: UsageError });
});

test('maxParallelImagePulls above 31 is refused while the gate is on (kubernetes#138935)', (t) => {
  t.throws(() => applyKubeletSettings(BASE, { maxParallelImagePulls: 32 }, target135, 'nodes[1]'), { instanceOf: UsageError, message: /#138935/ });
  const out = parse(applyKubeletSettings(BASE, { maxParallelImagePulls: 31 }, target135, 'nodes[1]')) as Record<string, unknown>;
  t.deepEqual([out.maxParallelImagePulls, out.serializeImagePulls], [31, false]);
});

test('failCgroupV1 is set to false on a cgroup v1 host, and left alone on v2', (t) => {
  t.is((parse(applyKubeletSettings(BASE, {}, target135, 'n')) as Record<string, unknown>).failCgroupV1, false);
  t.is((parse(applyKubeletSettings(BASE, {}, { ...target135, cgroupV1: false }, 'n')) as Record<string, unknown>).failCgroupV1, undefined);
});

test('system image references split into upstream, repository and tag', (t) => {
  t.deepEqual(splitReference('registry.k8s.io/kube-apiserver:v1.35.4'), { upstream: 'registry.k8s.io', repository: 'kube-apiserver', tag: 'v1.35.4' });
  t.deepEqual(splitReference('registry.k8s.io/coredns/coredns:v1.13.1'), { upstream: 'registry.k8s.io', repository: 'coredns/coredns', tag: 'v1.13.1' });
  t.deepEqual(splitReference('docker.io/kindest/kindnetd:v1'), { upstream: 'docker.io', repository: 'kindest/kindnetd', tag: 'v1' });
  t.is(splitReference('sha256:abcdef'), undefined);
});

test("every mirrored hosts.toml has the harness registry as server, with the mirror prefix as its path", (t) => {
  const toml = hostsToml('https://172.29.1.1:5443/v2/mirror/registry.k8s.io', { overridePath: true, ca: '/etc/containerd/certs.d/pullproof-ca.crt' });
  t.regex(toml, /^server = "https:\/\/172\.29\.1\.1:5443\/v2\/mirror\/registry\.k8s\.io"$/m);
  t.regex(toml, /^override_path = true$/m);
  t.regex(toml, /^capabilities = \["pull", "resolve"\]$/m);
});

test('the audience RBAC lets the group system:nodes request tokens for exactly that audience', (t) => {
  const docs = audienceRbac('sts.pullproof.test', ['puller']).split('---\n').map((d) => parse(d) as Record<string, unknown>);
  const role = docs[0] as { rules: { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames: string[] }[] };
  const binding = docs[1] as { subjects: { kind: string; name: string }[] };
  t.deepEqual(role.rules, [{ verbs: ['request-serviceaccounts-token-audience'], apiGroups: [''], resources: ['sts.pullproof.test'], resourceNames: ['puller'] }]);
  t.deepEqual(binding.subjects.map((s) => `${s.kind}/${s.name}`), ['Group/system:nodes']);
});
