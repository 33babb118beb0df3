// The observer: records what happened to a pod, blind to what was expected. It watches the pod until its
// container runs or waits with a terminal reason (or the time is up), then collects the cause: the pod's
// events, the registry, token-service and STS requests attributed to the scenario by its own
// repositories, users and service accounts (never by a time window), and the pull record afterwards.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from './spec.ts';
import type { Kube } from '../cluster/kube.ts';
import type { KindNode } from '../node/kind-node.ts';
import { normalizeImage } from '../oracle/names.ts';
import type { CredentialEntry } from '../oracle/types.ts';
import type { RequestLog, RequestRecord } from '../proxy/records.ts';
import type { Observation, ObservedEvent, ObservedRequest } from '../report/types.ts';

/** Waiting reasons after which the kubelet will not start the container without a change. */
export const TERMINAL_WAITING = ['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RegistryUnavailable', 'SignatureValidationFailed', 'ErrImageInspect'];
const PULL_FAILED = ['ErrImagePull', 'ImagePullBackOff', 'RegistryUnavailable'];

export interface PodDecision {
  decided: boolean;
  phase?: string;
  container: NonNullable<Observation['container']>;
  /** Client receive time of the watch event that showed the pod first, and the decisive one. */
  createdAt?: Date;
  decidedAt?: Date;
}

export function containerOf(pod: V1Pod): PodDecision {
  return decisionOf(pod.status?.containerStatuses?.[0], pod.status?.phase);
}

/** Where a kind of container is in the pod: its spec list (events' fieldPath) and its status list. */
const CONTAINER_FIELDS: Record<ContainerKind, { spec: string; status: 'initContainerStatuses' | 'containerStatuses' | 'ephemeralContainerStatuses' }> = {
  init: { spec: 'initContainers', status: 'initContainerStatuses' },
  container: { spec: 'containers', status: 'containerStatuses' },
  ephemeral: { spec: 'ephemeralContainers', status: 'ephemeralContainerStatuses' },
};

/** The status list of a kind of container. */
function statusesOf(pod: V1Pod, kind: ContainerKind): V1ContainerStatus[] | undefined {
  return pod.status?.[CONTAINER_FIELDS[kind].status];
}

/**
 * The decision for each of a pod's containers (in the kubelet's order): as for one container, and a
 * container after an init container that is refused is decided as not started (waiting PodInitializing:
 * the kubelet does not reach it while that init container cannot start).
 */
export function containersOf(pod: V1Pod, containers: readonly { kind: ContainerKind; name: string }[]): Map<string, PodDecision> {
  const out = new Map<string, PodDecision>();
  let blockedBy: string | undefined;
  for (const c of containers) {
    const d = decisionOf(statusesOf(pod, c.kind)?.find((s) => s.name === c.name), pod.status?.phase);
    const started = d.container.state === 'running' || d.container.state === 'terminated';
    if (blockedBy !== undefined && !started && c.kind !== 'ephemeral') {
      out.set(c.name, { decided: true, phase: d.phase, container: { state: 'waiting', reason: 'PodInitializing', message: `init container ${blockedBy} did not complete` } });
      continue;
    }
    if (c.kind === 'init' && d.decided && !started) blockedBy = c.name;
    out.set(c.name, d);
  }
  return out;
}

/** The events of one container of a pod (their involvedObject.fieldPath: spec.containers{name} and the like). */
export function containerEvents(events: readonly (ObservedEvent & { fieldPath?: string })[], kind: ContainerKind, name: string): ObservedEvent[] {
  const path = `spec.${CONTAINER_FIELDS[kind].spec}{${name}}`;
  return events.filter((e) => e.fieldPath === path).map(({ fieldPath: _fieldPath, ...e }) => e);
}

function decisionOf(cs: V1ContainerStatus | undefined, phase: string | undefined): PodDecision {
  if (cs?.state?.running) return { decided: true, phase, container: { state: 'running' } };
  if (cs?.state?.terminated) return { decided: true, phase, container: { state: 'terminated', reason: cs.state.terminated.reason, message: cs.state.terminated.message } };
  if (cs?.state?.waiting) {
    const reason = cs.state.waiting.reason;
    return { decided: !!reason && TERMINAL_WAITING.includes(reason), phase, container: { state: 'waiting', reason, message: cs.state.waiting.message } };
  }
  return { decided: phase === 'Failed', phase, container: { state: 'none' } };
}

