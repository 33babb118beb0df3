// The arms of the latency bench: each is one way a pod can start from a private image that is
// already in the node's cache, with the kubelet configuration it needs, what every sample must
// mint so that it measures what it claims (a fresh credential hash, a fresh service account uid),
// and what the kubelet is expected to do. The wiring turns these declarations into kubelet
// settings, credential provider configs and pod specs; nothing here touches a cluster.

export type ArmId = 'gate-off' | 'record-hit' | 'reverify' | 'always' | 'sa-hit' | 'sa-miss';

/** The kubelet settings an arm needs. Arms with equal settings share a kubelet configuration. */
export interface KubeletNeeds {
  /** Feature gate KubeletEnsureSecretPulledImages. */
  ensureSecretPulledImages: boolean;
  /** imagePullCredentialsVerificationPolicy; only meaningful with the gate on (the kubelet default). */
  verificationPolicy?: 'NeverVerifyPreloadedImages';
  /**
   * A credential provider in service-account mode for the bench image's repository (and only that
   * repository, so it never runs for the secret-based arms' images). cacheType ServiceAccount shares
   * credentials between pods of one service account; Token would make every pod miss.
   */
  serviceAccountProvider?: { cacheType: 'ServiceAccount' | 'Token' };
}

/** What each sample of an arm needs that no earlier sample may have created. */
export type Mint =
  /** Nothing: every sample reuses the credentials the image was pulled with. */
  | 'nothing'
  /** A new token-service user (and a pull secret with its password): a credential hash no record holds. */
  | 'token-service-user'
  /** A new service account (new uid): a credential cache miss, and a uid no record holds. */
  | 'service-account';

export type MustPullResult = 'credentialPolicyAllowed' | 'credentialRecordFound' | 'mustAuthenticate' | 'error';

export interface Arm {
  id: ArmId;
  /** A sentence a release engineer understands in a report. */
  title: string;
  kubelet: KubeletNeeds;
  pod: {
    pullPolicy: 'IfNotPresent' | 'Always';
    /** seeded-secret: the pull secret the image was first pulled with (its record exists). */
    credentials: 'seeded-secret' | 'fresh-secret' | 'fixed-service-account' | 'fresh-service-account';
  };
  mint: Mint;
  /** Samples discarded at the start of each block that follows a kubelet restart. */
  warmup: number;
  /** Why the warm-up count is what it is. */
  warmupReason: string;
  /** What the kubelet is expected to do per pod start, for cross-checks against metrics and records. */
  expect: {
    /** Whether the pod start reaches the registry (token service and manifest requests). */
    reachesRegistry: boolean;
    /** Whether the credential provider plugin is executed (so the STS is asked). */
    execsPlugin: boolean;
    /** kubelet_imagemanager_image_mustpull_checks_total{result} incremented once per pod; none when the check does not run. */
    mustPullResult?: MustPullResult;
    /** Service-account token requests from the kubelet to the API server per pod start (not in the request records). */
    tokenRequestsPerPod: number;
  };
  /** The in-node timing sources for this arm's verification time, in order of preference. */
  verificationSources: readonly MeasureId[];
}

/**
 * The timing sources a sample can carry, all in milliseconds. What each includes and excludes is in
 * MEASURES and docs/bench.md.
 */
export type MeasureId = 'inNode' | 'pulled' | 'pulledWaiting' | 'containerdPull' | 'plugin' | 'endToEnd';

export interface MeasureInfo {
  id: MeasureId;
  name: string;
  /** How it is measured: source, start and end. */
  how: string;
  /** Where the request records of a pod start can add to it (targets whose delay it can contain). */
  resolution: string;
}

export const MEASURES: Record<MeasureId, MeasureInfo> = {
  inNode: {
    id: 'inNode',
    name: 'in-node pod start',
    how: 'kubelet journal at -v=3: klog timestamp of "SyncLoop ADD" naming the pod (kubelet.go, V2) to that of "Event occurred" with reason="Started" for its container (client-go event logging at V3); includes admission, sandbox and CNI, the image check with credential lookup, plugin exec, STS exchange, re-verification pull, container create and start',
    resolution: 'microseconds (klog header)',
  },
  pulled: {
    id: 'pulled',
    name: 'kubelet pull',
    how: 'the "in X" of the kubelet\'s Pulled event ("Successfully pulled image ... in X (Y including waiting)"): the CRI PullImage call and the image size lookup, timed in the kubelet puller; excludes the credential lookup (plugin exec, STS exchange), which happens before the pull starts',
    resolution: 'milliseconds (the kubelet truncates to ms)',
  },
  pulledWaiting: {
    id: 'pulledWaiting',
    name: 'kubelet pull including waiting',
    how: 'the "(Y including waiting)" of the Pulled event: as "in X" plus the wait for a parallel-pull slot',
    resolution: 'milliseconds (truncated)',
  },
  containerdPull: {
    id: 'containerdPull',
    name: 'containerd pull',
    how: 'containerd\'s "Pulled image ... in X" log line (CRIImageService.PullImage): resolve, fetch, unpack and image store update inside containerd; excludes the CRI call overhead and everything in the kubelet',
    resolution: 'nanoseconds (Go duration)',
  },
  plugin: {
    id: 'plugin',
    name: 'credential provider plugin',
    how: 'change of kubelet_credential_provider_plugin_duration_sum{plugin_name} over one pod start (metrics scraped before and after): the plugin exec, including its STS exchange',
    resolution: 'sub-millisecond (histogram sum in seconds)',
  },
  endToEnd: {
    id: 'endToEnd',
    name: 'end-to-end pod start',
    how: 'host clock: pod create call returned to the watch event showing the container running handled by the harness; includes scheduling, the kubelet\'s status sync (PLEG relist, about 1 s of noise) and the API server; reported, not used for the proof',
    resolution: 'milliseconds (host clock)',
  },
};

