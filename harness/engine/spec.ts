// Scenarios as data. A suite declares scenarios (by hand, or as axes and a builder that expands into
// them); a scenario declares the world it owns (registry users, namespaces, secrets, service accounts,
// images, all symbols made unique per scenario at run time), the kubelet settings of its window, setup
// steps and the pod under test. It never states its expected outcome: the oracle predicts it from the
// same data. Names are sentences a release engineer understands in a JUnit report.
import type { PullPolicy } from '../oracle/types.ts';

/** Where an image lives in the harness registry. */
export type RepositoryKind =
  /** private/<scenario>/...: only the users that list it in `pulls` may read it */
  | 'private'
  /** public/<scenario>/...: anyone, anonymously */
  | 'public'
  /** allowlisted/<scenario>/...: private, under a prefix an allowlist can name */
  | 'allowlisted'
  /** provider/<scenario>/...: private, readable with the credentials the credential provider obtains */
  | 'provider'
  /** nodewide/<scenario>/...: private, readable with the node-wide credentials of the kubelet's docker config (when the window sets them) */
  | 'nodewide';

export interface ImageSpec {
  repository: RepositoryKind;
  /**
   * The reference the pods use, when it is not the harness registry's own name for the repository:
   * a docker.io name reached through the node mirror, e.g. "ppfamiliar/{repo}" (a familiar name).
   */
  reference?: string;
  /** Another image symbol whose content this image shares (the same imageRef under another name). */
  sameContentAs?: string;
  /** Not pushed to the registry (a preloaded-only image). */
  notInRegistry?: boolean;
  /**
   * A registry host of its own, e.g. an ECR host (<account>.dkr.ecr.<region>.amazonaws.com), reached
   * through a certs.d entry that sends it to the harness registry's prefix for that host: the pod uses
   * <host>/<repository>/<scenario>/<symbol>:v1. For a vendor's plugin (certify --in-cluster).
   */
  host?: string;
  /**
   * More tags pushed for the same manifest besides v1 (the same content under another tag of the same
   * repository): a pod names one with `tag`.
   */
  tags?: string[];
}

export interface UserSpec {
  /** Image symbols this registry user may pull; [] for a valid user without access. */
  pulls: string[];
}

export interface SecretSpec {
  namespace: string;
  /** Registry user whose credentials the secret holds; required unless the secret is missing. */
  user?: string;
  /** The registry the auth entry names: the harness registry (default) or another host. */
  registry?: 'harness' | 'elsewhere';
  /** The password in the secret: the user's real one (default) or a wrong one. */
  password?: 'valid' | 'wrong';
  /** Listed by pods but never created. */
  missing?: boolean;
}

/** The registry user of a secret that is created (validation requires one on every secret not declared missing). */
export function secretUser(s: SecretSpec): string {
  if (s.user === undefined) throw new Error('a secret without a user is never created (missing: true)');
  return s.user;
}

export interface ServiceAccountSpec {
  namespace: string;
  /** "{role}" in a value stands for a cloud role made for this service account (a vendor's backend: an IAM role ARN). */
  annotations?: Record<string, string>;
  /** The STS exchanges its token for credentials that read these image symbols; [] denies. */
  stsPulls?: string[];
}

export interface WorldSpec {
  users?: Record<string, UserSpec>;
  images: Record<string, ImageSpec>;
  /** Namespace symbols; each becomes a namespace unique to the scenario (default: a and b). */
  namespaces?: string[];
  secrets?: Record<string, SecretSpec>;
  serviceAccounts?: Record<string, ServiceAccountSpec>;
}

export interface ProviderSpec {
  /** Service-account mode (tokenAttributes) with these attributes; absent: a static (node-wide) provider. */
  serviceAccount?: {
    audience: string;
    cacheType?: 'Token' | 'ServiceAccount';
    requireServiceAccount?: boolean;
    requiredAnnotations?: string[];
    optionalAnnotations?: string[];
  };
  /** Image symbols' repositories the provider's matchImages cover: its own prefix, never the secret-based images. */
  matchRepository: RepositoryKind;
  cacheDurationSeconds: number;
  /** Grant the audience to nodes through RBAC (default true). */
  audienceRbac?: boolean;
  /**
   * The vendor's plugin and its config (certify --in-cluster) in place of the reference plugin; the
   * attributes above are copied from the vendor's config, so the oracle predicts with them.
   */
  vendor?: boolean;
}

