// The kubelet's CredentialProviderConfig rules (pkg/credentialprovider/plugin/config.go, v1.35.4, and
// the strict decoder per version) as a golden table: one row per upstream rule, as data. Each row is
// a valid config with one change and the field the error must name.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkConfig, loadConfig, RULES } from '../harness/credprovider/config.ts';
import { UsageError } from '../harness/errors.ts';
import type { KubernetesVersion } from '../harness/credprovider/versions.ts';

type Doc = Record<string, unknown> & { providers: Record<string, unknown>[] };

const SA = { serviceAccountTokenAudience: 'sts.example', requireServiceAccount: true, requiredServiceAccountAnnotationKeys: ['example.com/id'], optionalServiceAccountAnnotationKeys: ['example.com/team'], cacheType: 'ServiceAccount' };

function valid(): Doc {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig',
    providers: [{ name: 'plugin', matchImages: ['*.registry.example', 'registry.example:5443/org'], defaultCacheDuration: '10m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', tokenAttributes: { ...SA } }],
  };
}

interface Row {
  rule: string;
  version: KubernetesVersion;
  gate?: boolean;
  change: (d: Doc) => void;
  field: string;
}

const p0 = (d: Doc): Record<string, unknown> => d.providers[0] as Record<string, unknown>;
const ta = (d: Doc): Record<string, unknown> => p0(d).tokenAttributes as Record<string, unknown>;

const ROWS: Row[] = [
  { rule: 'decode.kind', version: '1.35', change: (d) => { d.kind = 'KubeletConfiguration'; }, field: 'kind' },
  { rule: 'decode.unknown-field', version: '1.35', change: (d) => { p0(d).matchImage = ['x']; }, field: 'providers[0].matchImage' },
  { rule: 'decode.unknown-field', version: '1.32', change: () => undefined, field: 'providers[0].tokenAttributes' },
  { rule: 'decode.unknown-field', version: '1.33', gate: true, change: () => undefined, field: 'providers[0].tokenAttributes.cacheType' },
  { rule: 'decode.unknown-field', version: '1.35', change: (d) => { d.apiVersion = 'kubelet.config.k8s.io/v1beta1'; }, field: 'providers[0].tokenAttributes' },
  { rule: 'decode.type', version: '1.35', change: (d) => { p0(d).matchImages = 'registry.example'; }, field: 'providers[0].matchImages' },
  { rule: 'decode.duration', version: '1.35', change: (d) => { p0(d).defaultCacheDuration = '10 minutes'; }, field: 'providers[0].defaultCacheDuration' },
  { rule: 'providers.required', version: '1.35', change: (d) => { d.providers = []; }, field: 'providers' },
  { rule: 'name.required', version: '1.35', change: (d) => { p0(d).name = ''; }, field: 'providers[0].name' },
  { rule: 'name.slash', version: '1.35', change: (d) => { p0(d).name = 'bin/plugin'; }, field: 'providers[0].name' },
  { rule: 'name.space', version: '1.35', change: (d) => { p0(d).name = 'my plugin'; }, field: 'providers[0].name' },
  { rule: 'name.dot', version: '1.35', change: (d) => { p0(d).name = '.'; }, field: 'providers[0].name' },
  { rule: 'name.dotdot', version: '1.35', change: (d) => { p0(d).name = '..'; }, field: 'providers[0].name' },
  { rule: 'name.duplicate', version: '1.35', change: (d) => { d.providers.push({ ...p0(d) }); }, field: 'providers[1].name' },
  { rule: 'apiVersion.required', version: '1.35', change: (d) => { delete p0(d).apiVersion; delete p0(d).tokenAttributes; }, field: 'providers[0].apiVersion' },
  { rule: 'apiVersion.supported', version: '1.35', change: (d) => { p0(d).apiVersion = 'credentialprovider.kubelet.k8s.io/v2'; delete p0(d).tokenAttributes; }, field: 'providers[0].apiVersion' },
  { rule: 'matchImages.required', version: '1.35', change: (d) => { p0(d).matchImages = []; }, field: 'providers[0].matchImages' },
  { rule: 'matchImages.parse', version: '1.35', change: (d) => { p0(d).matchImages = ['registry.example:https']; }, field: 'providers[0].matchImages[0]' },
  { rule: 'defaultCacheDuration.required', version: '1.35', change: (d) => { delete p0(d).defaultCacheDuration; }, field: 'providers[0].defaultCacheDuration' },
  { rule: 'defaultCacheDuration.negative', version: '1.35', change: (d) => { p0(d).defaultCacheDuration = '-1m'; }, field: 'providers[0].defaultCacheDuration' },
  { rule: 'tokenAttributes.gate', version: '1.33', change: (d) => { delete ta(d).cacheType; }, field: 'providers[0].tokenAttributes' },
  { rule: 'tokenAttributes.gate', version: '1.35', gate: false, change: () => undefined, field: 'providers[0].tokenAttributes' },
  { rule: 'tokenAttributes.audience', version: '1.35', change: (d) => { ta(d).serviceAccountTokenAudience = ''; }, field: 'providers[0].tokenAttributes.serviceAccountTokenAudience' },
  { rule: 'tokenAttributes.requireServiceAccount', version: '1.35', change: (d) => { delete ta(d).requireServiceAccount; }, field: 'providers[0].tokenAttributes.requireServiceAccount' },
  { rule: 'tokenAttributes.apiVersion', version: '1.35', change: (d) => { p0(d).apiVersion = 'credentialprovider.kubelet.k8s.io/v1beta1'; }, field: 'providers[0].tokenAttributes' },
  { rule: 'tokenAttributes.required-keys-without-sa', version: '1.35', change: (d) => { ta(d).requireServiceAccount = false; }, field: 'providers[0].tokenAttributes.requiredServiceAccountAnnotationKeys' },
  { rule: 'annotationKeys.qualified', version: '1.35', change: (d) => { ta(d).optionalServiceAccountAnnotationKeys = ['example.com/not valid!']; }, field: 'providers[0].tokenAttributes.optionalServiceAccountAnnotationKeys' },
  { rule: 'annotationKeys.duplicate', version: '1.35', change: (d) => { ta(d).requiredServiceAccountAnnotationKeys = ['example.com/id', 'example.com/id']; }, field: 'providers[0].tokenAttributes.requiredServiceAccountAnnotationKeys' },
  { rule: 'annotationKeys.overlap', version: '1.35', change: (d) => { ta(d).optionalServiceAccountAnnotationKeys = ['example.com/id']; }, field: 'providers[0].tokenAttributes' },
  { rule: 'cacheType.required', version: '1.34', change: (d) => { delete ta(d).cacheType; }, field: 'providers[0].tokenAttributes.cacheType' },
  { rule: 'cacheType.supported', version: '1.35', change: (d) => { ta(d).cacheType = 'Pod'; }, field: 'providers[0].tokenAttributes.cacheType' },
];

