// `pullproof node-image build`: builds (or finds in the cache) a kind node image with no registry and
// prints its reference (stdout) or the whole result (--json). Ctrl-C removes the build container.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { NodeImageResult } from '../nodeimage/build.ts';
import { DEFAULT_CONTROL_PLANE as DEFAULT_KUBERNETES, MINORS } from '../oracle/versions.ts';

// Builders are loaded by the command that runs them (startup time of the other commands).
const KIND_HELP = `kind CLI release the image is made for (default: the version table's choice per minor: ${MINORS.map((m) => `1.${m.minor} ${m.kind}`).join(', ')}); it also fixes containerd, runc, crictl and CNI versions`;

interface BuildFlags {
  kubernetes: string;
  kind?: string;
  kubeletBinary?: string;
  kubernetesSource?: string;
  source: 'local' | 'official';
  force?: boolean;
  json?: boolean;
}

function human(r: NodeImageResult): string {
  const lines = [
    `image:    ${r.image}${r.cached ? ' (cached)' : ''}`,
    `kind:     ${r.kindBinary} (${r.kindVersion})`,
    `versions: ${Object.entries(r.versions).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `images:   ${r.images.join(' ') || '(none listed)'}`,
    ...r.skippedImages.map((s) => `skipped:  ${s.ref}: ${s.reason}`),
    `seconds:  ${r.seconds.toFixed(1)} (wall clock, this run)`,
  ];
  return lines.join('\n');
}

export function registerNodeImage(program: Command): void {
  const group = program.command('node-image').description('kind node images built from source with no container registry');
  group.command('build')
    .description('build a kind node image (Kubernetes from the Go module proxy, Debian bookworm base); a second build with the same inputs is a cache hit')
    .addOption(new Option('--kubernetes <version>', 'Kubernetes release').default(DEFAULT_KUBERNETES))
    .option('--kind <version>', KIND_HELP)
    .option('--kubelet-binary <path>', 'put this kubelet binary into the image instead of the built one')
    .option('--kubernetes-source <dir>', 'build the kubelet from this Kubernetes source tree')
    .addOption(new Option('--source <where>', 'local: build here; official: use kindest/node (needs a reachable registry)').choices(['local', 'official']).default('local'))
    .option('--force', 'rebuild the image even if one with the same inputs is cached (component caches still apply)')
    .option('--json', 'print the result as JSON')
    .action(async (o: BuildFlags) => {
      const { buildNodeImage } = await import('../nodeimage/build.ts');
      const { Cleanup, cleanupOnExit } = await import('../util/cleanup.ts');
      const cleanup = new Cleanup();
      const detach = cleanupOnExit(cleanup);
      try {
        const r = await buildNodeImage({ kubernetes: o.kubernetes, kind: o.kind, kubeletBinary: o.kubeletBinary, kubernetesSource: o.kubernetesSource, source: o.source, force: o.force, cleanup });
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : human(r) + '\n');
      } finally {
        await cleanup.runAll();
        detach();
      }
    });
  group.command('verify')
    .description('check a node image on this host: kind cluster on a fenced run network, every node Ready, a pod per node, delete, fence drop counter 0')
    .addOption(new Option('--kubernetes <version>', 'Kubernetes release of the image (built first if not cached)').default(DEFAULT_KUBERNETES))
    .option('--kind <version>', KIND_HELP)
    .addOption(new Option('--workers <n>', 'worker nodes besides the control plane').default(0).argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 5) throw new InvalidArgumentError(`"${v}" is not a number of workers from 0 to 5`);
      return n;
    }))
    .option('--kubelet-binary <path>', 'verify the image that carries this kubelet')
    .option('--worker-kubelet <version>', 'swap every worker\'s kubelet for a kubelet-only build of this older release, as runs do for --kubelet (at most three minors older)')
    .option('--kubernetes-source <dir>', 'verify the image whose kubelet is built from this Kubernetes source tree')
    .option('--keep', 'keep the cluster and network for debugging (remove later with "pullproof cleanup")')
    .option('--json', 'print the result as JSON')
    .action(async (o: { kubernetes: string; kind?: string; workers: number; kubeletBinary?: string; workerKubelet?: string; kubernetesSource?: string; keep?: boolean; json?: boolean }) => {
      const { buildNodeImage } = await import('../nodeimage/build.ts');
      const { verifyNodeImage, verifySucceeded } = await import('../nodeimage/verify.ts');
      const { Cleanup, cleanupOnExit } = await import('../util/cleanup.ts');
      const cleanup = new Cleanup();
      const detach = cleanupOnExit(cleanup);
      let img: NodeImageResult;
      try {
        img = await buildNodeImage({ kubernetes: o.kubernetes, kind: o.kind, kubeletBinary: o.kubeletBinary, kubernetesSource: o.kubernetesSource, cleanup });
      } finally {
        await cleanup.runAll();
        detach();
      }
      const r = await verifyNodeImage(img, { workers: o.workers, keep: o.keep, workerKubelet: o.workerKubelet });
      const ok = verifySucceeded(r);
      process.stdout.write(o.json ? JSON.stringify({ ...r, ok }, null, 2) + '\n' : [
        `${ok ? 'OK' : 'FAILED'}: ${r.image} on cluster ${r.cluster} (run ${r.runId})`,
        ...r.nodes.map((n) => `node ${n.name}: ${n.ready ? 'Ready' : 'NOT Ready'} (kubelet ${n.kubeletVersion})`),
        ...r.pods.map((p) => `pod ${p.name} on ${p.node}: ${p.phase}`),
        `seconds (wall clock, 1 sample): kind create ${r.seconds.kindCreate.toFixed(1)}, CNI+Ready ${r.seconds.cniAndReady.toFixed(1)}${r.seconds.kubeletSwap === undefined ? '' : `, kubelet swap ${r.seconds.kubeletSwap.toFixed(1)}`}, pods ${r.seconds.podsRunning.toFixed(1)}, kind delete ${r.seconds.kindDelete.toFixed(1)}`,
        `fence: ${r.fenceDroppedPackets ?? 'not read'} packets dropped`,
        `report: ${r.reportDir}`,
      ].join('\n') + '\n');
      if (!ok) process.exitCode = 1;
    });
  group.command('kubelet')
    .description('build only a kubelet of a Kubernetes release (for worker nodes with an older kubelet); prints its path')
    .requiredOption('--kubernetes <version>', 'Kubernetes release, e.g. v1.34.4')
    .action(async (o: { kubernetes: string }) => {
      const { buildKubelet } = await import('../build/kubernetes.ts');
      process.stdout.write(`${await buildKubelet(o.kubernetes)}\n`);
    });
}
