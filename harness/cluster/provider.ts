// The kind provider: a cluster from a typed plan on the run's network, as an ordered list of named
// steps (the names are what the user sees in progress and the report). Gates and kubelet settings are
// per node, never cluster-wide (kind's cluster-level gates reach every kubelet through the
// kubelet-config ConfigMap, and an older kubelet rejects newer gate names); each is validated against
// that node's own kubelet before anything is applied, then confirmed through /configz.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { kubeletBinaryFor, kubeletBuildFor } from '../build/under-test.ts';
import { cgroupVersion } from '../host/facts.ts';
import { buildNodeImage, type NodeImageResult } from '../nodeimage/build.ts';
import { createCluster, type KindCluster } from '../kind/cluster.ts';
import { KindNode } from '../node/kind-node.ts';
import type { RegistryStack } from '../registry/stack.ts';
import type { RunContext } from '../run/context.ts';
import { output, run } from '../util/exec.ts';
import { phase } from '../util/log.ts';
import { copyRedacted } from '../util/redact-files.ts';
import { kubeletGates, parseKubeletGates, resolveGates, type GateInfo } from './gates.ts';
import { Kube } from './kube.ts';
import { applyKubeletSettings, type KubeletSettings, type KubeletTarget } from './kubelet-config.ts';
import { configureNodeMirror, mirrorNodeImages } from './mirror.ts';

export interface WorkerPlan {
  /** A kubelet-only build of another version for this worker (e.g. v1.32.13); default: the cluster's. */
  kubelet?: string;
  /** Settings applied to this worker after creation (validated against its kubelet first). */
  settings?: KubeletSettings;
}

export interface ClusterPlan {
  /** Node image version: control plane, and every worker unless it names another kubelet. */
  kubernetes: string;
  workers: WorkerPlan[];
  /** The run's n-th cluster (from 1): the first is pullproof-<run id>, later ones pullproof-<run id>-<n>. */
  index?: number;
}

export interface ClusterTimings {
  nodeImageSeconds: number;
  nodeImageCached: boolean;
  createSeconds: number;
  readySeconds: number;
  deleteSeconds?: number;
}

export interface Cluster {
  name: string;
  kubernetes: string;
  controlPlane: KindNode;
  workers: KindNode[];
  kube: Kube;
  timings: ClusterTimings;
  image: NodeImageResult;
  /** kubelet version per node name, as the node's kubelet reports it. */
  kubelets: Map<string, string>;
  /** The feature gates a worker's kubelet knows (from its own `kubelet --help`). */
  gatesOf(node: KindNode): Map<string, GateInfo>;
  /** Deletes the cluster now (kind delete), recording how long it took. */
  remove(): Promise<void>;
  /** Applies settings to one node (validated against its kubelet), restarts it, confirms via /configz. */
  setKubelet(node: KindNode, settings: KubeletSettings, field: string): Promise<{ seconds: number; configz: Record<string, unknown> }>;
  exportLogs(dir: string): Promise<void>;
}

/** A KubeletConfiguration with nothing set, for checking settings before any node exists. */
const DRY_RUN_CONFIG = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

/** Settings with gate aliases mapped and unknown gates refused for this kubelet (the input is not changed). */
function resolveSettings(settings: KubeletSettings, target: KubeletTarget, field: string): KubeletSettings {
  return settings.featureGates ? { ...settings, featureGates: resolveGates(settings.featureGates, target.gates, target.version, `${field}.featureGates`) } : settings;
}

async function imageKubeletGates(image: string): Promise<Map<string, GateInfo>> {
  const help = await output(['docker', 'run', '--rm', '--network', 'none', '--entrypoint', '/usr/bin/kubelet', image, '--help'], { allowFailure: true, timeoutMs: 60_000 });
  const gates = parseKubeletGates(help);
  if (gates.size === 0) throw new HarnessError(`the kubelet in ${image} listed no feature gates`);
  return gates;
}

