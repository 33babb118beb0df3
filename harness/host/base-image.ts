// A Debian bookworm base image made with debootstrap from Debian's mirror and `docker import`ed. The
// rootfs tarball is cached too, so a wiped Docker store costs an import, not another debootstrap.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { publishFile, usableEntry } from '../util/cache-digest.ts';
import { withSpaceCheck } from '../util/disk.ts';
import { run } from '../util/exec.ts';
import { cachePath } from '../util/paths.ts';
import { HarnessError } from '../errors.ts';
import { debianMirror, isRoot } from './facts.ts';
import { withHostLock } from './lock.ts';

export const BASE_SUITE = 'bookworm';

export interface BaseImageSpec {
  /** Extra Debian packages (the node image adds systemd and what kind's entrypoint needs). */
  include?: string[];
  variant?: 'minbase';
  /** Docker tag; default pullproof/bookworm:<variant>. */
  tag?: string;
}

async function imageExists(ref: string): Promise<boolean> {
  return (await run(['docker', 'image', 'inspect', ref], { allowFailure: true })).exitCode === 0;
}

export function baseImageTag(spec: BaseImageSpec = {}): string {
  const flavour = [spec.variant ?? 'minbase', ...(spec.include ?? []).slice().sort()].join('-');
  return spec.tag ?? `pullproof/${BASE_SUITE}:${flavour.length > 60 ? flavour.slice(0, 60) : flavour}`;
}

/** Returns the tag of the base image, building it (debootstrap, ~1 min) only when it is not cached. */
export async function ensureBaseImage(spec: BaseImageSpec = {}): Promise<{ tag: string; cached: boolean; seconds: number }> {
  const tag = baseImageTag(spec);
  if (await imageExists(tag)) return { tag, cached: true, seconds: 0 };
  return withHostLock('base-image', async () => {
    if (await imageExists(tag)) return { tag, cached: true, seconds: 0 };
    const t0 = performance.now();
    const tarball = cachePath('rootfs', `${tag.replace(/[/:]/g, '_')}.tar`);
    // The tarball's digest is checked before import: a damaged one is removed and made again.
    if (!(await usableEntry(tarball))) {
      if (!isRoot()) throw new HarnessError('debootstrap needs root', 'run "sudo npx pullproof setup" or run pullproof as root');
      mkdirSync(cachePath('rootfs'), { recursive: true });
      const dir = mkdtempSync(join(tmpdir(), 'pullproof-rootfs-'));
      try {
        const include = spec.include?.length ? [`--include=${spec.include.join(',')}`] : [];
        await withSpaceCheck(dir, () => run(['debootstrap', `--variant=${spec.variant ?? 'minbase'}`, ...include, BASE_SUITE, dir, debianMirror()], { timeoutMs: 20 * 60_000 }));
        await withSpaceCheck(tarball, async () => {
          await run(['tar', '-C', dir, '--numeric-owner', '-cf', `${tarball}.tmp`, '.'], { timeoutMs: 10 * 60_000 });
          await publishFile(`${tarball}.tmp`, tarball);
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await run(['docker', 'import', '--platform', 'linux/amd64', '-c', 'CMD ["/bin/bash"]', tarball, tag], { timeoutMs: 10 * 60_000 });
    return { tag, cached: false, seconds: (performance.now() - t0) / 1000 };
  });
}
