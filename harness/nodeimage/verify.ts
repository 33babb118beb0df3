// `pullproof node-image verify`: does a node image work on this host? Creates a kind cluster from it on
// a fenced run network, waits for every node to be Ready, runs a pod from the image's own pause image
// on each node (pull policy Never), deletes the cluster and reads the fence's drop counter.
import { writeFileSync } from 'node:fs';
import { redact } from '../util/secrets.ts';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { createCluster, type KindCluster } from '../kind/cluster.ts';
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
  /** Wall-clock seconds, one sample each. */
  seconds: { kindCreate: number; cniAndReady: number; podsRunning: number; kindDelete: number };
  fenceDroppedPackets: number | undefined;
  reportDir: string;
}

async function kubectl(c: KindCluster, args: string[], input?: string): Promise<string> {
  return output([c.kubectlBinary, '--kubeconfig', c.kubeconfig, ...args], { timeoutMs: 150_000, input });
}

export async function verifyNodeImage(img: NodeImageResult, o: { workers?: number; keep?: boolean } = {}): Promise<VerifyResult> {
  const ctx = RunContext.create({ label: 'node-image-verify', keep: o.keep });
  const detach = cleanupOnExit(ctx.cleanup);
  // `pullproof cleanup` knows pullproof clusters by this name (pullproof-<run id>).
  const name = `pullproof-${ctx.id}`;
  let result: VerifyResult | undefined;
  try {
    const network = await phase('run network', () => ctx.createNetwork());
    const cluster = await phase(`kind cluster ${name}`, () => createCluster({
      name, image: img.image, kindBinary: img.kindBinary, kubectlBinary: img.kubectlBinary, network, workDir: ctx.workDir, workers: o.workers ?? 0,
    }, ctx.cleanup));
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
      seconds: { kindCreate: cluster.createSeconds, cniAndReady: cluster.readySeconds, podsRunning, kindDelete: del.seconds },
      fenceDroppedPackets: undefined, reportDir: ctx.reportDir,
    };
  } finally {
    await ctx.finish();
    detach();
  }
  result.fenceDroppedPackets = ctx.fence?.droppedPackets;
  writeFileSync(join(ctx.reportDir, 'node-image-verify.json'), redact(JSON.stringify(result, null, 2) + '\n'));
  return result;
}

/** Did the verification show a working image with nothing leaving the run network? */
export function verifySucceeded(r: VerifyResult): boolean {
  return r.nodes.length > 0 && r.nodes.every((n) => n.ready) && r.pods.length === r.nodes.length
    && r.pods.every((p) => p.phase === 'Running') && r.fenceDroppedPackets === 0;
}
