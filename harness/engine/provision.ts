// Stage 2, provision: the run's network and fence, the harness registry, and one kind cluster per
// control-plane version with workers for every kubelet version under test (a kubelet is never newer
// than its control plane and at most three minors older: the version-skew policy). Kubelets older
// than the cluster's node image are kubelet-only builds swapped into a worker. The node mirror of
// every node is checked once (an infrastructure check in the report).
import { kubeletBuildFor } from '../build/under-test.ts';
import { nodeHostsServers } from '../cluster/mirror.ts';
import { createClusterFromPlan, type Cluster } from '../cluster/provider.ts';
import { RegistryStack } from '../registry/stack.ts';
import type { RunContext } from '../run/context.ts';
import { phase } from '../util/log.ts';
import { DEFAULT_CONTROL_PLANE, compareVersions, minorOf, skewProblem } from '../oracle/versions.ts';
import type { Check, ClusterInfo } from '../report/types.ts';
import { Worker } from './worker.ts';
import { prepareProviders, type ClusterProviders } from './providers.ts';
import type { VendorPlugin } from './vendor.ts';

export interface ClusterLayout {
  /** Node image version: the control plane and workers of that version. */
  controlPlane: string;
  /** Kubelet versions of the workers (each repeated `workersPerKubelet` times). */
  kubelets: string[];
}

/** A worker the plan needs: a kubelet version, under a control plane at least this new (upgrade chains). */
export interface WorkerNeed {
  kubelet: string;
  controlPlane?: string;
}

/** Whether a cluster with this control plane can host a worker need. */
export function hosts(controlPlane: string, need: WorkerNeed): boolean {
  return !skewProblem(need.kubelet, controlPlane) && (!need.controlPlane || compareVersions(controlPlane, need.controlPlane) >= 0);
}

/** The clusters needed for the plan's workers: as few as the skew policy allows. */
export function clusterLayouts(needs: readonly (WorkerNeed | string)[]): ClusterLayout[] {
  const list = needs.map((n) => (typeof n === 'string' ? { kubelet: n } : n));
  // Strongest requirement first (the newest control plane asked for, then the newest kubelet).
  const sorted = [...new Map(list.map((n) => [`${n.kubelet}@${n.controlPlane ?? ''}`, n])).values()]
    .sort((a, b) => compareVersions(b.controlPlane ?? b.kubelet, a.controlPlane ?? a.kubelet) || compareVersions(b.kubelet, a.kubelet));
  const out: ClusterLayout[] = [];
  for (const n of sorted) {
    const fit = out.find((c) => hosts(c.controlPlane, n));
    if (fit) {
      if (!fit.kubelets.includes(n.kubelet)) fit.kubelets.push(n.kubelet);
      continue;
    }
    // A full node image exists from 1.35; older kubelets join a 1.35 control plane as kubelet-only builds.
    const want = n.controlPlane ?? n.kubelet;
    const cp = minorOf(want) >= minorOf(DEFAULT_CONTROL_PLANE) ? want : DEFAULT_CONTROL_PLANE;
    out.push({ controlPlane: cp, kubelets: [n.kubelet] });
  }
  return out.reverse();
}

export interface ProvisionedCluster {
  cluster: Cluster;
  layout: ClusterLayout;
  /** Workers per kubelet version. */
  workers: Map<string, Worker[]>;
  /** The STS and the installed reference plugin, when a window configures a credential provider. */
  providers?: ClusterProviders;
}

export interface Environment {
  registry: RegistryStack;
  clusters: ProvisionedCluster[];
  checks: Check[];
}

export interface ProvisionOptions {
  /** Kubelet versions (and control-plane minimums) the plan's windows need. */
  kubelets: (string | WorkerNeed)[];
  workersPerKubelet: number;
  needsCluster: boolean;
  /** Start the STS and install the reference plugin (some window configures a credential provider). */
  needsProviders?: boolean;
  registryImage?: string;
  /** A vendor's plugin to install beside the reference plugin (certify --in-cluster). */
  vendor?: VendorPlugin;
  /** Called as soon as each part exists, so an interrupted run still reports and cleans it. */
  onRegistry?: (r: RegistryStack) => void;
  onCluster?: (c: ProvisionedCluster) => void;
}

export async function provision(ctx: RunContext, o: ProvisionOptions): Promise<Environment> {
  const network = await phase('run network', () => ctx.createNetwork());
  const registry = await phase('harness registry', () =>
    RegistryStack.start({ network, image: o.registryImage }, (name, fn) => ctx.cleanup.defer(name, fn)));
  registry.addStandardTenants();
  o.onRegistry?.(registry);
  const env: Environment = { registry, clusters: [], checks: [] };
  if (!o.needsCluster) return env;
  for (const [i, layout] of clusterLayouts(o.kubelets).entries()) {
    const workers = layout.kubelets.flatMap((k) => Array.from({ length: o.workersPerKubelet }, () => ({ kubelet: k === layout.controlPlane && !kubeletBuildFor(k) ? undefined : k })));
    const cluster = await createClusterFromPlan(ctx, registry, { kubernetes: layout.controlPlane, workers, index: i + 1 });
    const byVersion = new Map<string, Worker[]>();
    for (const [i, node] of cluster.workers.entries()) {
      const version = workers[i]?.kubelet ?? layout.controlPlane;
      const w = await Worker.attach(node, version);
      byVersion.set(version, [...(byVersion.get(version) ?? []), w]);
    }
    const pc: ProvisionedCluster = { cluster, layout, workers: byVersion };
    if (o.needsProviders) {
      pc.providers = await phase(`credential provider: STS and reference plugin on ${cluster.name}`, () => prepareProviders(ctx, registry, cluster, [...byVersion.values()].flat(), o.vendor));
    }
    env.clusters.push(pc);
    o.onCluster?.(pc);
    await phase('check the node mirror', async () => {
      for (const node of [cluster.controlPlane, ...cluster.workers]) {
        const servers = await nodeHostsServers(node);
        const foreign = [...servers].filter(([, s]) => !s.startsWith(registry.endpoint));
        env.checks.push({
          name: `every hosts.toml in ${node.name} names the harness registry as server`,
          ok: servers.size >= 4 && foreign.length === 0,
          message: foreign.length ? foreign.map(([f, s]) => `${f}: ${s}`).join('; ') : `${servers.size} hosts.toml files`,
        });
      }
    });
  }
  return env;
}

export function clusterInfo(pc: ProvisionedCluster): ClusterInfo {
  const c = pc.cluster;
  return {
    name: c.name, controlPlane: c.kubernetes, nodeImage: c.image.image, kind: c.image.kindVersion,
    nodes: [
      { name: c.controlPlane.name, role: 'control-plane', kubelet: c.kubelets.get(c.controlPlane.name) ?? c.kubernetes },
      ...c.workers.map((w) => ({ name: w.name, role: 'worker' as const, kubelet: c.kubelets.get(w.name) ?? '' })),
    ],
    timings: { ...c.timings } as unknown as Record<string, number>,
  };
}
