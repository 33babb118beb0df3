// The report as data: everything a run found, in one JSON document with a versioned schema
// (harness/report/report.schema.json). JUnit, Markdown, HTML, merge and diff are all rendered from it.
import type { BenchResult } from '../bench/result.ts';
import { isPreRelease, unmodelledIn } from '../oracle/versions.ts';
import type { CredentialEntry, ExpectedEvent, ExpectedRecord, KnownBugRef, Outcome, PullFailureCause, RuleRef } from '../oracle/types.ts';

export const REPORT_SCHEMA = 'pullproof-report/v1';

export type ScenarioStatus =
  /** The observation agrees with the oracle. */
  | 'passed'
  /** It disagrees: a conformance failure. */
  | 'failed'
  /** It shows a known kubelet bug's behaviour (known-bugs.json): neither pass nor fail. */
  | 'known-bug'
  /** The oracle says the scenario cannot apply to this kubelet (with the reason); not run. */
  | 'not-applicable'
  /** The harness could not observe (setup failed, timed out, an infrastructure fault). */
  | 'error'
  /** Passed on a retry after failing or erring: reported, never hidden. */
  | 'flaky'
  /** Not run: the run was interrupted or timed out first. */
  | 'not-run'
  /**
   * Reported, not judged: the behaviour is outside what the specification promises (a kubelet rolled back
   * below the version that wrote its records). A pod that runs where the oracle's fail-safe reading
   * refuses it is flagged as failing open (ScenarioResult.failOpen), which fails the run.
   */
  | 'observed';

export interface ObservedRequest {
  target: 'registry' | 'token' | 'sts';
  kind: string;
  method: string;
  status: number;
  identity: string;
  /** Credentials the request carried (none: a challenge probe or anonymous). */
  /** The request's Authorization scheme (none, basic, bearer) or form (OAuth2 password grant); never the credential. Not named `auth`: that key holds a secret in docker configs, and redaction treats it so. */
  authScheme?: string;
  at: string;
  fault?: string;
}

export interface ObservedEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  at?: string;
}

export interface Observation {
  /** The outcome read off the pod (blind to the expectation). */
  outcome: Outcome | 'unexpected' | 'no-outcome';
  /** For a failed pull: why, from the registry's answers for this scenario's repository and identity. */
  cause?: PullFailureCause | 'unknown';
  /** One line: which request, which status, which identity (for refusals), or what the kubelet said. */
  summary: string;
  phase?: string;
  container?: { state: 'running' | 'waiting' | 'terminated' | 'none'; reason?: string; message?: string };
  events: ObservedEvent[];
  /** Requests for this scenario's repositories (registry), its users (token service), its service accounts (STS). */
  requests: ObservedRequest[];
  /** The pull record entry for the image name afterwards (undefined: no record file for the image). */
  record?: { name: string; imageRef?: string; entry?: CredentialEntry; unreadable?: string };
  /** The kubelet's own message when it refused its configuration. */
  kubeletRefused?: string;
  /** Client receive times (ISO) of the watch events: created, decided. */
  timings: { createdAt: string; decidedAt?: string; seconds?: number };
  /** Metric changes around this scenario (only in serial windows, where they belong to one scenario). */
  metrics?: Record<string, number>;
  /** After the faults were lifted: whether the same pod started, and how long after. */
  recovery?: { ran: boolean; seconds: number; state: string };
  /** Attempts of this pod the kubelet made without a pull secret it lists that exists, not judged (the one judged came after). */
  setAside?: SetAsideAttempt[];
  /** The kubelet never read the pod's pull secret within the bound: the cause, with its evidence (an error, not a verdict). */
  secretsUnread?: string;
}

/**
 * A kubelet attempt that was not judged: the kubelet said it ran it without a pull secret the pod lists
 * and that exists (the node authorizer or its secret cache had not caught up with the new pod), and the
 * attempt refused the way the oracle predicts for the pod without that secret. The kubelet's next
 * attempt, after its back-off, is the one judged.
 */
export interface SetAsideAttempt {
  /** When the refusal was seen (client receive time). */
  decidedAt: string;
  /** What the attempt ended as, read blind like any other. */
  outcome: string;
  summary: string;
  /** The secrets the kubelet could not read. */
  secrets: string[];
  /** The kubelet's own words (its event or log line), redacted. */
  evidence: string;
  /** From this refusal to the decision of the kubelet's next attempt (its back-off): what it cost. */
  seconds: number;
}

export interface Expectation {
  outcome: Outcome;
  cause?: PullFailureCause;
  reason?: string;
  registryContact: boolean;
  event?: ExpectedEvent;
  record: ExpectedRecord;
  stsExchanges?: number;
  mustPullCheck?: string;
  rules: RuleRef[];
  knownBug?: KnownBugRef;
  uncertain?: string[];
}

