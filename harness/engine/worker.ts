// A worker node under test, as the scheduler uses it: its kubelet configuration is a desired state
// (the configuration kubeadm wrote, plus exactly the window's settings; anything a window does not set
// is unset), applied by rewriting config.yaml and restarting the kubelet. A kubelet that refuses its
// configuration is reported within seconds with its own message (it exits; systemd restarts it in a
// loop), not after a long Ready timeout. Every restart is timed and attributed.
import { parseDocument } from 'yaml';
import { HarnessError } from '../errors.ts';
import type { KindNode } from '../node/kind-node.ts';
import { KUBELET_CONFIG } from '../node/kind-node.ts';
import type { KubeletModel } from '../oracle/types.ts';
import { redact } from '../util/secrets.ts';

export const KUBELET_DEFAULTS_FILE = '/etc/default/kubelet';
/** The kubelet's own docker config: node-wide credentials (docs/specification.md A5). */
export const KUBELET_DOCKER_CONFIG = '/var/lib/kubelet/config.json';

export class KubeletRefusedError extends HarnessError {
  /** The kubelet's own message. */
  readonly kubeletMessage: string;
  constructor(node: string, kubeletMessage: string, journal: string) {
    super(`${node}: the kubelet refused its configuration: ${kubeletMessage}`, journal);
    this.name = 'KubeletRefusedError';
    this.kubeletMessage = kubeletMessage;
  }
}

const MANAGED_FIELDS = ['imagePullCredentialsVerificationPolicy', 'preloadedImagesVerificationAllowlist', 'maxParallelImagePulls', 'serializeImagePulls'] as const;

/**
 * config.yaml for a kubelet: the base (as kubeadm wrote it, with pullproof's failCgroupV1), the base's
 * own gates plus the model's gates, and the managed fields exactly as the model sets them.
 */
export function renderKubeletConfig(base: string, m: KubeletModel): string {
  const doc = parseDocument(base);
  const baseGates = (doc.get('featureGates') as { toJSON?: () => Record<string, boolean> } | undefined)?.toJSON?.() ?? {};
  const gates = { ...baseGates, ...m.gates };
  if (Object.keys(gates).length) doc.set('featureGates', gates);
  else doc.delete('featureGates');
  for (const f of MANAGED_FIELDS) doc.delete(f);
  if (m.policy !== undefined) doc.set('imagePullCredentialsVerificationPolicy', m.policy);
  if (m.allowlist?.length) doc.set('preloadedImagesVerificationAllowlist', m.allowlist);
  if (m.maxParallelImagePulls !== undefined) {
    doc.set('maxParallelImagePulls', m.maxParallelImagePulls);
    if (m.maxParallelImagePulls > 1) doc.set('serializeImagePulls', false);
  }
  return doc.toString();
}

/** The kubelet's reason from its journal: the error that stopped it, in its own words. */
export function refusalReason(journal: string): string | undefined {
  const lines = journal.split('\n');
  const patterns = [
    /"command failed" err="([^"]*(?:\\"[^"]*)*)"/,
    /(failed to validate kubelet configuration[^\n]*)/,
    /(unrecognized feature gate[^\n]*)/,
    /(Failed to register CRI auth plugins[^\n]*)/,
    /\] "?(Failed to [^\n]*)/,
    /^E\d{4} [\d:.]+\s+\d+ [^\]]+\] (.*)$/,
  ];
  for (const re of patterns) {
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = re.exec(lines[i] ?? '');
      if (m?.[1]) return m[1].replace(/\\"/g, '"').trim();
    }
  }
  return undefined;
}

export interface Restart {
  why: string;
  seconds: number;
}

/** A kubelet moved to another version in place (drain, stop, swap, configure, start, uncordon). */
export interface Swap {
  from: string;
  to: string;
  why: string;
  /** Drain to Ready and uncordoned. */
  seconds: number;
}

export class Worker {
  readonly node: KindNode;
  /** The kubelet version the worker runs now (swapKubelet steps change it; each window starts on provisionedVersion). */
  version: string;
  /** The version the worker was provisioned with, and returns to after a window that swapped it. */
  readonly provisionedVersion: string;
  readonly swaps: Swap[] = [];
  /** config.yaml and /etc/default/kubelet as they were after provisioning. */
  private readonly baseConfig: string;
  private readonly baseDefaults: string;
  /** Key of the settings the kubelet runs with now (undefined: unknown or broken). */
  current?: string;
  readonly restarts: Restart[] = [];

  private constructor(node: KindNode, version: string, baseConfig: string, baseDefaults: string) {
    this.node = node;
    this.version = version;
    this.provisionedVersion = version;
    this.baseConfig = baseConfig;
    this.baseDefaults = baseDefaults;
  }