/** The kubelet settings of a scenario's window: a desired state, not a patch (unset means the kubelet's default). */
export interface KubeletSettingsSpec {
  /** KubeletEnsureSecretPulledImages; only set on kubelets that know the gate (false is a no-op on those that do not). */
  ensureSecretPulledImages?: boolean;
  /** KubeletServiceAccountTokenForCredentialProviders, likewise. */
  serviceAccountTokens?: boolean;
  /** Raw gates, set as given (to show a kubelet refusing an unknown gate). */
  gates?: Record<string, boolean>;
  policy?: string;
  /** Entries; "{registry}" stands for the harness registry's host:port. */
  allowlist?: string[];
  maxParallelImagePulls?: number;
  provider?: ProviderSpec;
  /** Node-wide credentials in /var/lib/kubelet/config.json, scoped to the harness registry's nodewide/ path. */
  nodeWideCredentials?: boolean;
}

export interface PodSpec {
  namespace: string;
  image: string;
  /**
   * The tag the pod names: v1 (default) or one of the image's `tags`. With `digest`, the reference is
   * <repository>:<tag>@<digest> (tag and digest); without, <repository>:<tag>.
   */
  tag?: string;
  /** Name the image by its manifest digest: <repository>@sha256:... (with `tag`: <repository>:<tag>@sha256:...). */
  digest?: boolean;
  pullPolicy: PullPolicy;
  /** Secret symbols the pod lists as imagePullSecrets. */
  secrets?: string[];
  serviceAccount?: string;
  privileged?: boolean;
  /**
   * Init containers, started one after the other before the pod's containers (each exits at once; one
   * that cannot start leaves the later ones and the containers unstarted). The pod's image above is its
   * container "main"; these and the two lists below use the pod's pull secrets and service account.
   */
  initContainers?: ContainerSpec[];
  /** More containers beside "main", started after it in this order. */
  containers?: ContainerSpec[];
  /** Ephemeral containers (kubectl debug) added to the pod once its other containers are decided. */
  ephemeralContainers?: ContainerSpec[];
}

/** A container of a pod besides "main": each is observed and judged on its own. */
export interface ContainerSpec {
  /** Unique in the pod (not "main"): a DNS label. */
  name: string;
  /** An image symbol no other container of the pod uses (requests are told apart by repository). */
  image: string;
  tag?: string;
  digest?: boolean;
  pullPolicy: PullPolicy;
  /**
   * Init containers only: 'Always' makes it a sidecar (a restartable init container, KEP-753): it keeps
   * running beside main, and the next init container starts once it runs (docs/specification.md A9.sidecar).
   */
  restartPolicy?: 'Always';
}

export type ContainerKind = 'init' | 'container' | 'ephemeral';

/** A pod's containers in the order the kubelet decides their images in one sync: init, main, containers, then the ephemeral ones (added later). */
export function podContainers(p: PodSpec): { kind: ContainerKind; spec: ContainerSpec }[] {
  return [
    ...(p.initContainers ?? []).map((spec) => ({ kind: 'init' as const, spec })),
    { kind: 'container' as const, spec: { name: 'main', image: p.image, tag: p.tag, digest: p.digest, pullPolicy: p.pullPolicy } },
    ...(p.containers ?? []).map((spec) => ({ kind: 'container' as const, spec })),
    ...(p.ephemeralContainers ?? []).map((spec) => ({ kind: 'ephemeral' as const, spec })),
  ];
}

/** Whether a pod has more than its main container. */
export function multiContainer(p: PodSpec): boolean {
  return !!(p.initContainers?.length || p.containers?.length || p.ephemeralContainers?.length);
}

/** How a pod names its image, as a scenario writes it: img, img:v2, img@digest, img:v1@digest. */
export function podImageText(p: Pick<PodSpec, 'image' | 'tag' | 'digest'>): string {
  return `${p.image}${p.tag !== undefined ? `:${p.tag}` : ''}${p.digest ? '@digest' : ''}`;
}

