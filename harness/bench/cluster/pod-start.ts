// One pod start of the bench, serial, so every metric delta and request record belongs to it: the
// injected delay set on the registry, token-service and STS proxies, kubelet metrics scraped before
// and after, the watch opened before the pod is created (client receive times), the Pulled event,
// the kubelet and containerd journals covering it and its request records. The raw material goes to
// buildSample(); the pod is deleted afterwards and the next pod start waits until it is gone.
import { request } from 'node:https';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import type { Kube, PodSpec } from '../../cluster/kube.ts';
import { HarnessError } from '../../errors.ts';
import type { StsStack } from '../../identity/stack.ts';
import type { KindNode } from '../../node/kind-node.ts';
import type { RequestRecord } from '../../proxy/records.ts';
import type { RegistryStack } from '../../registry/stack.ts';
import { podEvents, SECRET_LOG_TEXT, secretReadFailures, unreadExisting } from '../../engine/observe.ts';
import { redact } from '../../util/secrets.ts';
import { KUBELET_MARKERS } from '../parse-klog.ts';
import type { ObservedEvent } from '../../report/types.ts';
import type { RawPodStart } from '../sample.ts';
import type { ScheduledSample } from '../schedule.ts';

export interface PodStartEnv {
  kube: Kube;
  node: KindNode;
  registry: RegistryStack;
  sts?: StsStack;
  /** Whether the kubelet has the image manager counters (1.35+). */
  imageManagerMetrics: boolean;
}