for (const row of ROWS) {
  test(`rule ${row.rule} (Kubernetes ${row.version}${row.gate === undefined ? '' : `, gate ${row.gate ? 'on' : 'off'}`}) names ${row.field}`, (t) => {
    const doc = valid();
    row.change(doc);
    const issues = checkConfig(doc, { version: row.version, saTokenGate: row.gate });
    const hit = issues.find((i) => i.rule === row.rule);
    t.truthy(hit, `expected rule ${row.rule}; got ${JSON.stringify(issues)}`);
    t.is(hit?.field, row.field);
    t.true((hit?.fix ?? '').length > 10, 'the error carries a fix');
  });
}

test('the unchanged config is valid for 1.34, 1.35 and 1.36, and for 1.33 (gate on) without cacheType', (t) => {
  for (const version of ['1.34', '1.35', '1.36'] as const) t.deepEqual(checkConfig(valid(), { version }), [], version);
  const for133 = valid();
  delete ta(for133).cacheType;
  t.deepEqual(checkConfig(for133, { version: '1.33', saTokenGate: true }), []);
});

test('every rule of the table has a row (the directory rules are the two tests below)', (t) => {
  const covered = new Set([...ROWS.map((r) => r.rule), 'directory.duplicate', 'directory.empty']);
  t.deepEqual(Object.keys(RULES).filter((r) => !covered.has(r)), []);
});

function configDir(t: { teardown: (fn: () => void) => void }, files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-cpc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, doc] of Object.entries(files)) writeFileSync(join(dir, name), stringify(doc));
  return dir;
}

test('rule directory.duplicate: a provider name in two files of a config directory is refused (1.34+)', (t) => {
  const dir = configDir(t, { 'a.yaml': valid(), 'b.yaml': valid() });
  const err = t.throws(() => loadConfig(dir, { version: '1.35' }), { instanceOf: UsageError });
  t.regex(err?.message ?? '', /duplicate provider name "plugin"/);
});

test('rule directory.empty: a config directory without config files is refused, and 1.33 reads no directories', (t) => {
  const dir = configDir(t, { 'notes.txt': 'x' });
  t.regex(t.throws(() => loadConfig(dir, { version: '1.35' }), { instanceOf: UsageError })?.message ?? '', /no configuration files/);
  t.regex(t.throws(() => loadConfig(dir, { version: '1.33', saTokenGate: true }), { instanceOf: UsageError })?.message ?? '', /reads one file/);
});
