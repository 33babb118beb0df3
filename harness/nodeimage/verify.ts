// `pullproof node-image verify`: does a node image work on this host? Creates a kind cluster from it on
// a fenced run network, waits for every node to be Ready, runs a pod from the image's own pause image
// on each node (pull policy Never), deletes the cluster and reads the fence's drop counter.
// With `workerKubelet`, every worker's kubelet is first swapped for a kubelet-only build of an older
// release exactly as the kind provider does it for WorkerPlan.kubelet (stop, strip the config of what
// that kubelet does not know, wipe image_manager/, put the binary in, start, wait for a fresh Ready).
import { writeFileSync } from 'node:fs';
import { redact } from '../util/secrets.ts';
import { join } from 'node:path';
import { HarnessError, UsageError } from '../errors.ts';
import { buildKubelet } from '../build/kubernetes.ts';
import { kubeletGates } from '../cluster/gates.ts';
import { cgroupVersion } from '../host/facts.ts';
import { fenceDrops } from '../host/network.ts';
import { createCluster, type KindCluster } from '../kind/cluster.ts';
import { KindNode } from '../node/kind-node.ts';
import { parseRelease, skewProblem } from '../oracle/versions.ts';
import { RunContext } from '../run/context.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { output, run } from '../util/exec.ts';
import { phase } from '../util/log.ts';
import type { NodeImageResult } from './build.ts';

export interface VerifyResult {
  runId: string;
  image: string;
  cluster: string;
  nodes: { name: string; ready: boolean; kubeletVersion: string }[];
  pods: { name: string; node: string; phase: string }[];
  /** Wall-clock seconds, one sample each (kubeletSwap: all workers' swaps, start to fresh Ready). */
  seconds: { kindCreate: number; cniAndReady: number; kubeletSwap?: number; podsRunning: number; kindDelete: number };
  fenceDroppedPackets: number | undefined;
  reportDir: string;
}

async function kubectl(c: KindCluster, args: string[], input?: string): Promise<string> {
  return output([c.kubectlBinary, '--kubeconfig', c.kubeconfig, ...args], { timeoutMs: 150_000, input });
}

/** The skew policy and the build, checked before any cluster exists. */
async function workerKubelet(version: string, controlPlane: string): Promise<{ version: string; binary: string }> {
  parseRelease(version, '--worker-kubelet');
  const problem = skewProblem(version, controlPlane);
  if (problem) throw new UsageError('--worker-kubelet', problem, `choose a kubelet from three minors below ${controlPlane} up to ${controlPlane}`);
  return { version, binary: await phase(`kubelet ${version} (kubelet-only build)`, () => buildKubelet(version)) };
}