/** The kubelet's /metrics through the API server's node proxy, straight from this process (no exec). */
export async function scrapeMetrics(kube: Kube, node: string): Promise<string> {
  const cluster = kube.config.getCurrentCluster();
  if (!cluster) throw new HarnessError('the kubeconfig has no current cluster');
  const opts: import('node:https').RequestOptions = {};
  await kube.config.applyToHTTPSOptions(opts);
  const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/nodes/${node}/proxy/metrics`);
  return new Promise<string>((resolve, reject) => {
    const req = request(url, { ...opts, method: 'GET', timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new HarnessError(`kubelet metrics of ${node}: HTTP ${res.statusCode ?? '?'}`, body.slice(0, 300)))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** The delay every registry, token-service and STS request gets from now on. */
export function setDelay(env: Pick<PodStartEnv, 'registry' | 'sts'>, ms: number): void {
  env.registry.proxy.setLatency(ms);
  env.registry.tokenProxy.setLatency(ms);
  env.sts?.proxy.setLatency(ms);
}

interface PodWatch {
  /** Resolves when the watch request is established (before the pod is created). */
  established: Promise<void>;
  /** Resolves with the host time (epoch ms) the event showing the container running was handled. */
  running: Promise<number>;
  stop(): void;
}

function runningOf(pod: V1Pod): boolean {
  return pod.status?.containerStatuses?.[0]?.state?.running !== undefined;
}

function failureOf(pod: V1Pod): string | undefined {
  const cs = pod.status?.containerStatuses?.[0];
  const reason = cs?.state?.waiting?.reason;
  if (reason && /ErrImage|BackOff|Invalid|CreateContainer/.test(reason)) return `${reason}: ${cs?.state?.waiting?.message ?? ''}`;
  if (cs?.state?.terminated) return `terminated: ${cs.state.terminated.reason ?? ''}`;
  return undefined;
}

/** Watches one pod by name from before it exists until its container runs (or fails, or the time is up). */
export function watchRunning(kube: Kube, namespace: string, name: string, timeoutMs: number, signal?: AbortSignal): PodWatch {
  let controller: AbortController | undefined;
  let stopped = false;
  let resolveEstablished: () => void = () => undefined;
  const established = new Promise<void>((r) => { resolveEstablished = r; });
  const running = new Promise<number>((resolve, reject) => {
    const fail = (why: string): void => { stopped = true; controller?.abort(); reject(new HarnessError(`pod ${namespace}/${name}: ${why}`)); };
    const timer = setTimeout(() => fail(`not running within ${timeoutMs / 1000} s`), timeoutMs);
    const onAbort = (): void => { clearTimeout(timer); fail(typeof signal?.reason === 'string' ? signal.reason : 'aborted'); };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); };
    const open = (): void => {
      if (stopped) return;
      new Watch(kube.config).watch(`/api/v1/namespaces/${namespace}/pods`, { fieldSelector: `metadata.name=${name}` }, (_type, pod: V1Pod) => {
        if (stopped) return;
        const at = Date.now();
        if (runningOf(pod)) {
          stopped = true;
          done();
          controller?.abort();
          resolve(at);
          return;
        }
        const failure = failureOf(pod);
        if (failure) { done(); fail(failure); }
      }, () => {
        // The server closed the stream: watch again (the current state comes back as an ADDED event).
        if (!stopped) setTimeout(open, 100);
      }).then((c) => { controller = c; if (stopped) c.abort(); resolveEstablished(); }, (err: unknown) => { done(); fail(`watch failed: ${(err as Error).message}`); resolveEstablished(); });
    };
    open();
  });
  running.catch(() => undefined);
  return { established, running, stop: () => { stopped = true; controller?.abort(); } };
}

/** Waits until the pod object is gone (the kubelet confirmed its termination). */
export async function waitGone(kube: Kube, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await kube.core.readNamespacedPod({ namespace, name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new HarnessError(`pod ${namespace}/${name} still exists ${timeoutMs / 1000} s after its deletion`);
}

async function pulledMessage(kube: Kube, namespace: string, name: string, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const events = await kube.events(namespace, name);
    const pulled = events.find((e) => e.reason === 'Pulled');
    if (pulled?.message || Date.now() > deadline) return pulled?.message;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The node's journals covering the pod start; read again (up to 2 s) until the kubelet's status line for the pod is in. */
async function journals(node: KindNode, since: Date, pod: string): Promise<{ kubelet: string; containerd: string }> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const [kubelet, containerd] = await Promise.all([node.logsSince(since, 'kubelet'), node.logsSince(since, 'containerd')]);
    const complete = kubelet.split('\n').some((l) => l.includes(KUBELET_MARKERS.statusUpdated.message) && l.includes(`"${pod}"`));
    if (complete || Date.now() > deadline) return { kubelet, containerd };
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A pod start whose image pull failed while the kubelet said it could not read a pull secret the pod
 * lists (every bench secret exists before its pod): the node authorizer had not yet linked the pod to
 * the node when the kubelet fetched the secret. The attempt measured a pull without credentials, not
 * the arm, so it is set aside (counted in the report) and the pod start is made again with a new pod.
 */
export class SecretNotRead extends HarnessError {
  readonly secrets: string[];
  constructor(pod: string, secrets: string[], evidence: string, cause: string) {
    super(`pod ${pod}: the kubelet pulled without its pull secret ${secrets.join(', ')}, which exists (${evidence.slice(0, 200)}): ${cause.slice(0, 200)}`);
    this.secrets = secrets;
  }
}

/**
 * A failed pod start's set-aside reason from what the kubelet wrote about the pod (its events and log
 * lines), or undefined: only a pull failure of a pod with pull secrets, with the kubelet saying it could
 * not read one of them, is the lag; any other failure fails the pod start.
 */
export function lagOf(pod: Pick<PodSpec, 'namespace' | 'name' | 'pullSecrets'>, failure: string, events: readonly ObservedEvent[], logLines: readonly string[]): SecretNotRead | undefined {
  if (!mayBeLag(pod, failure)) return undefined;
  const listed = pod.pullSecrets ?? [];
  const f = secretReadFailures(events, logLines, pod.namespace, pod.name);
  const unread = unreadExisting(f, listed, listed);
  return unread.length ? new SecretNotRead(`${pod.namespace}/${pod.name}`, unread, redact(f.text ?? ''), redact(failure)) : undefined;
}

/** Whether a failure can be the lag at all: a pull failure of a pod that lists pull secrets. */
function mayBeLag(pod: Pick<PodSpec, 'pullSecrets'>, failure: string): boolean {
  return (pod.pullSecrets?.length ?? 0) > 0 && /ErrImagePull|ImagePullBackOff/.test(failure);
}

/** The lag's evidence for a failed pod start, read from the cluster and the node, or undefined. */
async function secretNotRead(env: PodStartEnv, pod: PodSpec, since: Date, failure: string): Promise<SecretNotRead | undefined> {
  if (!mayBeLag(pod, failure)) return undefined;
  // The event and the log line are written around the failed pull, not before it: read for up to 3 s.
  const deadline = Date.now() + 3000;
  for (;;) {
    const [events, lines] = await Promise.all([
      podEvents(env.kube, pod.namespace, pod.name).catch(() => []),
      env.node.kubeletLogLines(since, SECRET_LOG_TEXT, `pod="${pod.namespace}/${pod.name}"`).catch(() => []),
    ]);
    const lag = lagOf(pod, failure, events, lines);
    if (lag || Date.now() > deadline) return lag;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface PodStartResult {
  raw: RawPodStart;
  /** Wall seconds of the whole procedure (for the plan's calibration). */
  seconds: number;
  /** Resolves once the pod is gone; the next pod start awaits it. */
  gone: Promise<void>;
}

/** One pod start: returns its raw material; the caller builds the sample. */
export async function runPodStart(env: PodStartEnv, s: ScheduledSample, pod: PodSpec, o: { timeoutMs: number; signal?: AbortSignal; previousGone?: Promise<void> }): Promise<PodStartResult> {
  const t0 = performance.now();
  const id = `${pod.namespace}/${pod.name}`;
  setDelay(env, s.delayMs);
  let watch: PodWatch | undefined;
  // journalctl --since has second resolution: a second earlier, then the markers name the pod (set again just before the pod is created).
  let since = new Date(Date.now() - 1000);
  try {
    const metricsBefore = await scrapeMetrics(env.kube, env.node.name);
    // The previous pod's teardown (no counter this bench reads changes with it) must end before this
    // pod starts, so the kubelet works on one pod only.
    await o.previousGone;
    env.registry.log.setScenario(`bench ${s.id}`);
    const cursor = env.registry.log.cursor;
    since = new Date(Date.now() - 1000);
    watch = watchRunning(env.kube, pod.namespace, pod.name, o.timeoutMs, o.signal);
    await watch.established;
    await env.kube.createPod(pod);
    const createReturnedMs = Date.now();
    const watchHandledMs = await watch.running;
    setDelay(env, 0);
    const requests: RequestRecord[] = env.registry.log.query({ since: cursor });
    const message = await pulledMessage(env.kube, pod.namespace, pod.name, 5000);
    const metricsAfter = await scrapeMetrics(env.kube, env.node.name);
    const j = await journals(env.node, since, id);
    const raw: RawPodStart = {
      scheduled: s, pod: id, image: pod.image, requests, metricsBefore, metricsAfter,
      kubeletJournal: j.kubelet, containerdJournal: j.containerd, createReturnedMs, watchHandledMs, imageManagerMetrics: env.imageManagerMetrics,
    };
    if (message !== undefined) raw.pulledMessage = message;
    const gone = env.kube.deletePod(pod.namespace, pod.name).then(() => waitGone(env.kube, pod.namespace, pod.name));
    gone.catch(() => undefined);
    return { raw, seconds: (performance.now() - t0) / 1000, gone };
  } catch (err) {
    watch?.stop();
    setDelay(env, 0);
    const lag = o.signal?.aborted ? undefined : await secretNotRead(env, pod, since, (err as Error).message).catch(() => undefined);
    await env.kube.deletePod(pod.namespace, pod.name).catch(() => undefined);
    if (lag) {
      // The next pod start waits until this pod is gone, so the kubelet works on one pod only.
      await waitGone(env.kube, pod.namespace, pod.name).catch(() => undefined);
      throw lag;
    }
    throw err;
  } finally {
    env.registry.log.setScenario('unscoped');
  }
}
