// Shared steps of the cluster suites: fixture images pushed per scenario, pods pinned to the worker
// under test, gates set on that worker and confirmed through /configz.
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { PULL_FAILURE_REASONS, type PodOutcome } from '../harness/cluster/kube.ts';
import type { Cluster } from '../harness/cluster/provider.ts';
import type { KindNode } from '../harness/node/kind-node.ts';
import type { Environment, ScenarioTools } from '../harness/suite/types.ts';

export const NS_A = 'tenant-a';
export const NS_B = 'tenant-b';
export const SECRET = 'pull-tenant-a';
export const RESTART_HOW = 'systemctl restart kubelet until healthz answers and the node reports Ready with a newer heartbeat';

export function clusterOf(env: Environment): Cluster {
  if (!env.cluster) throw new Error('this suite needs a cluster');
  return env.cluster;
}

export function workerOf(env: Environment): KindNode {
  const w = clusterOf(env).workers[0];
  if (!w) throw new Error('this suite needs a worker node');
  return w;
}

export function describeOutcome(o: PodOutcome): string {
  return o.running ? 'Running' : `${o.phase}, waiting: ${o.waitingReason ?? 'none'}${o.waitingMessage ? ` (${o.waitingMessage.slice(0, 160)})` : ''}`;
}

export function refusedPull(o: PodOutcome): boolean {
  return !o.running && (o.waitingReason === 'ErrImagePull' || o.waitingReason === 'ImagePullBackOff');
}

/** Pushes fixture images (one per variant) to tenant-a's repositories; returns their references. */
export async function pushPrivateImages(env: Environment, scenario: string, variants: string[]): Promise<string[]> {
  const admin = env.registry.client(env.registry.admin);
  const refs: string[] = [];
  try {
    for (const variant of variants) {
      const repo = `tenant-a/${scenario}-${variant}-${env.run.id}`;
      await admin.push(repo, 'v1', await buildFixtureImage({ scenario, variant }));
      refs.push(`${env.registry.host}/${repo}:v1`);
    }
  } finally {
    admin.close();
  }
  return refs;
}

/** Namespaces A and B, and tenant A's pull secret in A; returns the secret's uid. */
export async function tenantsAndSecret(env: Environment): Promise<string> {
  const kube = clusterOf(env).kube;
  for (const ns of [NS_A, NS_B]) await kube.ensureNamespace(ns);
  return kube.createPullSecret({ namespace: NS_A, name: SECRET, registry: env.registry.host, ...env.registry.tenant('tenant-a') });
}

let podSeq = 0;

/** Runs a pod on the worker, returns what the user sees, and deletes it. */
export async function runPod(env: Environment, t: ScenarioTools, o: { namespace: string; image: string; pullPolicy: 'IfNotPresent' | 'Never' | 'Always'; secret: boolean; expectRunning: boolean; privileged?: boolean }): Promise<PodOutcome> {
  const kube = clusterOf(env).kube;
  const name = `p${++podSeq}`;
  await kube.createPod({ namespace: o.namespace, name, node: workerOf(env).name, image: o.image, pullPolicy: o.pullPolicy, pullSecrets: o.secret ? [SECRET] : [], privileged: o.privileged });
  try {
    // A refused pull shows at once; the back-off reason can take a few seconds more.
    return await kube.waitForOutcome(o.namespace, name, { reasons: o.expectRunning ? [] : PULL_FAILURE_REASONS, timeoutMs: o.expectRunning ? 120_000 : 90_000 });
  } finally {
    t.note(`pod ${o.namespace}/${name} (${o.image.split('/').slice(1).join('/')}, ${o.pullPolicy}${o.secret ? `, secret ${SECRET}` : ', no secret'}${o.privileged ? ', privileged' : ''})`);
    await kube.deletePod(o.namespace, name);
  }
}

/** Sets a gate on the worker, confirms it through /configz, and measures the restart. */
export async function setWorkerGate(env: Environment, t: ScenarioTools, gate: string, on: boolean): Promise<void> {
  const r = await clusterOf(env).setKubelet(workerOf(env), { featureGates: { [gate]: on } }, 'workers[0]');
  t.expect((r.configz.featureGates as Record<string, boolean> | undefined)?.[gate] === on, `/configz to show ${gate}=${on}`, JSON.stringify(r.configz.featureGates));
  t.measure({ name: 'kubelet restart to Ready', value: r.seconds, unit: 's', how: RESTART_HOW, samples: 1 });
}

/** Whether the worker's kubelet knows a gate at all (1.32 kubelets predate both features). */
export function workerKnowsGate(env: Environment, gate: string): boolean {
  return clusterOf(env).gatesOf(workerOf(env)).has(gate);
}
