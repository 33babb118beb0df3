// Builds Go programs from the Go module proxy into pullproof's cache, keyed by module, version and
// every build input, so a second build is a cache hit. Go itself fetches the toolchain a module asks
// for (GOTOOLCHAIN) through the same proxy. Each binary's sha256 is recorded beside it and checked
// before reuse (harness/util/cache-digest.ts); a full disk names the path and the space left.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordDigest, usableEntry } from '../util/cache-digest.ts';
import { withSpaceCheck, writeFileChecked } from '../util/disk.ts';
import { run } from '../util/exec.ts';
import { cachePath } from '../util/paths.ts';
import { registerSecret } from '../util/secrets.ts';

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

/**
 * The module proxy builds use: $GOPROXY without its ",direct" fallback (a module the proxy lacks is an
 * error, never a clone from a VCS host), else the public proxy. A private proxy's userinfo is
 * registered as a secret; show the value with goProxyForDisplay().
 */
export function goProxy(): string {
  const value = process.env.GOPROXY?.replace(/,direct$/, '') || 'https://proxy.golang.org';
  registerProxyCredentials(value);
  return value;
}

/** Registers the userinfo of every URL in a GOPROXY value (a private proxy's credentials) as secrets. */
export function registerProxyCredentials(value: string): void {
  for (const m of value.matchAll(/\/\/([^/@,|]*)@/g)) {
    for (const part of (m[1] ?? '').split(':')) {
      registerSecret(part);
      try {
        registerSecret(decodeURIComponent(part));
      } catch { /* not percent-encoded */ }
    }
  }
}

/** GOPROXY with every URL's userinfo replaced, for messages. */
export function goProxyForDisplay(value = goProxy()): string {
  registerProxyCredentials(value);
  return value.replace(/\/\/[^/@,|]*@/g, '//<redacted>@');
}

/** The build's inputs as they may be written down: credentials in GOPROXY never reach a key or BUILD.json. */
function publicInputs(b: GoBuild): GoBuild {
  return b.env?.GOPROXY ? { ...b, env: { ...b.env, GOPROXY: goProxyForDisplay(b.env.GOPROXY) } } : b;
}

export function goBuildKey(b: GoBuild): string {
  const p = publicInputs(b);
  return createHash('sha256').update(JSON.stringify([p.pkg, p.version, p.cgo ?? false, p.tags ?? [], p.ldflags ?? [], p.toolchain ?? 'auto', ...(p.env ? [p.env] : [])])).digest('hex').slice(0, 12);
}

/** Path of the built binary; builds it first unless the cache has it. */
export async function goInstall(b: GoBuild): Promise<{ path: string; cached: boolean; seconds: number }> {
  const name = b.name ?? b.pkg.split('/').pop() ?? 'bin';
  const dir = cachePath('bin', `${name}-${b.version}-${goBuildKey(b)}`);
  const path = join(dir, name);
  if (await usableEntry(path, { remove: [dir] })) return { path, cached: true, seconds: 0 };
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  const args = ['go', 'install', '-trimpath', `-ldflags=${['-s', '-w', ...(b.ldflags ?? [])].join(' ')}`];
  if (b.tags?.length) args.push(`-tags=${b.tags.join(',')}`);
  args.push(`${b.pkg}@${b.version}`);
  try {
    await withSpaceCheck(tmp, async () => {
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      await run(args, {
        timeoutMs: b.timeoutMs ?? 30 * 60_000,
        env: { ...goEnv(), GOBIN: tmp, CGO_ENABLED: b.cgo ? '1' : '0', GOTOOLCHAIN: b.toolchain ? `${b.toolchain}+auto` : 'auto', ...b.env },
      });
      writeFileChecked(join(tmp, 'BUILD.json'), JSON.stringify({ ...publicInputs(b), builtAt: new Date().toISOString() }, null, 2));
      await recordDigest(join(tmp, name));
    });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { path, cached: false, seconds: (performance.now() - t0) / 1000 };
}
