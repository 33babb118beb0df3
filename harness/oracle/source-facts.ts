// Facts about a Kubernetes release read from its own source (the k8s.io/kubernetes module the Go module
// proxy serves), never typed from memory: each fact with the file it came from. `pullproof versions read`
// checks the version table (versions.ts) against them, and `pullproof versions diff A B` lists what
// changed between two releases (facts, and the files of the code the oracle models), so a new release's
// behavioural changes are found by a diff and then reviewed into the oracle.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENSURE_SECRET_PULLED_IMAGES, SA_NODE_AUDIENCE_RESTRICTION, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, compareVersions, factsOf, type MinorFacts } from './versions.ts';

export interface SourceFact {
  /** e.g. "gate KubeletEnsureSecretPulledImages". */
  name: string;
  /** The value as read, in words ("absent" when the release does not have it). */
  value: string;
  /** The file it was read from, relative to the module root. */
  file: string;
  /** A build fact (the Go toolchain) changes how pullproof builds, not what the kubelet does. */
  build?: boolean;
}

export interface ReleaseSource {
  release: string;
  facts: SourceFact[];
  /** sha256 of every non-test Go file of the code the oracle models, by path. */
  files: Record<string, string>;
}

/** The code the oracle models: a change in any of these files is a behaviour to review. */
export const WATCHED = [
  'pkg/kubelet/images',
  'pkg/credentialprovider',
  'pkg/kubelet/apis/config',
  'plugin/pkg/admission/noderestriction',
  'pkg/features/kube_features.go',
];

const GATES = [ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, SA_NODE_AUDIENCE_RESTRICTION];