/** Watches a pod until decided (or timeout/abort) and returns the last state seen. */
export async function watchDecision(kube: Kube, namespace: string, name: string, o: { signal?: AbortSignal; timeoutMs: number; runningOnly?: boolean }): Promise<PodDecision> {
  let last: PodDecision = { decided: false, container: { state: 'none' } };
  let createdAt: Date | undefined;
  await kube.watchPod(namespace, name, (pod, at) => {
    createdAt ??= at;
    last = { ...containerOf(pod), createdAt };
    const done = o.runningOnly ? last.container.state === 'running' : last.decided;
    if (done) last.decidedAt = at;
    return done;
  }, o);
  return last;
}

/** The event reason that documents a decision, to wait for before reading events. */
export function decisiveReason(d: PodDecision): string | undefined {
  if (d.container.state === 'running' || d.container.state === 'terminated') return 'Pulled';
  if (d.container.reason === 'ErrImageNeverPull') return 'ErrImageNeverPull';
  if (d.container.reason && PULL_FAILED.includes(d.container.reason)) return 'Failed';
  return undefined;
}

export async function podEvents(kube: Kube, namespace: string, name: string): Promise<ObservedEvent[]> {
  return (await podEventsWithPaths(kube, namespace, name)).map(({ fieldPath: _fieldPath, ...e }) => e);
}

/** The pod's events with the container each is about (involvedObject.fieldPath), for pods of several containers. */
export async function podEventsWithPaths(kube: Kube, namespace: string, name: string): Promise<(ObservedEvent & { fieldPath?: string })[]> {
  const items = await kube.events(namespace, name);
  return items.map((e) => {
    const when = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
    return { type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 1, at: when ? new Date(when as unknown as string).toISOString() : undefined, ...(e.involvedObject?.fieldPath ? { fieldPath: e.involvedObject.fieldPath } : {}) };
  });
}

/** Events of the pod, waiting (up to 5 s) for the one that documents its decision. */
export async function decisiveEvents(kube: Kube, namespace: string, name: string, d: PodDecision, signal?: AbortSignal): Promise<ObservedEvent[]> {
  const want = decisiveReason(d);
  const deadline = Date.now() + 5000;
  let events = await podEvents(kube, namespace, name);
  while (want && !events.some((e) => e.reason === want) && Date.now() < deadline && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    events = await podEvents(kube, namespace, name);
  }
  return events;
}

export interface Attribution {
  /** Registry repositories of the scenario's images. */
  repositories: Set<string>;
  /** Token-service users of the scenario. */
  users: Set<string>;
  /** namespace/name of the scenario's service accounts. */
  serviceAccounts: Set<string>;
}

/** Requests after `since` that belong to the scenario. */
export function attributedRequests(log: RequestLog, a: Attribution, since: number): ObservedRequest[] {
  const mine = (r: RequestRecord): boolean =>
    (r.target === 'registry' && r.repository !== undefined && a.repositories.has(r.repository))
    || (r.target === 'token' && (a.users.has(r.identity) || (r.repository !== undefined && a.repositories.has(r.repository))))
    || (r.target === 'sts' && a.serviceAccounts.has(r.identity));
  return log.query({ since }).filter(mine).map((r) => ({ target: r.target, kind: r.kind, method: r.method, status: r.status, identity: r.identity, ...(r.auth ? { authScheme: r.auth } : {}), at: r.at, ...(r.fault ? { fault: r.fault } : {}) }));
}

