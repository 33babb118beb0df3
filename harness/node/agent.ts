// The node agent: how pullproof reaches a node of a cluster it did not create, through the cluster's
// kubeconfig alone (never Docker). One privileged pod per node under test, in a namespace of its own
// labelled for privileged Pod Security: hostPID, hostNetwork, the node's / mounted at /host. It runs the
// node's own pause image (listed in the node's status.images, so nothing is pulled and nothing has to be
// reachable), and every node operation is an exec into it that enters the host's namespaces with the
// host's own nsenter, started through the host's dynamic loader (the pause image has no libc):
//   /host/lib64/ld-linux-x86-64.so.2 --library-path <host lib dirs> /host/usr/bin/nsenter -t 1 -m -u -i -n -p -- <command>
// which is what `kubectl debug node/X` and sonobuoy's privileged plugins do with an image of their own.
// Execs use the v5 streaming protocol (stdin closed at its end), so a file can be written through stdin.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Exec, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { HarnessError } from '../errors.ts';
import { BACKUP_DIR } from './backup.ts';
import type { Kube } from '../cluster/kube.ts';
import type { RunOptions, RunResult } from '../util/exec.ts';
import { redact } from '../util/secrets.ts';

export const AGENT_NAMESPACE = 'pullproof-node-agent';
export const AGENT_LABELS = { 'io.pullproof': '1', 'io.pullproof.role': 'node-agent' };
/** The namespace's Pod Security labels: the agent is privileged, so the namespace must allow it. */
export const PRIVILEGED_NAMESPACE_LABELS = { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' };

/**
 * The host's dynamic loader, by its real path (the usual /lib64/ld-linux-x86-64.so.2 is an absolute
 * symlink on Debian and Ubuntu, which would resolve inside the pause image): Debian/Ubuntu multiarch,
 * then RHEL-style lib64. The first that runs is kept.
 */
export const LOADERS = ['/host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/host/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/host/usr/lib64/ld-linux-x86-64.so.2', '/host/lib64/ld-linux-x86-64.so.2'];
const LIBRARY_PATH = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'].map((d) => `/host${d}`).join(':');
const NSENTER = '/host/usr/bin/nsenter';

/** The command an exec runs in the agent to run `args` on the host, in PID 1's namespaces. */
export function hostCommand(loader: string, args: readonly string[]): string[] {
  return [loader, '--library-path', LIBRARY_PATH, NSENTER, '-t', '1', '-m', '-u', '-i', '-n', '-p', '--', ...args];
}

/** The node's pause image: the one image every node has (its sandboxes run it). */
export function pauseImageOf(images: readonly { names?: string[] }[]): string | undefined {
  const names = images.flatMap((i) => i.names ?? []).filter((n) => /\/pause(:|@)/.test(n));
  return names.find((n) => n.includes(':') && !n.includes('@')) ?? names[0];
}

/** A short stable hash of a node's name (a node name may be longer than a label value allows). */
function nodeHash(node: string): string {
  return createHash('sha256').update(node).digest('hex').slice(0, 10);
}

/** The agent pod's name on a node (a DNS label, stable per node). */
export function agentPodName(node: string): string {
  return `pullproof-agent-${nodeHash(node)}`;
}

export function agentPod(node: string, image: string): V1Pod {
  return {
    metadata: { name: agentPodName(node), labels: { ...AGENT_LABELS, 'io.pullproof.node': nodeHash(node) } },
    spec: {
      nodeName: node, hostPID: true, hostNetwork: true, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, automountServiceAccountToken: false,
      // The node under test may be tainted (a dedicated pool, or cordoned for a drain): the agent stays on it.
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'agent', image, imagePullPolicy: 'Never', command: ['/pause'], securityContext: { privileged: true }, volumeMounts: [{ name: 'host', mountPath: '/host' }] }],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
    },
  };
}

/** An exec's exit code from its final status (0 on Success; the ExitCode cause; 126 when it could not run). */
export function exitCodeOf(status: V1Status | undefined): number {
  if (!status || status.status === 'Success') return 0;
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  return code !== undefined && /^\d+$/.test(code) ? Number(code) : 126;
}

