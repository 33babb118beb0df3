// `pullproof cache export DIR` / `cache import DIR`: move what takes long to build (the node and base
// images, which live in Docker's image store, and the binaries and build outputs under the cache root)
// to and from a folder a CI cache (actions/cache, GitLab cache) can save and restore.
//
// DIR/manifest.json lists every file with its size, mode and sha256; DIR/images.tar is one `docker
// save` of all exported images (layers shared by images are stored once); DIR/files/ mirrors the cache
// root. Import verifies every checksum before it changes anything, then copies the files (each written
// to a temporary name and renamed) and `docker load`s the images. The Go module and build caches are
// left out unless --with-go-cache (they are large and rebuild from the Go module proxy); locks and
// unfinished build folders (<name>.tmp-<pid>) are never exported.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.ts';
import { output, run } from '../util/exec.ts';
import { cacheRoot } from '../util/paths.ts';
import { BASE_IMAGE_REPO, NODE_IMAGE_REPO } from './build.ts';

export const CACHE_EXPORT_FORMAT = 'pullproof-cache-export/v1';
export const EXPORTED_REPOS = [NODE_IMAGE_REPO, BASE_IMAGE_REPO] as const;

export interface ManifestFile {
  path: string;
  bytes: number;
  mode: number;
  sha256: string;
}

export interface CacheManifest {
  format: typeof CACHE_EXPORT_FORMAT;
  createdAt: string;
  /** Cache root the files came from (informational: import writes to this machine's cache root). */
  from: string;
  withGoCache: boolean;
  images: { ref: string; id: string }[];
  /** images.tar, when there are images. */
  archive?: ManifestFile;
  files: ManifestFile[];
  symlinks: { path: string; target: string }[];
}

export interface TransferResult {
  dir: string;
  images: string[];
  files: number;
  bytes: number;
  seconds: number;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Paths under the cache root that export leaves out: locks, unfinished builds, and (unless asked) the Go caches. */
export function excluded(rel: string, withGoCache: boolean): boolean {
  const parts = rel.split(sep);
  if (parts[0] === 'locks') return true;
  if (!withGoCache && parts[0] === 'go') return true;
  return parts.some((p) => /\.tmp-\d+$/.test(p));
}

function walk(root: string, withGoCache: boolean): { files: string[]; symlinks: string[] } {
  const files: string[] = [];
  const symlinks: string[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      if (excluded(rel, withGoCache)) continue;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) symlinks.push(rel);
      else if (st.isDirectory()) visit(abs);
      else if (st.isFile()) files.push(rel);
    }
  };
  if (existsSync(root)) visit(root);
  return { files: files.sort(), symlinks: symlinks.sort() };
}

async function exportedImages(): Promise<{ ref: string; id: string }[]> {
  const text = await output(['docker', 'images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'], { timeoutMs: 60_000 });
  return text.split('\n').filter(Boolean).map((l) => {
    const [ref = '', id = ''] = l.split(' ');
    return { ref, id };
  }).filter((x) => (EXPORTED_REPOS as readonly string[]).includes(x.ref.split(':')[0] ?? '') && !x.ref.endsWith(':<none>'));
}

/** Writes the cache to dir (replacing an earlier export there; refusing a folder that holds anything else). */
export async function exportCache(dirArg: string, o: { withGoCache?: boolean; images?: boolean; only?: string[] } = {}): Promise<TransferResult & { manifest: CacheManifest }> {
  const t0 = performance.now();
  const dir = resolve(dirArg);
  const root = cacheRoot();
  const rel = relative(root, dir);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep))) throw new UsageError('cache export', `${dir} is inside the cache root ${root}`, 'export to a folder outside the cache, e.g. ./.pullproof-cache');
  if (existsSync(dir) && readdirSync(dir).length && !existsSync(join(dir, 'manifest.json'))) {
    throw new UsageError('cache export', `${dir} is not empty and holds no earlier export (no manifest.json)`, 'give an empty or new folder, or one an earlier "pullproof cache export" wrote');
  }
  rmSync(join(dir, 'files'), { recursive: true, force: true });
  rmSync(join(dir, 'images.tar'), { force: true });
  rmSync(join(dir, 'manifest.json'), { force: true });
  mkdirSync(join(dir, 'files'), { recursive: true });
  const withGoCache = !!o.withGoCache;
  const { files, symlinks } = walk(root, withGoCache);
  const manifest: CacheManifest = { format: CACHE_EXPORT_FORMAT, createdAt: new Date().toISOString(), from: root, withGoCache, images: [], files: [], symlinks: [] };
  let bytes = 0;
  for (const f of files) {
    const src = join(root, f);
    const dst = join(dir, 'files', f);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    const st = lstatSync(src);
    chmodSync(dst, st.mode & 0o777 | 0o200);
    manifest.files.push({ path: f, bytes: st.size, mode: st.mode & 0o777, sha256: await sha256(dst) });
    bytes += st.size;
  }
  for (const s of symlinks) manifest.symlinks.push({ path: s, target: readlinkSync(join(root, s)) });
  if (o.images !== false) {
    manifest.images = await exportedImages();
    if (o.only?.length) {
      const missing = o.only.filter((ref) => !manifest.images.some((i) => i.ref === ref));
      if (missing.length) throw new UsageError('--image', `no ${EXPORTED_REPOS.join(':* or ')}:* image named ${missing.join(', ')}`, 'see "pullproof cache ls" for the images there are');
      manifest.images = manifest.images.filter((i) => o.only?.includes(i.ref));
    }
    if (manifest.images.length) {
      const archive = join(dir, 'images.tar');
      await run(['docker', 'save', '-o', archive, ...manifest.images.map((i) => i.ref)], { timeoutMs: 30 * 60_000 });
      const st = lstatSync(archive);
      manifest.archive = { path: 'images.tar', bytes: st.size, mode: st.mode & 0o777, sha256: await sha256(archive) };
      bytes += st.size;
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, images: manifest.images.map((i) => i.ref), files: manifest.files.length, bytes, seconds: (performance.now() - t0) / 1000, manifest };
}

