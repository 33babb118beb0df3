// Container images assembled in process with tar-stream: no Docker daemon, no FROM of a remote image.
// An image is a config blob, gzip-compressed layers and an OCI manifest, exportable as an OCI layout
// archive (ctr import, skopeo) or a docker archive (docker load), and pushable over the distribution API.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface FileEntry {
  path: string;
  type?: 'file' | 'directory' | 'symlink';
  content?: Buffer | string;
  mode?: number;
  linkname?: string;
}

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  StopSignal?: string;
  Labels?: Record<string, string>;
  User?: string;
}

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface BuiltImage {
  config: Blob;
  layers: (Blob & { diffId: string; tar: Buffer })[];
  manifest: Blob;
  platform: { os: string; architecture: string };
}

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

// A fixed timestamp keeps builds reproducible: the same inputs give the same digests.
const EPOCH = new Date('2024-01-01T00:00:00Z');

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256Digest(data), size: data.length, data };
}

/** Parent directories first, entries sorted, so a layer's bytes depend only on its content. */
export async function tarball(entries: FileEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const dirs = new Set<string>();
  const all: FileEntry[] = [];
  for (const e of entries) {
    const parts = e.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        all.push({ path: d, type: 'directory', mode: 0o755 });
      }
    }
    const path = parts.join('/');
    if (e.type === 'directory') {
      if (dirs.has(path)) continue;
      dirs.add(path);
    }
    all.push({ ...e, path });
  }
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of all) {
    const type = e.type ?? 'file';
    if (type === 'directory') {
      p.entry({ name: `${e.path}/`, type: 'directory', mode: e.mode ?? 0o755, mtime: EPOCH, uid: 0, gid: 0 });
    } else if (type === 'symlink') {
      p.entry({ name: e.path, type: 'symlink', linkname: e.linkname ?? '', mode: 0o777, mtime: EPOCH, uid: 0, gid: 0 });
    } else {
      const content = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) => {
        p.entry({ name: e.path, type: 'file', size: content.length, mode: e.mode ?? 0o644, mtime: EPOCH, uid: 0, gid: 0 }, content, (err) => (err ? reject(err) : resolve()));
      });
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function buildImage(spec: { layers: FileEntry[][]; config: ImageConfig; architecture?: string }): Promise<BuiltImage> {
  const architecture = spec.architecture ?? 'amd64';
  const layers: BuiltImage['layers'] = [];
  for (const entries of spec.layers) {
    const tar = await tarball(entries);
    const gz = gzipSync(tar, { level: 6 });
    layers.push({ ...blob(MEDIA.layerGzip, gz), diffId: sha256Digest(tar), tar });
  }
  const config = blob(MEDIA.config, Buffer.from(JSON.stringify({
    created: EPOCH.toISOString(),
    architecture,
    os: 'linux',
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: EPOCH.toISOString(), created_by: 'pullproof image builder' })),
  })));
  const manifest = blob(MEDIA.manifest, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  })));
  return { config, layers, manifest, platform: { os: 'linux', architecture } };
}

async function archive(files: { name: string; data: Buffer }[]): Promise<Buffer> {
  return tarball(files.map((f) => ({ path: f.name, content: f.data })));
}

/** A `docker load` archive (docker-archive format) tagged with the given names. */
export async function toDockerArchive(image: BuiltImage, repoTags: string[]): Promise<Buffer> {
  const configName = `${image.config.digest.slice(7)}.json`;
  const layerNames = image.layers.map((l) => `${l.diffId.slice(7)}/layer.tar`);
  return archive([
    { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerNames }])) },
    { name: configName, data: image.config.data },
    ...image.layers.map((l, i) => ({ name: layerNames[i] as string, data: l.tar })),
  ]);
}

/** An OCI image layout archive; `ref` becomes the org.opencontainers.image.ref.name annotation. */
export async function toOciArchive(image: BuiltImage, ref: string): Promise<Buffer> {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{
      mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size,
      platform: image.platform,
      annotations: { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref },
    }],
  };
  const blobs = [image.config, image.manifest, ...image.layers];
  return archive([
    { name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    ...blobs.map((b) => ({ name: `blobs/sha256/${b.digest.slice(7)}`, data: b.data })),
  ]);
}