const GATE_OFF: KubeletNeeds = { ensureSecretPulledImages: false };
const GATE_ON: KubeletNeeds = { ensureSecretPulledImages: true, verificationPolicy: 'NeverVerifyPreloadedImages' };
const GATE_ON_SA: KubeletNeeds = { ...GATE_ON, serviceAccountProvider: { cacheType: 'ServiceAccount' } };

export const ARMS: readonly Arm[] = [
  {
    id: 'gate-off',
    title: 'Gate off: an IfNotPresent pod with the pull secret starts from the cached image without any check',
    kubelet: GATE_OFF,
    pod: { pullPolicy: 'IfNotPresent', credentials: 'seeded-secret' },
    mint: 'nothing',
    warmup: 1,
    warmupReason: 'the first pod after a kubelet restart pays for cold kubelet caches',
    expect: { reachesRegistry: false, execsPlugin: false, tokenRequestsPerPod: 0 },
    verificationSources: ['inNode'],
  },
  {
    id: 'record-hit',
    title: 'Gate on, matching record: the pod\'s secret has the hash in the pulled record, decided on the node',
    kubelet: GATE_ON,
    pod: { pullPolicy: 'IfNotPresent', credentials: 'seeded-secret' },
    mint: 'nothing',
    warmup: 1,
    warmupReason: 'the first check after a restart loads the pulled records from disk into the in-memory cache',
    expect: { reachesRegistry: false, execsPlugin: false, mustPullResult: 'credentialRecordFound', tokenRequestsPerPod: 0 },
    verificationSources: ['inNode'],
  },
  {
    id: 'reverify',
    title: 'Gate on, re-verification: a secret whose hash no record holds makes the kubelet verify at the registry',
    kubelet: GATE_ON,
    pod: { pullPolicy: 'IfNotPresent', credentials: 'fresh-secret' },
    mint: 'token-service-user',
    warmup: 1,
    warmupReason: 'the first pull after a restart pays for cold kubelet and containerd state',
    expect: { reachesRegistry: true, execsPlugin: false, mustPullResult: 'mustAuthenticate', tokenRequestsPerPod: 0 },
    verificationSources: ['inNode', 'pulled', 'containerdPull'],
  },
  {
    id: 'always',
    title: 'Pull policy Always: every pod start asks the registry, whatever the records say',
    kubelet: GATE_ON,
    pod: { pullPolicy: 'Always', credentials: 'seeded-secret' },
    mint: 'nothing',
    warmup: 1,
    warmupReason: 'the first pull after a restart pays for cold kubelet and containerd state',
    expect: { reachesRegistry: true, execsPlugin: false, tokenRequestsPerPod: 0 },
    verificationSources: ['inNode', 'pulled', 'containerdPull'],
  },
  {
    id: 'sa-hit',
    title: 'Service-account plugin, credential cache hit: the same service account, no plugin exec, its uid in the record',
    kubelet: GATE_ON_SA,
    pod: { pullPolicy: 'IfNotPresent', credentials: 'fixed-service-account' },
    mint: 'nothing',
    warmup: 1,
    warmupReason: 'the credential cache lives in kubelet memory: the first pod after a restart misses and fills it',
    expect: { reachesRegistry: false, execsPlugin: false, mustPullResult: 'credentialRecordFound', tokenRequestsPerPod: 1 },
    verificationSources: ['inNode'],
  },
  {
    id: 'sa-miss',
    title: 'Service-account plugin, credential cache miss: a new service account, plugin exec, STS exchange, verification at the registry',
    kubelet: GATE_ON_SA,
    pod: { pullPolicy: 'IfNotPresent', credentials: 'fresh-service-account' },
    mint: 'service-account',
    warmup: 1,
    warmupReason: 'the first plugin exec and pull after a restart pay for cold kubelet and containerd state',
    expect: { reachesRegistry: true, execsPlugin: true, mustPullResult: 'mustAuthenticate', tokenRequestsPerPod: 1 },
    verificationSources: ['inNode', 'plugin', 'pulled', 'containerdPull'],
  },
];

/** A canonical text for a kubelet configuration; arms with equal keys share one. */
export function configKey(k: KubeletNeeds): string {
  const parts = [`gate=${k.ensureSecretPulledImages ? 'on' : 'off'}`];
  if (k.ensureSecretPulledImages) parts.push(`policy=${k.verificationPolicy ?? 'NeverVerifyPreloadedImages'}`);
  if (k.serviceAccountProvider) parts.push(`sa-provider=cacheType:${k.serviceAccountProvider.cacheType}`);
  return parts.join(',');
}

/** A short human description of a kubelet configuration. */
export function describeConfig(k: KubeletNeeds): string {
  if (!k.ensureSecretPulledImages) return 'KubeletEnsureSecretPulledImages off';
  const base = `KubeletEnsureSecretPulledImages on (${k.verificationPolicy ?? 'NeverVerifyPreloadedImages'})`;
  return k.serviceAccountProvider ? `${base}, service-account provider with cacheType ${k.serviceAccountProvider.cacheType}` : base;
}

export function armById(id: ArmId, arms: readonly Arm[] = ARMS): Arm {
  const arm = arms.find((a) => a.id === id);
  if (!arm) throw new Error(`no bench arm ${id}`);
  return arm;
}