function readManifest(dir: string): CacheManifest {
  const path = join(dir, 'manifest.json');
  let m: CacheManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as CacheManifest;
  } catch (err) {
    throw new UsageError('cache import', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'give a folder written by "pullproof cache export"');
  }
  if (m.format !== CACHE_EXPORT_FORMAT) throw new UsageError('cache import', `${path} is format ${JSON.stringify(m.format)}, not ${CACHE_EXPORT_FORMAT}`, 'export again with this pullproof version');
  for (const f of m.files) {
    // A manifest names paths inside files/ only: nothing may escape the cache root.
    if (f.path.split(/[\\/]/).includes('..') || f.path.startsWith('/')) throw new UsageError('cache import', `${path} names a file outside the cache: ${f.path}`, 'export again with "pullproof cache export"');
  }
  return m;
}

/** Every file's size and sha256 against the manifest; the problems (empty: all good). */
export async function verifyExport(dirArg: string): Promise<{ manifest: CacheManifest; problems: string[] }> {
  const dir = resolve(dirArg);
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const check = async (f: ManifestFile, abs: string): Promise<void> => {
    if (!existsSync(abs)) { problems.push(`${relative(dir, abs)}: missing`); return; }
    const size = lstatSync(abs).size;
    if (size !== f.bytes) { problems.push(`${relative(dir, abs)}: ${size} bytes, the manifest says ${f.bytes}`); return; }
    const sum = await sha256(abs);
    if (sum !== f.sha256) problems.push(`${relative(dir, abs)}: sha256 ${sum}, the manifest says ${f.sha256}`);
  };
  for (const f of manifest.files) await check(f, join(dir, 'files', f.path));
  if (manifest.archive) await check(manifest.archive, join(dir, manifest.archive.path));
  return { manifest, problems };
}

/** Verifies the export, then restores its files into the cache root and loads its images. */
export async function importCache(dirArg: string): Promise<TransferResult> {
  const t0 = performance.now();
  const dir = resolve(dirArg);
  const { manifest, problems } = await verifyExport(dir);
  if (problems.length) {
    throw new UsageError('cache import', `${dir} does not match its manifest, nothing was imported:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}\n`, 'export the cache again (a CI cache restored only in part, or a file changed after export)');
  }
  const root = cacheRoot();
  let bytes = 0;
  for (const f of manifest.files) {
    const dst = join(root, f.path);
    mkdirSync(dirname(dst), { recursive: true });
    const tmp = `${dst}.import-${process.pid}`;
    copyFileSync(join(dir, 'files', f.path), tmp);
    chmodSync(tmp, f.mode);
    renameSync(tmp, dst);
    bytes += f.bytes;
  }
  for (const s of manifest.symlinks) {
    const dst = join(root, s.path);
    mkdirSync(dirname(dst), { recursive: true });
    rmSync(dst, { force: true });
    symlinkSync(s.target, dst);
  }
  if (manifest.archive) {
    await run(['docker', 'load', '-i', join(dir, manifest.archive.path)], { timeoutMs: 30 * 60_000 });
    bytes += manifest.archive.bytes;
  }
  return { dir, images: manifest.images.map((i) => i.ref), files: manifest.files.length, bytes, seconds: (performance.now() - t0) / 1000 };
}
