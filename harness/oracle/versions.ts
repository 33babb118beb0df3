// The one place that knows what each Kubernetes version is and can do (docs/specification.md A1, A2,
// A6, A9, B1, B2). Everything else asks here: the oracle, the kubelet configuration writer, the
// credential-provider rules, the node image builder and the command line's version checks. A fact
// that is inferred rather than read from code says so in `source`.
import { UsageError } from '../errors.ts';

export const ENSURE_SECRET_PULLED_IMAGES = 'KubeletEnsureSecretPulledImages';
export const SA_TOKEN_FOR_CREDENTIAL_PROVIDERS = 'KubeletServiceAccountTokenForCredentialProviders';
export const SA_NODE_AUDIENCE_RESTRICTION = 'ServiceAccountNodeAudienceRestriction';

export type Stage = 'alpha' | 'beta' | 'ga';

export interface GateFact {
  stage: Stage;
  defaultOn: boolean;
  source: string;
}

export interface MinorFacts {
  minor: number;
  /** The release pullproof builds and tests for this minor (the newest the Go module proxy serves here). */
  release: string;
  /**
   * The release this minor's facts and the oracle's rules were read and reviewed at. `versions latest
   * --write` moves `release`, never this: until the diff from here is reviewed into the oracle, every
   * report of another release of the minor says so (unmodelledIn).
   */
  reviewedAt: string;
  /** What the release does that the oracle does not model yet, each with its file: a warning in every report of it. */
  unmodelled?: string[];
  /** KEP-2535 gate; absent: the kubelet does not know it (and refuses it as an unrecognized gate). */
  ensureSecretPulledImages?: GateFact;
  /** KEP-4412 kubelet gate. */
  saTokenForCredentialProviders?: GateFact;
  /** API server gate that restricts the audiences a kubelet may request (B1, B5). */
  serviceAccountNodeAudienceRestriction: GateFact;
  /** API version of the pull records this kubelet writes (A6); absent before 1.33. */
  recordApiVersion?: 'v1alpha1' | 'v1beta1';
  /** Record versions this kubelet's strict decoder reads. */
  recordApiVersionsRead: ('v1alpha1' | 'v1beta1')[];
  /** Rewrites records of other versions to its own at start (PR #132579, 1.35). */
  migratesRecords: boolean;
  /** Reads records through a write-through in-memory cache (A8, PR #131882, 1.35): edits on disk need a restart. */
  recordCache: boolean;
  /** Records carry kubernetesServiceAccounts (staging commit 472567c, PR #132771: 1.34). */
  recordsServiceAccounts: boolean;
  /**
   * The pod's credentials (a service-account plugin exec with its STS exchange) are resolved before the
   * record is consulted, not only when a record has credentials to compare. Observed on v1.33.13
   * (2026-11-29): one STS exchange for a Never pod whose image's record is nodePodsAccessible; 1.34+ do
   * not (sync.OnceValues, resolved on demand).
   */
  resolvesCredentialsFirst?: boolean;
  /** CredentialProviderConfig v1 has tokenAttributes (1.33). */
  tokenAttributes: boolean;
  /** tokenAttributes.cacheType exists and is required (1.34, #132617). */
  cacheTypeRequired: boolean;
  /** The token-echo rule: a password equal to the SA token is refused unless cacheType Token (1.34). */
  tokenEchoRule: boolean;
  /** --image-credential-provider-config may be a directory (1.34, #131658). */
  credentialProviderConfigDirectory: boolean;
  /**
   * #137629 (v1.36.0): the allowlist is matched against the pod's image with its tag and digest trimmed
   * (trimImageTagDigest), and exact entries are validated by parsing without normalising, so a familiar
   * entry (nginx, org/app) is accepted and matches the familiar name; neither side is normalised (read in
   * k8s.io/kubernetes v1.36.3 and v1.37.2 pkg/kubelet/images/pullmanager/image_pull_policies.go; observed
   * on v1.37.2). Before, entries had to equal ParseNormalizedNamed(entry).Name() (fully qualified) and the
   * pod's image string was compared with its tag.
   */
  allowlistTrimsTag: boolean;
  /** kubelet_imagemanager_image_mustpull_checks_total and kubelet_image_manager_ensure_image_requests_total exist (1.35). */
  imageManagerMetrics: boolean;
  /** KubeletConfiguration knows failCgroupV1 (1.31). */
  failCgroupV1Field: boolean;
  /**
   * kubeadm config APIs this minor's kubeadm reads without extra flags (cmd/kubeadm/app/util/config/common.go
   * and apis/kubeadm/scheme at the release): v1beta3 and v1beta4 up to 1.36; 1.37 refuses v1beta3 as "an
   * old API spec" (kubernetes#136016) and knows v1 only as experimental (--allow-experimental-api).
   */
  kubeadmConfigApisRead: readonly KubeadmConfigApi[];
  /** The kubeadm config API the chosen kind release writes for this minor (see KIND_RELEASES). */
  kubeadmConfigApi: KubeadmConfigApi;
  /** kind release used to build and create node images of this minor (its CLI, base files and runtime pins). */
  kind: string;
}

