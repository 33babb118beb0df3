// The Kubernetes API as the suites use it (client-node, cluster-admin kubeconfig from kind): namespaces,
// pull secrets, pods pinned to a node, and waiting for the outcome a user would see on a pod.
import { CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1Container, type V1Pod, type CoreV1Event } from '@kubernetes/client-node';
import { registerSecret } from '../util/secrets.ts';
import { HarnessError } from '../errors.ts';

export interface PullSecretSpec {
  namespace: string;
  name: string;
  registry: string;
  username: string;
  password: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  node: string;
  image: string;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  pullSecrets?: string[];
  serviceAccount?: string;
  privileged?: boolean;
  /** Init containers before "main" (and the containers after it), in order. */
  initContainers?: PodContainer[];
  containers?: PodContainer[];
}

/** A container of a pod besides "main". */
export interface PodContainer {
  name: string;
  image: string;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The program to run instead of the image's entrypoint (an init container's /done). */
  command?: string[];
  /** An init container's restartPolicy: 'Always' makes it a sidecar. */
  restartPolicy?: 'Always';
}

function container(c: PodContainer, privileged?: boolean): V1Container {
  return { name: c.name, image: c.image, imagePullPolicy: c.pullPolicy, ...(c.command ? { command: c.command } : {}), ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}), ...(privileged ? { securityContext: { privileged: true } } : {}) };
}

/** What a user sees on a pod: Running, or its container waiting with a reason. */
export interface PodOutcome {
  phase: string;
  running: boolean;
  waitingReason?: string;
  waitingMessage?: string;
  imageID?: string;
}

export const PULL_FAILURE_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull'] as const;

function dockerConfigJson(s: PullSecretSpec): string {
  const auth = Buffer.from(`${s.username}:${s.password}`).toString('base64');
  registerSecret(auth);
  const config = JSON.stringify({ auths: { [s.registry]: { username: s.username, password: s.password, auth } } });
  registerSecret(Buffer.from(config).toString('base64'));
  return Buffer.from(config).toString('base64');
}

function isCode(err: unknown, code: number): boolean {
  return (err as { code?: number }).code === code;
}

export class Kube {
  readonly core: CoreV1Api;
  readonly config: KubeConfig;

