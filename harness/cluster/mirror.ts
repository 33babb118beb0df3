// Keeping every pull on this machine: containerd in every node mirrors registry.k8s.io, docker.io and
// every other registry (_default) to the harness registry, and the harness registry's own name gets its
// own entry with the run's CA. In each hosts.toml `server` itself is the harness registry: containerd
// tries the [host] entries first and then falls back to `server`, so a 404 would otherwise go upstream.
// A mirror request drops the original host from the path, so each upstream gets its own prefix
// (override_path): registry.k8s.io/pause:3.10 is served from mirror/registry.k8s.io/pause:3.10.
import { extract } from 'tar-stream';
import { HarnessError } from '../errors.ts';
import { MEDIA, sha256Digest } from '../image/oci.ts';
import { warn } from '../util/log.ts';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';
import type { RegistryStack } from '../registry/stack.ts';
import type { KindNode } from '../node/kind-node.ts';

export const CERTS_DIR = '/etc/containerd/certs.d';
export const NODE_CA_PATH = `${CERTS_DIR}/pullproof-ca.crt`;
export const MIRRORED_UPSTREAMS = ['registry.k8s.io', 'docker.io', '_default'] as const;

export function mirrorPrefix(upstream: string): string {
  return `mirror/${upstream}`;
}

export function hostsToml(server: string, opts: { overridePath?: boolean; ca: string }): string {
  return [
    `# written by pullproof: every pull goes to the harness registry, never upstream`,
    `server = "${server}"`,
    `ca = "${opts.ca}"`,
    `capabilities = ["pull", "resolve"]`,
    ...(opts.overridePath ? ['override_path = true'] : []),
    '',
  ].join('\n');
}

/** Files to write into every node: path -> content. */
export function mirrorFiles(stack: RegistryStack): Map<string, string> {
  const files = new Map<string, string>();
  files.set(NODE_CA_PATH, stack.ca.certPem);
  for (const upstream of MIRRORED_UPSTREAMS) {
    files.set(`${CERTS_DIR}/${upstream}/hosts.toml`, hostsToml(`${stack.endpoint}/v2/${mirrorPrefix(upstream)}`, { overridePath: true, ca: NODE_CA_PATH }));
  }
  files.set(`${CERTS_DIR}/${stack.host}/hosts.toml`, hostsToml(stack.endpoint, { ca: NODE_CA_PATH }));
  return files;
}

/** Writes the mirror configuration into a node (containerd reads hosts.toml on every pull: no restart). */
export async function configureNodeMirror(node: KindNode, stack: RegistryStack): Promise<void> {
  for (const [path, content] of mirrorFiles(stack)) await node.writeFile(path, content, '0644');
}

/** Every hosts.toml in the node with its `server` line (the smoke suite checks each is the harness registry). */
export async function nodeHostsServers(node: KindNode): Promise<Map<string, string>> {
  const out = await node.exec(['sh', '-c', `for f in ${CERTS_DIR}/*/hosts.toml; do [ -f "$f" ] && printf '%s\\t%s\\n' "$f" "$(grep -E '^server' "$f")"; done`], { allowFailure: true });
  const map = new Map<string, string>();
  for (const line of out.stdout.split('\n').filter(Boolean)) {
    const [file, server] = line.split('\t');
    map.set(file as string, /"([^"]*)"/.exec(server ?? '')?.[1] ?? '');
  }
  return map;
}

/** Splits a reference like registry.k8s.io/kube-apiserver:v1.35.4 into upstream, repository and tag. */
export function splitReference(ref: string): { upstream: string; repository: string; tag: string } | undefined {
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const colon = base.lastIndexOf(':');
  const slash = base.indexOf('/');
  if (slash < 0 || colon < slash) return undefined;
  const host = base.slice(0, slash);
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') return undefined;
  return { upstream: host, repository: base.slice(slash + 1, colon), tag: base.slice(colon + 1) };
}

async function untar(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  ex.end(archive);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    if (entry.header.type === 'file') files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
  }
  return files;
}

interface Descriptor { mediaType: string; digest: string; size: number }

/**
 * Pushes the images a node was built with (registry.k8s.io/..., docker.io/...) to the harness registry
 * under mirror/<upstream>/..., readable anonymously, with their digests unchanged, so a kubelet that
 * re-verifies a system image (AlwaysVerify, or off the allowlist) is answered by the harness registry.
 */