export type KubeadmConfigApi = 'v1beta3' | 'v1beta4';

/** The node's programs besides Kubernetes (etcd's version comes from the built kubeadm's image list). */
export interface NodeRuntime {
  containerd: string;
  runc: string;
  crictl: string;
  cniPlugins: string;
}

export interface KindRelease {
  version: string;
  /** First Kubernetes minor for which this kind writes kubeadm v1beta4 (pkg/cluster/internal/kubeadm/config.go); absent: v1beta3 for every minor >= 1.23. */
  v1beta4FromMinor?: number;
  /** The images/base/Dockerfile ARG defaults at the tag (read in the module zip), for the record. */
  upstream: NodeRuntime & { debian: string };
  /** What pullproof builds into a node for this release: upstream's pins wherever the Go module proxy serves them. */
  runtime: NodeRuntime;
  /** Why runtime differs from upstream, where it does. */
  note?: string;
}

/**
 * kind releases pullproof knows. Every release's images/base/files (entrypoint, units, containerd
 * config) is byte-identical from v0.31.0 to v0.33.0; the node's Debian is always bookworm (systemd 252,
 * which still runs on cgroup v1 hosts), not the trixie of v0.32+'s own base image.
 */
export const KIND_RELEASES: readonly KindRelease[] = [
  {
    version: 'v0.31.0',
    upstream: { debian: 'bookworm-slim', containerd: 'v2.2.0', runc: 'v1.2.9', crictl: 'v1.33.0', cniPlugins: 'v1.8.0' },
    runtime: { containerd: 'v2.2.0', runc: 'v1.2.9', crictl: 'v1.34.0', cniPlugins: 'v1.8.0' },
    note: 'crictl v1.33.0 is not served by the module proxy here (403); v1.34.0 is, without a checksum database entry (hash pinned in harness/nodeimage/components.ts)',
  },
  {
    version: 'v0.32.0', v1beta4FromMinor: 36,
    upstream: { debian: 'trixie-slim', containerd: 'v2.3.1', runc: 'v1.4.2', crictl: 'v1.36.0', cniPlugins: 'v1.9.1' },
    runtime: { containerd: 'v2.3.1', runc: 'v1.4.2', crictl: 'v1.36.0', cniPlugins: 'v1.9.1' },
  },
  {
    version: 'v0.33.0', v1beta4FromMinor: 36,
    upstream: { debian: 'trixie-slim', containerd: 'v2.3.4', runc: 'v1.4.3', crictl: 'v1.36.0', cniPlugins: 'v1.9.1' },
    runtime: { containerd: 'v2.3.4', runc: 'v1.4.3', crictl: 'v1.36.0', cniPlugins: 'v1.9.1' },
  },
];

const A1 = 'docs/specification.md A1';
const B1 = 'docs/specification.md B1';

