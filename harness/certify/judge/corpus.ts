// The differential corpus: cases that both the kubelet judge (the kubelet's own code) and pullproof's
// TypeScript rules decide, per Kubernetes version. Three kinds:
//   - lookup: a provider config, a plugin (a script printing a response, or misbehaving), an image,
//     and service-account inputs; decided by the kubelet's registration + keyring lookup, which exec
//     the plugin, against certify's exec + config rules + response rules + matching.
//   - provider-config: a CredentialProviderConfig file or directory; decided by the kubelet's
//     registration against pullproof's config rules.
//   - kubelet-config: KubeletConfiguration settings pullproof sets; decided by the kubelet's loader
//     and ValidateKubeletConfiguration against harness/cluster's rules.
// Every rejection reason of docs/specification.md B3 and every certify finding of issue 9 has cases
// (the `covers` tags); the rest are generated variations.
import { traitsOf, type KubernetesVersion } from '../../credprovider/versions.ts';
import type { KubeletSettings } from '../../cluster/kubelet-config.ts';
import { exampleImage, KNOWN_HOSTS } from '../example-image.ts';

export const V1 = 'credentialprovider.kubelet.k8s.io/v1';
export const V1BETA1 = 'credentialprovider.kubelet.k8s.io/v1beta1';
export const V1ALPHA1 = 'credentialprovider.kubelet.k8s.io/v1alpha1';
const CONFIG_V1 = 'kubelet.config.k8s.io/v1';
export const HOST = 'registry.example';
export const IMAGE = `${HOST}/org/app`;
export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJkaWZmZXJlbnRpYWwiOnRydWV9.pullproof-differential-token';

export interface LookupCase {
  kind: 'lookup';
  id: string;
  covers: string[];
  configApiVersion: string;
  provider: Record<string, unknown>;
  /** The plugin script (a "#!" line included unless the case is about its absence). */
  script: string;
  /** Extra files the script reads (written beside it), e.g. a large response. */
  files?: Record<string, string>;
  image: string;
  gate?: boolean;
  serviceAccount?: { name: string; uid: string; annotations: Record<string, string>; missing?: boolean };
  token?: string;
  notExecutable?: boolean;
  deadlineMs?: number;
}

export interface ProviderConfigCase {
  kind: 'provider-config';
  id: string;
  covers: string[];
  /** One file (directory false) or the files of a config directory. */
  files: Record<string, string>;
  directory: boolean;
  gate?: boolean;
}

export interface KubeletConfigCase {
  kind: 'kubelet-config';
  id: string;
  covers: string[];
  settings: KubeletSettings;
}

export type Case = LookupCase | ProviderConfigCase | KubeletConfigCase;

const shebang = '#!/bin/sh\n';
/** A script that reads the request and prints `stdout` exactly (from a file beside it, so any bytes work). */
function printer(stdout: string, o: { exit?: number; stderr?: string } = {}): { script: string; files: Record<string, string> } {
  const lines = [shebang.trimEnd(), 'cat >/dev/null', 'cat "$(dirname "$(readlink -f "$0")")/response"'];
  if (o.stderr !== undefined) lines.push(`printf '%s\\n' '${o.stderr.replace(/'/g, "'\\''")}' >&2`);
  if (o.exit !== undefined) lines.push(`exit ${o.exit}`);
  return { script: `${lines.join('\n')}\n`, files: { response: stdout } };
}

function response(over: Record<string, unknown> = {}, auth: Record<string, unknown> = { [HOST]: { username: `u-${HOST}`, password: 'p' } }): Record<string, unknown> {
  return { kind: 'CredentialProviderResponse', apiVersion: V1, cacheKeyType: 'Registry', cacheDuration: '10m0s', auth, ...over };
}

function provider(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'plugin', matchImages: [HOST], defaultCacheDuration: '1m', apiVersion: V1, ...over };
}

function lookup(id: string, covers: string[], stdout: string, o: Partial<LookupCase> & { exit?: number; stderr?: string } = {}): LookupCase {
  const p = printer(stdout, { exit: o.exit, stderr: o.stderr });
  return { kind: 'lookup', id, covers, configApiVersion: CONFIG_V1, provider: provider(), image: IMAGE, ...p, ...o, files: { ...p.files, ...o.files } };
}

const json = (v: unknown): string => JSON.stringify(v);

/** Service-account tokenAttributes as this version writes them (cacheType only where it exists). */
function tokenAttributes(version: KubernetesVersion, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serviceAccountTokenAudience: 'sts.example', requireServiceAccount: true,
    ...(traitsOf(version).cacheTypeField ? { cacheType: 'ServiceAccount' } : {}), ...over,
  };
}

