// Minimal kind cluster lifecycle for pullproof node images (the kind provider builds on this): a
// generated kind config matching the image's requirements (no kube-proxy, no coredns, no kindnetd,
// failCgroupV1: false), `kind create cluster` on the run's Docker network, a static ptp/host-local CNI
// config per node (with routes to the other nodes' pod CIDRs), and `kind delete cluster`, which is
// registered with the cleanup stack before the cluster exists.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HarnessError } from '../errors.ts';
import type { RunNetwork } from '../host/network.ts';
import { NODE_IMAGE_REQUIREMENTS } from '../nodeimage/build.ts';
import type { Cleanup } from '../util/cleanup.ts';
import { output, run } from '../util/exec.ts';
import { log } from '../util/log.ts';
import { redact } from '../util/secrets.ts';
import { explainCreateFailure } from './failure.ts';

export interface ClusterSpec {
  /** Unique per run, e.g. pp-<run id>; kind names node containers <name>-control-plane, <name>-worker[N]. */
  name: string;
  image: string;
  kindBinary: string;
  kubectlBinary: string;
  network: RunNetwork;
  /** Folder for the kind config and the kubeconfig (the run's work folder). */
  workDir: string;
  /** Where kind's whole output goes when creation fails (the run's report folder); default workDir. */
  logDir?: string;
  workers?: number;
  /** Extra kubeadmConfigPatches (YAML documents), applied after pullproof's own. */
  kubeadmConfigPatches?: string[];
  podSubnet?: string;
  serviceSubnet?: string;
}

export interface KindCluster {
  name: string;
  kubeconfig: string;
  kindBinary: string;
  kubectlBinary: string;
  nodes: string[];
  /** Wall-clock seconds of `kind create cluster` and of the CNI/Ready wait after it. */
  createSeconds: number;
  readySeconds: number;
  /** Runs the registered `kind delete` now (and takes it off the cleanup stack). */
  remove(): Promise<{ seconds: number }>;
}

export function kindConfig(spec: ClusterSpec): string {
  const nodes: Record<string, unknown>[] = [{ role: 'control-plane', image: spec.image }];
  for (let i = 0; i < (spec.workers ?? 0); i++) nodes.push({ role: 'worker', image: spec.image });
  const skipPhases = ['preflight', 'addon/kube-proxy', ...NODE_IMAGE_REQUIREMENTS.kubeadmSkipPhases];
  const patches = [
    // Replaces kind's own skipPhases list (preflight, addon/kube-proxy), so it repeats them.
    stringify({ kind: 'InitConfiguration', skipPhases }),
    // Kubernetes 1.35+ refuses cgroup v1 hosts unless told otherwise (KEP-5573); harmless on v2.
    stringify({ kind: 'KubeletConfiguration', failCgroupV1: false }),
    ...(spec.kubeadmConfigPatches ?? []),
  ];
  return stringify({
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    networking: {
      disableDefaultCNI: NODE_IMAGE_REQUIREMENTS.disableDefaultCNI,
      kubeProxyMode: NODE_IMAGE_REQUIREMENTS.kubeProxyMode,
      podSubnet: spec.podSubnet ?? '10.244.0.0/16',
      serviceSubnet: spec.serviceSubnet ?? '10.96.0.0/16',
    },
    nodes,
    kubeadmConfigPatches: patches,
  });
}

/** The conflist kindnetd would write, for one node's pod CIDR (ptp + host-local + portmap). */
export function cniConflist(podCidr: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'pullproof',
    plugins: [
      { type: 'ptp', ipMasq: false, mtu: 1500, ipam: { type: 'host-local', dataDir: '/run/cni-ipam-state', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: podCidr }]] } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2) + '\n';
}

async function kubectl(c: Pick<KindCluster, 'kubectlBinary' | 'kubeconfig'>, args: string[], timeoutMs = 60_000): Promise<string> {
  return output([c.kubectlBinary, '--kubeconfig', c.kubeconfig, ...args], { timeoutMs });
}

async function nodeFacts(c: KindCluster): Promise<{ name: string; ip: string; podCidr: string }[]> {
  const text = await kubectl(c, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address} {.spec.podCIDR}{"\\n"}{end}']);
  return text.split('\n').filter(Boolean).map((l) => {
    const [name = '', ip = '', podCidr = ''] = l.trim().split(/\s+/);
    return { name, ip, podCidr };
  });
}