function read(dir: string, file: string): string | undefined {
  const p = join(dir, file);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** A gate's versioned specs in a features file: "{1.33, false, Alpha}, {1.35, true, Beta}". */
export function gateSpecs(text: string, gate: string): string | undefined {
  const block = new RegExp(`^\\s*${gate}: \\{\\n([\\s\\S]*?)^\\s*\\},`, 'm').exec(text)?.[1];
  if (block === undefined) return undefined;
  const specs = [...block.matchAll(/\{Version: version\.MustParse\("([\d.]+)"\), Default: (true|false)(?:, LockToDefault: (true|false))?, PreRelease: featuregate\.(\w+)\}/g)]
    .map((m) => `{${m[1]}, ${m[2]}, ${m[4] === 'GA' ? 'GA' : m[4]}${m[3] === 'true' ? ', locked' : ''}}`);
  return specs.length ? specs.join(', ') : undefined;
}

/** Reads the facts from an unpacked k8s.io/kubernetes module. */
export function readSourceFacts(release: string, moduleDir: string): ReleaseSource {
  const facts: SourceFact[] = [];
  const add = (name: string, value: string, file: string): void => { facts.push({ name, value, file }); };

  facts.push({ name: 'Go toolchain', value: read(moduleDir, '.go-version')?.trim() ?? 'absent', file: '.go-version', build: true });

  // 1.32 declares versioned gates in their own file; later releases in kube_features.go.
  const featureFiles = ['pkg/features/kube_features.go', 'pkg/features/versioned_kube_features.go'];
  for (const gate of GATES) {
    const found = featureFiles.map((f) => ({ f, specs: gateSpecs(read(moduleDir, f) ?? '', gate) })).find((x) => x.specs);
    add(`gate ${gate}`, found?.specs ?? 'absent', found?.f ?? featureFiles[0] ?? '');
  }

  const records = 'pkg/kubelet/images/pullmanager/fs_pullrecords.go';
  // 1.35+: `var encodeVersion = kubeletconfigv1beta1.SchemeGroupVersion`; 1.33 and 1.34 name the version in the encoder.
  const recordsText = read(moduleDir, records) ?? '';
  const enc = /var encodeVersion = kubeletconfig(v1alpha1|v1beta1)\.SchemeGroupVersion/.exec(recordsText)?.[1]
    ?? /EncoderForVersion\(info\.Serializer, kubeletconfig(v1alpha1|v1beta1)\.SchemeGroupVersion\)/.exec(recordsText)?.[1];
  add('pull record API version written', enc ?? 'absent', records);

  const manager = 'pkg/kubelet/images/pullmanager/image_pull_manager.go';
  const limit = /const writeRecordWhileMatchingLimit = (\d+)/.exec(read(moduleDir, manager) ?? '')?.[1];
  add('writeRecordWhileMatchingLimit', limit ?? 'absent', manager);

  const defaults = 'pkg/kubelet/apis/config/v1beta1/defaults.go';
  const policy = /obj\.ImagePullCredentialsVerificationPolicy = kubeletconfigv1beta1\.(\w+)/.exec(read(moduleDir, defaults) ?? '')?.[1];
  add('default imagePullCredentialsVerificationPolicy', policy ?? 'absent', defaults);

  const kubeadm = 'cmd/kubeadm/app/util/config/common.go';
  const kubeadmText = read(moduleDir, kubeadm) ?? '';
  const old = /oldKnownAPIVersions := map\[string\]string\{([\s\S]*?)\}/.exec(kubeadmText)?.[1] ?? '';
  const v1beta3Old = /"kubeadm\.k8s\.io\/v1beta3"/.test(old);
  add('kubeadm config APIs read', kubeadmText ? (v1beta3Old ? 'v1beta4' : 'v1beta3, v1beta4') : 'absent', kubeadm);

  const files: Record<string, string> = {};
  const walk = (rel: string): void => {
    const abs = join(moduleDir, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const e of readdirSync(abs).sort()) walk(join(rel, e));
    } else if (rel.endsWith('.go') && !rel.endsWith('_test.go') && !rel.includes('/testing/')) {
      files[relative(moduleDir, abs)] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
  };
  for (const w of WATCHED) walk(w);
  return { release, facts, files };
}

/** A gate's stage and default in words, as the table and the source are compared: "beta, on by default". */
export function gateWords(stage: string, defaultOn: boolean): string {
  return `${stage}, ${defaultOn ? 'on' : 'off'} by default`;
}

/** What the version table says for the same facts, to check it against the source. */
export function tableFacts(f: MinorFacts): Record<string, string> {
  const gate = (g: MinorFacts['ensureSecretPulledImages']): string => (g ? gateWords(g.stage, g.defaultOn) : 'absent');
  return {
    [`gate ${ENSURE_SECRET_PULLED_IMAGES}`]: gate(f.ensureSecretPulledImages),
    [`gate ${SA_TOKEN_FOR_CREDENTIAL_PROVIDERS}`]: gate(f.saTokenForCredentialProviders),
    [`gate ${SA_NODE_AUDIENCE_RESTRICTION}`]: gate(f.serviceAccountNodeAudienceRestriction),
    'pull record API version written': f.recordApiVersion ?? 'absent',
    'kubeadm config APIs read': f.kubeadmConfigApisRead.join(', '),
  };
}

/** A gate's stage and default at a minor from its specs (the last spec at or below the minor). */
export function gateAt(specs: string, minor: number): string {
  if (specs === 'absent') return 'absent';
  let out = 'absent';
  for (const m of specs.matchAll(/\{1\.(\d+), (true|false), (\w+)/g)) {
    if (Number(m[1]) <= minor) out = gateWords((m[3] ?? '').toLowerCase(), m[2] === 'true');
  }
  return out;
}

export interface TableMismatch { fact: string; table: string; source: string; file: string }

/** Where the version table disagrees with the release's source (a fact the oracle does not model is not listed). */
export function checkTable(src: ReleaseSource, minor: number): TableMismatch[] {
  const f = factsOf(minor);
  if (!f) return [];
  const table = tableFacts(f);
  const out: TableMismatch[] = [];
  for (const fact of src.facts) {
    const expected = table[fact.name];
    if (expected === undefined) continue;
    const read = fact.name.startsWith('gate ') ? gateAt(fact.value, minor) : fact.value;
    if (read !== expected) out.push({ fact: fact.name, table: expected, source: read, file: fact.file });
  }
  return out;
}

export interface SourceDiff {
  a: string;
  b: string;
  facts: { name: string; a: string; b: string; file: string; build?: boolean }[];
  files: { added: string[]; removed: string[]; changed: string[] };
}

export function diffSources(a: ReleaseSource, b: ReleaseSource): SourceDiff {
  const facts = b.facts.flatMap((fb) => {
    const fa = a.facts.find((x) => x.name === fb.name);
    return fa && fa.value === fb.value ? [] : [{ name: fb.name, a: fa?.value ?? 'absent', b: fb.value, file: fb.file, ...(fb.build ? { build: true } : {}) }];
  });
  const added = Object.keys(b.files).filter((p) => !(p in a.files));
  const removed = Object.keys(a.files).filter((p) => !(p in b.files));
  const changed = Object.keys(b.files).filter((p) => p in a.files && a.files[p] !== b.files[p]);
  return { a: a.release, b: b.release, facts, files: { added, removed, changed } };
}

/** Behavioural facts that changed (build facts such as the Go toolchain do not count). */
export function behaviourChanged(d: SourceDiff): number {
  return d.facts.filter((f) => !f.build).length;
}

export function formatDiff(d: SourceDiff): string {
  const lines = [
    `pullproof versions diff ${d.a} ${d.b} (read from each release's k8s.io/kubernetes module)`,
    '',
    `Facts changed: ${d.facts.length}`,
    ...d.facts.map((f) => `  ${f.name}: ${f.a} -> ${f.b}  (${f.file})${f.build ? ' [how pullproof builds it, not what the kubelet does]' : ''}`),
    '',
    `Files of the code the oracle models (${WATCHED.join(', ')}; non-test Go files):`,
    `  changed: ${d.files.changed.length}`, ...d.files.changed.map((p) => `    ${p}`),
    `  added: ${d.files.added.length}`, ...d.files.added.map((p) => `    ${p}`),
    `  removed: ${d.files.removed.length}`, ...d.files.removed.map((p) => `    ${p}`),
  ];
  if (d.facts.length || d.files.changed.length || d.files.added.length || d.files.removed.length) {
    lines.push('', 'Review each change into the oracle (harness/oracle/) and docs/specification.md before trusting its predictions for the newer release.');
  }
  return lines.join('\n') + '\n';
}

export interface MinorCandidates {
  minor: number;
  /** The release the version table pins, or undefined for a minor it does not model yet. */
  pinned?: string;
  /** Releases and pre-releases of the minor newer than the pinned one, newest first. */
  newer: string[];
}

/**
 * The tags the module proxy lists, per minor, newer than what the version table pins (newest first),
 * for every modelled minor and any newer minor the table lacks. Versions that are not Kubernetes
 * releases or pre-releases are left out.
 */
export function candidatesByMinor(listed: readonly string[], pinned: readonly { minor: number; release: string }[]): MinorCandidates[] {
  const valid = listed.map((v) => v.trim()).filter((v) => /^v1\.\d+\.\d+(?:-(?:alpha|beta|rc)\.\d+)?$/.test(v));
  const minorOfTag = (v: string): number => Number(v.split('.')[1]);
  const newest = Math.max(...pinned.map((p) => p.minor));
  const minors = [...new Set([...pinned.map((p) => p.minor), ...valid.map(minorOfTag).filter((m) => m > newest)])].sort((a, b) => a - b);
  return minors.map((minor) => {
    const pin = pinned.find((p) => p.minor === minor)?.release;
    const newer = valid.filter((v) => minorOfTag(v) === minor && (!pin || compareVersions(v, pin) > 0)).sort(compareVersions).reverse();
    return { minor, ...(pin ? { pinned: pin } : {}), newer };
  });
}

/** Rewrites the release a minor's row pins in versions.ts's text (the row must exist). */
export function pinRelease(versionsTs: string, minor: number, release: string): string {
  const re = new RegExp(`(minor: ${minor}, release: ')(v[^']+)(')`);
  if (!re.test(versionsTs)) throw new Error(`versions.ts has no row for minor ${minor}`);
  return versionsTs.replace(re, `$1${release}$3`);
}
