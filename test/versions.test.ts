// Facts read from a release's own source (harness/oracle/source-facts.ts), on module trees written here
// in the shapes the kubelet's source has at the tags (1.32's versioned_kube_features.go, 1.33/1.34's
// encoder, 1.35+'s encodeVersion, kubeadm's old API map): what is read, the table checked against it, the
// diff of two releases, and the CLI's parser for the versions commands.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { behaviourChanged, candidatesByMinor, checkTable, diffSources, formatDiff, gateAt, gateSpecs, pinRelease, readSourceFacts } from '../harness/oracle/source-facts.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pullproof } from './helpers/cli.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { unmodelledIn } from '../harness/oracle/versions.ts';
import { unmodelledSentences } from '../harness/report/types.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { renderHtml } from '../harness/report/html.ts';

const FEATURES = (esp: string): string => `package features

var defaultVersionedKubernetesFeatureGates = map[featuregate.Feature]featuregate.VersionedSpecs{
	KubeletEnsureSecretPulledImages: {
${esp}
	},

	KubeletServiceAccountTokenForCredentialProviders: {
		{Version: version.MustParse("1.33"), Default: false, PreRelease: featuregate.Alpha},
		{Version: version.MustParse("1.34"), Default: true, PreRelease: featuregate.Beta},
	},

	ServiceAccountNodeAudienceRestriction: {
		{Version: version.MustParse("1.32"), Default: false, PreRelease: featuregate.Beta},
		{Version: version.MustParse("1.33"), Default: true, PreRelease: featuregate.Beta},
	},
}
`;
const ESP_135 = '\t\t{Version: version.MustParse("1.33"), Default: false, PreRelease: featuregate.Alpha},\n\t\t{Version: version.MustParse("1.35"), Default: true, PreRelease: featuregate.Beta},';

