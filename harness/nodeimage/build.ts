// `pullproof node-image build`: a kind node image made with no container registry, the way kind's own
// `build node-image` does it (run the base image, copy binaries in, import images into containerd,
// commit), with every part built here from the Go module proxy and Debian packages. The image is tagged
// with a hash of every input, so a second build of the same inputs is a cache hit in seconds.
//
// Images in the node: kube-apiserver, kube-controller-manager, kube-scheduler and etcd under the names
// the built kubeadm prints, and the pause image under the node's containerd sandbox_image. Not built
// (the cluster config must match, see NODE_IMAGE_REQUIREMENTS): kube-proxy (kubeProxyMode none),
// coredns (kubeadm phase addon/coredns skipped: its upstream forwarding would knock on the fence),
// kindnetd (disableDefaultCNI, static ptp/host-local conflist per node) and local-path (kind then
// falls back to a hostpath StorageClass).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError, UsageError } from '../errors.ts';
import { adoptKubeletBinary, buildFromSource, buildKubernetes, parseKubeVersion, type KubeBuild, type KubeComponent } from '../build/kubernetes.ts';
import { ensureBaseImage } from '../host/base-image.ts';
import { withHostLock } from '../host/lock.ts';
import { LABEL, RUN_LABEL } from '../host/network.ts';
import { ensureKind, kindModuleDir } from '../kind/binary.ts';
import { DEFAULT_CONTROL_PLANE, nodeRecipe, type NodeRecipe } from '../oracle/versions.ts';
import { Cleanup } from '../util/cleanup.ts';
import { output, run } from '../util/exec.ts';
import { log, phase, warn } from '../util/log.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { buildEtcd, buildRuntimeBinaries, type Binary } from './components.ts';
import { imageArchive, kubeadmImages, sandboxImageFrom, type RequiredImage } from './images.ts';
import { NODE_PACKAGES, PREPARE_SCRIPT, stageBinary, stageFile, stageKindFiles } from './rootfs.ts';

export const NODE_IMAGE_REPO = 'pullproof/node';
export const BASE_IMAGE_REPO = 'pullproof/kind-base';
export const DEFAULT_KUBERNETES = DEFAULT_CONTROL_PLANE;

/** What a cluster made from this image must set (the lead's kind provider enforces these). */
export const NODE_IMAGE_REQUIREMENTS = {
  disableDefaultCNI: true,
  kubeProxyMode: 'none',
  kubeadmSkipPhases: ['addon/coredns'],
  /** The CNI config each node gets after creation (see harness/kind/cluster.ts). */
  cniConfigPath: '/etc/cni/net.d/10-pullproof-ptp.conflist',
} as const;

export interface NodeImageOptions {
  /** Kubernetes release, e.g. v1.35.4. */
  kubernetes: string;
  /** kind release; default: the version table's choice for the minor (nodeRecipe), which also fixes the runtime pins. */
  kind?: string;
  /** A release engineer's own kubelet binary, put into the image instead of the built one. */
  kubeletBinary?: string;
  /** A Kubernetes source tree to build the kubelet from (instead of the module proxy's release). */
  kubernetesSource?: string;
  /** local (default): build everything here; official: use kindest/node (online hosts only). */
  source?: 'local' | 'official';
  /** Rebuild the image even when one with the same inputs exists (component caches still apply). */
  force?: boolean;
  /** Register the build container with the caller's cleanup stack (else a private one is used). */
  cleanup?: Cleanup;
  runId?: string;
}

export interface NodeImageResult {
  /** Docker image reference to give kind (`--image`). */
  image: string;
  kindBinary: string;
  kindVersion: string;
  /** The version table's recipe the image was made from (kind, kubeadm config API, runtime pins, predicted problems). */
  recipe: NodeRecipe;
  /** A kubectl of the same release, on the host (for the cluster's kubeconfig). */
  kubectlBinary: string;
  /** Exact versions of what is in the image. */
  versions: Record<string, string>;
  /** Image references loaded into the node's containerd (namespace k8s.io). */
  images: string[];
  /** kubeadm's images that were deliberately not built, with why. */
  skippedImages: { ref: string; reason: string }[];
  seconds: number;
  cached: boolean;
  inputHash: string;
  phases: { name: string; seconds: number }[];
}

