// One attempt of one planned scenario on one worker: it creates the world it owns (registry users,
// images pushed under repositories unique to it, namespaces, secrets, service accounts), runs its setup
// steps (setup pods are observed and checked against the oracle too), starts the pod under test,
// observes it blind, and is judged against the oracle's prediction for the same world with real values.
// Barriers (kubelet restarts and settings changes) are performed by the window, once for all its scenarios.
import { createHash } from 'node:crypto';
import { HarnessError } from '../errors.ts';
import type { Kube } from '../cluster/kube.ts';
import { buildFixtureImage } from '../image/fixtures.ts';
import { toOciArchive, type BuiltImage } from '../image/oci.ts';
import { normalizeImage } from '../oracle/names.ts';
import type { CredentialEntry, Prediction } from '../oracle/types.ts';
import { credentialHash } from '../credprovider/hash.ts';
import { recordPath } from '../node/records.ts';
import type { RegistryStack } from '../registry/stack.ts';
import type { Credential } from '../registry/token-service.ts';
import type { Attempt, Observation, ObservedEvent, ObservedRequest, ScenarioResult, ScenarioStages, SetAsideAttempt, SetupCheck, SwapEvidence } from '../report/types.ts';
import { generatePassword, redact } from '../util/secrets.ts';
import { ENSURE_SECRET_PULLED_IMAGES, factsOf, gateOn } from '../oracle/versions.ts';
import { ScenarioModel, isBarrier, type ContainerPrediction, type Resolver } from './model.ts';
import { attributedRequests, classify, containerEvents, containerOf, containersOf, decisiveEvents, decisiveReason, imageRefOf, podEvents, podEventsWithPaths, recordEntryOf, refusalRecorded, refusedAttempts, secretReadFailures, setAsideDecision, unreadExisting, watchDecision, type Attribution, type PodDecision, type SecretReadFailures } from './observe.ts';
import { judge, ran, sameOutcome, type Verdict } from './judge.ts';
import type { PlannedScenario } from './plan.ts';
import { multiContainer, podContainers, podImageText, secretUser, type ContainerKind, type ContainerSpec, type ImageSpec, type PodSpec, type Step } from './spec.ts';
import type { Worker } from './worker.ts';
import type { StsStack } from '../identity/stack.ts';
import type { VendorRuntime } from './vendor.ts';
import { ecrRepositoryPrefix, parseEcrHost } from '../identity/aws/names.ts';
import type { KindNode } from '../node/kind-node.ts';
import type { FaultProxy } from '../proxy/fault-proxy.ts';
import { testHooks } from '../util/test-hooks.ts';

export const ELSEWHERE_REGISTRY = 'somerepo.example.com';
const POD_DECISION_MS = 120_000;
/**
 * How many attempts of one pod may be set aside (made without a pull secret that exists) before the
 * kubelet counts as never reading it: with the image pull back-off (10 s, doubling) three attempts span
 * about 70 s. The node authorizer's lag measured here was under 2 s.
 */
export const MAX_SET_ASIDE = 3;
const NEXT_ATTEMPT_MS = 90_000;

export interface ExecEnv {
  runId: string;
  registry: RegistryStack;
  kube: Kube;
  worker: Worker;
  /** The cluster's STS (service-account credential providers), when the run needs one. */
  sts?: StsStack;
  /** The control plane node (for cluster-wide objects such as the audience RBAC). */
  controlPlane?: KindNode;
  /** A vendor's plugin and the cloud emulation it talks to (certify --in-cluster). */
  vendor?: VendorRuntime;
}

function abortable(signal: AbortSignal | undefined, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new HarnessError('aborted'));
    }, { once: true });
  });
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new HarnessError(typeof signal.reason === 'string' ? signal.reason : 'aborted');
}

/** A short key unique to one attempt of one scenario on one kubelet in one run. */
export function attemptKey(runKeyText: string, attempt: number): string {
  return createHash('sha256').update(runKeyText).digest('hex').slice(0, 8) + (attempt > 1 ? `r${attempt}` : '');
}

export class ScenarioRun {
  readonly planned: PlannedScenario;
  readonly attempt: number;
  readonly key: string;
  private readonly env: ExecEnv;
  readonly model: ScenarioModel;
  private readonly users = new Map<string, Credential>();
  private readonly secretUids = new Map<string, string>();
  private readonly secretPasswords = new Map<string, string>();
  private readonly saUids = new Map<string, string>();
  private readonly images = new Map<string, BuiltImage>();
  private readonly setupChecks: SetupCheck[] = [];
  private readonly attribution: Attribution = { repositories: new Set(), users: new Set(), serviceAccounts: new Set() };
  private podSeq = 0;
  private readonly faulted = new Set<FaultProxy>();
  /** The image manager's must-pull results the oracle predicts for this scenario's pod starts (1.35+). */
  /** The must-pull counter results the setup pods are predicted to increment. */
  readonly predictedChecks: string[] = [];
  /** The act's predicted must-pull counter result: as specified, and as a known bug would count it. */
  private actChecks: { specified?: string; bug?: string } = {};

  /** Every must-pull counter result this scenario's pod starts increment, given how it was judged. */
  checksCounted(status: ScenarioResult['status']): string[] {
    const act = status === 'known-bug' && this.actChecks.bug ? this.actChecks.bug : this.actChecks.specified;
    return [...this.predictedChecks, ...(act ? [act] : [])];
  }
  /** Pod starts that reached the kubelet's image manager (each increments ensure_image_requests_total). */
  podStarts = 0;
  /** When the scenario's own work began (its world being created), and the time it was busy. */
  startedAt = new Date();
  private started = false;
  activeMs = 0;