/** Reads the outcome off a decided pod and its requests, blind to the expectation. */
export function classify(d: PodDecision, requests: ObservedRequest[], events: ObservedEvent[]): Pick<Observation, 'outcome' | 'cause' | 'summary'> {
  const registry = requests.filter((r) => r.target === 'registry');
  const manifests = registry.filter((r) => r.kind === 'manifest');
  const blobs = registry.filter((r) => r.kind === 'blob' && r.method === 'GET' && r.status < 400);
  if (!d.decided) return { outcome: 'no-outcome', summary: `undecided: ${d.container.state}${d.container.reason ? ` ${d.container.reason}` : ''} when the time was up` };
  if (d.container.state === 'running' || d.container.state === 'terminated') {
    if (blobs.length) return { outcome: 'pulls-runs', summary: `pulled (${manifests.length} manifest, ${blobs.length} blob requests) and ${d.container.state}` };
    if (manifests.length) {
      const ok = manifests.filter((m) => m.status < 400);
      return { outcome: 'reverifies-runs', summary: `verified at the registry (${manifests.map((m) => `${m.method} ${m.status} as ${m.identity}`).join(', ')}) and ${d.container.state}${ok.length ? '' : ' (no manifest request succeeded)'}` };
    }
    return { outcome: 'runs-cached', summary: `${d.container.state} from the node's cache, no registry request` };
  }
  const reason = d.container.reason ?? '';
  if (reason === 'PodInitializing') return { outcome: 'not-started', summary: `waiting PodInitializing: not started (${d.container.message ?? 'an init container before it did not complete'})` };
  if (reason === 'ErrImageNeverPull') return { outcome: 'never-pull', summary: `ErrImageNeverPull: ${(d.container.message ?? '').slice(0, 200)}` };
  if (PULL_FAILED.includes(reason)) {
    // A 401 to a request without credentials is the registry's challenge (the token dance), not a refusal
    // of anyone; a refusal is a 401/403 to a request that carried credentials or a token, or the token
    // service refusing credentials.
    const refused = requests.filter((r) => (r.status === 401 || r.status === 403) && (r.target === 'token' || (r.target === 'registry' && r.authScheme !== 'none')));
    const notFound = manifests.filter((r) => r.status === 404);
    const failedEvent = events.find((e) => e.reason === 'Failed' && /Failed to pull/.test(e.message))?.message ?? d.container.message ?? '';
    if (/connection refused|dial tcp|no route to host|i\/o timeout|connection reset|no such host|\b50[234]\b|Service Unavailable/i.test(failedEvent)) {
      return { outcome: 'pull-fails', cause: 'unreachable', summary: `${reason}: registry or token service unreachable (${failedEvent.slice(0, 200)})` };
    }
    if (refused.length) {
      const r = refused[refused.length - 1] as ObservedRequest;
      return { outcome: 'pull-fails', cause: 'denied', summary: `${reason}: the ${r.target === 'token' ? 'token service' : 'registry'} answered ${r.status} to ${r.identity} (${r.method} ${r.kind}; ${refused.length} refusals)` };
    }
    if (notFound.length) return { outcome: 'pull-fails', cause: 'not-found', summary: `${reason}: the registry answered 404 for the manifest` };
    return { outcome: 'pull-fails', cause: 'unknown', summary: `${reason}: ${failedEvent.slice(0, 200)}` };
  }
  return { outcome: 'unexpected', summary: `${d.container.state} ${reason}: ${(d.container.message ?? '').slice(0, 200)}` };
}

/**
 * The imageRef the node's CRI has for a reference: repo tags compared after normalisation, or for a
 * reference with a digest its repo digests (containerd resolves a tag+digest reference by the digest).
 */
export async function imageRefOf(node: KindNode, reference: string): Promise<string | undefined> {
  const want = normalizeImage(reference);
  const images = await node.images();
  for (const i of images) {
    if (want?.digest) {
      if (i.repoDigests.some((d) => { const n = normalizeImage(d); return n?.name === want.name && n.digest === want.digest; })) return i.id;
      continue;
    }
    for (const tag of i.repoTags) {
      const n = normalizeImage(tag);
      if (n && want && n.name === want.name && (n.tag ?? 'latest') === (want.tag ?? 'latest')) return i.id;
    }
  }
  return undefined;
}

/**
 * The record entry for an image name afterwards, in the record of the first of the references the node
 * has (a pod's own reference, then other names of the same content: a refused pod of another tag
 * leaves the content's record as it was).
 */
export async function recordEntryOf(node: KindNode, references: readonly string[], name: string): Promise<Observation['record']> {
  let imageRef: string | undefined;
  for (const r of references) if ((imageRef = await imageRefOf(node, r))) break;
  if (!imageRef) return undefined;
  const r = await node.readPulledRecord(imageRef);
  if (!r) return { name, imageRef };
  if (r.unreadable) return { name, imageRef, unreadable: r.unreadable };
  const raw: CredentialEntry | undefined = r.record?.credentialMapping?.[name];
  // v1alpha1 records (1.33, 1.34) write an empty list as null ("kubernetesSecrets": null): the same as absent.
  const entry = raw ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) as CredentialEntry : undefined;
  return { name, imageRef, entry };
}