  static async attach(node: KindNode, version: string): Promise<Worker> {
    const config = await node.readFile(KUBELET_CONFIG);
    const defaults = (await node.exec(['cat', KUBELET_DEFAULTS_FILE], { allowFailure: true })).stdout;
    return new Worker(node, version, config, defaults);
  }

  get name(): string {
    return this.node.name;
  }

  /** Writes the desired configuration and restarts the kubelet; throws KubeletRefusedError when it will not start. */
  async apply(m: KubeletModel, key: string, why: string, signal?: AbortSignal, o: { extraArgs?: string[]; nodeDockerConfig?: string } = {}): Promise<Restart> {
    const extraArgs = o.extraArgs ?? [];
    await this.node.writeFile(KUBELET_CONFIG, renderKubeletConfig(this.baseConfig, m), '0644');
    if (o.nodeDockerConfig) await this.node.writeFile(KUBELET_DOCKER_CONFIG, o.nodeDockerConfig, '0600');
    else await this.node.exec(['rm', '-f', KUBELET_DOCKER_CONFIG]);
    const base = /^KUBELET_EXTRA_ARGS=(.*)$/m.exec(this.baseDefaults)?.[1] ?? '';
    await this.node.writeFile(KUBELET_DEFAULTS_FILE, `KUBELET_EXTRA_ARGS=${[base, ...extraArgs].filter(Boolean).join(' ')}\n`, '0644');
    this.current = undefined;
    const r = await this.restart(why, signal);
    this.current = key;
    return r;
  }

  /**
   * Moves the kubelet to another version in place, as an operator upgrades a node: drain (images and
   * /var/lib/kubelet stay), stop, put the binary in ("original": the node image's own kubelet), write
   * the configuration for that version, start, wait for Ready, uncordon. `wipeRecords` clears the pull
   * records first (returning a worker to its provisioned state, not an upgrade step). Throws
   * KubeletRefusedError when the new kubelet will not start with its configuration (the node stays cordoned).
   */
  async swapTo(version: string, binary: string | 'original', m: KubeletModel, key: string, why: string, signal?: AbortSignal, o: { extraArgs?: string[]; nodeDockerConfig?: string; wipeRecords?: boolean } = {}): Promise<Swap> {
    const t0 = performance.now();
    const from = this.version;
    await this.node.drain();
    await this.node.exec(['systemctl', 'stop', 'kubelet']);
    if (o.wipeRecords) await this.node.wipeRecords({ restart: false });
    await this.node.installKubelet(binary);
    this.version = version;
    await this.apply(m, key, why, signal, o);
    await this.node.uncordon();
    const swap = { from, to: version, why, seconds: (performance.now() - t0) / 1000 };
    this.swaps.push(swap);
    return swap;
  }

  /** Restarts the kubelet and waits until it is Ready; a kubelet that exits instead is reported with its reason. */
  async restart(why: string, signal?: AbortSignal, timeoutMs = 120_000): Promise<Restart> {
    const t0 = performance.now();
    const since = new Date(Date.now() - 1000);
    const before = await this.node.kubeletUnit();
    await this.node.exec(['systemctl', 'restart', 'kubelet']);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new HarnessError(`${this.name}: kubelet restart aborted`);
      const st = await this.node.kubeletUnit({ signal });
      // Restart=always: a kubelet that exits with a non-zero status waits in auto-restart and comes back as
      // a new process (NRestarts grows): it refuses its configuration.
      if (st.execMainStatus !== 0 && (st.subState === 'auto-restart' || st.nRestarts > before.nRestarts)) {
        const journal = await this.node.logsSince(since);
        const reason = refusalReason(journal) ?? `the kubelet exited with status ${st.execMainStatus}`;
        throw new KubeletRefusedError(this.name, reason, redact(journal.split('\n').slice(-40).join('\n')));
      }
      if (st.activeState === 'active') {
        const health = await this.node.exec(['curl', '-sf', '--max-time', '2', 'http://127.0.0.1:10248/healthz'], { allowFailure: true, signal });
        if (health.exitCode === 0) {
          await this.node.waitReady(since, Math.max(1000, deadline - Date.now()), signal);
          const r = { why, seconds: (performance.now() - t0) / 1000 };
          this.restarts.push(r);
          return r;
        }
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    const journal = await this.node.logsSince(since);
    throw new HarnessError(`${this.name}: the kubelet was not healthy within ${timeoutMs / 1000}s after a restart (${why})`, redact(journal.split('\n').slice(-40).join('\n')));
  }
}
