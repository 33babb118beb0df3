// Builds Go programs from the Go module proxy into pullproof's cache, keyed by module, version and
// every build input, so a second build is a cache hit. Go itself fetches the toolchain a module asks
// for (GOTOOLCHAIN) through the same proxy.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/exec.ts';
import { cachePath } from '../util/paths.ts';

export interface GoBuild {
  /** Import path of the main package, e.g. github.com/distribution/distribution/v3/cmd/registry. */
  pkg: string;
  version: string;
  /** Name of the produced binary (defaults to the last path element). */
  name?: string;
  cgo?: boolean;
  tags?: string[];
  ldflags?: string[];
  /** e.g. go1.25.9; default: whatever the module asks for, with the local Go as the floor. */
  toolchain?: string;
  timeoutMs?: number;
  /** Extra environment (e.g. CGO_CFLAGS for a vendored C library); part of the cache key. */
  env?: Record<string, string>;
}

export function goEnv(): Record<string, string> {
  return {
    GOMODCACHE: cachePath('go', 'mod'),
    GOCACHE: cachePath('go', 'build'),
    GOFLAGS: '-mod=mod',
    GOTELEMETRY: 'off',
  };
}

export function goBuildKey(b: GoBuild): string {
  return createHash('sha256').update(JSON.stringify([b.pkg, b.version, b.cgo ?? false, b.tags ?? [], b.ldflags ?? [], b.toolchain ?? 'auto', ...(b.env ? [b.env] : [])])).digest('hex').slice(0, 12);
}

/** Path of the built binary; builds it first unless the cache has it. */
export async function goInstall(b: GoBuild): Promise<{ path: string; cached: boolean; seconds: number }> {
  const name = b.name ?? b.pkg.split('/').pop() ?? 'bin';
  const dir = cachePath('bin', `${name}-${b.version}-${goBuildKey(b)}`);
  const path = join(dir, name);
  if (existsSync(path)) return { path, cached: true, seconds: 0 };
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const args = ['go', 'install', '-trimpath', `-ldflags=${['-s', '-w', ...(b.ldflags ?? [])].join(' ')}`];
  if (b.tags?.length) args.push(`-tags=${b.tags.join(',')}`);
  args.push(`${b.pkg}@${b.version}`);
  try {
    await run(args, {
      timeoutMs: b.timeoutMs ?? 30 * 60_000,
      env: { ...goEnv(), GOBIN: tmp, CGO_ENABLED: b.cgo ? '1' : '0', GOTOOLCHAIN: b.toolchain ? `${b.toolchain}+auto` : 'auto', ...b.env },
    });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(join(tmp, 'BUILD.json'), JSON.stringify({ ...b, builtAt: new Date().toISOString() }, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { path, cached: false, seconds: (performance.now() - t0) / 1000 };
}