  /** Times one stretch of the scenario's own work (windows interleave scenarios). */
  async busy<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.started) {
      this.started = true;
      this.startedAt = new Date();
    }
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.activeMs += performance.now() - t0;
    }
  }
  /** Where the scenario's busy time went (ScenarioStages). */
  readonly stages: ScenarioStages = { world: 0, setupPods: 0, setupSteps: 0, podUnderTest: 0, podDecisions: [] };
  private async timed<T>(stage: Exclude<keyof ScenarioStages, 'podDecisions'>, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.stages[stage] += (performance.now() - t0) / 1000;
    }
  }
  private phaseIndex = 0;
  private readonly phases: Step[][];
  private readonly barriers: Step[];
  failure?: { status: 'failed' | 'error'; message: string };
  result?: ScenarioResult;

  constructor(planned: PlannedScenario, attempt: number, env: ExecEnv) {
    this.planned = planned;
    this.attempt = attempt;
    this.env = env;
    this.key = attemptKey(`${planned.id}@${planned.kubelet}`, attempt);
    this.model = new ScenarioModel(planned.spec, planned.kubelet, this.resolver(), planned.limits);
    const phases: Step[][] = [[]];
    const barriers: Step[] = [];
    for (const s of planned.spec.setup ?? []) {
      if (isBarrier(s)) {
        barriers.push(s);
        phases.push([]);
      } else {
        (phases[phases.length - 1] as Step[]).push(s);
      }
    }
    this.phases = phases;
    this.barriers = barriers;
  }

  get name(): string {
    return this.planned.name;
  }

  /** Values of the symbols, as created for real. */
  private resolver(): Resolver {
    const key = (): string => this.key;
    return {
      key,
      registryHost: () => this.env.registry.host,
      repository: (image, spec) => `${spec.repository}/${key()}/${image}`,
      namespace: (sym) => `pp-${key()}-${sym}`.toLowerCase().slice(0, 63),
      secretName: (sym) => sym,
      secretUid: (sym) => this.secretUids.get(sym) ?? `missing-${sym}`,
      credentialHash: (sym) => {
        const spec = this.planned.spec.world.secrets?.[sym];
        const user = spec?.user !== undefined ? this.users.get(spec.user) : undefined;
        const password = this.secretPasswords.get(sym);
        return user && password !== undefined ? credentialHash({ username: user.username, password }) : `missing-${sym}`;
      },
      serviceAccountName: (sym) => sym,
      serviceAccountUid: (sym) => this.saUids.get(sym) ?? `missing-${sym}`,
      digest: (content) => {
        const img = this.images.get(content);
        if (!img) throw new HarnessError(`scenario ${this.planned.id}: the digest of ${content} is asked before its image is built`);
        return img.manifest.digest;
      },
    };
  }

  private imageSpec(sym: string): ImageSpec {
    const s = this.planned.spec.world.images[sym];
    if (!s) throw new HarnessError(`scenario ${this.planned.id}: no image ${sym}`);
    return s;
  }

  /** Where an image is stored in the harness registry (the node mirror's path for docker.io names). */
  registryPath(sym: string): string {
    const spec = this.imageSpec(sym);
    const ref = this.model.reference(sym);
    if (spec.host) return `${ecrRepositoryPrefix(spec.host)}/${spec.repository}/${this.key}/${sym}`;
    if (!spec.reference) return `${spec.repository}/${this.key}/${sym}`;
    const n = normalizeImage(ref);
    if (!n) throw new HarnessError(`scenario ${this.planned.id}: ${ref} is not an image reference`);
    return `mirror/${n.domain}/${n.path}`;
  }

  /** A service account's annotations, "{role}" made the role ARN of this service account in this scenario. */
  private annotationsOf(sym: string): Record<string, string> {
    const sa = this.planned.spec.world.serviceAccounts?.[sym];
    return Object.fromEntries(Object.entries(sa?.annotations ?? {}).map(([k, v]) => [k, v.replace('{role}', this.roleArn(sym))]));
  }

  /** The IAM role made for a service account, in the account of the scenario's cloud registry. */
  private roleArn(sym: string): string {
    const host = Object.values(this.planned.spec.world.images).find((i) => i.host)?.host;
    const account = (host && parseEcrHost(host)?.account) ?? '123456789012';
    return `arn:aws:iam::${account}:role/pp-${this.key}-${sym}`;
  }

  private namespaceOf(sym: string): string {
    return `pp-${this.key}-${sym}`.toLowerCase().slice(0, 63);
  }

  private userName(sym: string): string {
    return `${this.key}-${sym}`;
  }

  /** Creates the scenario's world: users, images, namespaces, secrets, service accounts. */
  async prepare(signal?: AbortSignal): Promise<void> {
    await this.timed('world', () => this.createWorld(signal));
  }

  private async createWorld(signal?: AbortSignal): Promise<void> {
    const w = this.planned.spec.world;
    const stack = this.env.registry;
    for (const [sym, u] of Object.entries(w.users ?? {})) {
      const name = this.userName(sym);
      this.users.set(sym, stack.tokens.addUser(name, { repositories: u.pulls.map((i) => this.registryPath(i)), origin: 'static' }));
      this.attribution.users.add(name);
    }
    const admin = stack.client(stack.admin);
    try {
      for (const [sym, spec] of Object.entries(w.images)) {
        checkAborted(signal);
        const content = spec.sameContentAs ?? sym;
        let img = this.images.get(content);
        if (!img) {
          img = await buildFixtureImage({ scenario: this.key, variant: content });
          this.images.set(content, img);
        }
        this.images.set(sym, img);
        const path = this.registryPath(sym);
        this.attribution.repositories.add(path);
        if (spec.repository === 'public') stack.tokens.addPublicRepositories(path);
        // A private image under a public registry's name lives under the node mirror's prefix, which is
        // anonymously readable for the system images: this path is made to need credentials.
        else if (spec.reference) stack.tokens.addPrivateRepositories(path);
        if (!spec.notInRegistry) {
          for (const tag of [normalizeImage(this.model.reference(sym))?.tag ?? 'v1', ...(spec.tags ?? [])]) await admin.push(path, tag, img);
        }
      }
    } finally {
      admin.close();
    }
    for (const ns of w.namespaces ?? ['a', 'b']) {
      checkAborted(signal);
      await this.env.kube.ensureNamespace(this.namespaceOf(ns), { 'io.pullproof.scenario': this.key });
      this.attribution.serviceAccounts.add(`${this.namespaceOf(ns)}/default`);
    }
    const late = testHooks.lateSecret?.(this.planned.id)?.secret;
    for (const [sym, s] of Object.entries(w.secrets ?? {})) {
      if (s.missing) continue;
      if (sym === late) {
        // Created after the pod's first attempt (the seam's lateSecret); its credentials are known now, for the prediction.
        const user = this.users.get(secretUser(s));
        if (user) this.secretPasswords.set(sym, user.password);
        continue;
      }
      await this.createSecret(sym, s.password === 'wrong' ? 'wrong' : 'valid');
    }
    for (const [sym, sa] of Object.entries(w.serviceAccounts ?? {})) {
      const ns = this.namespaceOf(sa.namespace);
      this.saUids.set(sym, await this.env.kube.createServiceAccount(ns, sym, this.annotationsOf(sym)));
      this.attribution.serviceAccounts.add(`${ns}/${sym}`);
      // The STS grants by name (a recreated service account is granted again; the kubelet's record, by uid, is what changes).
      if (sa.stsPulls?.length) this.env.sts?.policy.allow({ namespace: ns, serviceAccount: sym, repositories: sa.stsPulls.map((i) => this.registryPath(i)) });
      // A vendor's cloud: the role made for this service account trusts it (ECR then reads the host's whole prefix).
      if (sa.stsPulls?.length && this.env.vendor) this.env.vendor.aws.aws.allowRole({ arn: this.roleArn(sym), trust: [{ namespace: ns, serviceAccount: sym }] });
    }
  }

  private async createSecret(sym: string, password: 'valid' | 'wrong', update = false): Promise<void> {
    const s = this.planned.spec.world.secrets?.[sym];
    const user = s?.user !== undefined ? this.users.get(s.user) : undefined;
    if (!s || !user) throw new HarnessError(`scenario ${this.planned.id}: secret ${sym} names an unknown user`);
    const pw = password === 'valid' ? user.password : generatePassword();
    this.secretPasswords.set(sym, pw);
    const spec = { namespace: this.namespaceOf(s.namespace), name: sym, registry: (s.registry ?? 'harness') === 'harness' ? this.env.registry.host : ELSEWHERE_REGISTRY, username: user.username, password: pw };
    this.secretUids.set(sym, update ? await this.env.kube.updatePullSecret(spec) : await this.env.kube.createPullSecret(spec));
  }

  /** Runs the non-barrier steps of the current phase; the window performs the barrier after it. */
  async runPhase(signal?: AbortSignal): Promise<void> {
    const steps = this.phases[this.phaseIndex] ?? [];
    for (const step of steps) {
      checkAborted(signal);
      await this.timed('pod' in step ? 'setupPods' : 'setupSteps', () => this.step(step, signal));
    }
  }

  /** The barrier after the current phase (undefined after the last one). */
  get nextBarrier(): Step | undefined {
    return this.barriers[this.phaseIndex];
  }

  /** Moves the model past the barrier the window just performed. */
  passBarrier(): void {
    const b = this.barriers[this.phaseIndex];
    if (b) this.model.applyStep(b);
    this.phaseIndex++;
  }

  /** The pod's secrets that exist (the model's world: created and not deleted). */
  private existingSecrets(pod: PodSpec): string[] {
    return (pod.secrets ?? []).filter((s) => this.model.secretsExist({ ...pod, secrets: [s] }));
  }

  /** The oracle's prediction for the pod without some of its secrets (what the kubelet does when it cannot read them). */
  private predictWithout(pod: PodSpec, unread: readonly string[]): Prediction {
    return this.model.predict({ ...pod, secrets: (pod.secrets ?? []).filter((s) => !unread.includes(s)) });
  }

  /** What the kubelet said about this pod's pull secrets so far (its events, and its log since the pod was created). */
  /**
   * What the kubelet said about reading the pod's pull secrets, from the events given and its log. The
   * log is read again (for up to 5 s) until it shows as many refused attempts as the events count, so
   * that the attempt observed is in it with its own sync's secret read.
   */
  private async readFailures(namespace: string, name: string, events: ObservedEvent[], since: Date, signal?: AbortSignal): Promise<SecretReadFailures> {
    const want = refusedAttempts(events);
    const deadline = Date.now() + 5000;
    for (;;) {
      const lines = await this.env.worker.node.kubeletLogLines(since, `pod="${namespace}/${name}"`).catch(() => []);
      const f = secretReadFailures(events, lines, namespace, name);
      if (Object.values(f.refusals).reduce((n, r) => n + r.length, 0) >= want || Date.now() > deadline || signal?.aborted) return f;
      await abortable(signal, 500);
    }
  }

  private setAsideReason(pod: PodSpec, c: Pick<Observation, 'outcome' | 'cause'>, f: SecretReadFailures, before: { eventCount: number; logLines: number; refusals?: number }): { secrets: string[]; evidence: string } | undefined {
    const why = setAsideDecision({ observed: c, failures: f, before, listed: pod.secrets ?? [], existing: this.existingSecrets(pod), without: (unread) => this.predictWithout(pod, unread) });
    return why ? { ...why, evidence: redact(why.evidence) } : undefined;
  }

  /**
   * A pod whose container ran although the kubelet said it could not read a pull secret that exists:
   * judged like any other; when it disagrees with the oracle only as the pod without that secret would,
   * the disagreement is the missing secret's, not a verdict on credential verification.
   */
  private ranWithoutSecret(pod: PodSpec, observation: Observation, f: SecretReadFailures): string | undefined {
    if (!ran(observation.outcome)) return undefined;
    const unread = unreadExisting(f, pod.secrets ?? [], this.existingSecrets(pod));
    if (!unread.length) return undefined;
    if (!sameOutcome(this.predictWithout(pod, unread).outcome, observation.outcome)) return undefined;
    return `the kubelet ran the container without the pod's pull secret ${unread.join(', ')}, which exists (${redact(f.text ?? '').slice(0, 200)}): the run is the one the oracle predicts for the pod without it, so the disagreement is not a verdict on credential verification`;
  }

  /** Evidence of each kubelet swap: the record files' API versions read before and after, and the model's. */
  readonly swaps: SwapEvidence[] = [];

  /**
   * The API version of each of this scenario's images' pulled records as the node's files say
   * (`none` when the image or its record is absent, `unreadable` when the file does not decode).
   */
  async recordVersionsOnNode(): Promise<Record<string, string>> {
    const node = this.env.worker.node;
    const out: Record<string, string> = {};
    for (const sym of Object.keys(this.planned.spec.world.images)) {
      const ref = await imageRefOf(node, this.model.reference(sym));
      const file = ref ? await node.readPulledRecord(ref) : undefined;
      out[sym] = !file ? 'none' : file.record ? (file.record.apiVersion.split('/')[1] ?? file.record.apiVersion) : 'unreadable';
    }
    return out;
  }

  /** Notes a swap the window performed (after passBarrier: the model has applied it). */
  noteSwap(swap: { from: string; to: string; seconds: number }, before: Record<string, string>, after: Record<string, string>): void {
    const expected = this.model.storedVersions();
    const ok = Object.keys(expected).every((k) => expected[k] === after[k]);
    this.swaps.push({ from: swap.from, to: swap.to, seconds: swap.seconds, recordsBefore: before, recordsAfter: after, expectedAfter: expected, ok });
  }

  private async step(step: Step, signal?: AbortSignal): Promise<void> {
    const node = this.env.worker.node;
    if ('pod' in step && multiContainer(step.pod)) {
      await this.setupContainers(step.pod, (this.planned.spec.setup ?? []).indexOf(step), signal);
    } else if ('pod' in step) {
      const idx = (this.planned.spec.setup ?? []).indexOf(step);
      const prediction = this.model.predict(step.pod);
      const { observation } = await this.runPod(step.pod, `setup${++this.podSeq}`, signal);
      this.countSetAside(observation.setAside, (secrets) => this.predictWithout(step.pod, secrets));
      const ok = sameOutcome(prediction.outcome, observation.outcome) && !observation.secretsUnread;
      this.setupChecks.push({ step: idx, what: `pod ${step.pod.pullPolicy} ${podImageText(step.pod)} in ${step.pod.namespace}${step.pod.secrets?.length ? ` with ${step.pod.secrets.join(', ')}` : ''}${step.pod.serviceAccount ? ` as ${step.pod.serviceAccount}` : ''}`, expected: prediction.outcome, observed: observation.outcome, ok, ...(observation.setAside ? { setAside: observation.setAside } : {}) });
      if (!ok) {
        const broken = observation.requests.find((r) => r.fault?.startsWith('upstream error'));
        const harnessFault = observation.outcome === 'no-outcome' || broken !== undefined || observation.secretsUnread !== undefined;
        this.failure = { status: harnessFault ? 'error' : 'failed', message: `setup step ${idx + 1}: expected the pod to end ${prediction.outcome}; observed ${observation.outcome}: ${observation.summary}${broken ? ` (the harness's ${broken.target} failed behind its proxy: ${broken.fault})` : ''}${observation.secretsUnread ? ` (${observation.secretsUnread})` : ''}` };
        throw new SetupFailed(this.failure.message);
      }
      this.model.applyPod(step.pod, prediction);
      this.podStarts++;
      if (prediction.mustPullCheck) this.predictedChecks.push(prediction.mustPullCheck);
    } else if ('preload' in step) {
      const img = this.images.get(step.preload);
      if (!img) throw new HarnessError(`no image ${step.preload}`);
      // Loaded under its normalised name (docker.io/org/app:v1 for org/app:v1), as a pull or `kind load`
      // stores it: containerd's CRI looks images up by the normalised name, and `ctr images import` keeps
      // the archive's name as written, so a familiar name would be present for ctr and absent for the kubelet.
      const ref = this.model.reference(step.preload);
      const n = normalizeImage(ref);
      await node.loadImage(await toOciArchive(img, n ? `${n.name}${n.tag ? `:${n.tag}` : ''}${n.digest ? `@${n.digest}` : ''}` : ref));
      this.model.applyStep(step);
    } else if ('records' in step) {
      const e = step.records;
      if ('wipe' in e) await node.wipeRecords({ restart: false });
      else if ('intent' in e) await node.writeRecord({ kind: 'ImagePullIntent', apiVersion: `kubelet.config.k8s.io/${this.recordApiVersion()}`, image: this.model.reference(e.intent) }, { restart: false });
      else {
        const sym = 'delete' in e ? e.delete : e.corrupt;
        const ref = await this.imageRef(sym);
        if ('delete' in e) await node.deleteRecord('ImagePulledRecord', ref, { restart: false });
        else await node.corruptRecord('ImagePulledRecord', ref, { restart: false });
      }
      this.model.applyStep(step);
    } else if ('updateSecret' in step) {
      if (step.password === 'new') {
        const s = this.planned.spec.world.secrets?.[step.updateSecret];
        const name = s ? secretUser(s) : undefined;
        const user = name !== undefined ? this.users.get(name) : undefined;
        if (name === undefined || !user) throw new HarnessError(`secret ${step.updateSecret} names an unknown user`);
        const spec = this.planned.spec.world.users?.[name];
        this.users.set(name, this.env.registry.tokens.addUser(user.username, { repositories: (spec?.pulls ?? []).map((i) => this.registryPath(i)), origin: 'static' }));
      }
      await this.createSecret(step.updateSecret, step.password === 'wrong' ? 'wrong' : 'valid', true);
      this.model.applyStep(step);
    } else if ('recreateSecret' in step) {
      const s = this.planned.spec.world.secrets?.[step.recreateSecret];
      if (!s) throw new HarnessError(`no secret ${step.recreateSecret}`);
      await this.env.kube.deleteSecret(this.namespaceOf(s.namespace), step.recreateSecret);
      const pw = this.secretPasswords.get(step.recreateSecret);
      const user = this.users.get(secretUser(s));
      await this.createSecret(step.recreateSecret, pw === user?.password ? 'valid' : 'wrong');
      this.model.applyStep(step);
    } else if ('recreateServiceAccount' in step) {
      const sa = this.planned.spec.world.serviceAccounts?.[step.recreateServiceAccount];
      if (!sa) throw new HarnessError(`no service account ${step.recreateServiceAccount}`);
      const ns = this.namespaceOf(sa.namespace);
      await this.env.kube.deleteServiceAccount(ns, step.recreateServiceAccount);
      this.saUids.set(step.recreateServiceAccount, await this.env.kube.createServiceAccount(ns, step.recreateServiceAccount, this.annotationsOf(step.recreateServiceAccount)));
      this.model.applyStep(step);
    } else if ('removeImage' in step) {
      await node.exec(['crictl', 'rmi', this.model.reference(step.removeImage)], { allowFailure: true });
      this.model.applyStep(step);
    } else if ('waitSeconds' in step) {
      await abortable(signal, step.waitSeconds * 1000);
      this.model.applyStep(step);
    } else if ('fault' in step) {
      const f = step.fault;
      const proxy = f.target === 'registry' ? this.env.registry.proxy : f.target === 'token' ? this.env.registry.tokenProxy : this.env.sts?.proxy;
      if (!proxy) throw new HarnessError(`scenario ${this.planned.id}: a fault at the STS needs a run with a service-account credential provider`);
      if (f.outage === true) await proxy.outage();
      else if (f.outage === false) await proxy.restore();
      if (f.latencyMs !== undefined) proxy.setLatency(f.latencyMs);
      if (f.failNext) proxy.failNext(f.failNext);
      this.faulted.add(proxy);
      this.model.applyStep(step);
    } else {
      throw new HarnessError(`barrier step ${JSON.stringify(step)} reached a scenario; the window performs barriers`);
    }
  }

  private recordApiVersion(): string {
    return factsOf(this.model.version)?.recordApiVersion ?? 'v1beta1';
  }

  private async imageRef(sym: string): Promise<string> {
    const { imageRefOf } = await import('./observe.ts');
    const ref = await imageRefOf(this.env.worker.node, this.model.reference(sym));
    if (!ref) throw new HarnessError(`image ${sym} (${this.model.reference(sym)}) is not on ${this.env.worker.name}`);
    return ref;
  }

  /**
   * Creates a pod on the worker, observes it blind, deletes it. An attempt the kubelet made without a
   * pull secret that exists (setAsideReason) is not judged: the observer waits for the kubelet's next
   * attempt after its back-off and observes that one, with the requests made since; every attempt set
   * aside is kept in the observation. After MAX_SET_ASIDE of them the observation says so (secretsUnread).
   */
  private async runPod(pod: PodSpec, name: string, signal?: AbortSignal, recover?: { withinSeconds: number }, afterFirstDecision?: () => Promise<void>): Promise<{ observation: Observation }> {
    const kube = this.env.kube;
    const namespace = this.namespaceOf(pod.namespace);
    const image = this.model.podReference(pod);
    let cursor = this.env.registry.log.cursor;
    const t0 = performance.now();
    const created = new Date();
    await createPodWithRetry(kube, {
      namespace, name, node: this.env.worker.name, image, pullPolicy: pod.pullPolicy, pullSecrets: pod.secrets ?? [],
      serviceAccount: pod.serviceAccount, privileged: pod.privileged,
    }, signal);
    try {
      let d = await watchDecision(kube, namespace, name, { signal, timeoutMs: POD_DECISION_MS });
      await afterFirstDecision?.();
      let events = await decisiveEvents(kube, namespace, name, d, signal);
      const setAside: SetAsideAttempt[] = [];
      let seen = { eventCount: 0, logLines: 0, refusals: 0 };
      let secretsUnread: string | undefined;
      for (;;) {
        const c = classify(d, attributedRequests(this.env.registry.log, this.attribution, cursor), events);
        // Only a pod that lists a secret that exists can be affected; only a refusal is ever set aside.
        // A pod that ran is always judged (its verdict reads the kubelet's log later, if it needs it).
        if (this.existingSecrets(pod).length === 0 || (c.outcome !== 'pull-fails' && c.outcome !== 'never-pull')) break;
        events = await this.withRefusalRecorded(namespace, name, d, events, signal);
        const failures = await this.readFailures(namespace, name, events, created, signal);
        const why = this.setAsideReason(pod, c, failures, seen);
        if (!why) break;
        const inLog = failures.refusals.main?.length ?? 0;
        seen = { eventCount: failures.eventCount, logLines: failures.logLines, refusals: inLog };
        if (setAside.length >= MAX_SET_ASIDE) {
          secretsUnread = `the kubelet did not read the pod's pull secret ${why.secrets.join(', ')}, which exists, in ${setAside.length + 1} attempts over ${((performance.now() - t0) / 1000).toFixed(0)} s: each ran without it (${why.evidence.slice(0, 200)}); the node authorizer or the kubelet's secret cache never caught up with the pod`;
          break;
        }
        const refusedAt = d.decidedAt ?? new Date();
        // The next attempt is one after every refusal seen so far, in the events or in the log.
        const marks = Math.max(refusedAttempts(events), inLog);
        cursor = this.env.registry.log.cursor;
        const next = await this.nextAttempt(namespace, name, marks, signal);
        setAside.push({ decidedAt: refusedAt.toISOString(), outcome: c.outcome, summary: c.summary, secrets: why.secrets, evidence: why.evidence, seconds: (Date.now() - refusedAt.getTime()) / 1000 });
        d = next.decision;
        events = next.events;
      }
      if (d.decidedAt && d.decided) this.stages.podDecisions.push(Math.max(0, (d.decidedAt.getTime() - created.getTime()) / 1000));
      const requests = attributedRequests(this.env.registry.log, this.attribution, cursor);
      const c = classify(d, requests, events);
      const record = await recordEntryOf(this.env.worker.node, [image, ...this.model.contentReferences(pod.image)], this.model.recordName(pod.image));
      const observation: Observation = {
        ...c, phase: d.phase, container: d.container, events, requests, record,
        timings: { createdAt: (d.createdAt ?? new Date()).toISOString(), decidedAt: d.decidedAt?.toISOString(), seconds: (performance.now() - t0) / 1000 },
        ...(setAside.length ? { setAside } : {}),
        ...(secretsUnread ? { secretsUnread } : {}),
      };
      if (recover) {
        // The faults end; the same pod must start within the kubelet's image pull back-off plus a margin.
        const lifted = performance.now();
        await this.liftFaults();
        const again = await watchDecision(kube, namespace, name, { signal, timeoutMs: recover.withinSeconds * 1000, runningOnly: true });
        observation.recovery = { ran: again.container.state === 'running', seconds: (performance.now() - lifted) / 1000, state: `${again.container.state}${again.container.reason ? ` ${again.container.reason}` : ''}` };
      }
      return { observation };
    } finally {
      await kube.deletePod(namespace, name).catch(() => undefined);
    }
  }

  /** Events once the refusal's own "Error: <reason>" event is visible (up to 5 s), so the next attempt is told apart. */
  private async withRefusalRecorded(namespace: string, name: string, d: PodDecision, events: ObservedEvent[], signal?: AbortSignal): Promise<ObservedEvent[]> {
    const deadline = Date.now() + 5000;
    while (!refusalRecorded(d, events) && Date.now() < deadline && !signal?.aborted) {
      await abortable(signal, 250);
      events = await podEvents(this.env.kube, namespace, name);
    }
    return events;
  }

  /**
   * The kubelet's next attempt for a pod after a refusal: the container running or terminated, or one
   * more refused attempt recorded (its "Error: <reason>" event) with the pod showing a refusal again.
   * Polled once a second (this path is rare: a kubelet that did not read a pull secret).
   */
  private async nextAttempt(namespace: string, name: string, marks: number, signal?: AbortSignal): Promise<{ decision: PodDecision; events: ObservedEvent[] }> {
    let first: Date | undefined;
    const r = await this.pollNextAttempt(async () => {
      first ??= new Date();
      return { decision: { ...containerOf(await this.env.kube.readPod(namespace, name)), createdAt: first }, events: await podEvents(this.env.kube, namespace, name) };
    }, marks, signal);
    if (!r.at) return { decision: { ...r.decision, decided: false }, events: r.events };
    const decision = { ...r.decision, decidedAt: r.at };
    return { decision, events: r.started ? await decisiveEvents(this.env.kube, namespace, name, decision, signal) : r.events };
  }

  /**
   * Polls (once a second, up to NEXT_ATTEMPT_MS) what read() gives until the kubelet's next attempt
   * after a refusal: the container started, or its "Error: <reason>" events counted more than marks
   * with the container refused again (not merely in back-off). `at` is when that poll began; absent
   * when the time ran out.
   */
  private async pollNextAttempt(read: () => Promise<{ decision: PodDecision; events: ObservedEvent[] }>, marks: number, signal?: AbortSignal): Promise<{ decision: PodDecision; events: ObservedEvent[]; started: boolean; at?: Date }> {
    const deadline = Date.now() + NEXT_ATTEMPT_MS;
    let last: { decision: PodDecision; events: ObservedEvent[] } = { decision: { decided: false, container: { state: 'none' } }, events: [] };
    while (Date.now() < deadline) {
      checkAborted(signal);
      await abortable(signal, 1000);
      const at = new Date();
      last = await read();
      const d = last.decision;
      const started = d.container.state === 'running' || d.container.state === 'terminated';
      if (started || (d.decided && d.container.reason !== 'ImagePullBackOff' && refusedAttempts(last.events) > marks)) return { ...last, started, at };
    }
    return { ...last, started: false };
  }

  // ---- pods of several containers (init, more containers, ephemeral) --------------------------------

  /** A container's reference as the pod names it. */
  private containerReference(c: ContainerSpec): string {
    return this.model.reference(c.image, c);
  }

  /** Each container's decision, once every one of them is decided (or the time is up), with when each was. */
  private async watchContainers(namespace: string, name: string, containers: readonly { kind: ContainerKind; name: string }[], signal?: AbortSignal): Promise<Map<string, PodDecision>> {
    let last = new Map<string, PodDecision>();
    const decidedAt = new Map<string, Date>();
    let createdAt: Date | undefined;
    await this.env.kube.watchPod(namespace, name, (pod, at) => {
      createdAt ??= at;
      last = containersOf(pod, containers);
      for (const [n, d] of last) if (d.decided && !decidedAt.has(n)) decidedAt.set(n, at);
      return [...last.values()].every((d) => d.decided);
    }, { signal, timeoutMs: POD_DECISION_MS });
    for (const [n, d] of last) last.set(n, { ...d, createdAt, decidedAt: decidedAt.get(n) });
    return last;
  }

  /**
   * Creates a pod of several containers, observes each blind, deletes it: init containers run /done (they
   * must complete for the next to start), the containers are created with the pod, the ephemeral ones are
   * added once the others are decided (as kubectl debug does). Each container's requests are those of its
   * own image's repository; its events those whose fieldPath names it. A container decided without a pull
   * secret that exists is judged on the kubelet's next attempt (set aside, as for one container); after
   * MAX_SET_ASIDE such attempts it is an error (secretsUnread), never a verdict.
   */
  private async runContainers(pod: PodSpec, name: string, signal?: AbortSignal, afterFirstDecision?: () => Promise<void>): Promise<Map<string, Observation>> {
    const kube = this.env.kube;
    const namespace = this.namespaceOf(pod.namespace);
    const list = podContainers(pod);
    const cursor = this.env.registry.log.cursor;
    const t0 = performance.now();
    const created = new Date();
    const spec = (c: ContainerSpec, command?: string[]): { name: string; image: string; pullPolicy: ContainerSpec['pullPolicy']; command?: string[] } => ({ name: c.name, image: this.containerReference(c), pullPolicy: c.pullPolicy, ...(command ? { command } : {}) });
    await createPodWithRetry(kube, {
      namespace, name, node: this.env.worker.name, image: this.model.podReference(pod), pullPolicy: pod.pullPolicy, pullSecrets: pod.secrets ?? [],
      serviceAccount: pod.serviceAccount, privileged: pod.privileged,
      // An init container runs /done and completes; a sidecar keeps running the image's own program.
      initContainers: list.filter((c) => c.kind === 'init').map((c) => (c.spec.restartPolicy ? { ...spec(c.spec), restartPolicy: c.spec.restartPolicy } : spec(c.spec, ['/done']))),
      containers: list.filter((c) => c.kind === 'container' && c.spec.name !== 'main').map((c) => spec(c.spec)),
    }, signal);
    try {
      const decisions = await this.watchContainers(namespace, name, list.filter((c) => c.kind !== 'ephemeral').map((c) => ({ kind: c.kind, name: c.spec.name })), signal);
      await afterFirstDecision?.();
      for (const e of list.filter((c) => c.kind === 'ephemeral')) {
        checkAborted(signal);
        await kube.addEphemeralContainer(namespace, name, spec(e.spec));
        const d = (await this.watchContainers(namespace, name, [{ kind: 'ephemeral', name: e.spec.name }], signal)).get(e.spec.name);
        if (d) decisions.set(e.spec.name, d);
      }
      // A container the kubelet decided without a pull secret that exists (the node authorizer lag) is not
      // judged on that attempt: the observer waits for the kubelet's next attempt of that container and
      // watches every container to its decision again (those after a retried init container go on then).
      const existing = this.existingSecrets(pod);
      const cursors = new Map<string, number>();
      const setAside = new Map<string, SetAsideAttempt[]>();
      const requestsOf = (c: (typeof list)[number]): ObservedRequest[] => attributedRequests(this.env.registry.log, { repositories: new Set([this.registryPath(c.spec.image)]), users: new Set(), serviceAccounts: this.attribution.serviceAccounts }, cursors.get(c.spec.name) ?? cursor);
      let events = await this.containerEventsDecided(namespace, name, list, decisions, signal);
      let failures = existing.length ? await this.readFailures(namespace, name, events, created, signal) : undefined;
      let seen = { eventCount: 0, logLines: 0 };
      const seenInLog = new Map<string, number>();
      const stillUnread = new Map<string, string>();
      for (let round = 0; failures; round++) {
        const f = failures;
        const lagged = list.flatMap((c) => {
          const d = decisions.get(c.spec.name);
          if (!d) return [];
          const cls = classify(d, requestsOf(c), containerEvents(events, c.kind, c.spec.name));
          const why = setAsideDecision({ observed: cls, failures: f, before: { ...seen, refusals: seenInLog.get(c.spec.name) ?? 0 }, container: c.spec.name, listed: pod.secrets ?? [], existing, without: (unread) => this.predictContainerWithout(pod, c.spec.name, unread) });
          return why ? [{ c, d, cls, why }] : [];
        });
        if (!lagged.length) break;
        if (round >= MAX_SET_ASIDE) {
          for (const l of lagged) stillUnread.set(l.c.spec.name, `the kubelet decided container ${l.c.spec.name} without the pod's pull secret ${l.why.secrets.join(', ')}, which exists, in ${round + 1} attempts (${redact(l.why.evidence).slice(0, 200)}): the node authorizer or the kubelet's secret cache never caught up with the pod; not judged`);
          break;
        }
        seen = { eventCount: f.eventCount, logLines: f.logLines };
        for (const l of lagged) seenInLog.set(l.c.spec.name, f.refusals[l.c.spec.name]?.length ?? 0);
        for (const l of lagged) cursors.set(l.c.spec.name, this.env.registry.log.cursor);
        await Promise.all(lagged.map(async (l) => {
          const refusedAt = l.d.decidedAt ?? new Date();
          await this.nextContainerAttempt(namespace, name, l.c.kind, l.c.spec.name, Math.max(refusedAttempts(containerEvents(events, l.c.kind, l.c.spec.name)), seenInLog.get(l.c.spec.name) ?? 0), signal);
          setAside.set(l.c.spec.name, [...(setAside.get(l.c.spec.name) ?? []), { decidedAt: refusedAt.toISOString(), outcome: l.cls.outcome, summary: l.cls.summary, secrets: l.why.secrets, evidence: redact(l.why.evidence), seconds: (Date.now() - refusedAt.getTime()) / 1000 }]);
        }));
        const retried = new Set(lagged.map((l) => l.c.spec.name));
        const again = await this.watchContainers(namespace, name, list.map((c) => ({ kind: c.kind, name: c.spec.name })), signal);
        for (const [n, d] of again) {
          const before = decisions.get(n);
          // A decision that stands keeps its time; a retried container's, and those it held up, are new.
          if (retried.has(n) || !before?.decided || before.container.reason === 'PodInitializing' || before.container.state === 'none') decisions.set(n, d);
        }
        events = await this.containerEventsDecided(namespace, name, list, decisions, signal);
        failures = await this.readFailures(namespace, name, events, created, signal);
      }
      const out = new Map<string, Observation>();
      for (const c of list) {
        const d = decisions.get(c.spec.name) ?? { decided: false, container: { state: 'none' as const } };
        if (d.decidedAt && d.decided) this.stages.podDecisions.push(Math.max(0, (d.decidedAt.getTime() - created.getTime()) / 1000));
        const evs = containerEvents(events, c.kind, c.spec.name);
        const requests = requestsOf(c);
        const cls = classify(d, requests, evs);
        const record = await recordEntryOf(this.env.worker.node, [this.containerReference(c.spec), ...this.model.contentReferences(c.spec.image)], this.model.recordName(c.spec.image));
        const unreadWhy = stillUnread.get(c.spec.name);
        const attempts = setAside.get(c.spec.name);
        out.set(c.spec.name, {
          ...cls, phase: d.phase, container: d.container, events: evs, requests, record,
          timings: { createdAt: (d.createdAt ?? created).toISOString(), decidedAt: d.decidedAt?.toISOString(), seconds: (performance.now() - t0) / 1000 },
          ...(attempts ? { setAside: attempts } : {}),
          ...(unreadWhy ? { secretsUnread: unreadWhy } : {}),
        });
      }
      return out;
    } finally {
      await kube.deletePod(namespace, name).catch(() => undefined);
    }
  }

  /** The oracle's prediction for one container of the pod without some of its secrets (in the kubelet's order, on a copy of the model). */
  private predictContainerWithout(pod: PodSpec, container: string, unread: readonly string[]): Prediction {
    const all = this.model.predictPod({ ...pod, secrets: (pod.secrets ?? []).filter((s) => !unread.includes(s)) });
    const p = all.find((c) => c.name === container)?.prediction;
    if (!p) throw new HarnessError(`the oracle has no prediction for container ${container}: a harness bug (scenario ${this.planned.id})`);
    return p;
  }

  /** Waits for the kubelet's next attempt of one container after a refusal (pollNextAttempt on that container's status and events). */
  private async nextContainerAttempt(namespace: string, name: string, kind: ContainerKind, container: string, marks: number, signal?: AbortSignal): Promise<void> {
    await this.pollNextAttempt(async () => ({
      decision: containersOf(await this.env.kube.readPod(namespace, name), [{ kind, name: container }]).get(container) ?? { decided: false, container: { state: 'none' } },
      events: containerEvents(await podEventsWithPaths(this.env.kube, namespace, name), kind, container),
    }), marks, signal);
  }

  /** The pod's events (with the container each names), once every decided container's decisive event is there (up to 5 s). */
  private async containerEventsDecided(namespace: string, name: string, list: ReturnType<typeof podContainers>, decisions: Map<string, PodDecision>, signal?: AbortSignal): Promise<Awaited<ReturnType<typeof podEventsWithPaths>>> {
    const deadline = Date.now() + 5000;
    const wanted = list.flatMap((c) => {
      const d = decisions.get(c.spec.name);
      const reason = d ? decisiveReason(d) : undefined;
      return reason ? [{ c, reason }] : [];
    });
    for (;;) {
      const events = await podEventsWithPaths(this.env.kube, namespace, name);
      const missing = wanted.filter((w) => !containerEvents(events, w.c.kind, w.c.spec.name).some((e) => e.reason === w.reason));
      if (!missing.length || Date.now() > deadline || signal?.aborted) return events;
      await abortable(signal, 250);
    }
  }

  /** A setup pod of several containers: every container must do what the oracle says. */
  private async setupContainers(pod: PodSpec, idx: number, signal?: AbortSignal): Promise<void> {
    const all = this.model.predictPod(pod);
    const observed = await this.runContainers(pod, `setup${++this.podSeq}`, signal);
    for (const c of all) {
      const o = observed.get(c.name);
      const ok = !!o && sameOutcome(c.prediction.outcome, o.outcome) && !o.secretsUnread;
      this.setupChecks.push({ step: idx, what: `pod ${c.pod.pullPolicy} ${podImageText(c.pod)} in ${pod.namespace}, ${c.kind} ${c.name}`, expected: c.prediction.outcome, observed: o?.outcome ?? 'no-outcome', ok, ...(o?.setAside ? { setAside: o.setAside } : {}) });
      if (!ok) {
        const harnessFault = !o || o.outcome === 'no-outcome' || o.secretsUnread !== undefined;
        this.failure = { status: harnessFault ? 'error' : 'failed', message: `setup step ${idx + 1}, ${c.kind} ${c.name}: expected ${c.prediction.outcome}; observed ${o?.outcome ?? 'nothing'}: ${o?.summary ?? ''}${o?.secretsUnread ? ` (${o.secretsUnread})` : ''}` };
        throw new SetupFailed(this.failure.message);
      }
    }
    this.model.applyContainers(all);
    this.countContainers(all, false);
  }

  /** Container starts count as pod starts (each is one EnsureImageExists) with their must-pull checks; "main" of the pod under test goes through actChecks. */
  private countContainers(all: readonly ContainerPrediction[], act: boolean): void {
    for (const c of all) {
      if (c.prediction.outcome === 'not-started') continue;
      this.podStarts++;
      if (act && c.name === 'main') this.actChecks = { specified: c.prediction.mustPullCheck, bug: c.prediction.knownBug?.mustPullCheck };
      else if (c.prediction.mustPullCheck) this.predictedChecks.push(c.prediction.mustPullCheck);
    }
  }

  /** The pod under test with several containers: each predicted with real values, observed and judged; the scenario's status is the worst. */
  private async actContainers(signal?: AbortSignal): Promise<void> {
    const all = this.model.predictPod(this.planned.spec.act);
    const planned = new Map([['main', this.planned.prediction], ...(this.planned.containers ?? []).map((c) => [c.name, c.prediction] as const)]);
    for (const c of all) {
      const p = planned.get(c.name);
      if (p?.outcome !== c.prediction.outcome) throw new HarnessError(`the oracle predicted ${p?.outcome ?? 'nothing'} for container ${c.name} at plan time and ${c.prediction.outcome} with real values: a harness bug (scenario ${this.planned.id})`);
    }
    this.countContainers(all, true);
    // The test seam's induced lag: the pod's secret is created only after the kubelet's first decisions (testHooks.lateSecret).
    const late = testHooks.lateSecret?.(this.planned.id);
    const act = this.planned.spec.act;
    const observed = await this.runContainers(act, 'act', signal, late ? () => this.createSecret(late.secret, 'valid') : undefined);
    for (const c of all) this.countSetAside(observed.get(c.name)?.setAside, (secrets) => this.predictContainerWithout(act, c.name, secrets));
    // Predicted again when the seam created the secret late (its uid is part of the predicted record).
    const judged = late ? this.model.predictPod(act) : all;
    const verdicts = judged.map((c) => ({ c, o: observed.get(c.name), v: this.containerVerdict(c, observed.get(c.name)) }));
    const main = verdicts.find((x) => x.c.name === 'main');
    if (!main?.o) throw new HarnessError(`scenario ${this.planned.id}: no observation of container main`);
    this.finish(main.c.prediction, main.o, main.c.before, undefined, main.v);
    const r = this.result;
    if (!r) return;
    const others = verdicts.filter((x) => x.c.name !== 'main');
    r.containers = others.map(({ c, o, v }) => ({ kind: c.kind, name: c.name, image: podImageText(c.pod), status: v.status, ...(v.problems.length || v.notes.length ? { message: redact([...v.problems, ...v.notes].join('; ')) } : {}), expected: expectationOf(c.prediction), ...(o ? { observed: o } : {}) }));
    const worst = worstStatus([r.status, ...others.map((x) => x.v.status)]);
    const problems = others.filter((x) => x.v.status !== 'passed').map((x) => `container ${x.c.name} (${x.c.kind}): ${x.v.problems.join('; ') || x.v.status}`);
    if (worst !== r.status || problems.length) {
      r.status = worst;
      r.message = [r.message, ...problems].filter(Boolean).join('; ');
      const a = r.attempts.at(-1);
      if (a) {
        a.status = worst;
        a.message = r.message;
      }
    }
  }

  /** One container's verdict: judged as a pod of its own; STS exchanges are the pod's (shared by its containers), not judged per container. */
  private containerVerdict(c: ContainerPrediction, o: Observation | undefined): Verdict {
    if (!o) return { status: 'error', problems: [`container ${c.name} was not observed`], notes: [] };
    const v = this.verdictOf({ ...c.prediction, stsExchanges: undefined }, o, c.before);
    if (o.secretsUnread) return { status: 'error', problems: [o.secretsUnread, ...v.problems], notes: v.notes };
    return v;
  }

  private entryBefore(sym: string): CredentialEntry | undefined {
    const input = this.model.input({ namespace: 'a', image: sym, pullPolicy: 'Never' });
    return input.node.record.kind === 'present' ? input.node.record.credentialMapping[this.model.recordName(sym)] : undefined;
  }

  /** The pod under test: predicted with real values, observed, judged. */
  async act(signal?: AbortSignal): Promise<void> {
    await this.timed('podUnderTest', () => this.actPod(signal));
  }

  private async actPod(signal?: AbortSignal): Promise<void> {
    const spec = this.planned.spec;
    if (multiContainer(spec.act)) return this.actContainers(signal);
    const prediction = this.model.predict(spec.act);
    if (prediction.outcome !== this.planned.prediction.outcome) {
      throw new HarnessError(`the oracle predicted ${this.planned.prediction.outcome} at plan time and ${prediction.outcome} with real values: a harness bug (scenario ${this.planned.id})`);
    }
    const before = this.entryBefore(spec.act.image);
    this.podStarts++;
    this.actChecks = { specified: prediction.mustPullCheck, bug: prediction.knownBug?.mustPullCheck };
    // The test seam's induced lag: the pod's secret is created only after the kubelet's first decision (testHooks.lateSecret).
    const late = testHooks.lateSecret?.(this.planned.id);
    const { observation } = await this.runPod(spec.act, 'act', signal, spec.recover, late ? () => this.createSecret(late.secret, 'valid') : undefined);
    this.countSetAside(observation.setAside, (secrets) => this.predictWithout(spec.act, secrets));
    // Predicted again when the seam created the secret late (its uid is part of the predicted record).
    const judged = late ? this.model.predict(spec.act) : prediction;
    const v = this.verdictOf(judged, observation, before);
    let ranWithout: string | undefined;
    if (ran(observation.outcome) && v.status === 'failed') {
      const f = await this.readFailures(this.namespaceOf(spec.act.namespace), 'act', observation.events, new Date(observation.timings.createdAt));
      ranWithout = this.ranWithoutSecret(spec.act, observation, f);
    }
    this.finish(judged, observation, before, ranWithout, v);
  }

  /** Attempts set aside count as pod starts and must-pull checks, as the oracle predicts them without the unread secrets (without: for the pod, or one of its containers). */
  private countSetAside(attempts: readonly SetAsideAttempt[] | undefined, without: (secrets: readonly string[]) => Prediction): void {
    for (const a of attempts ?? []) {
      this.podStarts++;
      const check = without(a.secrets).mustPullCheck;
      if (check) this.predictedChecks.push(check);
    }
  }

  private verdictOf(prediction: Prediction, observation: Observation, before: CredentialEntry | undefined): ReturnType<typeof judge> {
    const version = this.model.version;
    const espOn = !!factsOf(version)?.ensureSecretPulledImages && gateOn(version, ENSURE_SECRET_PULLED_IMAGES, this.model.kubelet().gates);
    return judge({ prediction, observation, entryBefore: before, checkRecord: espOn && prediction.outcome !== 'config-refused' && !this.planned.spec.recover, recover: this.planned.spec.recover });
  }

  /** The window's configuration was refused: that is this scenario's observation. */
  refused(message: string): void {
    const observation: Observation = { outcome: 'config-refused', summary: `the kubelet refused its configuration: ${message}`, kubeletRefused: message, events: [], requests: [], timings: { createdAt: new Date().toISOString() } };
    this.finish(this.planned.prediction, observation, undefined);
  }

  private finish(prediction: Prediction, observation: Observation, before: CredentialEntry | undefined, ranWithout?: string, v = this.verdictOf(prediction, observation, before)): void {
    if (ranWithout && v.status === 'failed') {
      v.status = 'error';
      v.problems.unshift(ranWithout);
    }
    if (observation.secretsUnread) {
      v.status = 'error';
      v.problems.unshift(observation.secretsUnread);
    }
    if (observation.setAside?.length) {
      v.notes.push(`${observation.setAside.length} attempt(s) set aside: the kubelet made them without the pull secret ${[...new Set(observation.setAside.flatMap((a) => a.secrets))].join(', ')}, which exists, and refused as the oracle predicts without it (${observation.setAside.map((a) => `${a.outcome}, ${a.seconds.toFixed(1)} s to the next attempt`).join('; ')}); the attempt judged is the kubelet's next one`);
    }
    // Records on disk after each kubelet swap, against the model (migration at start, A6).
    for (const sw of this.swaps.filter((x) => !x.ok)) {
      const diff = Object.keys(sw.expectedAfter).filter((k) => sw.expectedAfter[k] !== sw.recordsAfter[k]).map((k) => `${k}: expected ${sw.expectedAfter[k]}, found ${sw.recordsAfter[k]}`);
      v.problems.push(`records after the swap ${sw.from} -> ${sw.to}: ${diff.join(', ')}`);
      if (v.status === 'passed') v.status = 'failed';
    }
    if (this.planned.spec.observeOnly && v.status !== 'error') {
      // Reported, not judged: the oracle's reading is the fail-safe one; a pod that runs where it refuses fails open.
      const runs = ran(observation.outcome);
      const refuses = prediction.outcome === 'never-pull' || prediction.outcome === 'pull-fails';
      const failOpen = runs && refuses;
      const agrees = v.status === 'passed' || v.status === 'known-bug';
      const message = `observed ${observation.outcome}: ${observation.summary}; the oracle's fail-safe reading: ${prediction.outcome}${prediction.cause ? ` (${prediction.cause})` : ''}${agrees ? ', which the kubelet matched' : ''}${failOpen ? '. FAILS OPEN: the pod ran a private image the fail-safe reading refuses' : ''}; not judged (outside what the specification promises)`;
      this.result = { ...this.resultWith('observed', [message, ...v.problems.filter((q) => q.startsWith('records after')), ...v.notes].join('; '), prediction, observation), ...(failOpen ? { failOpen: true } : {}) };
      return;
    }
    const override = testHooks.overrideVerdict?.(this.planned.name);
    if (override) {
      v.status = override.status;
      v.problems.unshift(override.message);
    }
    this.result = this.resultWith(v.status, [...v.problems, ...v.notes].join('; ') || undefined, prediction, observation);
  }

  /** The result of a scenario that could not finish (setup failed, error, timeout). */
  failed(status: 'failed' | 'error' | 'not-run', message: string): void {
    this.result = this.resultWith(status, redact(message), this.planned.prediction, undefined);
  }

  private resultWith(status: ScenarioResult['status'], message: string | undefined, p: Prediction, observation: Observation | undefined): ScenarioResult {
    const finishedAt = new Date();
    // The scenario's own busy time (a window interleaves its scenarios; waits for others do not count).
    const seconds = this.activeMs / 1000;
    const attempt: Attempt = { attempt: this.attempt, status, startedAt: this.startedAt.toISOString(), seconds, message };
    return {
      kind: 'oracle', id: this.planned.id, key: `${this.planned.id}@${this.planned.kubelet}`, suite: this.planned.suite, name: this.planned.name, kubelet: this.planned.kubelet,
      labels: this.planned.labels, status, message,
      expected: expectationOf(p),
      observed: observation, setup: this.setupChecks, ...(this.swaps.length ? { swaps: this.swaps } : {}), attempts: [attempt], worker: this.env.worker.name,
      stages: { ...this.stages, podDecisions: this.stages.podDecisions.map((x) => Math.round(x * 1000) / 1000) },
      startedAt: this.startedAt.toISOString(), finishedAt: finishedAt.toISOString(), seconds,
    };
  }

  /** Lifts every fault this scenario injected (outage over, no latency, no failures queued). */
  async liftFaults(): Promise<void> {
    for (const p of this.faulted) {
      p.resetFaults();
      if (p.isDown) await p.restore();
    }
    this.faulted.clear();
    this.model.registryUp = true;
    this.model.stsUp = true;
  }

  /** Deletes the scenario's namespaces (without waiting) and revokes its users. */
  async dispose(): Promise<void> {
    await this.liftFaults().catch(() => undefined);
    for (const ns of this.planned.spec.world.namespaces ?? ['a', 'b']) await this.env.kube.deleteNamespace(this.namespaceOf(ns)).catch(() => undefined);
    for (const u of this.users.values()) {
      try {
        this.env.registry.tokens.revokeUser(u.username);
      } catch { /* already gone */ }
    }
  }

  /** Paths on the node that belong to this scenario's images (for reproduction bundles). */
  async recordFiles(): Promise<string[]> {
    const out: string[] = [];
    for (const sym of Object.keys(this.planned.spec.world.images)) {
      const ref = await imageRefOf(this.env.worker.node, this.model.reference(sym)).catch(() => undefined);
      if (ref) out.push(recordPath({ kind: 'ImagePulledRecord', key: ref }));
    }
    return out;
  }

  /** Image references, users and namespaces: what a reproduction bundle names. */
  describe(): { images: Record<string, string>; act: string; namespaces: string[]; users: string[] } {
    return {
      act: this.model.podReference(this.planned.spec.act),
      images: Object.fromEntries(Object.keys(this.planned.spec.world.images).map((s) => [s, this.model.reference(s)])),
      namespaces: (this.planned.spec.world.namespaces ?? ['a', 'b']).map((n) => this.namespaceOf(n)),
      users: [...this.users.values()].map((u) => u.username),
    };
  }
}

export class SetupFailed extends HarnessError {
  constructor(message: string) {
    super(message);
    this.name = 'SetupFailed';
  }
}

/** Pod creation right after the namespace: the default service account may not exist yet (admission refuses). */
async function createPodWithRetry(kube: Kube, spec: Parameters<Kube['createPod']>[0], signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await kube.createPod(spec);
      return;
    } catch (err) {
      const body = String((err as { body?: unknown }).body ?? (err as Error).message);
      if (Date.now() > deadline || !/serviceaccount .* not found|service account .* not found|error looking up service account/i.test(body)) throw err;
      await abortable(signal, 250);
    }
  }
}

/** The prediction as a report states it. */
function expectationOf(p: Prediction): NonNullable<ScenarioResult['expected']> {
  return { outcome: p.outcome, cause: p.cause, reason: p.reason, registryContact: p.registryContact, event: p.event, record: p.record, stsExchanges: p.stsExchanges, mustPullCheck: p.mustPullCheck, rules: p.rules, knownBug: p.knownBug, uncertain: p.uncertain };
}

const WORST_FIRST: ScenarioResult['status'][] = ['error', 'failed', 'known-bug', 'observed', 'not-applicable', 'not-run', 'flaky', 'passed'];

/** The worst of several statuses (a scenario of several containers is as bad as its worst container). */
export function worstStatus(statuses: readonly ScenarioResult['status'][]): ScenarioResult['status'] {
  return WORST_FIRST.find((s) => statuses.includes(s)) ?? 'passed';
}