function lookupCases(version: KubernetesVersion): LookupCase[] {
  const out: LookupCase[] = [];
  const add = (c: LookupCase): void => {
    out.push(c);
  };
  // Valid responses: every cacheKeyType with every cacheDuration form.
  for (const ckt of ['Image', 'Registry', 'Global']) {
    for (const d of [undefined, '0', '0s', '10m', '10m0s', '1h30m', '1.5h', '100ms', '-1m', '1h0m0.5s']) {
      const r = response({ cacheKeyType: ckt });
      if (d === undefined) delete r.cacheDuration;
      else r.cacheDuration = d;
      add(lookup(`valid ${ckt} cacheDuration=${d ?? 'absent'}`, ['valid'], json(r)));
    }
  }
  // apiVersion: provider configured in each version, response in another or malformed (B3 apiVersion, GVK).
  for (const configured of [V1, V1BETA1, V1ALPHA1]) {
    const answers: [string, unknown][] = [
      ['same', configured], ['v1', V1], ['v1beta1', V1BETA1], ['v1alpha1', V1ALPHA1], ['v2', 'credentialprovider.kubelet.k8s.io/v2'],
      ['empty', ''], ['no group', 'v1'], ['two slashes', 'a/b/c'], ['number', 5], ['null', null],
    ];
    for (const [label, av] of answers) {
      add(lookup(`provider ${configured.split('/')[1] ?? ''}, response apiVersion ${label}`, ['B3.apiVersion', 'B3.gvk'], json(response({ apiVersion: av })), { provider: provider({ apiVersion: configured }) }));
    }
    const r = response({ apiVersion: configured });
    delete r.apiVersion;
    add(lookup(`provider ${configured.split('/')[1] ?? ''}, response without apiVersion`, ['B3.apiVersion'], json(r), { provider: provider({ apiVersion: configured }) }));
  }
  add(lookup('apiVersion under a key of other case (APIVERSION)', ['B3.gvk', 'B3.strict'], json({ ...response(), apiVersion: undefined, APIVERSION: V1 })));
  add(lookup('apiVersion twice, the last one right', ['B3.gvk', 'B3.strict', 'finding-2'], json(response()).replace(`"apiVersion":"${V1}"`, `"apiVersion":"${V1BETA1}","apiVersion":"${V1}"`)));
  add(lookup('apiVersion twice, the last one wrong', ['B3.gvk', 'B3.apiVersion', 'finding-2'], json(response()).replace(`"apiVersion":"${V1}"`, `"apiVersion":"${V1}","apiVersion":"${V1BETA1}"`)));
  // kind (B3 kind/group).
  for (const [label, kind] of [['Request', 'CredentialProviderRequest'], ['Foo', 'Foo'], ['empty', ''], ['null', null], ['number', 5], ['lowercase', 'credentialproviderresponse']] as [string, unknown][]) {
    add(lookup(`kind ${label}`, ['B3.kind'], json(response({ kind }))));
  }
  const noKind = response();
  delete noKind.kind;
  add(lookup('kind missing', ['B3.kind'], json(noKind)));
  add(lookup('kind under the key Kind', ['B3.kind', 'B3.strict'], json({ ...noKind, Kind: 'CredentialProviderResponse' })));
  // cacheKeyType (B3 cacheKeyType).
  for (const ckt of ['ServiceAccount', 'image', 'REGISTRY', '', null, 5, 'Token', ' Registry']) add(lookup(`cacheKeyType ${json(ckt)}`, ['B3.cacheKeyType'], json(response({ cacheKeyType: ckt }))));
  const noCkt = response();
  delete noCkt.cacheKeyType;
  add(lookup('cacheKeyType missing', ['B3.cacheKeyType'], json(noCkt)));
  // cacheDuration that does not decode (B3 strict decoding).
  for (const d of ['10', '10 minutes', '', '1d', 5, null, true, '1h-1m', '+5m', '.5s', '1e3s', 'µs']) add(lookup(`cacheDuration ${json(d)}`, ['B3.strict'], json(response({ cacheDuration: d }))));
  // Strict decoding: unknown fields, types, duplicates (B3 strict, finding 2).
  const strict: [string, string][] = [
    ['unknown top-level field', json(response({ extra: 1 }))],
    ['unknown auth field email', json(response({}, { [HOST]: { username: `u-${HOST}`, password: 'p', email: 'a@b' } }))],
    ['auth field Username (case)', json(response({}, { [HOST]: { Username: `u-${HOST}`, password: 'p' } }))],
    ['field CacheKeyType besides cacheKeyType', json(response({ CacheKeyType: 'Image' }))],
    ['auth an array', json(response({ auth: [] }))],
    ['auth a string', json(response({ auth: 'x' }))],
    ['auth null', json(response({ auth: null }))],
    ['auth empty', json(response({ auth: {} }))],
    ['auth entry a string', json(response({}, { [HOST]: 'x' }))],
    ['auth entry null', json(response({}, { [HOST]: null }))],
    ['username a number', json(response({}, { [HOST]: { username: 5, password: 'p' } }))],
    ['password null', json(response({}, { [HOST]: { username: `u-${HOST}`, password: null } }))],
    ['password missing', json(response({}, { [HOST]: { username: `u-${HOST}` } }))],
    ['duplicate cacheKeyType', json(response()).replace('"cacheKeyType":"Registry"', '"cacheKeyType":"Image","cacheKeyType":"Registry"')],
    ['duplicate kind', json(response()).replace('"kind":"CredentialProviderResponse"', '"kind":"CredentialProviderResponse","kind":"CredentialProviderResponse"')],
    ['duplicate auth key', json(response()).replace(/"auth":\{(.*)\}\}$/, `"auth":{$1,"${HOST}":{"username":"u2","password":"q"}}}`)],
    ['duplicate username', json(response()).replace('"username":', '"username":"first","username":')],
    ['duplicate cacheDuration', json(response()).replace('"cacheDuration":"10m0s"', '"cacheDuration":"1m","cacheDuration":"10m0s"')],
  ];
  for (const [label, text] of strict) add(lookup(label, ['B3.strict', ...(label.startsWith('duplicate') ? ['finding-2'] : [])], text));
  // What is on stdout at all (B3 GVK).
  const raw: [string, string][] = [
    ['not JSON', 'this is not JSON\n'], ['empty', ''], ['whitespace only', ' \n\t\n'], ['an array', '[]'], ['a string', '"x"'], ['a number', '42'],
    ['null', 'null'], ['truncated', json(response()).slice(0, 40)], ['two objects', json(response()) + json(response())],
    ['trailing comma', json(response()).replace(/}$/, ',}')], ['byte order mark', `\ufeff${json(response())}`],
    ['YAML instead of JSON', `kind: CredentialProviderResponse\napiVersion: ${V1}\ncacheKeyType: Registry\n`],
    ['trailing garbage', `${json(response())} x`], ['leading newlines', `\n\n${json(response())}\n\n`], ['pretty printed', JSON.stringify(response(), null, 2)],
    ['a comment', `// c\n${json(response())}`], ['single quotes', json(response()).replace(/"/g, "'")],
  ];
  for (const [label, text] of raw) add(lookup(`stdout ${label}`, ['B3.gvk'], text));
  // auth keys against the image (kubelet matching: labels, ports, path prefixes, /v1/ /v2/, schemes, globs).
  const keys = [
    HOST, '*.example', '*.registry.example', `${HOST}:443`, `${HOST}/org`, `${HOST}/other`, `${HOST}/or`, `https://${HOST}`, `http://${HOST}/v2/`,
    `${HOST}/v1/org`, 'REGISTRY.example', 'reg*.example', 'registry.ex?mple', 'registry.[a-z]xample', 'registry.[', 'a b', '', `${HOST}/org/app/more`,
    '*.*', '*', `${HOST}/org/app`, `${HOST}:`, `[::1]`, `${HOST}?x=1`,
  ];
  for (const k of keys) add(lookup(`auth key ${json(k)}`, ['B3.auth-keys'], json(response({}, { [k]: { username: `u-${k}`, password: 'p' } }))));
  add(lookup('auth keys: several match (all contribute)', ['B3.auth-keys'], json(response({}, Object.fromEntries([HOST, '*.example', `${HOST}/org`, 'other.example'].map((k) => [k, { username: `u-${k}`, password: 'p' }]))))));
  add(lookup('auth keys normalise to one key', ['B3.auth-keys'], json(response({}, Object.fromEntries([HOST, `https://${HOST}`, `${HOST}/v2/`].map((k) => [k, { username: `u-${k}`, password: 'p' }]))))));
  for (const [img, k] of [[`${HOST}:5443/org/app`, `${HOST}:5443`], [`${HOST}:5443/org/app`, HOST], ['docker.io/library/nginx', 'index.docker.io'], ['docker.io/library/nginx', 'docker.io'], ['docker.io/library/nginx', 'https://index.docker.io/v1/']] as [string, string][]) {
    add(lookup(`image ${img}, auth key ${k}`, ['B3.auth-keys'], json(response({}, { [k]: { username: `u-${k}`, password: 'p' } })), { image: img, provider: provider({ matchImages: [img.split('/')[0] as string] }) }));
  }
  // Hyphens in host labels, with and without globs.
  for (const [host, key] of [['pull-proof.example', 'pull-proof.example'], ['pull-proof.example', '*-proof.example'], ['pull-proof.example', 'pull-*.example'], ['a-b-c.example:5443', 'a-b-c.example:5443']] as [string, string][]) {
    add(lookup(`hyphenated host ${host}, auth key ${key}`, ['B3.auth-keys', 'B2.matchImages'], json(response({}, { [key]: { username: `u-${key}`, password: 'p' } })), { image: `${host}/org/app`, provider: provider({ matchImages: [key] }) }));
  }
  // matchImages decides whether the plugin is called at all.
  for (const m of ['*.example', 'registry.*', '*.registry.example', `${HOST}:443`, `${HOST}/org`, `${HOST}/other`, `${HOST}/*`, 'registry.ex?mple', 'other.example', `https://${HOST}`]) {
    add(lookup(`matchImages ${json(m)}`, ['B2.matchImages'], json(response()), { provider: provider({ matchImages: [m] }) }));
  }
  // Images certify derives from matchImages (finding 7): the kubelet calls the plugin for them and its keys match.
  for (const { sample: pattern } of KNOWN_HOSTS) {
    const image = exampleImage([pattern]);
    if (!image) continue;
    add(lookup(`derived image for matchImages ${pattern}`, ['finding-7'], json(response({}, { [pattern]: { username: `u-${pattern}`, password: 'p' } })), { image, provider: provider({ matchImages: [pattern] }) }));
  }
  for (const pattern of ['*.registry.example', 'registry.example:5443/team', 'r?g.example', '[a-c]*.example/org', '*.*.example']) {
    const image = exampleImage([pattern]);
    if (image) add(lookup(`derived image for matchImages ${pattern}`, ['finding-7'], json(response({}, { [pattern]: { username: `u-${pattern}`, password: 'p' } })), { image, provider: provider({ matchImages: [pattern] }) }));
  }
  // Exec: exit codes, signals, no "#!", bad interpreter, not executable, hangs, held stdout, size (B3 exec, findings 1, 3, 4, 6).
  const ok = json(response());
  add(lookup('exit 1 with a message', ['B3.exec'], ok, { exit: 1, stderr: 'refused' }));
  add(lookup('exit 1 with klog lines', ['B3.exec', 'finding-6'], '', { exit: 1, stderr: 'I0101 12:00:00.000001    1 main.go:1] starting\nE0101 12:00:00.000002    1 main.go:2] failed: no such host' }));
  add(lookup('exit 2 without a message', ['B3.exec'], '', { exit: 2 }));
  add(lookup('exit 0 with stderr noise', ['valid'], ok, { exit: 0, stderr: 'W0101 12:00:00.000001    1 main.go:1] warning' }));
  add({ ...lookup('killed by SIGSEGV', ['B3.exec'], ok), script: `${shebang}cat >/dev/null\nkill -SEGV $$\n` });
  add({ ...lookup('no "#!" line', ['B3.exec', 'finding-3'], ok), script: `cat >/dev/null\ncat "$(dirname "$(readlink -f "$0")")/response"\n` });
  add({ ...lookup('"#!" names a missing interpreter', ['B3.exec'], ok), script: `#!/nonexistent/sh\ncat >/dev/null\n` });
  add({ ...lookup('an empty file', ['B3.exec'], ok), script: '' });
  add({ ...lookup('not executable', ['B2.binary'], ok), notExecutable: true });
  add({ ...lookup('hangs', ['B3.timeout'], ok), script: `${shebang}cat >/dev/null\nexec sleep 3600\n`, deadlineMs: 2500 });
  add({ ...lookup('answers, then a child holds stdout', ['B3.exec', 'held-stdout'], ok), script: `${shebang}cat >/dev/null\necho '${ok}'\nsleep 3600 &\nexit 0\n`, deadlineMs: 2500 });
  add({ ...lookup('answers, then a setsid child holds stdout', ['B3.exec', 'held-stdout', 'finding-1'], ok), script: `${shebang}cat >/dev/null\necho '${ok}'\nsetsid sleep 3600 &\nexit 0\n`, deadlineMs: 2500 });
  add({ ...lookup('answers, a child keeps running with stdout closed', ['B3.exec'], ok), script: `${shebang}cat >/dev/null\necho '${ok}'\nsleep 3600 >/dev/null 2>&1 &\nexit 0\n` });
  add({ ...lookup('never reads stdin', ['valid'], ok), script: `${shebang}cat "$(dirname "$(readlink -f "$0")")/response"\n` });
  add(lookup('a 5 MiB response', ['finding-4'], json(response({}, { [HOST]: { username: `u-${HOST}`, password: 'p'.repeat(5 << 20) } }))));
  add(lookup('a 5 MiB response with an unknown field at the end', ['finding-4', 'B3.strict'], json({ ...response({}, { [HOST]: { username: `u-${HOST}`, password: 'p'.repeat(5 << 20) } }), extra: true })));
  // Service-account mode (1.33+ with the gate; B3 token echo, B4).
  const sa = { name: 'puller', uid: 'uid-1', annotations: { 'example.com/id': '123', 'example.com/team': 'a' } };
  const saProvider = (over: Record<string, unknown> = {}): Record<string, unknown> => provider({ tokenAttributes: tokenAttributes(version, over) });
  const echo = json(response({}, { [HOST]: { username: `u-${HOST}`, password: TOKEN } }));
  const base = { gate: true, serviceAccount: sa, token: TOKEN };
  add(lookup('SA mode: a normal response', ['B4'], ok, { ...base, provider: saProvider() }));
  add(lookup('SA mode: the token echoed as password (cacheType ServiceAccount)', ['B3.token-echo'], echo, { ...base, provider: saProvider() }));
  if (traitsOf(version).cacheTypeField) {
    add(lookup('SA mode: the token echoed as password (cacheType Token)', ['B3.token-echo'], echo, { ...base, provider: saProvider({ cacheType: 'Token' }) }));
  }
  add(lookup('SA mode: the token echoed in the second of two entries', ['B3.token-echo'], json(response({}, { [HOST]: { username: `u-${HOST}`, password: 'p' }, '*.example': { username: 'u-*.example', password: TOKEN } })), { ...base, provider: saProvider() }));
  add(lookup('SA mode: a password that only starts with the token', ['B3.token-echo'], json(response({}, { [HOST]: { username: `u-${HOST}`, password: `${TOKEN}x` } })), { ...base, provider: saProvider() }));
  add(lookup('SA mode: the token as username', ['B3.token-echo'], json(response({}, { [HOST]: { username: TOKEN, password: 'p' } })), { ...base, provider: saProvider() }));
  add(lookup('SA mode: no service account, requireServiceAccount true', ['B4'], ok, { gate: true, provider: saProvider() }));
  add(lookup('SA mode: no service account, requireServiceAccount false', ['B4'], ok, { gate: true, provider: saProvider({ requireServiceAccount: false }) }));
  add(lookup('SA mode: a required annotation missing', ['B4'], ok, { ...base, provider: saProvider({ requiredServiceAccountAnnotationKeys: ['example.com/absent'] }) }));
  add(lookup('SA mode: required and optional annotations present', ['B4'], ok, { ...base, provider: saProvider({ requiredServiceAccountAnnotationKeys: ['example.com/id'], optionalServiceAccountAnnotationKeys: ['example.com/team', 'example.com/none'] }) }));
  add(lookup('SA mode: the service account does not exist', ['B4'], ok, { ...base, serviceAccount: { ...sa, missing: true }, provider: saProvider() }));
  add(lookup('SA mode with the gate off', ['B2.gate'], ok, { ...base, gate: false, provider: saProvider() }));
  return out;
}