const STDIN_CHUNK = 256 * 1024;

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(Buffer.from(chunk)); done(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export class NodeAgent {
  readonly node: string;
  readonly pod: string;
  private readonly kube: Kube;
  private readonly exec_: Exec;
  private loader = LOADERS[0] as string;
  /** Whether this command found the agent already running (a run's, or one kept) instead of starting it. */
  attached = false;

  private constructor(kube: Kube, node: string) {
    this.kube = kube;
    this.node = node;
    this.pod = agentPodName(node);
    this.exec_ = new Exec(kube.config);
  }

  /** The first loader that lets the agent enter the host, or why none does. */
  private async enter(): Promise<string[]> {
    const tried: string[] = [];
    for (const loader of LOADERS) {
      this.loader = loader;
      const probe = await this.exec(['true'], { allowFailure: true });
      if (probe.exitCode === 0) return [];
      tried.push(`${loader.slice(5)}: exit ${probe.exitCode} ${probe.stderr.trim().slice(0, 160)}`);
    }
    return tried;
  }

  /**
   * The agent already running on the node, if there is one that can enter the host. A run that was
   * killed leaves its agent running, and only that agent may still run: a verification policy the run
   * set (AlwaysVerify) refuses a new agent's image, which has no pull record.
   */
  private static async running(kube: Kube, node: string): Promise<NodeAgent | undefined> {
    const agent = new NodeAgent(kube, node);
    const pod = await kube.core.readNamespacedPod({ namespace: AGENT_NAMESPACE, name: agent.pod }).catch(() => undefined);
    if (!pod || pod.metadata?.deletionTimestamp || pod.spec?.nodeName !== node || !pod.status?.containerStatuses?.[0]?.state?.running) return undefined;
    if ((await agent.enter()).length) return undefined;
    agent.attached = true;
    return agent;
  }

  /** The agent on a node: the one already running there, or a new one (deploy). */
  static async attachOrDeploy(kube: Kube, node: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeAgent> {
    return (await NodeAgent.running(kube, node)) ?? NodeAgent.deploy(kube, node, o);
  }

  /** Starts the agent on a node (namespace, pod) and waits until it runs and can enter the host. */
  static async deploy(kube: Kube, node: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeAgent> {
    const n = await kube.core.readNode({ name: node }).catch((err: unknown) => {
      throw new HarnessError(`node ${node}: cannot read it through the kubeconfig (${(err as { code?: number }).code === 404 ? 'no such node' : (err as Error).message})`, 'name a node of `kubectl get nodes`; the kubeconfig needs get on nodes');
    });
    const image = pauseImageOf(n.status?.images ?? []);
    if (!image) throw new HarnessError(`node ${node}: its status lists no pause image to run the agent from`, 'the node has run no pod yet; start any pod on it first');
    // The namespace of an earlier agent may still be going (a command right after another): wait for it.
    if (await kube.namespaceTerminating(AGENT_NAMESPACE)) await kube.waitNamespaceGone(AGENT_NAMESPACE);
    await kube.ensureNamespace(AGENT_NAMESPACE, { ...AGENT_LABELS, ...PRIVILEGED_NAMESPACE_LABELS });
    const agent = new NodeAgent(kube, node);
    await kube.deletePod(AGENT_NAMESPACE, agent.pod);
    await kube.waitPodGone(AGENT_NAMESPACE, agent.pod, 60_000);
    await kube.core.createNamespacedPod({ namespace: AGENT_NAMESPACE, body: agentPod(node, image) });
    let last = '';
    let refused: string | undefined;
    await kube.watchPod(AGENT_NAMESPACE, agent.pod, (pod) => {
      const cs = pod.status?.containerStatuses?.[0];
      last = cs?.state?.waiting ? `${cs.state.waiting.reason ?? 'waiting'}: ${cs.state.waiting.message ?? ''}` : pod.status?.phase ?? '';
      if (cs?.state?.waiting?.reason === 'ErrImageNeverPull') refused = last;
      return !!cs?.state?.running || pod.status?.phase === 'Failed' || refused !== undefined;
    }, { signal: o.signal, timeoutMs: o.timeoutMs ?? 120_000 });
    if (refused) {
      await kube.deletePod(AGENT_NAMESPACE, agent.pod).catch(() => undefined);
      throw new HarnessError(`node ${node}: the kubelet refuses the agent's image ${image} (${refused}): its imagePullCredentialsVerificationPolicy does not let a pod without credentials use an image that has no pull record (AlwaysVerify does so)`,
        `if a pullproof run set that policy and was killed after its agent was removed, restore its backup (${BACKUP_DIR} on the node) by hand as docs/any-cluster.md says ("Restoring by hand")`);
    }
    const tried = await agent.enter();
    if (!tried.length) return agent;
    throw new HarnessError(`node ${node}: the agent pod ${AGENT_NAMESPACE}/${agent.pod} (${last}) cannot enter the host (${tried.join('; ')})`, `the agent needs an x86-64 node with glibc's loader and ${NSENTER.slice(5)} (util-linux), and a namespace that admits privileged pods`);
  }

  /** Runs a command on the host (PID 1's mount, UTS, IPC, network and PID namespaces). */
  async exec(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const t0 = performance.now();
    const out = collector();
    const err = collector();
    // In chunks: one websocket message of a whole kubelet binary (80 MB) arrives as nothing at all.
    const stdin = o.input !== undefined ? Readable.from(chunksOf(Buffer.from(o.input), STDIN_CHUNK)) : null;
    const command = `${this.node}: ${args.join(' ')}`;
    const status = await new Promise<V1Status | undefined>((resolve, reject) => {
      // The first of the status callback, the stream's close, the exec's failure and the timer settles.
      let settled = false;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(() => settle(() => reject(new HarnessError(`${command}: no answer within ${(o.timeoutMs ?? 120_000) / 1000} s through the node agent`))), o.timeoutMs ?? 120_000);
      this.exec_.exec(AGENT_NAMESPACE, this.pod, 'agent', hostCommand(this.loader, args), out.stream, err.stream, stdin, false, (s) => settle(() => resolve(s)))
        .then((ws) => { ws.on('close', () => settle(() => resolve(undefined))); }, (e: unknown) => settle(() => {
          // The exec is served by the node's kubelet: while it restarts there is no exec (a caller polling
          // for its return asks with allowFailure and gets exit 126 with the reason).
          if (o.allowFailure) resolve({ kind: 'Status', status: 'Failure', message: `the exec into the node agent failed: ${(e as Error).message}` });
          else reject(new HarnessError(`${command}: the exec into the node agent failed: ${(e as Error).message}`, 'the kubeconfig needs create on pods/exec in the agent namespace, and the node\'s kubelet must be running (it serves the exec)'));
        }));
    });
    const exitCode = exitCodeOf(status);
    // A command that could not start at all says why in the status, not on stderr.
    const why = exitCode !== 0 && !status?.details?.causes?.some((c) => c.reason === 'ExitCode') ? status?.message ?? '' : '';
    const result: RunResult = { command, stdout: out.text(), stderr: err.text() + why, exitCode, durationMs: performance.now() - t0 };
    if (result.exitCode !== 0 && !o.allowFailure) throw new HarnessError(`${command} exited ${result.exitCode}`, redact(result.stderr.slice(0, 2000)));
    return result;
  }

  /** Deletes the agent pod (the namespace stays for the other nodes' agents; removeAll deletes it). */
  async remove(): Promise<void> {
    await this.kube.deletePod(AGENT_NAMESPACE, this.pod);
  }

  /** Deletes the agent namespace and everything in it, and waits until it is gone (nothing is left when the command ends). */
  static async removeAll(kube: Kube): Promise<void> {
    await kube.deleteNamespace(AGENT_NAMESPACE);
    await kube.waitNamespaceGone(AGENT_NAMESPACE);
  }
}
