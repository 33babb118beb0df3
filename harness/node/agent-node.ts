// A node of a cluster pullproof did not create, reached through its node agent and the cluster's API:
// the same operations as a kind node (harness/node/kind-node.ts: kubelet configuration, restarts, pull
// records, containerd images, journals, metrics), with each primitive swapped: commands run through the
// agent instead of `docker exec`, the node's Ready condition and the kubelet's configz and metrics come
// from the API server, a drain is a cordon and evictions, and files are copied in through stdin.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.ts';
import type { Kube } from '../cluster/kube.ts';
import type { RunOptions, RunResult } from '../util/exec.ts';
import { AGENT_NAMESPACE, type NodeAgent } from './agent.ts';
import { installKubeletSh, KindNode, WIPE_RECORDS_SH } from './kind-node.ts';

export class AgentNode extends KindNode {
  private readonly agent: NodeAgent;
  private readonly kube: Kube;

  constructor(agent: NodeAgent, kube: Kube) {
    super(agent.node, '');
    this.agent = agent;
    this.kube = kube;
  }

  override exec(args: string[], o: RunOptions = {}): Promise<RunResult> {
    return this.agent.exec(args, o);
  }

  /** There is no control-plane container to run kubectl in: every caller goes through the API instead. */
  override kubectl(args: string[]): Promise<RunResult> {
    return Promise.reject(new HarnessError(`kubectl ${args.join(' ')}: a node reached through its agent has no control-plane container; this operation is not available on a cluster pullproof did not create`));
  }

  protected override async readyStatus(): Promise<string> {
    return this.kube.nodeReady(this.name).catch((err: unknown) => `cannot read the node: ${(err as Error).message}`);
  }

  protected override kubeletGet(path: string): Promise<string> {
    return this.kube.nodeProxy(this.name, path);
  }

  /** Copies a file onto the node through the exec's stdin, then checks it arrived whole (size and SHA-256). */
  protected override async copyIn(file: string, dest: string): Promise<void> {
    const data = readFileSync(file);
    const want = createHash('sha256').update(data).digest('hex');
    await this.exec(['sh', '-c', `cat > '${dest}'`], { input: data, timeoutMs: 300_000 });
    const got = (await this.exec(['sha256sum', dest])).stdout.split(' ')[0];
    if (got !== want) throw new HarnessError(`${this.name}: ${dest} arrived with SHA-256 ${got ?? '?'}, not ${want} (${data.length} bytes sent through the agent's exec)`);
  }

  /**
   * Runs a host command detached from this exec (a transient systemd unit), for what stops the kubelet:
   * the agent's exec is served by the kubelet, so a restart through it would cut its own stream.
   */
  private async detached(script: string): Promise<void> {
    await this.exec(['systemd-run', '--collect', '--no-block', '--unit', `pullproof-kubelet-${Date.now()}`, 'sh', '-c', script]);
  }

  /**
   * Runs a detached step that restarts the kubelet and waits for the new one: first until systemd runs a
   * new invocation of the unit, then for its healthz and a Ready heartbeat after that invocation started
   * (the node's clock, as the kubelet's heartbeats are). The step is detached (--no-block), so without the
   * first wait the old kubelet's healthz and its last heartbeat could pass for the new one's: 1 of 11
   * restarts did, on kind on 2026-12-07, and the next exec then met the restarting kubelet. Returns the
   * seconds to Ready.
   */
  private async restartDetached(script: string, timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    const before = (await this.kubeletUnit({ timeoutMs: 60_000 }).catch(() => undefined))?.invocationId;
    if (!before) throw new HarnessError(`${this.name}: cannot read the kubelet's systemd unit through the agent (systemctl show kubelet)`, 'the node\'s kubelet must run as the systemd unit kubelet.service');
    await this.detached(script);
    let last = 'the unit could not be read';
    for (;;) {
      if (Date.now() >= deadline) throw new HarnessError(`${this.name}: systemd did not start the kubelet again (last: ${last})`, 'see the kubelet\'s journal on the node: journalctl -u kubelet');
      // An exec that the stopping kubelet accepted may never answer: each probe is bounded, the next one asks the new kubelet.
      const unit = await this.kubeletUnit({ timeoutMs: 3_000 }).catch(() => undefined);
      if (unit?.invocationId && unit.invocationId !== before && unit.activeState === 'active' && unit.activeSince) {
        await this.waitReady(unit.activeSince, Math.max(1000, deadline - Date.now()));
        return (performance.now() - t0) / 1000;
      }
      if (unit?.invocationId) last = unit.invocationId === before ? 'still the invocation from before the restart' : 'a new invocation, not active yet';
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Restarts the kubelet (detached) and waits for the new one's healthz and Ready condition. */
  override restartKubelet(timeoutMs = 180_000): Promise<number> {
    return this.restartDetached('systemctl restart kubelet', timeoutMs);
  }

  /**
   * Replaces the kubelet with another build and starts it: the binary is staged beside the kubelet while
   * it runs (checked whole), then one detached step stops the kubelet, keeps the node's own kubelet once
   * as /usr/bin/kubelet.pullproof-orig, moves the new one in (or the original back) and starts it.
   */
  override async swapKubelet(binary: string, o: { wipeRecords?: boolean } = {}): Promise<number> {
    await this.stageKubelet(binary);
    // The kubelet is started again whatever a step before it returned.
    return this.restartDetached(`systemctl stop kubelet; ${o.wipeRecords ? `${WIPE_RECORDS_SH}; ` : ''}${installKubeletSh(binary)}; systemctl start kubelet`, 180_000);
  }

  /** The kubelet cannot be stopped around an install on a node reached through it (it serves the agent's exec): swapKubelet stages and swaps in one detached step. */
  override installKubelet(binary: string | 'original'): Promise<void> {
    return Promise.reject(new HarnessError(`${this.name}: kubelet ${binary} cannot be installed while the kubelet is stopped on a node reached through its agent (the kubelet serves the agent's exec); swapKubelet stops, installs and starts it in one detached step`));
  }

  override async drain(): Promise<void> {
    await this.kube.setUnschedulable(this.name, true);
    await this.kube.evictPodsOn(this.name, [AGENT_NAMESPACE, 'kube-system']);
  }

  override async uncordon(): Promise<void> {
    await this.kube.setUnschedulable(this.name, false);
  }
}
