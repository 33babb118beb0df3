// The container images a kind node needs, assembled in process (no FROM of a remote image) and named
// exactly as kubeadm and containerd expect: the names come from the built kubeadm
// (`kubeadm config images list --kubernetes-version`) and from the node's containerd config
// (sandbox_image), never from constants here.
import { readFileSync } from 'node:fs';
import { buildImage, toOciArchive } from '../image/oci.ts';
import { sleeperElf } from '../image/sleeper.ts';
import { HarnessError } from '../errors.ts';
import { output } from '../util/exec.ts';

export type ImageRole = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy' | 'etcd' | 'coredns' | 'pause';

export interface RequiredImage {
  ref: string;
  role: ImageRole;
  /** e.g. v1.35.4, 3.6.6-0, 3.10 */
  tag: string;
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function roleOf(ref: string): ImageRole | undefined {
  const name = ref.replace(/:[^:/]+$/, '').split('/').pop() ?? '';
  const roles: ImageRole[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'etcd', 'coredns', 'pause'];
  return roles.find((r) => r === name);
}

function tagOf(ref: string): string {
  const m = /:([^:/]+)$/.exec(ref);
  if (!m?.[1]) throw new HarnessError(`image reference ${ref} has no tag`);
  return m[1];
}

/** What the built kubeadm says the control plane needs for this version. */
export async function kubeadmImages(kubeadm: string, version: string): Promise<RequiredImage[]> {
  const text = await output([kubeadm, 'config', 'images', 'list', '--kubernetes-version', version], { timeoutMs: 60_000 });
  const refs = text.split('\n').map((l) => l.trim()).filter((l) => /^[a-z0-9.-]+(:\d+)?\/\S+:\S+$/.test(l));
  const images: RequiredImage[] = [];
  for (const ref of refs) {
    const role = roleOf(ref);
    if (!role) throw new HarnessError(`kubeadm ${version} names an image pullproof does not know how to build: ${ref}`, 'extend harness/nodeimage/images.ts');
    images.push({ ref, role, tag: tagOf(ref) });
  }
  if (!images.some((i) => i.role === 'kube-apiserver')) throw new HarnessError(`kubeadm config images list for ${version} printed no kube-apiserver image`, text);
  return images;
}

/** The sandbox (pause) image the node's containerd config names. */
export function sandboxImageFrom(containerdConfig: string): RequiredImage {
  const m = /^\s*sandbox_image\s*=\s*"([^"]+)"/m.exec(containerdConfig) ?? /^\s*sandbox\s*=\s*"([^"]+)"/m.exec(containerdConfig);
  if (!m?.[1]) throw new HarnessError('the node\'s containerd config.toml names no sandbox_image', 'check images/base/files/etc/containerd/config.toml of the kind release');
  return { ref: m[1], role: 'pause', tag: tagOf(m[1]) };
}

/** An image holding one static binary at /usr/local/bin/<name> (what the upstream images amount to for kubeadm). */
async function binaryImage(ref: string, name: string, binaryPath: string): Promise<Buffer> {
  const image = await buildImage({
    layers: [[{ path: `usr/local/bin/${name}`, content: readFileSync(binaryPath), mode: 0o755 }, { path: 'tmp', type: 'directory', mode: 0o1777 }]],
    config: { Entrypoint: [`/usr/local/bin/${name}`], Env: [PATH_ENV], Labels: { 'io.pullproof': '1', 'io.pullproof.image': ref } },
  });
  return toOciArchive(image, ref);
}

/** The pause image: the sleeper program (reaps children, exits on SIGTERM) as /pause. */
export async function pauseImage(ref: string): Promise<Buffer> {
  const image = await buildImage({
    layers: [[{ path: 'pause', content: sleeperElf(), mode: 0o755 }]],
    config: { Entrypoint: ['/pause'], Env: [PATH_ENV], StopSignal: 'SIGTERM', Labels: { 'io.pullproof': '1', 'io.pullproof.image': ref } },
  });
  return toOciArchive(image, ref);
}

/** OCI archive for one required image, from the binaries at hand. */
export async function imageArchive(img: RequiredImage, binaries: Partial<Record<'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy' | 'etcd', string>>): Promise<Buffer> {
  if (img.role === 'pause') return pauseImage(img.ref);
  if (img.role === 'coredns') throw new HarnessError(`no coredns image is built (${img.ref}); clusters skip kubeadm's addon/coredns phase`);
  const bin = binaries[img.role];
  if (!bin) throw new HarnessError(`no ${img.role} binary to build ${img.ref} from`);
  return binaryImage(img.ref, img.role, bin);
}