export interface Attempt {
  attempt: number;
  status: ScenarioStatus;
  startedAt: string;
  seconds: number;
  message?: string;
}

export interface SetupCheck {
  step: number;
  what: string;
  expected: Outcome;
  observed: string;
  ok: boolean;
  /** Attempts of the setup pod set aside (see Observation.setAside). */
  setAside?: SetAsideAttempt[];
}

/** A kubelet swapped in place during a scenario (upgrade, rollback), with the record files read before and after. */
export interface SwapEvidence {
  from: string;
  to: string;
  /** Drain to Ready and uncordoned. */
  seconds: number;
  /** API version of each of the scenario's images' pulled record files (none, unreadable, v1alpha1, v1beta1). */
  recordsBefore: Record<string, string>;
  recordsAfter: Record<string, string>;
  /** What the oracle's model expects on disk after the new kubelet started. */
  expectedAfter: Record<string, string>;
  ok: boolean;
}

export interface ScenarioResult {
  /** oracle: judged against the oracle; check: a harness self-check with its own assertions (registry suite). */
  kind: 'oracle' | 'check';
  /** suite/scenario */
  id: string;
  /** id@kubelet: unique in a report. */
  key: string;
  suite: string;
  name: string;
  kubelet: string;
  labels: Record<string, string>;
  status: ScenarioStatus;
  /** For failed/error/known-bug/not-applicable: expected vs observed, or the reason. */
  message?: string;
  /** The oracle's prediction (oracle scenarios). */
  expected?: Expectation;
  observed?: Observation;
  /** Notes of a check scenario: what it verified. */
  notes?: string[];
  setup: SetupCheck[];
  /** Observed (not judged) scenarios: a pod ran where the oracle's fail-safe reading refuses it. */
  failOpen?: boolean;
  /** Kubelet swaps the scenario went through, with their record evidence. */
  swaps?: SwapEvidence[];
  attempts: Attempt[];
  /** Node the scenario ran on, and the index of its kubelet-configuration window. */
  worker?: string;
  window?: number;
  startedAt?: string;
  finishedAt?: string;
  seconds: number;
  /** Relative path of the reproduction bundle (failed scenarios). */
  bundle?: string;
  /** Where the scenario's busy time went (oracle scenarios that ran). */
  stages?: ScenarioStages;
  /** The pod under test's containers besides "main" (expected and observed are main's), each judged on its own. */
  containers?: ContainerResult[];
}

/** A container of the pod under test besides "main": predicted, observed and judged on its own. */
export interface ContainerResult {
  kind: 'init' | 'container' | 'ephemeral';
  name: string;
  /** The image as the scenario names it (img, img:v2, img@digest). */
  image: string;
  status: ScenarioStatus;
  /** What disagreed, and notes. */
  message?: string;
  expected: Expectation;
  observed?: Observation;
}

export interface WindowResult {
  index: number;
  kubelet: string;
  worker: string;
  settings: unknown;
  scenarios: number;
  exclusive: boolean;
  parallel: number;
  startedAt: string;
  seconds: number;
  /** Kubelet restarts in this window (configuration and barriers), each timed to Ready. */
  restarts: { why: string; seconds: number }[];
  /** Metric changes over the window (node-wide counters; per scenario only in serial windows). */
  metrics?: Record<string, number>;
  /**
   * The image manager's counters against the oracle (1.35+): every must-pull result the oracle predicts
   * for the window's pod starts must show (at least: a pull that fails is retried by the kubelet's
   * back-off, counting again), and a result it predicts for none must not.
   */
  metricsCheck?: { ok: boolean; expected: Record<string, number>; observed: Record<string, number>; problems: string[] };
  /** Where the window's wall-clock time went (the parts add up to `seconds`). */
  stages?: WindowStages;
}

/** Wall-clock seconds of a window's parts, in order: they partition the window's time. */
export interface WindowStages {
  /** Putting the worker on the window's kubelet and settings (a restart or a swap when they change). */
  configure: number;
  /** The scenarios running `--parallel` at once: their worlds, setup pods and pods under test. */
  scenarios: number;
  /** Barriers performed once for all the window's scenarios (restarts, settings changes, swaps, metric scrapes). */
  barriers: number;
  /** Deleting the scenarios' namespaces and users, and returning a swapped worker. */
  teardown: number;
  /** Reproduction bundles of failed scenarios. */
  bundles: number;
}