const ESP_ALPHA: GateFact = { stage: 'alpha', defaultOn: false, source: `${A1}: kube_features.go {1.33, false, Alpha}` };
const ESP_BETA: GateFact = { stage: 'beta', defaultOn: true, source: `${A1}: kube_features.go {1.35, true, Beta} (PR #135228)` };
const ESP_BETA_INFERRED: GateFact = { ...ESP_BETA, source: `${A1}: beta inferred (kep.yaml stage beta, no stable milestone)` };
const SAT_ALPHA: GateFact = { stage: 'alpha', defaultOn: false, source: `${B1}: alpha in 1.33 (PR #128372)` };
const SAT_BETA: GateFact = { stage: 'beta', defaultOn: true, source: `${B1}: beta and on from 1.34 (PR #133017)` };
const SAT_BETA_INFERRED: GateFact = { ...SAT_BETA, source: `${B1}: beta inferred (kep.yaml stage beta)` };
// Read in pkg/features/kube_features.go at v1.38.0-beta.0 (the same specs as at v1.37.2): still beta, on.
const ESP_BETA_138: GateFact = { stage: 'beta', defaultOn: true, source: `${A1}: kube_features.go at v1.38.0-beta.0: {1.33, false, Alpha}, {1.35, true, Beta}` };
const SAT_BETA_138: GateFact = { stage: 'beta', defaultOn: true, source: `${B1}: kube_features.go at v1.38.0-beta.0: {1.33, false, Alpha}, {1.34, true, Beta}` };
// 1.32 patch releases switched it off (#130015); beta and on from 1.33 (#130017).
const AUD_132: GateFact = { stage: 'beta', defaultOn: false, source: `${B1}: switched off in 1.32 patch releases (#130015)` };
const AUD_ON: GateFact = { stage: 'beta', defaultOn: true, source: `${B1}: beta and on from 1.33 (#130017)` };

const common = {
  failCgroupV1Field: true,
  kubeadmConfigApisRead: ['v1beta3', 'v1beta4'] as const,
  kubeadmConfigApi: 'v1beta3' as const,
};

/** Facts per minor version, oldest first. */
export const MINORS: readonly MinorFacts[] = [
  {
    ...common, minor: 32, release: 'v1.32.13', reviewedAt: 'v1.32.13', serviceAccountNodeAudienceRestriction: AUD_132,
    recordApiVersionsRead: [], migratesRecords: false, recordCache: false, recordsServiceAccounts: false, tokenAttributes: false, cacheTypeRequired: false,
    tokenEchoRule: false, credentialProviderConfigDirectory: false, allowlistTrimsTag: false, imageManagerMetrics: false, kind: 'v0.31.0',
  },
  {
    ...common, minor: 33, release: 'v1.33.13', reviewedAt: 'v1.33.13', ensureSecretPulledImages: ESP_ALPHA, saTokenForCredentialProviders: SAT_ALPHA,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1alpha1', recordApiVersionsRead: ['v1alpha1'], migratesRecords: false, recordCache: false,
    recordsServiceAccounts: false, resolvesCredentialsFirst: true, tokenAttributes: true, cacheTypeRequired: false, tokenEchoRule: false, credentialProviderConfigDirectory: false,
    allowlistTrimsTag: false, imageManagerMetrics: false, kind: 'v0.31.0',
  },
  {
    ...common, minor: 34, release: 'v1.34.4', reviewedAt: 'v1.34.4', ensureSecretPulledImages: ESP_ALPHA, saTokenForCredentialProviders: SAT_BETA,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1alpha1', recordApiVersionsRead: ['v1alpha1'], migratesRecords: false, recordCache: false,
    recordsServiceAccounts: true, tokenAttributes: true, cacheTypeRequired: true, tokenEchoRule: true, credentialProviderConfigDirectory: true,
    allowlistTrimsTag: false, imageManagerMetrics: false, kind: 'v0.31.0',
  },
  {
    ...common, minor: 35, release: 'v1.35.4', reviewedAt: 'v1.35.4', ensureSecretPulledImages: ESP_BETA, saTokenForCredentialProviders: SAT_BETA,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1beta1', recordApiVersionsRead: ['v1alpha1', 'v1beta1'], migratesRecords: true, recordCache: true,
    recordsServiceAccounts: true, tokenAttributes: true, cacheTypeRequired: true, tokenEchoRule: true, credentialProviderConfigDirectory: true,
    allowlistTrimsTag: false, imageManagerMetrics: true, kind: 'v0.31.0',
  },
  {
    ...common, minor: 36, release: 'v1.36.3', reviewedAt: 'v1.36.3', ensureSecretPulledImages: ESP_BETA_INFERRED, saTokenForCredentialProviders: SAT_BETA_INFERRED,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1beta1', recordApiVersionsRead: ['v1alpha1', 'v1beta1'], migratesRecords: true, recordCache: true,
    recordsServiceAccounts: true, tokenAttributes: true, cacheTypeRequired: true, tokenEchoRule: true, credentialProviderConfigDirectory: true,
    allowlistTrimsTag: true, imageManagerMetrics: true, kubeadmConfigApi: 'v1beta4', kind: 'v0.33.0',
  },
  {
    ...common, minor: 37, release: 'v1.37.2', reviewedAt: 'v1.37.2', ensureSecretPulledImages: ESP_BETA_INFERRED, saTokenForCredentialProviders: SAT_BETA_INFERRED,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1beta1', recordApiVersionsRead: ['v1alpha1', 'v1beta1'], migratesRecords: true, recordCache: true,
    recordsServiceAccounts: true, tokenAttributes: true, cacheTypeRequired: true, tokenEchoRule: true, credentialProviderConfigDirectory: true,
    allowlistTrimsTag: true, imageManagerMetrics: true, kubeadmConfigApisRead: ['v1beta4'], kubeadmConfigApi: 'v1beta4', kind: 'v0.33.0',
  },
  {
    // A pre-release (1.38.0 is scheduled for 2026-12-16). Read at v1.38.0-beta.0 against v1.37.2: the
    // gates' specs, pkg/kubelet/images (pull manager, policies, records), pkg/credentialprovider and the
    // kubelet's credential provider API are unchanged; KubeletConfiguration gains only the certificate key
    // algorithm fields; kubeadm reads v1beta4 (v1 experimental); Go 1.27.3 (.go-version).
    ...common, minor: 38, release: 'v1.38.0-beta.0', reviewedAt: 'v1.38.0-beta.0', ensureSecretPulledImages: ESP_BETA_138, saTokenForCredentialProviders: SAT_BETA_138,
    serviceAccountNodeAudienceRestriction: AUD_ON, recordApiVersion: 'v1beta1', recordApiVersionsRead: ['v1alpha1', 'v1beta1'], migratesRecords: true, recordCache: true,
    recordsServiceAccounts: true, tokenAttributes: true, cacheTypeRequired: true, tokenEchoRule: true, credentialProviderConfigDirectory: true,
    allowlistTrimsTag: true, imageManagerMetrics: true, kubeadmConfigApisRead: ['v1beta4'], kubeadmConfigApi: 'v1beta4', kind: 'v0.33.0',
  },
];

