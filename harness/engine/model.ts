// The world of one scenario as the oracle sees it: what is on the node (names, contents and their pull
// records, intents), the secrets, users and service accounts with their generations, the credential
// provider's cache and the registry/STS state. Steps move it forward; a pod's oracle input is read off
// it. The same model runs at plan time (values are symbols such as uid(s1#1)) and at run time (values
// are the real uids, hashes and names the executor created), through a Resolver, so `pullproof list`
// predicts without a cluster and the judge compares against the same rules with real values.
import { createHash } from 'node:crypto';
import { imageNameOf, normalizeImage } from '../oracle/names.ts';
import { predict, predictConfiguration } from '../oracle/predict.ts';
import { ran } from './judge.ts';
import type { CredentialEntry, KubeletModel, OracleInput, PodModel, Prediction, ProviderModel } from '../oracle/types.ts';
import { ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, factsOf } from '../oracle/versions.ts';
import { multiContainer, podContainers, secretUser, type ContainerKind, type ContainerSpec, type ImageSpec, type KubeletSettingsSpec, type PodSpec, type ScenarioSpec, type Step } from './spec.ts';

/** Maps a scenario's symbols to values: symbolic at plan time, real at run time. */
export interface Resolver {
  /** The scenario's (attempt's) unique key, for "{key}" in allowlist entries. */
  key(): string;
  /** The harness registry's host:port in image references. */
  registryHost(): string;
  /** The repository path of an image symbol in the harness registry. */
  repository(image: string, spec: ImageSpec): string;
  namespace(sym: string): string;
  secretName(sym: string): string;
  secretUid(sym: string, generation: number): string;
  /** credentialHash of the auth entry a secret holds: user and password variant. */
  credentialHash(secret: string, user: string, variant: string): string;
  serviceAccountName(sym: string): string;
  serviceAccountUid(sym: string, generation: number): string;
  /** The manifest digest (sha256:...) of an image symbol's content (the symbol itself, or what it shares content with). */
  digest(content: string): string;
}

/** Symbolic values, for planning. */
export function planResolver(scenarioKey: string): Resolver {
  return {
    key: () => scenarioKey,
    registryHost: () => 'registry.pullproof.test:5443',
    repository: (image, spec) => `${spec.repository}/${scenarioKey}/${image}`,
    namespace: (sym) => `${scenarioKey}-${sym}`,
    secretName: (sym) => sym,
    secretUid: (sym, g) => `uid(${sym}#${g})`,
    credentialHash: (_secret, user, variant) => `hash(${user}:${variant})`,
    serviceAccountName: (sym) => sym,
    serviceAccountUid: (sym, g) => `uid(sa ${sym}#${g})`,
    // A stand-in of the right form (the parsers need hex); the real digest is known once the image is built.
    digest: (content) => `sha256:${createHash('sha256').update(`${scenarioKey}/${content}`).digest('hex')}`,
  };
}

/** How a pod names an image: its tag (default v1) and whether by digest. */
export interface ReferenceForm {
  tag?: string;
  digest?: boolean;
}

/**
 * The reference pods use for an image: the harness registry's name, or the spec's own (through the node
 * mirror); <repository>:v1 by default, another tag, by digest (<repository>@sha256:...), or both.
 */