export type RecordEdit =
  | { wipe: true }
  | { delete: string }
  | { corrupt: string }
  | { intent: string };

export type Step =
  /** A setup pod: it must run as the oracle predicts (a setup pod that does not is a failure of the scenario). */
  | { pod: PodSpec }
  /** Load the image into the node's containerd outside the kubelet (as kind load does). */
  | { preload: string }
  /** Restart the kubelet (a barrier: the scenarios of a window share it). */
  | { restartKubelet: true }
  /** Change the kubelet's settings (a barrier). */
  | { kubelet: KubeletSettingsSpec }
  /** Edit pull records on the node's disk (1.35+ kubelets read them through a cache: restart after). */
  | { records: RecordEdit }
  | { updateSecret: string; password: 'valid' | 'wrong' | 'new' }
  | { recreateSecret: string }
  | { recreateServiceAccount: string }
  | { removeImage: string }
  /** Wait, e.g. for a credential cache entry to expire. */
  | { waitSeconds: number }
  /** A fault at the registry, the token service or the STS (through their fault proxies); needs an exclusive scenario. */
  | { fault: FaultSpec }
  /**
   * Move the worker to another kubelet version in place (a barrier): drain, stop, swap the binary, write
   * that version's configuration, start, uncordon. The node's disk (images, image_manager/) carries over.
   */
  | { swapKubelet: string; kubelet: KubeletSettingsSpec };

export interface FaultSpec {
  target: 'registry' | 'token' | 'sts';
  /** Close the port (clients get connection refused at once), or reopen it. */
  outage?: boolean;
  latencyMs?: number;
  /** Answer the next N requests with 503. */
  failNext?: number;
}

export interface ScenarioSpec {
  /** Stable id, unique in the suite (the suite name is prefixed when planned): used by --focus, --shard, diff. */
  id: string;
  /** A sentence: what is tried and under which setting. */
  name: string;
  /** Axis values (policy, pullPolicy, credential case, ...) for the report's matrix. */
  labels?: Record<string, string>;
  world: WorldSpec;
  kubelet: KubeletSettingsSpec;
  setup?: Step[];
  /** The pod under test. */
  act: PodSpec;
  /** Owns the registry and the worker alone (faults, restarts of shared parts); required with fault steps. */
  exclusive?: boolean;
  /** After the act, lift every fault and keep watching the pod until it runs (recovery within the image pull back-off). */
  recover?: { withinSeconds: number };
  /** The kubelet version the scenario starts on, when the suite chooses it (upgrade chains); default: --kubelet. */
  startKubelet?: string;
  /**
   * Report, do not judge: what the kubelet does is outside what the specification promises (a rollback
   * below the version that wrote the records). The oracle's fail-safe reading is shown beside it, and a
   * pod that runs where the oracle would refuse it is flagged as failing open.
   */
  observeOnly?: boolean;
  timeoutMs?: number;
}

export interface PlanContext {
  /** The kubelet version under test, e.g. v1.35.4. */
  kubelet: string;
}

export interface SuiteDefinition {
  /** The suite's scenarios name their own kubelet versions (startKubelet): planned once, not per --kubelet. */
  ownKubelets?: boolean;
  name: string;
  title: string;
  description: string;
  /** Included in `--suite all` (default true). */
  inAll?: boolean;
  /** Needs a cluster (default true); the registry suite does not. */
  cluster?: boolean;
  /** The scenarios for one kubelet version. */
  scenarios(ctx: PlanContext): ScenarioSpec[];
}

/** A matrix: every combination of the axes' values, built into a scenario (or skipped: undefined). */
export function expandAxes<const A extends Record<string, readonly string[]>>(axes: A, build: (combo: { [K in keyof A]: A[K][number] }) => ScenarioSpec | undefined): ScenarioSpec[] {
  let combos: Record<string, string>[] = [{}];
  for (const [axis, values] of Object.entries(axes)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [axis]: v })));
  }
  const out: ScenarioSpec[] = [];
  for (const c of combos) {
    const s = build(c as { [K in keyof A]: A[K][number] });
    if (s) out.push({ ...s, labels: { ...c, ...s.labels } });
  }
  return out;
}

export function defineSuite(s: SuiteDefinition): SuiteDefinition {
  return s;
}