export const OLDEST_MINOR = MINORS[0]?.minor ?? 32;
export const NEWEST_MINOR = MINORS[MINORS.length - 1]?.minor ?? 38;
/** The releases pullproof builds and tests, one per minor. */
export const TESTED_RELEASES: readonly string[] = MINORS.map((m) => m.release);
/** The control plane (node image) used when nothing asks for a newer one. */
export const DEFAULT_CONTROL_PLANE = 'v1.35.4';

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** e.g. "-rc.1" or "-dirty"; empty for a release. */
  suffix: string;
  /** A Kubernetes pre-release (-alpha.N, -beta.N, -rc.N); absent for a release or another suffix. */
  preRelease?: { kind: PreReleaseKind; n: number };
  text: string;
}

export type PreReleaseKind = 'alpha' | 'beta' | 'rc';
const PRE_ORDER: Record<PreReleaseKind, number> = { alpha: 0, beta: 1, rc: 2 };

const RELEASE_RE = /^v(\d+)\.(\d+)\.(\d+)(?:-(alpha|beta|rc)\.(\d+))?$/;
const ANY_RE = /^v?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z.+-]*)?$/;
const PRE_RE = /^-(alpha|beta|rc)\.(\d+)$/;

function preReleaseOf(suffix: string): Version['preRelease'] {
  const m = PRE_RE.exec(suffix);
  return m ? { kind: m[1] as PreReleaseKind, n: Number(m[2]) } : undefined;
}

/**
 * Parses an exact release or pre-release as Kubernetes tags them: v1.35.4, v1.38.0-beta.0, v1.38.0-rc.1
 * (usage error naming the field otherwise).
 */
export function parseRelease(text: string, field = '--kubernetes'): Version {
  const m = RELEASE_RE.exec(text.trim());
  if (!m) throw new UsageError(field, `"${text}" is not a Kubernetes release version`, 'give an exact release such as v1.35.4, or a pre-release such as v1.38.0-beta.0 or v1.38.0-rc.1 (with the leading v)');
  const suffix = m[4] ? `-${m[4]}.${m[5]}` : '';
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), suffix, preRelease: preReleaseOf(suffix), text: text.trim() };
}