export async function createClusterFromPlan(ctx: RunContext, stack: RegistryStack, plan: ClusterPlan): Promise<Cluster> {
  if (!ctx.network) throw new HarnessError('the run network must exist before the cluster');
  const network = ctx.network;
  const cgroupV1 = cgroupVersion().startsWith('v1');
  const image = await phase(`node image ${plan.kubernetes}`, () => buildNodeImage({ kubernetes: plan.kubernetes, cleanup: ctx.cleanup, runId: ctx.id }));

  // Validate every worker's gates and settings against its own kubelet before anything starts.
  // The kubelet's own rules run on a minimal config here (a dry run), so a bad setting fails now.
  const targets: (KubeletTarget & { binary?: string })[] = [];
  await phase('validate node settings', async () => {
    const clusterGates = await imageKubeletGates(image.image);
    for (const [i, w] of plan.workers.entries()) {
      // A kubelet build under test replaces its release's kubelet, also the node image's own.
      const binary = w.kubelet && (w.kubelet !== plan.kubernetes || kubeletBuildFor(w.kubelet)) ? await kubeletBinaryFor(w.kubelet) : undefined;
      const target = { version: w.kubelet ?? plan.kubernetes, gates: binary ? await kubeletGates(binary) : clusterGates, cgroupV1, binary };
      if (w.settings) applyKubeletSettings(DRY_RUN_CONFIG, resolveSettings(w.settings, target, `workers[${i}]`), target, `workers[${i}]`);
      targets.push(target);
    }
  });

  const name = `pullproof-${ctx.id}${plan.index && plan.index > 1 ? `-${plan.index}` : ''}`;
  const kind: KindCluster = await phase(`kind cluster ${name}`, () => createCluster({
    name, image: image.image, kindBinary: image.kindBinary, kubectlBinary: image.kubectlBinary, network, workDir: ctx.workDir, workers: plan.workers.length,
  }, ctx.cleanup));
  const controlPlaneName = kind.nodes.find((n) => n.endsWith('-control-plane'));
  if (!controlPlaneName) throw new HarnessError(`cluster ${name} has no control-plane node`, kind.nodes.join(', '));
  const controlPlane = new KindNode(controlPlaneName, controlPlaneName);
  const workers = kind.nodes.filter((n) => n !== controlPlaneName).sort().map((n) => new KindNode(n, controlPlaneName));
  const kube = new Kube(readFileSync(kind.kubeconfig, 'utf8'));

  await phase('registry mirror in every node', async () => {
    for (const n of [controlPlane, ...workers]) await configureNodeMirror(n, stack);
    await mirrorNodeImages(controlPlane, stack, ctx.workDir);
  });

  const kubelets = new Map<string, string>();
  const targetOf = new Map<string, KubeletTarget>();
  for (const [i, w] of workers.entries()) {
    const t = targets[i];
    if (!t) continue;
    if (t.binary) {
      const worker = w;
      const binary = t.binary;
      await phase(`kubelet ${t.version} on ${worker.name}`, async () => {
        // Records written by the 1.35 kubelet mean nothing to an older one: start it from a clean slate.
        // Strip what the older kubelet does not know (the policy fields before 1.33) while it is stopped.
        await worker.exec(['systemctl', 'stop', 'kubelet']);
        await worker.writeKubeletSettings({}, t, `workers[${i}]`);
        await worker.swapKubelet(binary, { wipeRecords: true });
      });
    }
    targetOf.set(w.name, t);
    kubelets.set(w.name, await w.kubeletVersion());
  }
  kubelets.set(controlPlane.name, await controlPlane.kubeletVersion());

  const targetFor = (node: KindNode): KubeletTarget => {
    const target = targetOf.get(node.name);
    if (!target) throw new HarnessError(`${node.name} is not a worker of ${name}`);
    return target;
  };
  const cluster: Cluster = {
    name, kubernetes: plan.kubernetes, controlPlane, workers, kube, image, kubelets,
    timings: { nodeImageSeconds: image.seconds, nodeImageCached: image.cached, createSeconds: kind.createSeconds, readySeconds: kind.readySeconds },
    gatesOf(node) {
      return targetFor(node).gates;
    },
    async remove() {
      this.timings.deleteSeconds = (await kind.remove()).seconds;
    },
    async setKubelet(node, settings, field) {
      const target = targetFor(node);
      return node.applyKubeletSettings(resolveSettings(settings, target, field), target, field);
    },
    async exportLogs(dir) {
      for (const n of [controlPlane, ...workers]) await n.exportLogs(dir);
      // kind writes raw journals, pod logs and inspect.json: into a private folder first (inside the
      // run's work folder, so cleanup and "pullproof cleanup" remove it even after a kill), then every
      // file through redaction into the report (binary files only listed), then the raw copy goes.
      const raw = mkdtempSync(join(ctx.workDir, 'kind-logs-'));
      chmodSync(raw, 0o700);
      try {
        await run([image.kindBinary, 'export', 'logs', raw, '--name', name], { allowFailure: true, timeoutMs: 180_000 });
        copyRedacted(raw, join(dir, 'kind'));
      } finally {
        rmSync(raw, { recursive: true, force: true });
      }
    },
  };
  for (const [i, w] of plan.workers.entries()) {
    const node = workers[i];
    if (node && w.settings && Object.keys(w.settings).length) {
      const settings = w.settings;
      await phase(`kubelet settings on ${node.name}`, () => cluster.setKubelet(node, settings, `workers[${i}]`));
    }
  }
  return cluster;
}