function tree(t: import('ava').ExecutionContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-source-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

function release137(extra: Record<string, string> = {}): Record<string, string> {
  return {
    '.go-version': '1.26.10\n',
    'pkg/features/kube_features.go': FEATURES(ESP_135),
    'pkg/kubelet/images/pullmanager/fs_pullrecords.go': 'var encodeVersion = kubeletconfigv1beta1.SchemeGroupVersion\n',
    'pkg/kubelet/images/pullmanager/image_pull_manager.go': 'const writeRecordWhileMatchingLimit = 100\n',
    'pkg/kubelet/images/pullmanager/image_pull_manager_test.go': 'package x\n',
    'pkg/kubelet/apis/config/v1beta1/defaults.go': '\t\t\tobj.ImagePullCredentialsVerificationPolicy = kubeletconfigv1beta1.NeverVerifyPreloadedImages\n',
    'cmd/kubeadm/app/util/config/common.go': 'oldKnownAPIVersions := map[string]string{\n\t"kubeadm.k8s.io/v1beta3":  "v1.36",\n}\n',
    ...extra,
  };
}

test('gate specs are read as the kubelet declares them, and the stage at a minor follows from them', (t) => {
  const specs = gateSpecs(FEATURES(ESP_135), 'KubeletEnsureSecretPulledImages');
  t.is(specs, '{1.33, false, Alpha}, {1.35, true, Beta}');
  t.is(gateAt(specs ?? '', 34), 'alpha, off by default');
  t.is(gateAt(specs ?? '', 38), 'beta, on by default');
  t.is(gateAt(specs ?? '', 32), 'absent');
  t.is(gateSpecs(FEATURES(ESP_135), 'NoSuchGate'), undefined);
  t.is(gateSpecs('\tX: {\n\t\t{Version: version.MustParse("1.40"), Default: true, LockToDefault: true, PreRelease: featuregate.GA},\n\t},\n', 'X'), '{1.40, true, GA, locked}');
});

test('a release\'s facts, each with its file; test files are not among the watched files', (t) => {
  const src = readSourceFacts('v1.37.2', tree(t, release137()));
  t.deepEqual(Object.fromEntries(src.facts.map((f) => [f.name, f.value])), {
    'Go toolchain': '1.26.10',
    'gate KubeletEnsureSecretPulledImages': '{1.33, false, Alpha}, {1.35, true, Beta}',
    'gate KubeletServiceAccountTokenForCredentialProviders': '{1.33, false, Alpha}, {1.34, true, Beta}',
    'gate ServiceAccountNodeAudienceRestriction': '{1.32, false, Beta}, {1.33, true, Beta}',
    'pull record API version written': 'v1beta1',
    writeRecordWhileMatchingLimit: '100',
    'default imagePullCredentialsVerificationPolicy': 'NeverVerifyPreloadedImages',
    'kubeadm config APIs read': 'v1beta4',
  });
  t.is(src.facts.find((f) => f.name.startsWith('pull record'))?.file, 'pkg/kubelet/images/pullmanager/fs_pullrecords.go');
  t.deepEqual(Object.keys(src.files).sort(), ['pkg/features/kube_features.go', 'pkg/kubelet/apis/config/v1beta1/defaults.go', 'pkg/kubelet/images/pullmanager/fs_pullrecords.go', 'pkg/kubelet/images/pullmanager/image_pull_manager.go']);
});

test('1.32 and 1.34 shapes: versioned gates in their own file, the record version in the encoder', (t) => {
  const src = readSourceFacts('v1.34.4', tree(t, release137({
    'pkg/features/kube_features.go': 'package features\n',
    'pkg/features/versioned_kube_features.go': FEATURES('\t\t{Version: version.MustParse("1.33"), Default: false, PreRelease: featuregate.Alpha},'),
    'pkg/kubelet/images/pullmanager/fs_pullrecords.go': 'return codecs.EncoderForVersion(info.Serializer, kubeletconfigv1alpha1.SchemeGroupVersion), codecs.UniversalDecoder(), nil\n',
    'cmd/kubeadm/app/util/config/common.go': 'oldKnownAPIVersions := map[string]string{\n\t"kubeadm.k8s.io/v1beta2":  "v1.22",\n}\n',
  })));
  const by = Object.fromEntries(src.facts.map((f) => [f.name, f]));
  t.is(by['gate KubeletEnsureSecretPulledImages']?.file, 'pkg/features/versioned_kube_features.go');
  t.is(by['pull record API version written']?.value, 'v1alpha1');
  t.is(by['kubeadm config APIs read']?.value, 'v1beta3, v1beta4');
  t.deepEqual(checkTable(src, 34), []);
});

test('the version table checked against the source: a disagreement names the fact, both values and the file', (t) => {
  t.deepEqual(checkTable(readSourceFacts('v1.37.2', tree(t, release137())), 37), []);
  const promoted = readSourceFacts('v1.37.2', tree(t, release137({ 'pkg/features/kube_features.go': FEATURES(`${ESP_135}\n\t\t{Version: version.MustParse("1.37"), Default: true, PreRelease: featuregate.GA},`) })));
  t.deepEqual(checkTable(promoted, 37), [{ fact: 'gate KubeletEnsureSecretPulledImages', table: 'beta, on by default', source: 'ga, on by default', file: 'pkg/features/kube_features.go' }]);
});

test('versions diff: changed facts and watched files; the Go toolchain alone is no behavioural change', (t) => {
  const a = readSourceFacts('v1.37.2', tree(t, release137()));
  const b = readSourceFacts('v1.38.0-beta.0', tree(t, release137({ '.go-version': '1.27.3\n', 'pkg/kubelet/images/types.go': 'package images\n' })));
  const d = diffSources(a, b);
  t.deepEqual(d.facts, [{ name: 'Go toolchain', a: '1.26.10', b: '1.27.3', file: '.go-version', build: true }]);
  t.deepEqual(d.files, { added: ['pkg/kubelet/images/types.go'], removed: [], changed: [] });
  t.is(behaviourChanged(d), 0);
  t.regex(formatDiff(d), /Go toolchain: 1\.26\.10 -> 1\.27\.3 {2}\(\.go-version\) \[how pullproof builds it/);
  const c = readSourceFacts('v1.38.0-beta.0', tree(t, release137({ 'pkg/kubelet/images/pullmanager/image_pull_manager.go': 'const writeRecordWhileMatchingLimit = 50\n' })));
  const d2 = diffSources(a, c);
  t.is(behaviourChanged(d2), 1);
  t.deepEqual(d2.files.changed, ['pkg/kubelet/images/pullmanager/image_pull_manager.go']);
});

test('pullproof versions prints the table with each fact\'s source, the pre-release labelled', async (t) => {
  const r = await pullproof(['versions']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^1\.38: v1\.38\.0-beta\.0 \(pre-release\), kind v0\.33\.0$/m);
  t.regex(r.stdout, /KubeletEnsureSecretPulledImages: beta, on by default \(docs\/specification\.md A1: kube_features\.go at v1\.38\.0-beta\.0/);
  const bad = await pullproof(['versions', 'read', '1.38']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /<release>: "1\.38" is not a Kubernetes release version/);
});

test('versions latest: the proxy\'s tags newer than each pinned release, newest first, and a minor the table lacks', (t) => {
  // The list the module proxy served here on 2026-12-07 (it omits some tags it serves, such as v1.32.10).
  const listed = 'v1.13.0 v1.29.6 v1.30.4 v1.30.14 v1.31.0 v1.31.14 v1.32.2 v1.32.13 v1.33.6 v1.33.13 v1.34.0 v1.34.2 v1.34.3 v1.34.4 v1.35.4 v1.36.1 v1.36.3 v1.37.2 v1.38.0-beta.0 not-a-version'.split(' ');
  const pinned = [{ minor: 32, release: 'v1.32.10' }, { minor: 37, release: 'v1.37.2' }, { minor: 38, release: 'v1.38.0-alpha.1' }];
  t.deepEqual(candidatesByMinor([...listed, 'v1.39.0-alpha.0', 'v1.38.0-rc.0'], pinned), [
    { minor: 32, pinned: 'v1.32.10', newer: ['v1.32.13'] },
    { minor: 37, pinned: 'v1.37.2', newer: [] },
    { minor: 38, pinned: 'v1.38.0-alpha.1', newer: ['v1.38.0-rc.0', 'v1.38.0-beta.0'] },
    { minor: 39, newer: ['v1.39.0-alpha.0'] },
  ]);
});

test('versions latest --write pins a release in the table\'s own row, and nothing else', (t) => {
  const text = readFileSync(fileURLToPath(new URL('../harness/oracle/versions.ts', import.meta.url)), 'utf8');
  const after = pinRelease(text, 38, 'v1.38.0-rc.1');
  t.regex(after, /minor: 38, release: 'v1\.38\.0-rc\.1'/);
  t.is(after.replace("minor: 38, release: 'v1.38.0-rc.1'", "minor: 38, release: 'v1.38.0-beta.0'"), text);
  t.throws(() => pinRelease(text, 41, 'v1.41.0'), { message: /no row for minor 41/ });
});

test('a release other than the one a minor was reviewed at is named in every report format as not modelled yet, with the diff to review; the reviewed release is not', (t) => {
  t.deepEqual(unmodelledIn('v1.37.2'), []);
  t.deepEqual(unmodelledIn('v1.38.0-beta.0'), []);
  const [w] = unmodelledIn('v1.37.3');
  t.regex(w ?? '', /^v1\.37\.3: the oracle's facts and rules for 1\.37 were read and reviewed at v1\.37\.2, and what changed since is not reviewed into them yet \(see npx pullproof versions diff v1\.37\.2 v1\.37\.3\)$/);
  t.deepEqual(unmodelledIn('v1.99.0'), []);
  // A report of a run without a kubelet (the registry suite) names no Kubernetes version.
  t.deepEqual(unmodelledIn('registry'), []);
  t.deepEqual(unmodelledIn(''), []);
  const report = fixtureReport({ kubelets: ['v1.37.3'] });
  t.deepEqual(unmodelledSentences(report), [w]);
  t.true(renderMarkdown(report).includes(`**Not modelled yet.** ${w ?? ''}`));
  t.regex(renderHtml(report), /<strong>Not modelled yet\.<\/strong> v1\.37\.3: the oracle.{1,6}s facts and rules for 1\.37 were read and reviewed at v1\.37\.2/);
  t.deepEqual(unmodelledSentences(fixtureReport({ kubelets: ['v1.37.2'] })), []);
});

test('versions latest --write moves a row\'s release, never the release it was reviewed at', (t) => {
  const text = readFileSync(fileURLToPath(new URL('../harness/oracle/versions.ts', import.meta.url)), 'utf8');
  t.regex(pinRelease(text, 37, 'v1.37.3'), /minor: 37, release: 'v1\.37\.3', reviewedAt: 'v1\.37\.2'/);
});