/** Whether a version is a Kubernetes pre-release (alpha, beta or release candidate). */
export function isPreRelease(version: string): boolean {
  return parseAnyVersion(version)?.preRelease !== undefined;
}

/** "v1.38.0-beta.0 (pre-release)" for a pre-release, the version itself otherwise: how reports name a version. */
export function versionLabel(version: string): string {
  return isPreRelease(version) ? `${version} (pre-release)` : version;
}

/** Parses what a kubelet reports (`kubelet --version`: v1.36.0-rc.1, v1.35.4-dirty, ...) or a minor ("1.34"). */
export function parseAnyVersion(text: string): Version | undefined {
  const m = ANY_RE.exec(text.trim());
  if (!m) return undefined;
  const suffix = m[4] ?? '';
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), suffix, preRelease: preReleaseOf(suffix), text: text.trim() };
}

export function minorOf(version: string): number {
  const v = parseAnyVersion(version);
  if (!v || v.major !== 1) throw new Error(`"${version}" is not a Kubernetes 1.x version`);
  return v.minor;
}

/** Facts of a supported minor; undefined outside OLDEST_MINOR..NEWEST_MINOR. */
export function factsOf(version: string | number): MinorFacts | undefined {
  const minor = typeof version === 'number' ? version : minorOf(version);
  return MINORS.find((m) => m.minor === minor);
}

/**
 * What the oracle does not model for a version, one sentence each: a release of the minor other than the
 * one its facts were reviewed at (its changes since are unreviewed), and the row's unmodelled facts.
 */
export function unmodelledIn(version: string): string[] {
  // Reports also name runs with no kubelet (the registry suite): only Kubernetes versions have facts.
  const v = parseAnyVersion(version);
  const f = v && v.major === 1 ? factsOf(v.minor) : undefined;
  if (!f) return [];
  const out: string[] = [];
  if (version !== f.reviewedAt) out.push(`${versionLabel(version)}: the oracle's facts and rules for 1.${f.minor} were read and reviewed at ${f.reviewedAt}, and what changed since is not reviewed into them yet (see npx pullproof versions diff ${f.reviewedAt} ${version})`);
  for (const u of f.unmodelled ?? []) out.push(`${versionLabel(version)}: not modelled yet: ${u}`);
  return out;
}

/** Facts of a version pullproof supports, or a usage error that names the field and the supported range. */
export function requireFacts(version: string, field: string): MinorFacts {
  const v = parseAnyVersion(version);
  const f = v && v.major === 1 ? factsOf(v.minor) : undefined;
  if (!f) {
    throw new UsageError(field, `pullproof does not model Kubernetes "${version}"`,
      `use a version from v1.${OLDEST_MINOR} to v1.${NEWEST_MINOR} (pinned releases: ${TESTED_RELEASES.map(versionLabel).join(', ')})`);
  }
  return f;
}

/** A version given on the command line: an exact release of a supported minor. */
export function checkSupportedRelease(text: string, field: string): Version {
  const v = parseRelease(text, field);
  requireFacts(v.text, field);
  return v;
}

/**
 * Compares two versions by major, minor, patch, then pre-release: v1.38.0-alpha.1 < v1.38.0-beta.0 <
 * v1.38.0-rc.1 < v1.38.0 (other suffixes, such as -dirty, are ignored).
 */
export function compareVersions(a: string, b: string): number {
  const x = parseAnyVersion(a);
  const y = parseAnyVersion(b);
  if (!x || !y) throw new Error(`cannot compare "${a}" and "${b}"`);
  const rank = (v: Version): number => (v.preRelease ? PRE_ORDER[v.preRelease.kind] * 1e6 + v.preRelease.n : 1e9);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch || rank(x) - rank(y);
}

/**
 * Whether a version lies in a range written as `>=1.33.0 <1.36.0` (space-separated bounds, each one of
 * >=, >, <=, < or = followed by a version; an empty range matches everything).
 */