export function imageReference(sym: string, spec: ImageSpec, r: Resolver, form: ReferenceForm = {}): string {
  const repo = r.repository(sym, spec);
  if (spec.reference) return spec.reference.replace('{repo}', repo.replace(/\//g, '-'));
  const tag = form.tag ?? (form.digest ? undefined : 'v1');
  return `${spec.host ?? r.registryHost()}/${repo}${tag !== undefined ? `:${tag}` : ''}${form.digest ? `@${r.digest(spec.sameContentAs ?? sym)}` : ''}`;
}

/**
 * The name containerd's CRI looks a reference up by (ImageStatus -> LocalResolve: an exact match of
 * docker.ParseDockerRef(ref) in its reference cache): the digest alone for a tag+digest reference
 * (ParseDockerRef drops the tag), :latest for neither. Another tag of the same content is another name.
 */
export function lookupName(ref: string): string {
  const n = normalizeImage(ref);
  if (!n) return ref;
  return n.digest ? `${n.name}@${n.digest}` : `${n.name}:${n.tag ?? 'latest'}`;
}

/**
 * The names a CRI pull of a reference leaves in containerd (PullImage creates imageID, repoTag and
 * repoDigest): the tag (none when pulled by digest) and <repository>@<manifest digest>.
 */
export function pulledNames(ref: string, digest: string): string[] {
  const n = normalizeImage(ref);
  if (!n) return [ref];
  return n.digest ? [`${n.name}@${n.digest}`] : [`${n.name}:${n.tag ?? 'latest'}`, `${n.name}@${digest}`];
}

/** Allowlist entries with "{registry}" (the harness registry) and "{key}" (the scenario's key) resolved. */
export function resolveAllowlist(entries: readonly string[] | undefined, registryHost: string, key?: string): string[] | undefined {
  return entries?.map((e) => {
    if (e.includes('{key}') && key === undefined) throw new Error(`allowlist entry ${e} names the scenario's key, but the window holds more than one scenario`);
    return e.replace('{registry}', registryHost).replace('{key}', key ?? '');
  });
}

/** Whether settings name one scenario's own repositories (its window cannot be shared). */
export function settingsPerScenario(s: KubeletSettingsSpec): boolean {
  return JSON.stringify(s).includes('{key}');
}

/** The kubelet settings as the oracle sees them: gates rendered only where the kubelet knows them. */
export function kubeletModel(version: string, s: KubeletSettingsSpec, registryHost: string, limits?: KubeletModel['limits'], key?: string): KubeletModel {
  const f = factsOf(version);
  const gates: Record<string, boolean> = { ...(s.gates ?? {}) };
  // A feature a kubelet does not have is not set at all (off is its only state; on is not applicable).
  if (s.ensureSecretPulledImages !== undefined && f?.ensureSecretPulledImages) gates[ENSURE_SECRET_PULLED_IMAGES] = s.ensureSecretPulledImages;
  if (s.serviceAccountTokens !== undefined && f?.saTokenForCredentialProviders) gates[SA_TOKEN_FOR_CREDENTIAL_PROVIDERS] = s.serviceAccountTokens;
  return { version, gates, policy: s.policy, allowlist: resolveAllowlist(s.allowlist, registryHost, key), maxParallelImagePulls: s.maxParallelImagePulls, limits };
}

/** One container of a pod, as the oracle predicts it. */
export interface ContainerPrediction {
  kind: ContainerKind;
  name: string;
  /** The pod as the model sees this container: its image, the pod's credentials. */
  pod: PodSpec;
  prediction: Prediction;
  /** The record entry for the container's image name before it starts (what "unchanged" means). */
  before?: CredentialEntry;
}

/** The pod as the model sees one of its containers: the container's image and pull policy, the pod's pull secrets and service account. */
export function containerPod(pod: PodSpec, c: ContainerSpec): PodSpec {
  return { namespace: pod.namespace, image: c.image, tag: c.tag, digest: c.digest, pullPolicy: c.pullPolicy, secrets: pod.secrets, serviceAccount: pod.serviceAccount, privileged: pod.privileged };
}

function notStarted(init: string, sidecar: boolean): Prediction {
  return {
    outcome: 'not-started', reason: `${sidecar ? 'sidecar' : 'init container'} ${init} did not ${sidecar ? 'start' : 'complete'}`, registryContact: false, record: { kind: 'unchanged' },
    rules: [{ id: 'A9.init-blocks', section: 'A9', text: `init container ${init} cannot start (its image was refused): the kubelet stops the pod's sync there, so the containers after it are not started and their images not decided` }],
  };
}

const KIND_RULE_ID: Record<ContainerKind, string> = { init: 'A9.init', container: 'A9.container', ephemeral: 'A9.ephemeral' };

const KIND_RULE: Record<ContainerKind, string> = {
  init: 'an init container\'s image is decided like any container\'s (EnsureImageExists, the pod\'s pull secrets), before the containers, one init container at a time',
  container: 'each container\'s image is decided in turn within one pod sync (EnsureImageExists, the pod\'s pull secrets): it sees the pulls of the containers before it',
  ephemeral: 'an ephemeral container\'s image is decided like any container\'s (EnsureImageExists, the pod\'s pull secrets), when it is added to the running pod',
};

const SIDECAR_RULE = 'a sidecar (an init container with restartPolicy Always) gets its image like any init container, in its turn; once it runs, the next init container starts, and a refused one holds up the rest like any init container';

interface SecretState { generation: number; variant: string; exists: boolean }
interface UserState { variant: number }
/** A record file as it is on disk: what it holds and which kubelet API version wrote it. */
type StoredRecord = { kind: 'none' } | { kind: 'unreadable' } | { kind: 'present'; credentialMapping: Record<string, CredentialEntry>; apiVersion: string };
interface ContentState { stored: StoredRecord; loadedOutsideKubelet: boolean }

export class ScenarioModel {
  readonly spec: ScenarioSpec;
  /** The kubelet version now (changes with swapKubelet steps). */
  version: string;
  private readonly r: Resolver;
  private readonly limits?: KubeletModel['limits'];
  settings: KubeletSettingsSpec;
  /** Names containerd resolves (lookupName), each with the content symbol it names. */
  private readonly present = new Map<string, string>();
  private readonly contents = new Map<string, ContentState>();
  /** ImagePullIntent files: the raw image string, with the content symbol it names. */
  private readonly intents = new Map<string, string>();
  /** Image strings the kubelet pulled (or intended to pull) under this very name. */
  private readonly kubeletPulled = new Set<string>();
  private edited = false;
  private readonly secrets = new Map<string, SecretState>();
  private readonly users = new Map<string, UserState>();
  private readonly serviceAccounts = new Map<string, number>();
  /** Time (model seconds) of the provider's last successful answer per service account key (cacheType ServiceAccount). */
  private readonly providerAnswers = new Map<string, number>();
  private clock = 0;
  registryUp = true;
  stsUp = true;

  constructor(spec: ScenarioSpec, version: string, resolver: Resolver, limits?: KubeletModel['limits']) {
    this.spec = spec;
    this.version = version;
    this.r = resolver;
    this.limits = limits;
    this.settings = spec.kubelet;
    for (const u of Object.keys(spec.world.users ?? {})) this.users.set(u, { variant: 1 });
    for (const [s, sec] of Object.entries(spec.world.secrets ?? {})) {
      this.secrets.set(s, { generation: 1, variant: sec.password === 'wrong' ? 'wrong' : 'v1', exists: !sec.missing });
    }
    for (const a of Object.keys(spec.world.serviceAccounts ?? {})) this.serviceAccounts.set(a, 1);
  }

  private image(sym: string): ImageSpec {
    const i = this.spec.world.images[sym];
    if (!i) throw new Error(`scenario ${this.spec.id}: no image "${sym}" in its world`);
    return i;
  }

  private content(sym: string): string {
    return this.image(sym).sameContentAs ?? sym;
  }

  private contentState(sym: string): ContentState {
    const c = this.content(sym);
    let s = this.contents.get(c);
    if (!s) {
      s = { stored: { kind: 'none' }, loadedOutsideKubelet: false };
      this.contents.set(c, s);
    }
    return s;
  }

  /** The record as the current kubelet reads it: a file of an API version it cannot decode is unreadable. */
  private recordView(cs: ContentState): OracleInput['node']['record'] {
    const st = cs.stored;
    if (st.kind !== 'present') return st;
    const reads = factsOf(this.version)?.recordApiVersionsRead ?? [];
    if (!(reads as string[]).includes(st.apiVersion)) return { kind: 'unreadable' };
    return { kind: 'present', credentialMapping: st.credentialMapping };
  }

  /** The API version the current kubelet writes records in. */
  private writesVersion(): string {
    return factsOf(this.version)?.recordApiVersion ?? 'v1beta1';
  }

  reference(sym: string, form: ReferenceForm = {}): string {
    return imageReference(sym, this.image(sym), this.r, form);
  }

  /** The reference a pod names its image by. */
  podReference(pod: PodSpec): string {
    return this.reference(pod.image, pod);
  }

  /**
   * References of an image symbol and of every symbol sharing its content, by v1 and by digest (a pull by
   * digest leaves no tag): where the content's record may be found.
   */
  contentReferences(sym: string): string[] {
    const content = this.content(sym);
    const symbols = Object.keys(this.spec.world.images).filter((s) => this.content(s) === content).sort((x, y) => (x === sym ? -1 : y === sym ? 1 : 0));
    return symbols.flatMap((s) => (this.image(s).reference ? [this.reference(s)] : [this.reference(s), this.reference(s, { digest: true })]));
  }

  /** The names containerd has for this symbol's repository and content when the pod's name is not among them. */
  private otherNames(sym: string, ref: string): { otherNames?: string[] } {
    if (this.isPresent(ref)) return {};
    const repository = imageNameOf(ref);
    const content = this.content(sym);
    const names = [...this.present].filter(([n, c]) => c === content && imageNameOf(n) === repository).map(([n]) => n);
    return names.length ? { otherNames: names } : {};
  }

  /** Whether containerd has the name a pod's reference is looked up by. */
  private isPresent(ref: string): boolean {
    return this.present.has(lookupName(ref));
  }

  kubelet(): KubeletModel {
    return kubeletModel(this.version, this.settings, this.r.registryHost(), this.limits, this.r.key());
  }

  /** The configuration's own prediction (refused or not applicable), or undefined when the kubelet starts with it. */
  configuration(): Prediction | undefined {
    const f = factsOf(this.version);
    const missing = this.settings.ensureSecretPulledImages && !f?.ensureSecretPulledImages ? ENSURE_SECRET_PULLED_IMAGES
      : this.settings.serviceAccountTokens && !f?.saTokenForCredentialProviders ? SA_TOKEN_FOR_CREDENTIAL_PROVIDERS : undefined;
    if (missing) {
      return { outcome: 'not-applicable', reason: `the ${this.version} kubelet has no ${missing} feature`, registryContact: false, record: { kind: 'unchanged' }, rules: [{ id: 'A1.feature-absent', section: missing === ENSURE_SECRET_PULLED_IMAGES ? 'A1' : 'B1', text: `${missing} does not exist in ${this.version}` }] };
    }
    // tokenAttributes.cacheType exists from 1.34; 1.33 caches a plugin's answer per service account
    // (its cache key adds the service account's, pkg/credentialprovider/plugin/plugin.go v1.33.13), which is
    // cacheType ServiceAccount: a scenario that needs Token cannot be set up there.
    if (this.settings.provider?.serviceAccount?.cacheType === 'Token' && !f?.cacheTypeRequired) {
      return { outcome: 'not-applicable', reason: `the ${this.version} kubelet has no tokenAttributes.cacheType (1.34+): it caches the plugin's answer per service account, so cacheType Token cannot be configured`, registryContact: false, record: { kind: 'unchanged' }, rules: [{ id: 'B1.cache-type-absent', section: 'B1, B4', text: `cacheType does not exist in ${this.version}` }] };
    }
    return predictConfiguration({ kubelet: this.kubelet(), provider: this.providerFor(undefined, undefined) });
  }

  private secretAccepted(secretSym: string, image: string): boolean {
    const sec = this.spec.world.secrets?.[secretSym];
    const st = this.secrets.get(secretSym);
    if (!sec || !st || sec.user === undefined) return false;
    const user = this.spec.world.users?.[sec.user];
    const us = this.users.get(sec.user);
    if (!user || !us) return false;
    return st.variant === `v${us.variant}` && user.pulls.includes(image);
  }

  private providerFor(pod: PodSpec | undefined, imageSym: string | undefined): ProviderModel | undefined {
    const p = this.settings.provider;
    if (!p) return undefined;
    const sa = pod?.serviceAccount ? this.spec.world.serviceAccounts?.[pod.serviceAccount] : undefined;
    const key = pod?.serviceAccount ? this.providerKey(pod.serviceAccount) : undefined;
    const answeredAt = key !== undefined ? this.providerAnswers.get(key) : undefined;
    return {
      matchesImage: imageSym !== undefined && this.image(imageSym).repository === p.matchRepository,
      serviceAccountMode: !!p.serviceAccount,
      audience: p.serviceAccount?.audience,
      cacheType: p.serviceAccount?.cacheType,
      requireServiceAccount: p.serviceAccount?.requireServiceAccount ?? true,
      requiredAnnotations: p.serviceAccount?.requiredAnnotations,
      optionalAnnotations: p.serviceAccount?.optionalAnnotations,
      cacheDurationSeconds: p.cacheDurationSeconds,
      audienceGranted: p.audienceRbac ?? true,
      stsGrants: imageSym !== undefined && !!sa?.stsPulls?.includes(imageSym),
      staticAccepted: false,
      cachedAnswerAgeSeconds: answeredAt !== undefined ? this.clock - answeredAt : undefined,
    };
  }

  private providerKey(saSym: string): string {
    return `${saSym}#${this.serviceAccounts.get(saSym) ?? 1}`;
  }

  /** Whether every pull secret the pod names exists now (in the world as the scenario left it). */
  secretsExist(pod: PodSpec): boolean {
    return (pod.secrets ?? []).every((s) => this.spec.world.secrets?.[s] !== undefined && this.secrets.get(s)?.exists === true);
  }

  /** The oracle input for a pod started now. */
  input(pod: PodSpec): OracleInput {
    const img = this.image(pod.image);
    const ref = this.podReference(pod);
    const cs = this.contentState(pod.image);
    const secrets: PodModel['secrets'] = [];
    const missing: string[] = [];
    for (const s of pod.secrets ?? []) {
      const spec = this.spec.world.secrets?.[s];
      const st = this.secrets.get(s);
      if (!spec || !st?.exists) {
        missing.push(this.r.secretName(s));
        continue;
      }
      secrets.push({
        coordinates: { uid: this.r.secretUid(s, st.generation), namespace: this.r.namespace(spec.namespace), name: this.r.secretName(s), credentialHash: this.r.credentialHash(s, secretUser(spec), st.variant) },
        matchesRegistry: (spec.registry ?? 'harness') === 'harness' && !img.reference,
        registryAccepts: this.secretAccepted(s, pod.image),
      });
    }
    let serviceAccount: PodModel['serviceAccount'];
    if (!pod.serviceAccount && this.settings.provider?.serviceAccount) {
      // Every pod runs as a service account: without one named, the namespace's "default" (no annotations).
      serviceAccount = { uid: `uid(default sa of ${pod.namespace})`, namespace: this.r.namespace(pod.namespace), name: 'default', annotations: {} };
    } else if (pod.serviceAccount) {
      const sa = this.spec.world.serviceAccounts?.[pod.serviceAccount];
      if (!sa) throw new Error(`scenario ${this.spec.id}: no service account "${pod.serviceAccount}"`);
      serviceAccount = { uid: this.r.serviceAccountUid(pod.serviceAccount, this.serviceAccounts.get(pod.serviceAccount) ?? 1), namespace: this.r.namespace(sa.namespace), name: this.r.serviceAccountName(pod.serviceAccount), annotations: sa.annotations };
    }
    return {
      kubelet: this.kubelet(),
      node: { present: this.isPresent(ref), ...this.otherNames(pod.image, ref), loadedOutsideKubelet: cs.loadedOutsideKubelet, kubeletPulledName: this.kubeletPulled.has(ref), record: this.recordView(cs), intent: this.intents.has(ref), editedWithoutRestart: this.edited },
      pod: { namespace: this.r.namespace(pod.namespace), image: ref, pullPolicy: pod.pullPolicy, secrets, missingSecrets: missing.length ? missing : undefined, serviceAccount },
      provider: this.providerFor(pod, pod.image),
      nodeCredentials: this.settings.nodeWideCredentials && img.repository === 'nodewide' && !img.reference ? { matchesImage: true, accepted: true } : undefined,
      registry: { up: this.registryUp, anonymousReadable: img.repository === 'public', hasImage: !img.notInRegistry },
      sts: { up: this.stsUp },
    };
  }

  predict(pod: PodSpec): Prediction {
    return predict(this.input(pod));
  }

  /**
   * Every container of a pod, in the kubelet's order (podContainers): each predicted in the world the
   * ones before it leave (on a copy of the model; applyContainers moves this one). A single-container
   * pod is predict(pod) for "main".
   */
  predictPod(pod: PodSpec): ContainerPrediction[] {
    if (!multiContainer(pod)) return [{ kind: 'container', name: 'main', pod, prediction: this.predict(pod), before: this.recordEntry(pod.image) }];
    const m = this.copy();
    let blockedBy: string | undefined;
    let blockedBySidecar = false;
    return podContainers(pod).map(({ kind, spec }) => {
      const cp = containerPod(pod, spec);
      if (blockedBy !== undefined && kind !== 'ephemeral') return { kind, name: spec.name, pod: cp, prediction: notStarted(blockedBy, blockedBySidecar) };
      const before = m.recordEntry(cp.image);
      const p = m.predict(cp);
      m.applyPod(cp, p);
      if (kind === 'init' && !ran(p.outcome)) {
        blockedBy = spec.name;
        blockedBySidecar = spec.restartPolicy === 'Always';
      }
      const rule = kind === 'init' && spec.restartPolicy === 'Always' ? { id: 'A9.sidecar', section: 'A9', text: SIDECAR_RULE } : { id: KIND_RULE_ID[kind], section: 'A9', text: KIND_RULE[kind] };
      return { kind, name: spec.name, pod: cp, before, prediction: { ...p, rules: [rule, ...p.rules] } };
    });
  }

  /** Moves the model past a pod's containers with the given (predicted) outcomes. */
  applyContainers(containers: readonly ContainerPrediction[]): void {
    for (const c of containers) if (c.prediction.outcome !== 'not-started') this.applyPod(c.pod, c.prediction);
  }

  /** An independent copy of the model's state (the spec, the resolver and the limits are shared). */
  private copy(): ScenarioModel {
    const m = new ScenarioModel(this.spec, this.version, this.r, this.limits);
    m.settings = this.settings;
    for (const [k, v] of this.present) m.present.set(k, v);
    for (const [k, v] of this.contents) m.contents.set(k, { ...v });
    for (const [k, v] of this.intents) m.intents.set(k, v);
    for (const k of this.kubeletPulled) m.kubeletPulled.add(k);
    for (const [k, v] of this.secrets) m.secrets.set(k, { ...v });
    for (const [k, v] of this.users) m.users.set(k, { ...v });
    for (const [k, v] of this.serviceAccounts) m.serviceAccounts.set(k, v);
    for (const [k, v] of this.providerAnswers) m.providerAnswers.set(k, v);
    m.edited = this.edited;
    m.clock = this.clock;
    m.registryUp = this.registryUp;
    m.stsUp = this.stsUp;
    return m;
  }

  /** Moves the model past a pod start with the given (predicted) outcome. */
  applyPod(pod: PodSpec, p: Prediction): void {
    const runs = p.outcome === 'runs-cached' || p.outcome === 'reverifies-runs' || p.outcome === 'pulls-runs';
    const ref = this.podReference(pod);
    const content = this.content(pod.image);
    if (runs && p.registryContact) {
      for (const n of pulledNames(ref, this.r.digest(content))) this.present.set(n, content);
      this.kubeletPulled.add(ref);
    }
    const cs = this.contentState(pod.image);
    if (p.record.kind === 'entry') {
      const view = this.recordView(cs);
      const mapping: Record<string, CredentialEntry> = view.kind === 'present' ? { ...view.credentialMapping } : {};
      mapping[p.record.name] = p.record.entry;
      cs.stored = { kind: 'present', credentialMapping: mapping, apiVersion: this.writesVersion() };
    } else if (p.record.kind === 'none') {
      cs.stored = { kind: 'none' };
    }
    if (pod.serviceAccount && (p.stsExchanges ?? 0) > 0 && this.settings.provider?.serviceAccount?.cacheType === 'ServiceAccount' && p.pulledWith?.kind === 'provider-service-account') {
      this.providerAnswers.set(this.providerKey(pod.serviceAccount), this.clock);
    }
  }

  private restart(): void {
    // A kubelet with the gate on that migrates (1.35+) rewrites every record it can read in its own
    // version when it starts (PR #132579); a gate-off kubelet does not touch them (NoopImagePullManager).
    const f = factsOf(this.version);
    const espOn = !!f?.ensureSecretPulledImages && (this.kubelet().gates[ENSURE_SECRET_PULLED_IMAGES] ?? f.ensureSecretPulledImages.defaultOn);
    if (espOn && f?.migratesRecords && f.recordApiVersion) {
      for (const cs of this.contents.values()) {
        if (cs.stored.kind === 'present' && (f.recordApiVersionsRead as string[]).includes(cs.stored.apiVersion)) cs.stored = { ...cs.stored, apiVersion: f.recordApiVersion };
      }
    }
    // PullManager.initialize (A7): an intent whose image is present becomes a credential-less record.
    if (espOn) {
      for (const [ref, sym] of [...this.intents]) {
        if (!this.isPresent(ref)) continue;
        // RecordImagePulled(image, imageRef, nil): a record with no credentials (observed on v1.35.4: the
        // file has no credentialMapping at all).
        const cs = this.contentState(sym);
        if (cs.stored.kind !== 'present') cs.stored = { kind: 'present', credentialMapping: {}, apiVersion: this.writesVersion() };
        this.kubeletPulled.add(ref);
        this.intents.delete(ref);
      }
    }
    this.edited = false;
    // The provider's credential cache lives in memory only (B4).
    this.providerAnswers.clear();
  }

  /** Applies a setup step other than a pod (pods go through predict/applyPod). */
  applyStep(step: Step): void {
    if ('pod' in step) throw new Error('pods go through predict() and applyPod()');
    if ('preload' in step) {
      // ctr images import keeps the archive's name (its --digests names are import-<date>@<digest>, not the repository's).
      this.present.set(lookupName(this.reference(step.preload)), this.content(step.preload));
      const cs = this.contentState(step.preload);
      if (cs.stored.kind === 'none') cs.loadedOutsideKubelet = true;
    } else if ('restartKubelet' in step) {
      this.restart();
    } else if ('swapKubelet' in step) {
      this.version = step.swapKubelet;
      this.settings = step.kubelet;
      this.restart();
    } else if ('kubelet' in step) {
      this.settings = step.kubelet;
      this.restart();
    } else if ('records' in step) {
      const e = step.records;
      if ('wipe' in e) {
        for (const cs of this.contents.values()) cs.stored = { kind: 'none' };
        this.intents.clear();
      } else if ('delete' in e) {
        this.contentState(e.delete).stored = { kind: 'none' };
      } else if ('corrupt' in e) {
        this.contentState(e.corrupt).stored = { kind: 'unreadable' };
      } else {
        this.intents.set(this.reference(e.intent), this.content(e.intent));
      }
      this.edited = true;
    } else if ('updateSecret' in step) {
      const st = this.secrets.get(step.updateSecret);
      const spec = this.spec.world.secrets?.[step.updateSecret];
      if (!st || !spec) throw new Error(`scenario ${this.spec.id}: no secret "${step.updateSecret}"`);
      if (step.password === 'new') {
        const us = this.users.get(secretUser(spec));
        if (us) us.variant += 1;
        st.variant = `v${us?.variant ?? 2}`;
      } else {
        st.variant = step.password === 'wrong' ? 'wrong' : `v${this.users.get(secretUser(spec))?.variant ?? 1}`;
      }
    } else if ('recreateSecret' in step) {
      const st = this.secrets.get(step.recreateSecret);
      if (!st) throw new Error(`scenario ${this.spec.id}: no secret "${step.recreateSecret}"`);
      st.generation += 1;
      st.exists = true;
    } else if ('recreateServiceAccount' in step) {
      this.serviceAccounts.set(step.recreateServiceAccount, (this.serviceAccounts.get(step.recreateServiceAccount) ?? 1) + 1);
    } else if ('removeImage' in step) {
      // CRI RemoveImage deletes every reference of the image the name resolves to (image_remove.go).
      const content = this.present.get(lookupName(this.reference(step.removeImage)));
      for (const [n, c] of [...this.present]) if (c === content) this.present.delete(n);
    } else if ('waitSeconds' in step) {
      this.clock += step.waitSeconds;
    } else if ('fault' in step) {
      const f = step.fault;
      if (f.outage !== undefined) {
        // The token service being down fails a pull like the registry being down: containerd cannot get a token.
        if (f.target === 'registry' || f.target === 'token') this.registryUp = !f.outage;
        else this.stsUp = !f.outage;
      }
    }
  }

  /** API versions of the records on disk, per image symbol (for evidence around kubelet swaps). */
  storedVersions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const sym of Object.keys(this.spec.world.images)) {
      const st = this.contentState(sym).stored;
      out[sym] = st.kind === 'present' ? st.apiVersion : st.kind;
    }
    return out;
  }

  /** The record entry for an image symbol's name now (in the record its content has). */
  recordEntry(sym: string): CredentialEntry | undefined {
    const view = this.recordView(this.contentState(sym));
    return view.kind === 'present' ? view.credentialMapping[this.recordName(sym)] : undefined;
  }

  /** The normalised name the record keys this image under. */
  recordName(sym: string): string {
    return imageNameOf(this.reference(sym));
  }
}

/** Steps after which the scenarios of a window synchronise: a kubelet restart or settings change. */
export function isBarrier(step: Step): boolean {
  return 'restartKubelet' in step || 'kubelet' in step || 'swapKubelet' in step;
}