export async function verifyNodeImage(img: NodeImageResult, o: { workers?: number; keep?: boolean; workerKubelet?: string } = {}): Promise<VerifyResult> {
  if (o.workerKubelet && !o.workers) throw new UsageError('--worker-kubelet', 'needs at least one worker', 'add --workers 1');
  const swap = o.workerKubelet ? await workerKubelet(o.workerKubelet, img.versions.kubernetes ?? '') : undefined;
  const ctx = RunContext.create({ label: 'node-image-verify', keep: o.keep });
  const detach = cleanupOnExit(ctx.cleanup);
  // `pullproof cleanup` knows pullproof clusters by this name (pullproof-<run id>).
  const name = `pullproof-${ctx.id}`;
  let result: VerifyResult | undefined;
  try {
    const network = await phase('run network', () => ctx.createNetwork());
    const cluster = await phase(`kind cluster ${name}`, () => createCluster({
      name, image: img.image, kindBinary: img.kindBinary, kubectlBinary: img.kubectlBinary, network, workDir: ctx.workDir, logDir: ctx.reportDir, workers: o.workers ?? 0,
    }, ctx.cleanup));
    let kubeletSwap: number | undefined;
    if (swap) {
      const t = performance.now();
      const controlPlane = cluster.nodes.find((n) => n.endsWith('-control-plane')) ?? '';
      const target = { version: swap.version, gates: await kubeletGates(swap.binary), cgroupV1: cgroupVersion().startsWith('v1') };
      for (const name of cluster.nodes.filter((n) => n !== controlPlane)) {
        const worker = new KindNode(name, controlPlane);
        await phase(`kubelet ${swap.version} on ${name}`, async () => {
          await worker.exec(['systemctl', 'stop', 'kubelet']);
          await worker.writeKubeletSettings({}, target, '--worker-kubelet');
          await worker.swapKubelet(swap.binary, { wipeRecords: true });
        });
      }
      kubeletSwap = (performance.now() - t) / 1000;
    }
    const nodesJson = JSON.parse(await kubectl(cluster, ['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string }; conditions: { type: string; status: string }[] } }[] };
    const nodes = nodesJson.items.map((n) => ({
      name: n.metadata.name,
      kubeletVersion: n.status.nodeInfo.kubeletVersion,
      ready: n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    }));
    const sandbox = img.versions.sandboxImage;
    if (!sandbox) throw new HarnessError(`node image ${img.image} records no sandbox image`);
    const t0 = performance.now();
    const pods = await phase('a pod on every node', async () => {
      const names: string[] = [];
      for (const n of nodes) {
        const pod = {
          apiVersion: 'v1', kind: 'Pod',
          metadata: { name: `pause-${n.name}`.slice(0, 63), namespace: 'default' },
          spec: { nodeName: n.name, terminationGracePeriodSeconds: 5, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'pause', image: sandbox, imagePullPolicy: 'Never' }] },
        };
        const file = join(ctx.workDir, `${pod.metadata.name}.json`);
        writeFileSync(file, JSON.stringify(pod));
        // The default service account appears a moment after the cluster; admission refuses pods until then.
        const deadline = Date.now() + 60_000;
        for (;;) {
          const r = await run([cluster.kubectlBinary, '--kubeconfig', cluster.kubeconfig, 'apply', '-f', file], { allowFailure: true });
          if (r.exitCode === 0) break;
          if (Date.now() > deadline) throw new HarnessError(`pod ${pod.metadata.name} could not be created`, r.stderr);
          await new Promise((res) => setTimeout(res, 1000));
        }
        names.push(pod.metadata.name);
      }
      await kubectl(cluster, ['wait', '--for=condition=Ready', ...names.map((p) => `pod/${p}`), '--timeout=120s']);
      const list = JSON.parse(await kubectl(cluster, ['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { nodeName: string }; status: { phase: string } }[] };
      return list.items.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, phase: p.status.phase }));
    });
    const podsRunning = (performance.now() - t0) / 1000;
    const del = o.keep ? { seconds: 0 } : await phase(`kind delete cluster ${name}`, () => cluster.remove());
    result = {
      runId: ctx.id, image: img.image, cluster: name, nodes, pods,
      seconds: { kindCreate: cluster.createSeconds, cniAndReady: cluster.readySeconds, kubeletSwap, podsRunning, kindDelete: del.seconds },
      // --keep leaves the fence in place, so its counter is read now rather than at its removal.
      fenceDroppedPackets: o.keep && network.fenced ? await fenceDrops(network) : undefined, reportDir: ctx.reportDir,
    };
  } finally {
    await ctx.finish();
    detach();
  }
  result.fenceDroppedPackets = ctx.fence?.droppedPackets ?? result.fenceDroppedPackets;
  writeFileSync(join(ctx.reportDir, 'node-image-verify.json'), redact(JSON.stringify(result, null, 2) + '\n'));
  return result;
}

/** Did the verification show a working image with nothing leaving the run network? */
export function verifySucceeded(r: VerifyResult): boolean {
  return r.nodes.length > 0 && r.nodes.every((n) => n.ready) && r.pods.length === r.nodes.length
    && r.pods.every((p) => p.phase === 'Running') && r.fenceDroppedPackets === 0;
}