export function inRange(version: string, range: string): boolean {
  for (const bound of range.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(>=|<=|>|<|=)?(v?\d+\.\d+(?:\.\d+)?(?:-(?:alpha|beta|rc)\.\d+)?)$/.exec(bound);
    if (!m) throw new Error(`bad version bound "${bound}" in "${range}"`);
    const c = compareVersions(version, m[2] as string);
    const op = m[1] ?? '=';
    const ok = op === '>=' ? c >= 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '<' ? c < 0 : c === 0;
    if (!ok) return false;
  }
  return true;
}

/** Whether a kubelet of this version knows a feature gate pullproof models (others: ask the kubelet's --help). */
export function gateFact(version: string, gate: string): GateFact | undefined {
  const f = factsOf(version);
  if (!f) return undefined;
  if (gate === ENSURE_SECRET_PULLED_IMAGES) return f.ensureSecretPulledImages;
  if (gate === SA_TOKEN_FOR_CREDENTIAL_PROVIDERS) return f.saTokenForCredentialProviders;
  if (gate === SA_NODE_AUDIENCE_RESTRICTION) return f.serviceAccountNodeAudienceRestriction;
  return undefined;
}

/** A modelled gate's effective value: the explicit setting, else the version's default, else off (unknown). */
export function gateOn(version: string, gate: string, explicit: Record<string, boolean> = {}): boolean {
  return explicit[gate] ?? gateFact(version, gate)?.defaultOn ?? false;
}

/** A kind release pullproof knows, or undefined. */
export function kindRelease(version: string): KindRelease | undefined {
  return KIND_RELEASES.find((k) => k.version === version);
}

/** The kubeadm config API a kind release writes for a Kubernetes minor. */
export function kubeadmApiWrittenBy(kind: KindRelease, minor: number): KubeadmConfigApi {
  return kind.v1beta4FromMinor !== undefined && minor >= kind.v1beta4FromMinor ? 'v1beta4' : 'v1beta3';
}

export interface NodeRecipe {
  kubernetes: string;
  kind: string;
  /** What the kind CLI will write into /kind/kubeadm.conf for this version. */
  kubeadmConfigApi: KubeadmConfigApi;
  runtime: NodeRuntime;
  /** Facts that predict a failure with this combination (e.g. kubeadm cannot read kind's config), empty when none. */
  problems: string[];
}

/**
 * What a node image of this release is made of: the version table's kind release for the minor (or the
 * one asked for) and that release's runtime pins. A kind release pullproof does not know gets the
 * minor's own pins and a problem saying so; a kind that writes a kubeadm config API this kubeadm does
 * not read gets a problem naming the kind release to use.
 */
export function nodeRecipe(kubernetes: string, kindOverride?: string, field = '--kubernetes'): NodeRecipe {
  const facts = requireFacts(kubernetes, field);
  const chosen = kindRelease(facts.kind);
  if (!chosen) throw new Error(`version table: kind ${facts.kind} of 1.${facts.minor} is not in KIND_RELEASES`);
  const kind = kindOverride ?? facts.kind;
  const release = kindRelease(kind);
  const problems: string[] = [];
  if (!release) {
    problems.push(`kind ${kind} is not in pullproof's version table; its node gets the runtime pinned for kind ${chosen.version} and pullproof cannot tell which kubeadm config API it writes`);
  }
  const api = release ? kubeadmApiWrittenBy(release, facts.minor) : kubeadmApiWrittenBy(chosen, facts.minor);
  if (release && !facts.kubeadmConfigApisRead.includes(api)) {
    problems.push(`kind ${kind} writes kubeadm config ${api}, which kubeadm ${kubernetes} does not read (it reads ${facts.kubeadmConfigApisRead.join(', ')}); use kind ${facts.kind}`);
  }
  return { kubernetes, kind, kubeadmConfigApi: api, runtime: (release ?? chosen).runtime, problems };
}

/** The newest of several versions (the control plane a set of kubelets needs: never older than a kubelet). */
export function newest(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/** The version-skew rule for kubelets: at most three minors older than the API server, never newer. */
export function skewProblem(kubelet: string, apiServer: string): string | undefined {
  const k = minorOf(kubelet);
  const a = minorOf(apiServer);
  if (k > a) return `a ${kubelet} kubelet is newer than its ${apiServer} control plane (the version-skew policy allows only older kubelets)`;
  if (a - k > 3) return `a ${kubelet} kubelet is more than three minors older than its ${apiServer} control plane`;
  return undefined;
}