/** Busy seconds of one scenario's own work, by part (a window interleaves its scenarios). */
export interface ScenarioStages {
  /** Registry users, image builds and pushes, namespaces, secrets, service accounts. */
  world: number;
  /** Setup pods, from creation to their observation. */
  setupPods: number;
  /** The other setup steps (preloads, record edits, secret changes, waits, faults). */
  setupSteps: number;
  /** The pod under test, from creation to its observation (set-aside attempts included). */
  podUnderTest: number;
  /** Of all the scenario's pods: seconds from creation to the kubelet's decision that was judged. */
  podDecisions: number[];
}

export interface Check {
  name: string;
  ok: boolean;
  message?: string;
}

export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** How it was measured. */
  how: string;
  samples: number;
}

export interface NodeInfo {
  name: string;
  role: 'control-plane' | 'worker';
  kubelet: string;
  /** Where the kubelet came from: the node image, a kubelet-only build, a user binary, a source tree. */
  build?: { source: string; sha256?: string; commit?: string };
}

export interface ClusterInfo {
  name: string;
  controlPlane: string;
  nodeImage: string;
  kind?: string;
  nodes: NodeInfo[];
  /** Seconds per provisioning step (nodeImageSeconds, createSeconds, readySeconds, deleteSeconds), and the
   * one flag the engine keeps here: nodeImageCached (the node image was a cache hit). */
  timings: Record<string, number | boolean>;
}

export interface Summary {
  total: number;
  passed: number;
  failed: number;
  knownBugs: number;
  notApplicable: number;
  errors: number;
  flaky: number;
  notRun: number;
  /** Reported, not judged (rollbacks), and how many of them failed open. */
  observed?: number;
  failOpen?: number;
  /** Kubelet attempts set aside (made without a pull secret that exists; the next attempt was judged), setup pods included, and the seconds they cost (sum of back-offs). */
  setAside?: number;
  setAsideSeconds?: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  pullproof: string;
  run: {
    id: string;
    /** The command line, redacted. */
    command: string[];
    startedAt: string;
    finishedAt: string;
    seconds: number;
    /** False when interrupted (Ctrl-C, SIGTERM), timed out or crashed: the report is partial. */
    complete: boolean;
    incompleteReason?: string;
    exitCode: number;
    suites: string[];
    kubelets: string[];
    shard?: { index: number; total: number };
    parallel: number;
    retries: number;
    host: { os: string; kernel: string; cpus: number; memoryGiB: number; docker?: string; cgroup?: string };
    /** The kubelet build under test (--kubelet-binary, --kubernetes-source), answering for its release. */
    kubeletBuild?: { release: string; reported: string; sha256: string; commit?: string; source: 'binary' | 'source'; origin: string };
    /** Limits the build hard-codes, as given to the oracle (--kubelet-limits). */
    kubeletLimits?: { recordedSecretsLimit?: number };
    /** Kubernetes pre-releases among the run's kubelets and control planes (see preReleasesIn). */
    preReleases?: string[];
  };
  environment: {
    clusters: ClusterInfo[];
    registry?: { host: string; endpoint: string };
    fence?: { subnet: string; droppedPackets: number; readAt: string };
    /** certify --in-cluster: the vendor's plugin and the exact CredentialProviderConfig each kubelet version read. */
    vendorPlugin?: { name: string; sha256: string; source: string; host: string; backend: 'aws'; configs: Record<string, string> };
  };
  windows: WindowResult[];
  scenarios: ScenarioResult[];
  /** Infrastructure checks: cleanup steps, the fence, the node mirror; a failed one makes the run exit 3. */
  checks: Check[];
  measurements: Measurement[];
  summary: Summary;
  /** A merged report: the shard reports it was made from. */
  mergedFrom?: { runId: string; shard?: { index: number; total: number }; reportDir: string }[];
  /** `pullproof bench latency`: the bench result with its raw samples (schema pullproof.bench.latency/v1). */
  bench?: BenchResult;
}

/** Every set-aside attempt of the scenarios (the pod under test's and the setup pods'). */
export function setAsideAttempts(r: ScenarioResult): SetAsideAttempt[] {
  return [...(r.setup ?? []).flatMap((c) => c.setAside ?? []), ...(r.observed?.setAside ?? []), ...(r.containers ?? []).flatMap((c) => c.observed?.setAside ?? [])];
}

/**
 * The report's sentence on set-aside attempts (summary.md and the HTML report), with the count and the
 * scenario keys formatted by the renderer; undefined when none was set aside.
 */