/**
 * `ctr images export` of one image, copied out with `docker cp`, untarred, every blob checked against
 * its digest and the manifest its index.json names checked present; returns the files and that
 * manifest. Seen here: `docker exec` stdout losing the last bytes of an archive, and a `ctr export` that
 * exited 0 with a short archive while the node was starting its static pods; a retry gets a whole one,
 * and the checks make sure nothing short is ever pushed.
 */
async function exportImage(node: KindNode, ref: string, workDir: string): Promise<{ files: Map<string, Buffer>; top: Descriptor }> {
  // Not /tmp: it is a tmpfs in kind nodes, and docker cp cannot read tmpfs mounts.
  const inNode = `/root/pullproof-export-${process.pid}.tar`;
  const onHost = join(workDir, `export-${process.pid}.tar`);
  let problem = '';
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      await node.exec(['ctr', '-n', 'k8s.io', 'images', 'export', '--platform', 'linux/amd64', inNode, ref], { timeoutMs: 300_000 });
      await run(['docker', 'cp', `${node.name}:${inNode}`, onHost], { timeoutMs: 300_000 });
      const files = await untar(readFileSync(onHost));
      for (const [name, data] of files) {
        const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
        if (m && sha256Digest(data) !== `sha256:${m[1]}`) throw new Error(`blob ${m[1]} does not match its digest (${data.length} bytes)`);
      }
      // A whole archive names the image's manifest in index.json and holds it. One without it was seen
      // once (CI of 92c32d3, registry.k8s.io/etcd on a control plane 1.7 s after the nodes were Ready).
      const top = (JSON.parse((files.get('index.json') ?? Buffer.from('{}')).toString()) as { manifests?: Descriptor[] }).manifests?.[0];
      if (!top) throw new Error(`the archive's index.json names no manifest (${files.size} files)`);
      if (!files.has(`blobs/sha256/${top.digest.slice(7)}`)) throw new Error(`the archive lacks the manifest ${top.digest} its index.json names`);
      return { files, top };
    } catch (err) {
      problem = (err as Error).message;
      warn(`${node.name}: export of ${ref} failed (attempt ${attempt}): ${problem}`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    } finally {
      rmSync(onHost, { force: true });
      await node.exec(['rm', '-f', inNode], { allowFailure: true });
    }
  }
  throw new HarnessError(`${node.name}: could not export ${ref} whole from the node's containerd`, problem);
}

export async function mirrorNodeImages(node: KindNode, stack: RegistryStack, workDir: string): Promise<string[]> {
  const client = stack.client(stack.admin);
  const pushed: string[] = [];
  try {
    for (const image of await node.images()) {
      for (const ref of image.repoTags) {
        const parts = splitReference(ref);
        if (!parts || !(MIRRORED_UPSTREAMS as readonly string[]).includes(parts.upstream)) continue;
        const { files, top } = await exportImage(node, ref, workDir);
        const repo = `${mirrorPrefix(parts.upstream)}/${parts.repository}`;
        const blob = (d: string): Buffer | undefined => files.get(`blobs/sha256/${d.slice(7)}`);
        const pushManifest = async (desc: Descriptor, reference: string): Promise<boolean> => {
          const data = blob(desc.digest);
          if (!data) return false;
          const manifest = JSON.parse(data.toString()) as { config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
          if (manifest.manifests) {
            let all = true;
            for (const child of manifest.manifests) all = (await pushManifest(child, child.digest)) && all;
            if (!all) return false;
          } else {
            for (const d of [manifest.config, ...(manifest.layers ?? [])]) {
              if (!d) continue;
              const b = blob(d.digest);
              if (!b) throw new HarnessError(`${node.name}: ${ref} export lacks blob ${d.digest}`);
              await client.pushBlob(repo, { mediaType: d.mediaType, digest: d.digest, size: b.length, data: b });
            }
          }
          await client.putManifest(repo, reference, desc.mediaType ?? MEDIA.manifest, data);
          return true;
        };
        if (!(await pushManifest(top, parts.tag))) {
          throw new HarnessError(`${node.name}: ctr export of ${ref} lacks manifests for ${top.digest}; cannot mirror it with its digest`);
        }
        pushed.push(ref);
      }
    }
  } finally {
    client.close();
  }
  return pushed;
}