/**
 * The kubelet's own word that a sync ran without pull secrets the pod lists (kubelet_pods.go
 * getPullSecretsForPod: the secret manager's GetSecret failed, so the pull goes ahead without that
 * secret). Two sources, because neither is on every version:
 * - the `FailedToRetrieveImagePullSecret` event naming the secrets: on 1.35 and earlier for every sync
 *   that failed to read one; from 1.37 only for a sync whose pull failed with ErrImagePull
 *   (kubelet.go SyncPod, kubernetes#138432), so never for an ErrImageNeverPull;
 * - the log line "Unable to retrieve pull secret, the image pull may not succeed." with `pod="ns/name"`,
 *   on every version and every such sync (it names the secret from 1.37: `secret="ns/name"`; before,
 *   the secret is printed from a nil object, `secret=""`).
 */
export interface SecretReadFailures {
  /** Secret names the kubelet says it could not read (from the event, and from the log where named). */
  secrets: string[];
  /** Count of the event (all its occurrences), and log lines for this pod. */
  eventCount: number;
  logLines: number;
  /** Whether a log line did not name its secret (1.35 and earlier). */
  unnamedInLog: boolean;
  /** One line of evidence, as the kubelet wrote it. */
  text?: string;
  /**
   * Each refused attempt in the kubelet's log, per container, in order (see refusalsInLog): whether
   * the sync that made it could not read a pull secret. Empty when the log shows none.
   */
  refusals: Record<string, boolean[]>;
}

const EVENT_SECRETS = /Unable to retrieve some image pull secrets \((.*)\); attempting to pull the image may not succeed/;
export const SECRET_LOG_TEXT = 'Unable to retrieve pull secret, the image pull may not succeed.';

export function secretReadFailures(events: readonly ObservedEvent[], logLines: readonly string[], namespace: string, pod: string): SecretReadFailures {
  const names = new Set<string>();
  let eventCount = 0;
  let text: string | undefined;
  for (const e of events) {
    if (e.reason !== 'FailedToRetrieveImagePullSecret') continue;
    eventCount += e.count;
    text ??= `event FailedToRetrieveImagePullSecret: ${e.message}`;
    for (const n of EVENT_SECRETS.exec(e.message)?.[1]?.split(',') ?? []) if (n.trim()) names.add(n.trim());
  }
  let lines = 0;
  let unnamed = false;
  for (const l of logLines) {
    if (!l.includes(SECRET_LOG_TEXT) || !l.includes(`pod="${namespace}/${pod}"`)) continue;
    lines++;
    text ??= `kubelet log: ${l.slice(l.indexOf(SECRET_LOG_TEXT)).slice(0, 300)}`;
    const m = /secret="([^"]*)"/.exec(l)?.[1];
    if (m && m.startsWith(`${namespace}/`)) names.add(m.slice(namespace.length + 1));
    else unnamed = true;
  }
  return { secrets: [...names].sort(), eventCount, logLines: lines, unnamedInLog: unnamed, ...(text ? { text } : {}), refusals: refusalsInLog(logLines, namespace, pod) };
}

/** The line pod_workers.go logs when a sync of the pod failed, with the error of every container that failed in it. */
export const SYNC_ERROR_TEXT = 'Error syncing pod, skipping';
const REFUSAL_IN_SYNC = /for \\*"([^"\\]+)\\*" with (ErrImagePull|ErrImageNeverPull|RegistryUnavailable|SignatureValidationFailed)\b/g;

/**
 * Each refused attempt of the pod in the kubelet's log, per container, in order, and whether the sync
 * that made it could not read a pull secret. A sync logs "Unable to retrieve pull secret" at its start
 * (getPullSecretsForPod, before any image decision) and, when a container's start failed, one "Error
 * syncing pod, skipping" at its end naming each container and its reason (`for "main" with
 * ErrImageNeverPull`; a back-off sync says ImagePullBackOff and is no attempt). The log is one ordered
 * stream, so an attempt is tied to its own sync's secret read; counts of events and lines read at two
 * moments cannot be (the kubelet syncs a refused pod twice within a second: kubelet v1.35.4 logged both
 * syncs without the secret 0.7 s apart, and an event snapshot between the second sync's secret event and
 * its refusal event counted that secret failure for the first attempt).
 */
