// What pullproof keeps between runs, and freeing it. Entries are Docker images (pullproof/*) and
// folders under the cache root (built binaries, wrapper modules, rootfs tarballs, the Go caches).
//
// `prune` keeps the current entry of each kind (the newest node image per Kubernetes version, the
// newest build folder per program and version) plus the Go module and build caches, which make the
// next build warm; it removes older entries, untagged leftovers of rebuilt images and unfinished
// temporary folders. `prune --all` removes everything, Go caches included.
import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIGEST_SUFFIX } from '../util/cache-digest.ts';
import { output, run } from '../util/exec.ts';
import { cacheRoot } from '../util/paths.ts';

export interface CacheEntry {
  kind: 'docker-image' | 'binaries' | 'module' | 'rootfs' | 'go-cache' | 'other' | 'temporary';
  /** Image reference or folder path. */
  name: string;
  /** Entries of the same group compete for "current" (e.g. one Kubernetes version). */
  group: string;
  bytes: number;
  created: string;
  current: boolean;
  /** A build in progress writes here (its process is alive): never removed, not even by --all. */
  inUse?: boolean;
}

interface ImageRow { Repository: string; Tag: string; ID: string }

async function dockerImages(): Promise<CacheEntry[]> {
  const text = await output(['docker', 'images', '--no-trunc', '--format', '{{json .}}'], { allowFailure: true });
  const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ImageRow);
  const ours = rows.filter((r) => r.Repository.startsWith('pullproof/'));
  const dangling = (await output(['docker', 'images', '-q', '--no-trunc', '--filter', 'dangling=true', '--filter', 'label=io.pullproof=1'], { allowFailure: true })).split('\n').filter(Boolean);
  const ids = [...new Set([...ours.map((r) => r.ID), ...dangling])];
  const sizes = new Map<string, number>();
  const created = new Map<string, string>();
  if (ids.length) {
    const inspect = await output(['docker', 'image', 'inspect', '--format', '{{.Id}} {{.Size}} {{.Created}}', ...ids], { allowFailure: true });
    for (const line of inspect.split('\n')) {
      const [id, size, when] = line.split(' ');
      if (id) sizes.set(id, Number(size));
      if (id && when) created.set(id, when);
    }
  }
  const entries: CacheEntry[] = ours.map((r) => {
    // pullproof/node:v1.35.4-<hash>: the group is the version (and variant); others: the repository.
    const group = r.Repository === 'pullproof/node' ? `${r.Repository}:${r.Tag.replace(/-[0-9a-f]{12}$/, '')}` : `${r.Repository}:${r.Tag}`;
    return { kind: 'docker-image', name: `${r.Repository}:${r.Tag}`, group, bytes: sizes.get(r.ID) ?? 0, created: created.get(r.ID) ?? '', current: false };
  });
  for (const id of dangling) entries.push({ kind: 'docker-image', name: id, group: `untagged:${id}`, bytes: sizes.get(id) ?? 0, created: created.get(id) ?? '', current: false });
  return entries;
}

async function du(paths: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (paths.length === 0) return sizes;
  const text = await output(['du', '-sb', ...paths], { allowFailure: true, timeoutMs: 300_000 });
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.+)$/.exec(line);
    if (m?.[1] && m[2]) sizes.set(m[2], Number(m[1]));
  }
  return sizes;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((n) => join(dir, n)) : [];
}