export function setAsideSentence(r: Pick<Report, 'summary' | 'scenarios'>, f: { count: (n: number) => string; key: (k: string) => string }): string | undefined {
  const s = r.summary;
  if (!s.setAside) return undefined;
  const hit = r.scenarios.filter((x) => setAsideAttempts(x).length).map((x) => `${f.key(x.key)} (${setAsideAttempts(x).length})`).join(', ');
  return `Kubelet attempts set aside: ${f.count(s.setAside)} (made without a pull secret that exists, as the kubelet's own event or log said, and refused as the oracle predicts without it; the kubelet's next attempt was judged), costing ${s.setAsideSeconds ?? 0} s of back-off in all (sum over the ${s.setAside} attempts, each from its refusal to the next attempt's decision): ${hit}.`;
}

function setAsideOf(scenarios: readonly ScenarioResult[]): { setAside: number; setAsideSeconds: number } {
  const all = scenarios.flatMap(setAsideAttempts);
  return { setAside: all.length, setAsideSeconds: Math.round(all.reduce((n, a) => n + a.seconds, 0) * 10) / 10 };
}

export function summarize(scenarios: readonly ScenarioResult[]): Summary {
  const count = (s: ScenarioStatus): number => scenarios.filter((x) => x.status === s).length;
  return {
    total: scenarios.length, passed: count('passed'), failed: count('failed'), knownBugs: count('known-bug'),
    notApplicable: count('not-applicable'), errors: count('error'), flaky: count('flaky'), notRun: count('not-run'),
    observed: count('observed'), failOpen: scenarios.filter((x) => x.failOpen).length,
    ...setAsideOf(scenarios),
  };
}

/** Exit codes: 0 all passed (known bugs and flaky passes allowed), 1 a conformance failure, 3 infrastructure, 4 nothing ran. */
export function exitCodeFor(r: Pick<Report, 'summary' | 'checks' | 'run'> & { windows?: WindowResult[] }): number {
  const s = r.summary;
  if (s.failed > 0 || (s.failOpen ?? 0) > 0 || (r.windows ?? []).some((w) => w.metricsCheck && !w.metricsCheck.ok)) return 1;
  if (s.errors > 0 || s.notRun > 0 || r.checks.some((c) => !c.ok) || !r.run.complete) return 3;
  if (s.passed + s.flaky + s.knownBugs + (s.observed ?? 0) === 0) return 4;
  return 0;
}

/**
 * The Kubernetes pre-releases a report's results come from: its kubelets (those asked for and those
 * scenarios ran on, upgrade chains included) and its control planes, oldest first. Every report
 * format names them, so a result from v1.38.0-beta.0 is never read as one from a release.
 */
export function preReleasesIn(r: Pick<Report, 'run' | 'scenarios' | 'environment'>): string[] {
  return versionsIn(r).filter((v) => isPreRelease(v));
}

/** The kubelets a report's results come from: those asked for and those its scenarios ran on (an upgrade chain's versions too). */
export function kubeletsIn(r: Pick<Report, 'run' | 'scenarios'>): string[] {
  return [...new Set([...r.run.kubelets, ...r.scenarios.map((s) => s.kubelet)])].filter((v) => v).sort();
}

/** Every Kubernetes version a report's results come from: kubelets asked for and run on, control planes. */
function versionsIn(r: Pick<Report, 'run' | 'scenarios' | 'environment'>): string[] {
  const versions = new Set<string>([...r.run.kubelets, ...(r.run.preReleases ?? []), ...r.scenarios.map((s) => s.kubelet)]);
  for (const c of r.environment.clusters) {
    versions.add(c.controlPlane);
    for (const n of c.nodes) versions.add(n.kubelet);
  }
  return [...versions].filter((v) => v).sort();
}

/**
 * What the oracle does not model for the report's versions (unmodelledIn): every report format carries
 * these sentences, so a release whose changes were not reviewed into the oracle is never judged silently.
 */
export function unmodelledSentences(r: Pick<Report, 'run' | 'scenarios' | 'environment'>): string[] {
  return versionsIn(r).flatMap((v) => unmodelledIn(v));
}

/** The sentence every report format carries for a run with pre-releases, or undefined. */
export function preReleaseSentence(r: Pick<Report, 'run' | 'scenarios' | 'environment'>): string | undefined {
  const pre = preReleasesIn(r);
  if (!pre.length) return undefined;
  return `${pre.join(', ')} ${pre.length > 1 ? 'are Kubernetes pre-releases' : 'is a Kubernetes pre-release'}, not ${pre.length > 1 ? 'releases' : 'a release'}: what it does may still change before the release, and the oracle's facts for it were read from that tag's source.`;
}

/** The command that reruns one scenario alone on its kubelet (REPLAY.md, the end-of-run recap). */
export function rerunCommand(r: Pick<ScenarioResult, 'suite' | 'kubelet' | 'id'>): string {
  return `npx pullproof run --suite ${r.suite} --kubelet ${r.kubelet} --focus '^${r.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$'`;
}