const yamlDoc = (providers: string, apiVersion = CONFIG_V1): string => `apiVersion: ${apiVersion}\nkind: CredentialProviderConfig\nproviders:\n${providers}`;
const yamlProvider = (extra = '', name = 'plugin'): string => `- name: ${name}\n  matchImages: ["${HOST}"]\n  defaultCacheDuration: 1m\n  apiVersion: ${V1}\n${extra}`;

function providerConfigCases(version: KubernetesVersion): ProviderConfigCase[] {
  const out: ProviderConfigCase[] = [];
  const file = (id: string, covers: string[], text: string, gate?: boolean): void => {
    out.push({ kind: 'provider-config', id, covers, files: { 'config.yaml': text }, directory: false, ...(gate === undefined ? {} : { gate }) });
  };
  const ta = (lines: string): string => `  tokenAttributes:\n${lines.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
  const cacheType = traitsOf(version).cacheTypeField ? 'cacheType: ServiceAccount\n' : '';
  file('valid YAML', ['B2'], yamlDoc(yamlProvider()));
  file('valid JSON', ['B2', 'finding-5'], json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider()] }));
  file('JSON with a trailing comma', ['finding-5'], json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider()] }).replace(/]}$/, '],}'));
  file('JSON with a key twice', ['finding-5', 'B2.strict'], json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider()] }).replace('"kind":', '"kind":"CredentialProviderConfig","kind":'));
  file('JSON with a comment', ['finding-5'], `// c\n${json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider()] })}`);
  file('JSON after leading blank lines', ['finding-5'], `\n\n  ${json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider()] })}`);
  file('YAML with a key twice', ['B2.strict'], yamlDoc(yamlProvider('  defaultCacheDuration: 2m\n')));
  file('YAML flow style with a trailing comma', ['finding-5'], `{apiVersion: ${CONFIG_V1}, kind: CredentialProviderConfig, providers: [{name: plugin, matchImages: [${HOST}], defaultCacheDuration: 1m, apiVersion: ${V1},},],}`);
  for (const b of ['yes', 'no', 'on', 'off', 'y', 'n', 'True', 'FALSE', '"true"', '1']) {
    file(`requireServiceAccount: ${b}`, ['finding-5', 'B2.tokenAttributes'], yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: sts.example\nrequireServiceAccount: ${b}\n${cacheType}`))), true);
  }
  file('name: yes (a boolean where a string belongs)', ['finding-5', 'B2.strict'], yamlDoc(yamlProvider('', 'yes')));
  file('name: 123 (a number)', ['B2.strict'], yamlDoc(yamlProvider('', '123')));
  file('defaultCacheDuration: 10 (a number)', ['B2.strict'], yamlDoc(yamlProvider().replace('defaultCacheDuration: 1m', 'defaultCacheDuration: 10')));
  file('YAML anchors and aliases', ['B2'], `apiVersion: ${CONFIG_V1}\nkind: CredentialProviderConfig\nproviders:\n- &p\n  name: plugin\n  matchImages: ["${HOST}"]\n  defaultCacheDuration: 1m\n  apiVersion: ${V1}\n`);
  file('empty file', ['B2.decode'], '');
  file('two YAML documents', ['B2.decode'], `${yamlDoc(yamlProvider())}---\n${yamlDoc(yamlProvider('', 'second'))}`);
  // One row per validation rule (docs/specification.md B2; harness/credprovider/config.ts RULES).
  const rows: [string, string, string, boolean?][] = [
    ['decode.kind', 'wrong kind', yamlDoc(yamlProvider()).replace('kind: CredentialProviderConfig', 'kind: KubeletConfiguration')],
    ['decode.kind', 'wrong group', yamlDoc(yamlProvider(), 'kubelet.example.io/v1')],
    ['decode.kind', 'config v1beta1', yamlDoc(yamlProvider(), 'kubelet.config.k8s.io/v1beta1')],
    ['decode.kind', 'config v1alpha1', yamlDoc(yamlProvider(), 'kubelet.config.k8s.io/v1alpha1')],
    ['decode.kind', 'config v2', yamlDoc(yamlProvider(), 'kubelet.config.k8s.io/v2')],
    ['decode.unknown-field', 'unknown field matchImage', yamlDoc(yamlProvider('  matchImage: ["x"]\n'))],
    ['decode.unknown-field', 'tokenAttributes in config v1beta1', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\n${cacheType}`)), 'kubelet.config.k8s.io/v1beta1'), true],
    ['decode.unknown-field', 'cacheType (unknown before 1.34)', yamlDoc(yamlProvider(ta('serviceAccountTokenAudience: a\nrequireServiceAccount: true\ncacheType: ServiceAccount\n'))), true],
    ['decode.type', 'matchImages a string', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, `matchImages: ${HOST}`))],
    ['decode.duration', 'defaultCacheDuration "10 minutes"', yamlDoc(yamlProvider().replace('defaultCacheDuration: 1m', 'defaultCacheDuration: 10 minutes'))],
    ['providers.required', 'no providers', `apiVersion: ${CONFIG_V1}\nkind: CredentialProviderConfig\nproviders: []\n`],
    ['providers.required', 'providers missing', `apiVersion: ${CONFIG_V1}\nkind: CredentialProviderConfig\n`],
    ['name.slash', 'name with a slash', yamlDoc(yamlProvider('', 'bin/plugin'))],
    ['name.space', 'name with a space', yamlDoc(yamlProvider('', '"my plugin"'))],
    ['name.dot', 'name .', yamlDoc(yamlProvider('', '"."'))],
    ['name.dotdot', 'name ..', yamlDoc(yamlProvider('', '".."'))],
    ['name.duplicate', 'name twice', yamlDoc(yamlProvider() + yamlProvider())],
    ['name.empty', 'name empty', yamlDoc(yamlProvider('', '""'))],
    ['apiVersion.required', 'provider apiVersion missing', yamlDoc(yamlProvider().replace(`  apiVersion: ${V1}\n`, ''))],
    ['apiVersion.supported', 'provider apiVersion v2', yamlDoc(yamlProvider().replace(`apiVersion: ${V1}`, 'apiVersion: credentialprovider.kubelet.k8s.io/v2'))],
    ['matchImages.required', 'matchImages empty', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, 'matchImages: []'))],
    ['matchImages.parse', 'matchImages with a bad port', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, `matchImages: ["${HOST}:https"]`))],
    ['matchImages.parse', 'matchImages with a space', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, 'matchImages: ["a b.example"]'))],
    ['matchImages.parse', 'matchImages with a bad escape', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, `matchImages: ["${HOST}/%zz"]`))],
    ['matchImages.parse', 'matchImages with a scheme', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, `matchImages: ["https://${HOST}"]`))],
    ['matchImages.parse', 'matchImages with a path glob', yamlDoc(yamlProvider().replace(`matchImages: ["${HOST}"]`, `matchImages: ["${HOST}/*"]`))],
    ['defaultCacheDuration.required', 'defaultCacheDuration missing', yamlDoc(yamlProvider().replace('  defaultCacheDuration: 1m\n', ''))],
    ['defaultCacheDuration.negative', 'defaultCacheDuration -1m', yamlDoc(yamlProvider().replace('defaultCacheDuration: 1m', 'defaultCacheDuration: -1m'))],
    ['defaultCacheDuration.zero', 'defaultCacheDuration 0', yamlDoc(yamlProvider().replace('defaultCacheDuration: 1m', 'defaultCacheDuration: "0"'))],
    ['tokenAttributes.gate', 'tokenAttributes with the gate off', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\n${cacheType}`))), false],
    ['tokenAttributes.gate', 'tokenAttributes with the default gate', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\n${cacheType}`)))],
    ['tokenAttributes.audience', 'audience empty', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: ""\nrequireServiceAccount: true\n${cacheType}`))), true],
    ['tokenAttributes.requireServiceAccount', 'requireServiceAccount missing', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\n${cacheType}`))), true],
    ['tokenAttributes.apiVersion', 'tokenAttributes with provider v1beta1', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\n${cacheType}`)).replace(`apiVersion: ${V1}`, `apiVersion: ${V1BETA1}`)), true],
    ['tokenAttributes.required-keys-without-sa', 'required keys with requireServiceAccount false', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: false\nrequiredServiceAccountAnnotationKeys: ["example.com/id"]\n${cacheType}`))), true],
    ['annotationKeys.qualified', 'annotation key not qualified', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\noptionalServiceAccountAnnotationKeys: ["example.com/not valid!"]\n${cacheType}`))), true],
    ['annotationKeys.qualified', 'annotation key with upper-case prefix', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\noptionalServiceAccountAnnotationKeys: ["Example.COM/Id"]\n${cacheType}`))), true],
    ['annotationKeys.duplicate', 'annotation key twice', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: ["example.com/id", "example.com/id"]\n${cacheType}`))), true],
    ['annotationKeys.overlap', 'annotation key required and optional', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: ["example.com/id"]\noptionalServiceAccountAnnotationKeys: ["example.com/id"]\n${cacheType}`))), true],
    ['cacheType.required', 'cacheType missing', yamlDoc(yamlProvider(ta('serviceAccountTokenAudience: a\nrequireServiceAccount: true\n'))), true],
    ['cacheType.supported', 'cacheType Pod', yamlDoc(yamlProvider(ta('serviceAccountTokenAudience: a\nrequireServiceAccount: true\ncacheType: Pod\n'))), true],
    ['cacheType.supported', 'cacheType Token', yamlDoc(yamlProvider(ta('serviceAccountTokenAudience: a\nrequireServiceAccount: true\ncacheType: Token\n'))), true],
    ['valid', 'full service-account provider', yamlDoc(yamlProvider(ta(`serviceAccountTokenAudience: a\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: ["example.com/id"]\noptionalServiceAccountAnnotationKeys: ["example.com/team"]\n${cacheType}`) + '  args: ["--v=2"]\n  env:\n  - name: A\n    value: b\n')), true],
  ];
  for (const [rule, label, text, gate] of rows) file(`${rule}: ${label}`, [`B2.${rule}`], text, gate);
  // Directories (1.34+ read them; older kubelets read one file).
  const dir = (id: string, covers: string[], files: Record<string, string>): void => {
    out.push({ kind: 'provider-config', id, covers, files, directory: true });
  };
  dir('directory: two files', ['finding-5', 'B2.directory'], { 'a.yaml': yamlDoc(yamlProvider('', 'a')), 'b.json': json({ apiVersion: CONFIG_V1, kind: 'CredentialProviderConfig', providers: [provider({ name: 'b' })] }) });
  dir('directory: one name in two files', ['B2.directory.duplicate'], { 'a.yaml': yamlDoc(yamlProvider()), 'b.yml': yamlDoc(yamlProvider()) });
  dir('directory: no config files', ['B2.directory.empty'], { 'notes.txt': 'x' });
  dir('directory: one file with no providers, one with', ['B2.directory'], { 'a.yaml': `apiVersion: ${CONFIG_V1}\nkind: CredentialProviderConfig\nproviders: []\n`, 'b.yaml': yamlDoc(yamlProvider()) });
  dir('directory: a bad file among good ones', ['B2.directory'], { 'a.yaml': yamlDoc(yamlProvider('', 'a')), 'b.yaml': yamlDoc(yamlProvider('', 'b/c')) });
  dir('directory: other files ignored', ['B2.directory'], { 'a.yaml': yamlDoc(yamlProvider()), 'README': 'not yaml: [', 'c.conf': '{' });
  return out;
}