/** Writes the static CNI config into every node and routes each node's pod CIDR to that node. */
export async function installStaticCni(c: KindCluster, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let facts = await nodeFacts(c);
  while (facts.length < c.nodes.length || facts.some((f) => !f.podCidr || !f.ip)) {
    if (Date.now() > deadline) throw new HarnessError(`nodes of cluster ${c.name} got no pod CIDR within ${timeoutMs / 1000}s`, JSON.stringify(facts));
    await new Promise((r) => setTimeout(r, 1000));
    facts = await nodeFacts(c);
  }
  for (const f of facts) {
    await run(['docker', 'exec', '-i', f.name, 'sh', '-c', `mkdir -p /etc/cni/net.d && cat > ${NODE_IMAGE_REQUIREMENTS.cniConfigPath}`], { input: cniConflist(f.podCidr) });
    for (const other of facts.filter((o) => o.name !== f.name)) {
      await run(['docker', 'exec', f.name, 'ip', 'route', 'replace', other.podCidr, 'via', other.ip]);
    }
  }
}

export async function waitNodesReady(c: KindCluster, timeoutMs = 180_000): Promise<void> {
  await kubectl(c, ['wait', '--for=condition=Ready', 'node', '--all', `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 10_000);
}

/** Deletes the cluster with kind (containers and their anonymous volumes). */
export async function deleteCluster(c: Pick<KindCluster, 'name' | 'kindBinary'>): Promise<{ seconds: number }> {
  const t0 = performance.now();
  await run([c.kindBinary, 'delete', 'cluster', '--name', c.name], { timeoutMs: 180_000 });
  return { seconds: (performance.now() - t0) / 1000 };
}

/**
 * Removes node containers kind's own delete did not see: after Ctrl-C, a `docker run` that `kind create`
 * had already sent can still be completing in the daemon when `kind delete` lists the nodes.
 */
async function sweepNodes(name: string): Promise<void> {
  const list = async (): Promise<string[]> =>
    (await output(['docker', 'ps', '-a', '-q', '--filter', `label=io.x-k8s.kind.cluster=${name}`], { allowFailure: true })).split('\n').filter(Boolean);
  // The daemon may still be creating a container for a killed `docker run` (seen: one appeared about a
  // second after a 1 s sweep), so only three empty looks in a row, 1 s apart, end the sweep.
  const deadline = Date.now() + 30_000;
  let empty = 0;
  while (empty < 3 && Date.now() < deadline) {
    const left = await list();
    if (left.length) {
      empty = 0;
      await run(['docker', 'rm', '-f', '-v', ...left], { allowFailure: true, timeoutMs: 60_000 });
    } else {
      empty++;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Creates the cluster on the run's network and waits until every node is Ready. `kind delete` is
 * registered with `cleanup` before creation starts, so Ctrl-C at any point removes the nodes.
 */
export async function createCluster(spec: ClusterSpec, cleanup: Cleanup): Promise<KindCluster> {
  const configPath = join(spec.workDir, `kind-${spec.name}.yaml`);
  const kubeconfig = join(spec.workDir, `kubeconfig-${spec.name}`);
  writeFileSync(configPath, kindConfig(spec));
  const removeNow = cleanup.defer(`kind cluster ${spec.name}`, async () => {
    await deleteCluster({ name: spec.name, kindBinary: spec.kindBinary });
    await sweepNodes(spec.name);
  });
  const remove = async (): Promise<{ seconds: number }> => {
    const t = performance.now();
    await removeNow();
    return { seconds: (performance.now() - t) / 1000 };
  };
  const t0 = performance.now();
  // --retain keeps the nodes of a failed creation until the cleanup stack deletes them, so the failing
  // component's own logs can still be read when kind's output does not carry its reason.
  const created = await run([spec.kindBinary, 'create', 'cluster', '--name', spec.name, '--image', spec.image, '--config', configPath, '--kubeconfig', kubeconfig, '--wait', '0s', '--retain', '-v', '1'], {
    env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: spec.network.name },
    timeoutMs: 10 * 60_000,
    allowFailure: true,
  });
  const createSeconds = (performance.now() - t0) / 1000;
  if (created.exitCode !== 0) {
    const logFile = join(spec.logDir ?? spec.workDir, `kind-create-${spec.name}.log`);
    writeFileSync(logFile, redact(`${created.stdout}\n${created.stderr}`));
    throw await explainCreateFailure({ cluster: spec.name, image: spec.image, kindBinary: spec.kindBinary, result: created, seconds: createSeconds, logFile });
  }
  const nodes = (await output([spec.kindBinary, 'get', 'nodes', '--name', spec.name])).split('\n').map((s) => s.trim()).filter(Boolean);
  const cluster: KindCluster = { name: spec.name, kubeconfig, kindBinary: spec.kindBinary, kubectlBinary: spec.kubectlBinary, nodes, createSeconds, readySeconds: 0, remove };
  const t1 = performance.now();
  await installStaticCni(cluster);
  await waitNodesReady(cluster);
  cluster.readySeconds = (performance.now() - t1) / 1000;
  log(`cluster ${spec.name}: ${nodes.length} node(s) Ready (kind create ${createSeconds.toFixed(0)}s, CNI and Ready ${cluster.readySeconds.toFixed(0)}s)`);
  return cluster;
}
