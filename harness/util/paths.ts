// Where pullproof keeps things: a cache that outlives runs (built binaries, images, the Go caches) and
// a report folder per run.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function cacheRoot(): string {
  return process.env.PULLPROOF_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pullproof');
}

export const cachePath = (...parts: string[]): string => join(cacheRoot(), ...parts);

export function reportsRoot(): string {
  return process.env.PULLPROOF_REPORTS ?? join(PROJECT_ROOT, 'reports');
}
