// `pullproof cache ls|prune|export|import`: what pullproof keeps between runs (node and base images,
// built binaries, wrapper modules, rootfs tarballs, Go caches), freeing it, and moving it to and from a
// folder a CI cache can save (harness/nodeimage/cache-transfer.ts).
import type { Command } from 'commander';
import type { CacheEntry } from '../nodeimage/cache.ts';
import { formatBytes } from '../util/disk.ts';
import { cacheRoot } from '../util/paths.ts';

function table(entries: CacheEntry[]): string {
  const rows = entries.map((e) => `${formatBytes(e.bytes).padStart(10)}  ${e.kind.padEnd(12)}  ${e.inUse ? 'in use ' : e.current ? 'current' : 'old    '}  ${e.name}`);
  const total = entries.reduce((s, e) => s + e.bytes, 0);
  return [...rows, `${formatBytes(total).padStart(10)}  total (Docker image sizes count shared layers in each image)`].join('\n');
}

export function registerCache(program: Command): void {
  const group = program.command('cache').description(`what pullproof keeps between runs (${cacheRoot()} and pullproof/* Docker images)`);
  group.command('ls')
    .description('list cached artefacts with their sizes; "current" marks what "cache prune" keeps')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const { listCache } = await import('../nodeimage/cache.ts');
      const entries = await listCache();
      process.stdout.write(o.json ? JSON.stringify(entries, null, 2) + '\n' : table(entries) + '\n');
    });
  group.command('prune')
    .description('free disk: remove all but the current entry of each artefact (keeps the Go caches, so the next build stays warm); --all removes everything')
    .option('--all', 'remove every cached artefact, the Go module and build caches included (the next build is cold)')
    .option('--files-only', 'leave Docker images alone (they are shared by every cache folder on this Docker engine)')
    .option('--dry-run', 'list what would be removed')
    .option('--json', 'print as JSON')
    .action(async (o: { all?: boolean; dryRun?: boolean; filesOnly?: boolean; json?: boolean }) => {
      const { pruneCache } = await import('../nodeimage/cache.ts');
      const r = await pruneCache({ all: o.all, dryRun: o.dryRun, filesOnly: o.filesOnly });
      if (o.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      } else {
        for (const e of r.removed) process.stdout.write(`${o.dryRun ? 'would remove' : 'removed'} ${formatBytes(e.bytes).padStart(10)}  ${e.name}\n`);
        for (const f of r.failed) process.stdout.write(`kept (could not remove) ${f.entry.name}: ${f.error}\n`);
        process.stdout.write(`${o.dryRun ? 'would free' : 'freed'} ${formatBytes(r.freedBytes)}\n`);
      }
      if (r.failed.length) process.exitCode = 1;
    });
  group.command('export')
    .description('write the node and base images (docker save) and the cached binaries and build outputs to DIR, with a manifest and a sha256 per file, for a CI cache to save')
    .argument('<dir>', 'folder to write (new, empty, or an earlier export, which is replaced)')
    .option('--with-go-cache', 'include the Go module and build caches (large; they rebuild from the Go module proxy)')
    .option('--no-images', 'leave the Docker images out')
    .option('--image <ref>', 'only this image (repeatable; default: every pullproof/node:* and pullproof/kind-base:* image)', (v: string, p: string[] = []) => [...p, v])
    .option('--json', 'print as JSON')
    .action(async (dir: string, o: { withGoCache?: boolean; images: boolean; image?: string[]; json?: boolean }) => {
      const { exportCache } = await import('../nodeimage/cache-transfer.ts');
      const r = await exportCache(dir, { withGoCache: o.withGoCache, images: o.images, only: o.image });
      process.stdout.write(o.json ? JSON.stringify({ dir: r.dir, images: r.images, files: r.files, bytes: r.bytes, seconds: r.seconds }, null, 2) + '\n'
        : `exported ${r.files} file(s) and ${r.images.length} image(s) (${r.images.join(', ') || 'none'}), ${formatBytes(r.bytes)}, to ${r.dir} in ${r.seconds.toFixed(1)} s\n`);
    });
  group.command('import')
    .description('verify DIR (every sha256 against its manifest; nothing changes if one differs), then restore its files into the cache and docker load its images')
    .argument('<dir>', 'folder written by "pullproof cache export"')
    .option('--json', 'print as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const { importCache } = await import('../nodeimage/cache-transfer.ts');
      const r = await importCache(dir);
      process.stdout.write(o.json ? JSON.stringify({ dir: r.dir, images: r.images, files: r.files, bytes: r.bytes, seconds: r.seconds }, null, 2) + '\n'
        : `imported ${r.files} file(s) and ${r.images.length} image(s) (${r.images.join(', ') || 'none'}), ${formatBytes(r.bytes)}, from ${r.dir} in ${r.seconds.toFixed(1)} s\n`);
    });
}