export function refusalsInLog(lines: readonly string[], namespace: string, pod: string): Record<string, boolean[]> {
  const out: Record<string, boolean[]> = {};
  let unread = false;
  for (const l of lines) {
    if (!l.includes(`pod="${namespace}/${pod}"`)) continue;
    if (l.includes(SECRET_LOG_TEXT)) unread = true;
    else if (l.includes(SYNC_ERROR_TEXT)) {
      for (const [, container = ''] of l.matchAll(REFUSAL_IN_SYNC)) (out[container] ??= []).push(unread);
      unread = false;
    }
  }
  return out;
}

/**
 * Failed attempts the kubelet made for a pod so far: the "Error: <reason>" events its container start
 * records after each image decision that refused (kuberuntime_container.go startContainer), summed over
 * their counts. Back-off syncs record "Error: ImagePullBackOff" and are not attempts.
 */
export function refusedAttempts(events: readonly ObservedEvent[]): number {
  return events.filter((e) => e.reason === 'Failed' && /^Error: (ErrImagePull|ErrImageNeverPull|RegistryUnavailable|SignatureValidationFailed)\b/.test(e.message)).reduce((n, e) => n + e.count, 0);
}

/** Whether a refusal's attempt marker for the decision is visible among the events. */
export function refusalRecorded(d: PodDecision, events: readonly ObservedEvent[]): boolean {
  const reason = d.container.reason === 'ImagePullBackOff' ? 'ErrImagePull' : d.container.reason;
  return events.some((e) => e.reason === 'Failed' && e.message.startsWith(`Error: ${reason ?? ''}`));
}

/**
 * Whether an attempt is set aside (not judged; the kubelet's next attempt is): it refused (a pull
 * failure or ErrImageNeverPull; an attempt in which the container ran is always judged), the kubelet
 * said that it could not read a pull secret the pod lists and that exists in the sync that made the
 * attempt (its log, refusalsInLog; where the log shows no refused attempt, anew in the event count or
 * log lines since the previous attempt), and the refusal is the one the oracle predicts for the pod without that secret (a refusal the
 * unread secret does not explain is judged).
 */
export function setAsideDecision(o: {
  observed: { outcome: string; cause?: string };
  failures: SecretReadFailures;
  /** The counts when the previous attempt was set aside (zero for the first); refusals: the container's refused attempts in the log then. */
  before: { eventCount: number; logLines: number; refusals?: number };
  /** The container the attempt is of (its refusals in the log); "main" for a pod of one container. */
  container?: string;
  /** Every secret the pod lists, and those of them that exist. */
  listed: readonly string[];
  existing: readonly string[];
  /** The oracle's prediction for the pod without the given secrets. */
  without: (unread: string[]) => { outcome: string; cause?: string };
}): { secrets: string[]; evidence: string } | undefined {
  const c = o.observed;
  if (c.outcome !== 'pull-fails' && c.outcome !== 'never-pull') return undefined;
  const f = o.failures;
  const inLog = f.refusals[o.container ?? 'main'] ?? [];
  if (inLog.length) {
    // The latest refused attempt in the log is the one observed: it is set aside only when its own sync
    // could not read a secret, and only once.
    if (inLog.length <= (o.before.refusals ?? 0) || !inLog[inLog.length - 1]) return undefined;
  } else if (f.eventCount <= o.before.eventCount && f.logLines <= o.before.logLines) return undefined;
  const unread = unreadExisting(f, o.listed, o.existing);
  if (!unread.length) return undefined;
  const w = o.without(unread);
  if (w.outcome !== c.outcome || (w.cause !== undefined && c.cause !== w.cause)) return undefined;
  return { secrets: unread, evidence: f.text ?? '' };
}

/** The pod's existing secrets the kubelet said it could not read (a log line that names none counts only when all exist). */
export function unreadExisting(f: SecretReadFailures, listed: readonly string[], existing: readonly string[]): string[] {
  if (f.unnamedInLog && existing.length === listed.length) return [...existing];
  return existing.filter((s) => f.secrets.includes(s));
}
