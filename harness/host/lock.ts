// A host-wide lock, so two pullproof processes on one machine never set up the host, pick a subnet or
// build the same cached artefact at the same time.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { cachePath } from '../util/paths.ts';
import { log } from '../util/log.ts';

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
      release = await lockfile.lock(file, { stale: 30_000, update: 5_000, realpath: false });
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