function kubeletConfigCases(): KubeletConfigCase[] {
  const k = (id: string, settings: KubeletSettings): KubeletConfigCase => ({ kind: 'kubelet-config', id, covers: ['kubelet-config'], settings });
  const ESP = 'KubeletEnsureSecretPulledImages';
  const SAT = 'KubeletServiceAccountTokenForCredentialProviders';
  return [
    k('nothing set', {}),
    k('ensure-secret gate on', { featureGates: { [ESP]: true } }),
    k('ensure-secret gate off', { featureGates: { [ESP]: false } }),
    k('SA-token gate on', { featureGates: { [SAT]: true } }),
    k('SA-token gate off', { featureGates: { [SAT]: false } }),
    k('an unknown gate', { featureGates: { NoSuchGate: true } }),
    k('the v1.33 blog\'s gate name', { featureGates: { ServiceAccountTokenForKubeletCredentialProviders: true } }),
    ...['NeverVerify', 'NeverVerifyPreloadedImages', 'AlwaysVerify', 'NeverVerifyAllowlistedImages', 'Sometimes'].flatMap((policy) => [
      k(`policy ${policy}, gate on`, { featureGates: { [ESP]: true }, imagePullCredentialsVerificationPolicy: policy as KubeletSettings['imagePullCredentialsVerificationPolicy'] }),
      k(`policy ${policy}, gate off`, { featureGates: { [ESP]: false }, imagePullCredentialsVerificationPolicy: policy as KubeletSettings['imagePullCredentialsVerificationPolicy'] }),
    ]),
    ...[['registry.example/org/*'], ['registry.example/org/app'], ['nginx'], ['*'], ['registry.example/org/app:1.0'], ['registry.example/*/app'], [' registry.example/a'], ['registry.example:5000/a/*']].map((allow) =>
      k(`allowlist ${JSON.stringify(allow)}`, { featureGates: { [ESP]: true }, imagePullCredentialsVerificationPolicy: 'NeverVerifyAllowlistedImages', preloadedImagesVerificationAllowlist: allow })),
    k('allowlist with another policy', { featureGates: { [ESP]: true }, imagePullCredentialsVerificationPolicy: 'AlwaysVerify', preloadedImagesVerificationAllowlist: ['registry.example/org/*'] }),
    ...[1, 5, 31, 0, -1].map((n) => k(`maxParallelImagePulls ${n}`, { maxParallelImagePulls: n })),
    k('maxParallelImagePulls 5 with serializeImagePulls true', { maxParallelImagePulls: 5, serializeImagePulls: true }),
    k('failCgroupV1 false', { failCgroupV1: false }),
    k('failCgroupV1 true', { failCgroupV1: true }),
  ];
}

/** Every case for one Kubernetes version. */
export function corpus(version: KubernetesVersion): Case[] {
  return [...lookupCases(version), ...providerConfigCases(version), ...kubeletConfigCases()];
}
