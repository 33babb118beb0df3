// A full disk is the most common way a CI build dies half-way. Every build and cache write that can
// hit ENOSPC goes through here, so the user reads which path could not be written, how much space is
// left on that filesystem (statfs), and what to do, instead of a Go linker's or Node's bare errno.
import { existsSync, statfsSync, writeFileSync, type WriteFileOptions } from 'node:fs';
import { dirname } from 'node:path';
import { HarnessError } from '../errors.ts';

export interface FreeSpace {
  /** The path statfs was asked about (the nearest existing ancestor of the one given). */
  path: string;
  freeBytes: number;
  totalBytes: number;
}

export function freeSpace(path: string): FreeSpace {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const st = statfsSync(p);
  // bavail: what an unprivileged writer gets; root may have a little more (the reserved blocks).
  return { path: p, freeBytes: Number(st.bavail) * Number(st.bsize), totalBytes: Number(st.blocks) * Number(st.bsize) };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const NO_SPACE = /no space left on device|ENOSPC|disk quota exceeded/i;

/** The text of an error, with a failed command's output (CommandError keeps it in result). */
function errorText(err: unknown): string {
  const e = err as { message?: string; detail?: string; code?: string; result?: { stderr?: string; stdout?: string } };
  return [e?.code, e?.message, e?.detail, e?.result?.stderr, e?.result?.stdout].filter(Boolean).join('\n');
}

export function isNoSpace(err: unknown): boolean {
  return (err as { code?: string })?.code === 'ENOSPC' || NO_SPACE.test(errorText(err));
}

/**
 * The path the failing program names ("write /x/y: no space left on device", Go and coreutils style),
 * else the errno's own path, else the one the caller was writing.
 */
function failingPath(err: unknown, fallback: string): string {
  const m = /(?:write|open|mkdir|create|copy|copying|rename|link)\s+(\/[^\s:]+):\s*no space left on device/i.exec(errorText(err));
  return m?.[1] ?? (err as { path?: string })?.path ?? fallback;
}

/** A clear error for ENOSPC: the path, the free space left there, and the way out. */
export function noSpaceError(err: unknown, path: string): HarnessError {
  const where = failingPath(err, path);
  let space: string;
  try {
    const f = freeSpace(where);
    // Read after the failure: the failing program may already have removed its partial file.
    space = `${formatBytes(f.freeBytes)} free now of ${formatBytes(f.totalBytes)} on the filesystem holding ${f.path}`;
  } catch (e) {
    space = `free space unknown (${(e as Error).message})`;
  }
  return new HarnessError(`no space left on device writing ${where}: ${space}`,
    'free space on that filesystem ("npx pullproof cache prune" removes old cache entries; "docker system df" shows what Docker holds), or point PULLPROOF_CACHE at a larger disk, then run again',
    { cause: err });
}

/** Runs fn; an ENOSPC anywhere in it becomes noSpaceError for path. */
export async function withSpaceCheck<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isNoSpace(err) ? noSpaceError(err, path) : err;
  }
}

/** writeFileSync that names the path and the free space left when the disk is full. */
export function writeFileChecked(path: string, data: string | NodeJS.ArrayBufferView, options?: WriteFileOptions): void {
  try {
    writeFileSync(path, data, options);
  } catch (err) {
    throw isNoSpace(err) ? noSpaceError(err, path) : err;
  }
}