  constructor(kubeconfigYaml: string, context?: string) {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml);
    if (context !== undefined) kc.setCurrentContext(context);
    this.config = kc;
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    try {
      await this.core.createNamespace({ body: { metadata: { name, labels: { 'io.pullproof': '1', ...labels } } } });
    } catch (err) {
      if (!isCode(err, 409)) throw err;
    }
  }

  /** Waits until a namespace is gone (a deleted one is Terminating until its contents are). */
  async waitNamespaceGone(name: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const phase = await this.core.readNamespace({ name }).then((n) => n.status?.phase ?? 'Active', (err: unknown) => {
        if (isCode(err, 404)) return undefined;
        throw err;
      });
      if (phase === undefined) return;
      if (Date.now() > deadline) throw new HarnessError(`namespace ${name} is still ${phase} ${timeoutMs / 1000} s after its deletion`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Whether a namespace is being deleted. */
  async namespaceTerminating(name: string): Promise<boolean> {
    return this.core.readNamespace({ name }).then((n) => n.status?.phase === 'Terminating', (err: unknown) => {
      if (isCode(err, 404)) return false;
      throw err;
    });
  }

  /** Deletes a namespace without waiting for it to go. */
  async deleteNamespace(name: string): Promise<void> {
    try {
      await this.core.deleteNamespace({ name, gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isCode(err, 404)) throw err;
    }
  }

  /** A kubernetes.io/dockerconfigjson secret for one registry. Returns its uid. */
  async createPullSecret(s: PullSecretSpec): Promise<string> {
    const created = await this.core.createNamespacedSecret({
      namespace: s.namespace,
      body: { metadata: { name: s.name }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerConfigJson(s) } },
    });
    return created.metadata?.uid ?? '';
  }

  /** Replaces a pull secret's content in place (same uid). Returns its uid. */
  async updatePullSecret(s: PullSecretSpec): Promise<string> {
    const current = await this.core.readNamespacedSecret({ namespace: s.namespace, name: s.name });
    const updated = await this.core.replaceNamespacedSecret({
      namespace: s.namespace, name: s.name,
      body: { ...current, data: { '.dockerconfigjson': dockerConfigJson(s) } },
    });
    return updated.metadata?.uid ?? '';
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ namespace, name });
    } catch (err) {
      if (!isCode(err, 404)) throw err;
    }
  }

  /** Creates a service account; returns its uid. */
  async createServiceAccount(namespace: string, name: string, annotations: Record<string, string> = {}): Promise<string> {
    const created = await this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, annotations } } });
    return created.metadata?.uid ?? '';
  }

  async deleteServiceAccount(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedServiceAccount({ namespace, name });
    } catch (err) {
      if (!isCode(err, 404)) throw err;
    }
  }

  /**
   * Watches one pod and calls `onPod` with every version of it (and the client's receive time) until
   * `onPod` returns true, the signal aborts, or the time is up. Re-watches when the server closes the stream.
   */
  async watchPod(namespace: string, name: string, onPod: (pod: V1Pod, receivedAt: Date) => boolean, o: { signal?: AbortSignal; timeoutMs: number }): Promise<boolean> {
    const deadline = Date.now() + o.timeoutMs;
    const watch = new Watch(this.config);
    while (Date.now() < deadline && !o.signal?.aborted) {
      let done = false;
      const finished = await new Promise<boolean>((resolve) => {
        let controller: AbortController | undefined;
        const timer = setTimeout(() => { controller?.abort(); resolve(false); }, Math.max(0, deadline - Date.now()));
        const onAbort = (): void => { controller?.abort(); resolve(false); };
        o.signal?.addEventListener('abort', onAbort, { once: true });
        const end = (value: boolean): void => {
          clearTimeout(timer);
          o.signal?.removeEventListener('abort', onAbort);
          resolve(value);
        };
        watch.watch(`/api/v1/namespaces/${namespace}/pods`, { fieldSelector: `metadata.name=${name}` }, (_phase, obj: V1Pod) => {
          if (done) return;
          if (onPod(obj, new Date())) {
            done = true;
            controller?.abort();
            end(true);
          }
        }, () => end(done)).then((c) => { controller = c; }, () => end(false));
      });
      if (finished) return true;
    }
    return false;
  }

  async createPod(p: PodSpec): Promise<V1Pod> {
    return this.core.createNamespacedPod({
      namespace: p.namespace,
      body: {
        metadata: { name: p.name, labels: { 'io.pullproof': '1' } },
        spec: {
          nodeName: p.node,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 5,
          automountServiceAccountToken: false,
          ...(p.serviceAccount ? { serviceAccountName: p.serviceAccount } : {}),
          imagePullSecrets: (p.pullSecrets ?? []).map((name) => ({ name })),
          ...(p.initContainers?.length ? { initContainers: p.initContainers.map((c) => container(c)) } : {}),
          containers: [container({ name: 'main', image: p.image, pullPolicy: p.pullPolicy }, p.privileged), ...(p.containers ?? []).map((c) => container(c))],
        },
      },
    });
  }

  /** Adds an ephemeral container to a pod, as kubectl debug does (the pod's ephemeralcontainers subresource). */
  async addEphemeralContainer(namespace: string, name: string, c: PodContainer): Promise<void> {
    const pod = await this.core.readNamespacedPod({ namespace, name });
    pod.spec = { containers: [], ...pod.spec, ephemeralContainers: [...(pod.spec?.ephemeralContainers ?? []), { name: c.name, image: c.image, imagePullPolicy: c.pullPolicy }] };
    await this.core.replaceNamespacedPodEphemeralcontainers({ namespace, name, body: pod });
  }

  async readPod(namespace: string, name: string): Promise<V1Pod> {
    return this.core.readNamespacedPod({ namespace, name });
  }

  async outcome(namespace: string, name: string): Promise<PodOutcome> {
    const pod = await this.core.readNamespacedPod({ namespace, name });
    const cs = pod.status?.containerStatuses?.[0];
    return {
      phase: pod.status?.phase ?? 'Unknown',
      running: cs?.state?.running !== undefined,
      waitingReason: cs?.state?.waiting?.reason,
      waitingMessage: cs?.state?.waiting?.message,
      imageID: cs?.imageID || undefined,
    };
  }

  /**
   * Waits until the pod runs, or its container waits with one of the reasons given (or the time is up),
   * and returns what was seen last.
   */
  async waitForOutcome(namespace: string, name: string, o: { reasons?: readonly string[]; timeoutMs?: number } = {}): Promise<PodOutcome> {
    const reasons = o.reasons ?? PULL_FAILURE_REASONS;
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    let last: PodOutcome = { phase: 'Unknown', running: false };
    while (Date.now() < deadline) {
      last = await this.outcome(namespace, name);
      if (last.running || (last.waitingReason && reasons.includes(last.waitingReason))) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    return last;
  }

  async events(namespace: string, podName: string): Promise<CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${podName}` });
    return list.items;
  }

  /** Waits until a pod is gone (deleted and its deletion finished), up to timeoutMs. */
  async waitPodGone(namespace: string, name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.core.readNamespacedPod({ namespace, name });
      } catch (err) {
        if (isCode(err, 404)) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`pod ${namespace}/${name} was still there after ${timeoutMs / 1000} s`);
  }

  /** A node's Ready condition: its status and last heartbeat ("True 2026-12-07T12:00:00Z"). */
  async nodeReady(name: string): Promise<string> {
    const n = await this.core.readNode({ name });
    const c = n.status?.conditions?.find((x) => x.type === 'Ready');
    return c ? `${c.status} ${c.lastHeartbeatTime ? new Date(c.lastHeartbeatTime as unknown as string).toISOString() : ''}` : 'no Ready condition';
  }

  /** GET through the API server's node proxy to the kubelet (configz, metrics). */
  async nodeProxy(name: string, path: string): Promise<string> {
    // The client parses a JSON answer (configz) and hands text (metrics) through.
    const body: unknown = await this.core.connectGetNodeProxyWithPath({ name, path });
    return typeof body === 'string' ? body : JSON.stringify(body);
  }

  /** Cordons or uncordons a node. */
  async setUnschedulable(name: string, unschedulable: boolean): Promise<void> {
    await this.core.patchNode({ name, body: [{ op: 'add', path: '/spec/unschedulable', value: unschedulable }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
  }

  /** Sets (or, with null, removes) one annotation of a Node object. */
  async annotateNode(name: string, key: string, value: string | null): Promise<void> {
    await this.core.patchNode({ name, body: { metadata: { annotations: { [key]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  /** The names of the nodes carrying an annotation. */
  async nodesAnnotated(key: string): Promise<{ name: string; value: string }[]> {
    const list = await this.core.listNode();
    return list.items.flatMap((n) => (n.metadata?.annotations?.[key] !== undefined ? [{ name: n.metadata.name ?? '', value: n.metadata.annotations[key] as string }] : []));
  }

  /** Evicts every pod on a node but daemon sets' and those of the namespaces kept (as kubectl drain does). */
  async evictPodsOn(node: string, keep: readonly string[]): Promise<void> {
    const pods = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    for (const p of pods.items) {
      const ns = p.metadata?.namespace ?? '';
      if (keep.includes(ns) || p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
      try {
        await this.core.createNamespacedPodEviction({ namespace: ns, name: p.metadata?.name ?? '', body: { metadata: { name: p.metadata?.name, namespace: ns } } });
      } catch (err) {
        if (!isCode(err, 404)) throw err;
      }
    }
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
