// Builds pullproof-reaper (main.go beside this file: standard library only) with the machine's Go, once
// per source, into the cache. A few seconds with a warm Go build cache.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goEnv } from '../../build/go.ts';
import { withHostLock } from '../../host/lock.ts';
import { run } from '../../util/exec.ts';
import { cachePath } from '../../util/paths.ts';

const SOURCE = fileURLToPath(new URL('main.go', import.meta.url));

let built: Promise<string> | undefined;

async function build(): Promise<string> {
  const source = readFileSync(SOURCE, 'utf8');
  const key = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = cachePath('bin', `pullproof-reaper-${key}`);
  const bin = join(dir, 'pullproof-reaper');
  if (existsSync(bin)) return bin;
  return withHostLock('certify-reaper', async () => {
    if (existsSync(bin)) return bin;
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      writeFileSync(join(work, 'go.mod'), 'module pullproof.local/reaper\n\ngo 1.21\n');
      writeFileSync(join(work, 'main.go'), source);
      await run(['go', 'build', '-trimpath', '-ldflags=-s -w', '-o', 'pullproof-reaper', '.'], {
        cwd: work, env: { ...goEnv(), CGO_ENABLED: '0', GOTOOLCHAIN: 'local' }, timeoutMs: 10 * 60_000,
      });
      rmSync(join(work, 'go.mod'));
      rmSync(join(work, 'main.go'));
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      return bin;
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      throw err;
    }
  });
}

/** Path of the reaper binary, built on first use (once per process). */
export function ensureReaper(): Promise<string> {
  built ??= build().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}