/** The label holding the JSON of NodeImageResult's fixed parts on the image. */
export const INPUTS_LABEL = 'io.pullproof.node.inputs';

function sourceFiles(): string {
  const files = ['build.ts', 'components.ts', 'images.ts', 'rootfs.ts'].map((f) => join(PROJECT_ROOT, 'harness', 'nodeimage', f));
  files.push(join(PROJECT_ROOT, 'harness', 'build', 'kubernetes.ts'), join(PROJECT_ROOT, 'harness', 'image', 'oci.ts'), join(PROJECT_ROOT, 'harness', 'image', 'sleeper.ts'));
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

async function imageLabel(ref: string, label: string): Promise<string | undefined> {
  const r = await run(['docker', 'image', 'inspect', '--format', `{{index .Config.Labels "${label}"}}`, ref], { allowFailure: true });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export function nodeImageTag(kubernetes: string, inputHash: string, variant = ''): string {
  return `${NODE_IMAGE_REPO}:${kubernetes}${variant ? `-${variant}` : ''}-${inputHash}`;
}

async function officialImage(o: NodeImageOptions, recipe: NodeRecipe): Promise<NodeImageResult> {
  const kindVersion = recipe.kind;
  const t0 = performance.now();
  const kind = await phase('kind CLI', () => ensureKind(kindVersion));
  const ref = `kindest/node:${o.kubernetes}`;
  // Only where a registry is reachable: a pull that fails here is the expected outcome on pullproof's hosts.
  const present = (await run(['docker', 'image', 'inspect', ref], { allowFailure: true })).exitCode === 0;
  if (!present) {
    const pull = await phase(`docker pull ${ref}`, () => run(['docker', 'pull', ref], { allowFailure: true, timeoutMs: 20 * 60_000 }));
    if (pull.exitCode !== 0) {
      throw new UsageError('--source', `official image ${ref} could not be pulled (${pull.stderr.trim().split('\n').pop() ?? 'no registry'})`,
        'use --source local (the default) on hosts without a container registry, or check that Docker Hub is reachable');
    }
  }
  const version = (await output(['docker', 'run', '--rm', '--entrypoint', 'cat', ref, '/kind/version'])).trim();
  if (version !== o.kubernetes) throw new HarnessError(`${ref} contains Kubernetes ${version}, not ${o.kubernetes}`);
  return {
    image: ref, kindBinary: kind.path, kindVersion, recipe, kubectlBinary: (await buildKubernetes(o.kubernetes, ['kubectl'])).binaries.kubectl as string, versions: { kubernetes: version, kind: kindVersion }, images: [], skippedImages: [],
    seconds: (performance.now() - t0) / 1000, cached: present, inputHash: 'official', phases: [],
  };
}

/** Builds (or finds in the cache) a kind node image; see NodeImageResult. */
export async function buildNodeImage(o: NodeImageOptions): Promise<NodeImageResult> {
  parseKubeVersion(o.kubernetes);
  // The version table decides kind and the runtime pins for this minor; --kind overrides kind (and with
  // it the pins, which belong to a kind release), and a predicted failure is said before the long build.
  const recipe = nodeRecipe(o.kubernetes, o.kind);
  const kindVersion = recipe.kind;
  for (const p of recipe.problems) warn(`node image ${o.kubernetes}: ${p}`);
  if (o.kubeletBinary && o.kubernetesSource) throw new UsageError('--kubelet-binary', 'cannot be combined with --kubernetes-source', 'give one of them');
  if ((o.source ?? 'local') === 'official') {
    if (o.kubeletBinary || o.kubernetesSource) throw new UsageError('--source', 'official images cannot carry your own kubelet', 'drop --source official, or drop --kubelet-binary/--kubernetes-source');
    return officialImage(o, recipe);
  }
  const t0 = performance.now();
  const phases: { name: string; seconds: number }[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const p0 = performance.now();
    // phase() calls the test seam's inPhase hook at the end of the phase's work.
    const value = await phase(name, fn);
    phases.push({ name, seconds: (performance.now() - p0) / 1000 });
    return value;
  };

  // The input hash is computed from cheap facts, so a cache hit never builds anything.
  const userKubelet = o.kubeletBinary ? adoptKubeletBinary(o.kubeletBinary) : undefined;
  const baseTag = `${BASE_IMAGE_REPO}:bookworm-${createHash('sha256').update(NODE_PACKAGES.join(',')).digest('hex').slice(0, 12)}`;
  const inputs = {
    kubernetes: o.kubernetes, kind: kindVersion, pins: recipe.runtime, base: baseTag, packages: NODE_PACKAGES, builder: sourceFiles(),
    kubelet: userKubelet ? `binary:${userKubelet.sha256}` : o.kubernetesSource ? `source:${o.kubernetesSource}` : 'release',
  };
  const inputHash = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 12);
  const variant = userKubelet ? 'userkubelet' : o.kubernetesSource ? 'source' : '';
  // A source tree changes under the same path: never treat it as cached; its binaries have their own cache.
  const tag = nodeImageTag(o.kubernetes, inputHash, variant);

  if (!o.force && !o.kubernetesSource) {
    const label = await imageLabel(tag, INPUTS_LABEL);
    if (label) {
      const kind = await ensureKind(kindVersion);
      const kubectl = (await buildKubernetes(o.kubernetes, ['kubectl'])).binaries.kubectl as string;
      const stored = JSON.parse(label) as Pick<NodeImageResult, 'versions' | 'images' | 'skippedImages'>;
      const seconds = (performance.now() - t0) / 1000;
      log(`node image ${tag} is cached (inputs ${inputHash}); ${seconds.toFixed(1)}s`);
      return { image: tag, kindBinary: kind.path, kindVersion, recipe, kubectlBinary: kubectl, versions: stored.versions, images: stored.images, skippedImages: stored.skippedImages, seconds, cached: true, inputHash, phases };
    }
  }

  return withHostLock(`node-image-${o.kubernetes}`, async () => {
    const cleanup = o.cleanup ?? new Cleanup();
    const runId = o.runId ?? `pp${randomBytes(3).toString('hex')}`;
    try {
      const kind = await step('kind CLI', () => ensureKind(kindVersion));
      const kindDir = await kindModuleDir(kindVersion);

      const components: KubeComponent[] = ['kubeadm', 'kubectl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
      const kube: KubeBuild = await step('Kubernetes binaries', () => buildKubernetes(o.kubernetes, userKubelet || o.kubernetesSource ? components : ['kubelet', ...components]));
      let kubelet = kube.binaries.kubelet ?? '';
      let kubeletVersion = o.kubernetes;
      if (userKubelet) {
        kubelet = userKubelet.path;
        kubeletVersion = (await output([kubelet, '--version'], { allowFailure: true })).replace(/^Kubernetes\s+/, '') || `unknown (sha256 ${userKubelet.sha256.slice(0, 12)})`;
      } else if (o.kubernetesSource) {
        const src = await step('kubelet from source', () => buildFromSource(o.kubernetesSource as string, ['kubelet'], { version: o.kubernetes }));
        kubelet = src.binaries.kubelet ?? '';
        kubeletVersion = src.version;
      }

      const required = await step('image list from kubeadm', async () => {
        const fromKubeadm = await kubeadmImages(kube.binaries.kubeadm as string, o.kubernetes);
        const sandbox = sandboxImageFrom(readFileSync(join(kindDir, 'images/base/files/etc/containerd/config.toml'), 'utf8'));
        const wanted: RequiredImage[] = [];
        const skipped: { ref: string; reason: string }[] = [];
        for (const img of fromKubeadm) {
          if (img.role === 'pause') skipped.push({ ref: img.ref, reason: `replaced by containerd's sandbox_image ${sandbox.ref} (as kind does)` });
          else if (img.role === 'kube-proxy') skipped.push({ ref: img.ref, reason: 'kubeProxyMode: none' });
          else if (img.role === 'coredns') skipped.push({ ref: img.ref, reason: 'kubeadm phase addon/coredns skipped (no DNS forwarding upstream)' });
          else wanted.push(img);
        }
        wanted.push(sandbox);
        return { wanted, skipped };
      });
      const etcdImage = required.wanted.find((i) => i.role === 'etcd');
      if (!etcdImage) throw new HarnessError(`kubeadm ${o.kubernetes} names no etcd image`);
      const etcdVersion = `v${etcdImage.tag.replace(/-\d+$/, '')}`;

      const runtime = await step('runtime binaries (containerd, runc, crictl, CNI plugins)', () => buildRuntimeBinaries(recipe.runtime));
      const etcd: Binary = await step(`etcd ${etcdVersion}`, () => buildEtcd(etcdVersion));
      const base = await step('base image (debootstrap bookworm)', () => ensureBaseImage({ include: NODE_PACKAGES, tag: baseTag }));

      const archives = await step('container images', async () => {
        const bins = { 'kube-apiserver': kube.binaries['kube-apiserver'], 'kube-controller-manager': kube.binaries['kube-controller-manager'], 'kube-scheduler': kube.binaries['kube-scheduler'], etcd: etcd.path };
        const out: { ref: string; archive: Buffer }[] = [];
        for (const img of required.wanted) out.push({ ref: img.ref, archive: await imageArchive(img, bins) });
        return out;
      });

      // One per release: a run that needs two node images (an upgrade chain's control planes) builds both.
      const container = `pullproof-nodebuild-${runId}-${o.kubernetes.replace(/[^a-z0-9]/gi, '-')}`;
      let dropContainer: () => Promise<void> = async () => undefined;
      await step('build container', async () => {
        await run(['docker', 'run', '-d', '--name', container, '--label', `${LABEL}=1`, '--label', `${RUN_LABEL}=${runId}`, '--label', 'io.pullproof.role=node-image-build',
          '--entrypoint', 'sleep', '--security-opt', 'seccomp=unconfined', '--tmpfs', '/tmp', base.tag, 'infinity']);
        dropContainer = cleanup.defer(`build container ${container}`, async () => {
          await run(['docker', 'rm', '-f', '-v', container], { allowFailure: true, timeoutMs: 60_000 });
        });
        log(`build container ${container} (run ${runId})`);
      });

      const versions: Record<string, string> = {
        kubernetes: o.kubernetes, kubelet: kubeletVersion, kind: kindVersion, etcd: etcdVersion, go: kube.toolchain,
        containerd: recipe.runtime.containerd, runc: recipe.runtime.runc, crictl: recipe.runtime.crictl, cniPlugins: recipe.runtime.cniPlugins, debian: 'bookworm',
        kubeadmConfigApi: recipe.kubeadmConfigApi,
        sandboxImage: required.wanted.find((i) => i.role === 'pause')?.ref ?? '',
      };

      await step('node filesystem', async () => {
        const stage = mkdtempSync(join(tmpdir(), 'pullproof-nodestage-'));
        // On the cleanup stack too: Ctrl-C exits through cleanupOnExit, where finally blocks never run.
        const dropStage = cleanup.defer(`staging folder ${stage}`, async () => rmSync(stage, { recursive: true, force: true }));
        try {
          chmodSync(stage, 0o755);
          stageKindFiles(kindDir, stage);
          for (const c of ['kubeadm', 'kubectl'] as const) stageBinary(stage, kube.binaries[c] as string, `/usr/bin/${c}`);
          stageBinary(stage, kubelet, '/usr/bin/kubelet');
          for (const b of runtime) stageBinary(stage, b.path, b.dest);
          stageFile(stage, '/kind/version', o.kubernetes);
          stageFile(stage, '/kind/pullproof.json', JSON.stringify({ versions, requirements: NODE_IMAGE_REQUIREMENTS, inputHash }, null, 2) + '\n');
          await run(['docker', 'cp', `${stage}/.`, `${container}:/`], { timeoutMs: 10 * 60_000 });
        } finally {
          await dropStage();
        }
        await run(['docker', 'exec', container, 'bash', '-c', PREPARE_SCRIPT], { timeoutMs: 5 * 60_000 });
      });

      const loaded = await step('images into containerd', async () => {
        await run(['docker', 'exec', '-d', container, 'bash', '-c', 'containerd >/tmp/containerd.log 2>&1']);
        const deadline = Date.now() + 30_000;
        while ((await run(['docker', 'exec', container, 'ctr', 'version'], { allowFailure: true })).exitCode !== 0) {
          if (Date.now() > deadline) {
            const logs = await output(['docker', 'exec', container, 'tail', '-n', '30', '/tmp/containerd.log'], { allowFailure: true });
            throw new HarnessError('containerd did not start in the build container within 30s', logs);
          }
          await new Promise((r) => setTimeout(r, 300));
        }
        for (const a of archives) {
          await run(['docker', 'exec', '-i', container, 'ctr', '-n', 'k8s.io', 'images', 'import', '--label=io.cri-containerd.pinned=pinned', '--all-platforms', '--no-unpack', '--digests', '-'],
            { input: a.archive, timeoutMs: 5 * 60_000 });
        }
        const listed = (await output(['docker', 'exec', container, 'ctr', '-n', 'k8s.io', 'images', 'ls', '-q'])).split('\n').filter(Boolean);
        const missing = archives.map((a) => a.ref).filter((r) => !listed.includes(r));
        if (missing.length) throw new HarnessError(`containerd in the node does not list ${missing.join(', ')} after import`, listed.join('\n'));
        await run(['docker', 'exec', container, 'pkill', '-TERM', '-x', 'containerd'], { allowFailure: true });
        const stopBy = Date.now() + 20_000;
        while ((await run(['docker', 'exec', container, 'pgrep', '-x', 'containerd'], { allowFailure: true })).exitCode === 0 && Date.now() < stopBy) {
          await new Promise((r) => setTimeout(r, 200));
        }
        await run(['docker', 'exec', container, 'rm', '-rf', '/run/containerd', '/tmp/containerd.log'], { allowFailure: true });
        return archives.map((a) => a.ref);
      });

      const stored = { versions, images: loaded, skippedImages: required.skipped };
      await step('commit', async () => {
        // docker commit --change cannot set STOPSIGNAL on Docker 20.10, so the image config comes from a
        // metadata-only classic-builder step on top of the committed filesystem (no registry involved).
        const committed = `pullproof/node-build:${runId}`;
        cleanup.defer(`intermediate image ${committed}`, async () => {
          await run(['docker', 'rmi', committed], { allowFailure: true });
        });
        await run(['docker', 'commit', container, committed], { timeoutMs: 10 * 60_000 });
        const dockerfile = [
          `FROM ${committed}`,
          'ENV container=docker',
          'STOPSIGNAL SIGRTMIN+3',
          'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
          'CMD []',
          // docker commit copies the build container's labels into the image, and every kind node made
          // from it would inherit them: blank the build run's id and role (a Dockerfile cannot delete a label).
          `LABEL ${LABEL}="1" ${RUN_LABEL}="" io.pullproof.role="kind-node" io.pullproof.kubernetes="${o.kubernetes}" ${INPUTS_LABEL}=${JSON.stringify(JSON.stringify(stored))}`,
          '',
        ].join('\n');
        const ctxDir = mkdtempSync(join(tmpdir(), 'pullproof-nodectx-'));
        const dropCtx = cleanup.defer(`build context ${ctxDir}`, async () => rmSync(ctxDir, { recursive: true, force: true }));
        try {
          writeFileSync(join(ctxDir, 'Dockerfile'), dockerfile);
          await run(['docker', 'build', '--quiet', '--network', 'none', '-t', tag, ctxDir], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 10 * 60_000 });
        } finally {
          await dropCtx();
        }
      });
      await dropContainer();
      const seconds = (performance.now() - t0) / 1000;
      log(`node image ${tag} built in ${seconds.toFixed(0)}s`);
      return { image: tag, kindBinary: kind.path, kindVersion, recipe, kubectlBinary: kube.binaries.kubectl as string, versions, images: loaded, skippedImages: required.skipped, seconds, cached: false, inputHash, phases };
    } finally {
      if (!o.cleanup) await cleanup.runAll();
    }
  });
}

/**
 * The node image a run needs for a Kubernetes release, built when missing: kind and the runtime pins
 * come from the version table (nodeRecipe), so `pullproof run --kubernetes v1.37.2` gets kind v0.33.0's
 * CLI, base files and containerd/runc/crictl/CNI without being told. A cache hit takes well under a second.
 */
export async function ensureNodeImage(kubernetes: string, o: Omit<NodeImageOptions, 'kubernetes' | 'kind'> = {}): Promise<NodeImageResult> {
  return buildNodeImage({ ...o, kubernetes });
}
