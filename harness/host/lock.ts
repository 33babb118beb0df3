// A host-wide lock, so two pullproof processes on one machine never set up the host, pick a subnet or
// build the same cached artefact at the same time.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { cachePath } from '../util/paths.ts';
import { log, warn } from '../util/log.ts';

export async function withHostLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const dir = cachePath('locks');
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${name}`;
  if (!existsSync(file)) writeFileSync(file, '');
  const t0 = Date.now();
  let release: (() => Promise<void>) | undefined;
  let announced = false;
  while (!release) {
    try {
      // A holder refreshes the lock every 15 s; it counts as abandoned (a crashed process) after 5 minutes
      // without a refresh. A busy holder (a long synchronous step on a loaded 2-core host) that misses
      // refreshes is warned about, not crashed: the lock is advisory between pullproof processes.
      release = await lockfile.lock(file, {
        stale: 300_000, update: 15_000, realpath: false,
        onCompromised: (err: Error) => warn(`host lock "${name}" could not be refreshed in time (${err.message}); continuing`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() - t0 > timeoutMs) throw new Error(`another pullproof process has held the host lock "${name}" for ${timeoutMs / 1000}s`, { cause: err });
      if (!announced) log(`waiting for another pullproof process (host lock "${name}")`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