/** Every cached artefact with its size; `current` marks what prune (without --all) keeps. */
export async function listCache(): Promise<CacheEntry[]> {
  const root = cacheRoot();
  const folders: Omit<CacheEntry, 'bytes' | 'created' | 'current'>[] = [];
  const groupOf = (name: string): string => name.replace(/-[0-9a-f]{12}$/, '');
  for (const p of listDir(join(root, 'bin'))) folders.push({ kind: 'binaries', name: p, group: `bin:${groupOf(p.split('/').pop() ?? p)}` });
  for (const p of listDir(join(root, 'kubernetes', 'bin'))) folders.push({ kind: 'binaries', name: p, group: `kubernetes:${groupOf(p.split('/').pop() ?? p)}` });
  for (const p of listDir(join(root, 'kubernetes', 'modules'))) folders.push({ kind: 'module', name: p, group: `module:${p}` });
  for (const p of listDir(join(root, 'modules'))) folders.push({ kind: 'module', name: p, group: `module:${p}` });
  // A tarball's digest sidecar (harness/util/cache-digest.ts) belongs to the tarball, not an entry of its own.
  for (const p of listDir(join(root, 'rootfs'))) if (!p.endsWith(DIGEST_SUFFIX)) folders.push({ kind: 'rootfs', name: p, group: `rootfs:${p}` });
  for (const p of listDir(join(root, 'sysroot'))) folders.push({ kind: 'other', name: p, group: `sysroot:${p}` });
  for (const p of ['mod', 'build']) if (existsSync(join(root, 'go', p))) folders.push({ kind: 'go-cache', name: join(root, 'go', p), group: `go:${p}` });
  // Unfinished builds leave <name>.tmp-<pid>; a live pid means a build in progress (never touched).
  for (const f of folders) {
    const m = /\.tmp-(\d+)$/.exec(f.name);
    if (m) f.kind = 'temporary';
    if (m && pidAlive(Number(m[1]))) f.inUse = true;
  }
  const sizes = await du(folders.map((f) => f.name));
  const entries: CacheEntry[] = folders.map((f) => ({ ...f, bytes: sizes.get(f.name) ?? 0, created: statSync(f.name).mtime.toISOString(), current: false }));
  entries.push(...await dockerImages());
  // The newest entry of each group is current; temporary folders and untagged images never are.
  const newest = new Map<string, CacheEntry>();
  for (const e of entries) {
    if (e.kind === 'temporary' || e.group.startsWith('untagged:')) continue;
    const best = newest.get(e.group);
    if (!best || Date.parse(e.created) > Date.parse(best.created)) newest.set(e.group, e);
  }
  for (const e of newest.values()) e.current = true;
  return entries.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

export interface PruneResult {
  removed: CacheEntry[];
  failed: { entry: CacheEntry; error: string }[];
  freedBytes: number;
}

function makeWritable(path: string): void {
  // The Go module cache is read-only on purpose.
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const n of readdirSync(path)) makeWritable(join(path, n));
  }
}

export async function pruneCache(o: { all?: boolean; dryRun?: boolean; filesOnly?: boolean } = {}): Promise<PruneResult> {
  const entries = (await listCache()).filter((e) => !o.filesOnly || e.kind !== 'docker-image');
  const doomed = entries.filter((e) => !e.inUse && (o.all || (!e.current && e.kind !== 'go-cache')));
  const result: PruneResult = { removed: [], failed: [], freedBytes: 0 };
  // Images first (newest last does not matter: each tag is removed on its own, layers shared stay).
  for (const e of doomed) {
    if (o.dryRun) {
      result.removed.push(e);
      result.freedBytes += e.bytes;
      continue;
    }
    try {
      if (e.kind === 'docker-image') {
        const r = await run(['docker', 'rmi', e.name], { allowFailure: true, timeoutMs: 300_000 });
        if (r.exitCode !== 0) throw new Error(r.stderr.trim().split('\n').pop() ?? `docker rmi exited ${r.exitCode}`);
      } else {
        if (e.kind === 'go-cache') makeWritable(e.name);
        rmSync(e.name, { recursive: true, force: true });
        rmSync(`${e.name}${DIGEST_SUFFIX}`, { force: true });
      }
      result.removed.push(e);
      result.freedBytes += e.bytes;
    } catch (err) {
      result.failed.push({ entry: e, error: (err as Error).message });
    }
  }
  return result;
}
