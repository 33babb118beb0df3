// AWS's kubelet credential provider, ecr-credential-provider (k8s.io/cloud-provider-aws
// cmd/ecr-credential-provider), built from the Go module proxy. `go install module@version` refuses
// this module (its go.mod has replace lines), so the module source is downloaded, copied to a
// writable folder and built there: static (CGO off), so it runs in a bookworm kind node or anywhere.
// Cached like the other builds, keyed by version and build flags, under a host lock.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { withHostLock } from '../host/lock.ts';
import { fileSha256 } from '../util/cache-digest.ts';
import { withSpaceCheck } from '../util/disk.ts';
import { log, warn } from '../util/log.ts';
import { output, run } from '../util/exec.ts';
import { cachePath } from '../util/paths.ts';
import { goEnv, goProxyForDisplay, registerProxyCredentials } from './go.ts';

export const ECR_PLUGIN_MODULE = 'k8s.io/cloud-provider-aws';
/** The newest tag the Go module proxy serves here (its version list, checked 2026-11). */
export const ECR_PLUGIN_VERSION = 'v1.37.1';
export const ECR_PLUGIN_NAME = 'ecr-credential-provider';
const RECIPE = 1;

export interface GoModuleBuild {
  name: string;
  module: string;
  version: string;
  path: string;
  sha256: string;
  /** What `<binary> --version` printed. */
  reportedVersion: string;
  /** `go version -m` of the binary: the Go toolchain it was built with. */
  goVersion: string;
  cached: boolean;
  seconds: number;
}

interface BuildRecord {
  recipe: number;
  module: string;
  version: string;
  pkg: string;
  ldflags: string;
  sha256: string;
  reportedVersion: string;
  goVersion: string;
  moduleSum: string;
  replaced?: Record<string, string>;
  builtAt: string;
  seconds: number;
}

/** GOPROXY without `direct`: modules come from the proxy only, never from a VCS host. */
async function proxyOnly(): Promise<string> {
  const configured = (await output(['go', 'env', 'GOPROXY'], { env: goEnv() })).trim();
  registerProxyCredentials(configured);
  const proxies = configured.split(/[,|]/).filter((p) => p && p !== 'direct' && p !== 'off');
  if (proxies.length === 0) throw new HarnessError('GOPROXY names no module proxy', `go env GOPROXY = ${goProxyForDisplay(configured)}; set GOPROXY to a module proxy URL`);
  return proxies.join(',');
}

export interface ModuleSourceBuild {
  name: string;
  module: string;
  version: string;
  /** Package path inside the module, e.g. ./cmd/ecr-credential-provider */
  pkg: string;
  ldflags?: string[];
  /** Module versions put in with `go mod edit -replace` (not the upstream build; recorded). */
  replace?: Record<string, string>;
  timeoutMs?: number;
}

function buildKey(b: ModuleSourceBuild): string {
  return createHash('sha256').update(JSON.stringify([RECIPE, b.module, b.version, b.pkg, b.ldflags ?? [], b.replace ?? {}])).digest('hex').slice(0, 12);
}

/**
 * Builds one command of a Go module from its module source (for modules `go install` refuses).
 * Returns the cached binary when it exists.
 */
export async function buildFromModuleSource(b: ModuleSourceBuild): Promise<GoModuleBuild> {
  const dir = cachePath('bin', `${b.name}-${b.version}-${buildKey(b)}`);
  const path = join(dir, b.name);
  const cached = async (): Promise<GoModuleBuild | undefined> => {
    if (!existsSync(path) || !existsSync(join(dir, 'BUILD.json'))) return undefined;
    const r = JSON.parse(readFileSync(join(dir, 'BUILD.json'), 'utf8')) as BuildRecord;
    // The digest recorded at build time is checked before reuse: a damaged binary is rebuilt, never used.
    const now = await fileSha256(path);
    if (now !== r.sha256) {
      warn(`cache entry ${path} is damaged (sha256 ${now.slice(0, 16)}..., recorded ${r.sha256.slice(0, 16)}...): not using it; removing and rebuilding it`);
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    return { name: b.name, module: b.module, version: b.version, path, sha256: r.sha256, reportedVersion: r.reportedVersion, goVersion: r.goVersion, cached: true, seconds: 0 };
  };
  const hit = await cached();
  if (hit) return hit;
  return withHostLock(`go-module-${b.name}-${b.version}`, () => withSpaceCheck(dir, async () => {
    const again = await cached();
    if (again) return again;
    const t0 = performance.now();
    const env = { ...goEnv(), GOPROXY: await proxyOnly(), GOTOOLCHAIN: 'auto', CGO_ENABLED: '0' };
    const info = JSON.parse((await run(['go', 'mod', 'download', '-json', `${b.module}@${b.version}`], { env, timeoutMs: 10 * 60_000 })).stdout) as { Dir?: string; Sum?: string; Error?: string };
    if (!info.Dir) throw new HarnessError(`the Go module proxy did not serve ${b.module}@${b.version}`, info.Error ?? 'no Dir in go mod download -json');
    const tmp = `${dir}.tmp-${process.pid}`;
    const src = join(tmp, 'src');
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      cpSync(info.Dir, src, { recursive: true });
      // The module cache is read-only; go needs to write go.sum in the copy.
      await run(['chmod', '-R', 'u+w', src]);
      for (const [mod, version] of Object.entries(b.replace ?? {})) {
        await run(['go', 'mod', 'edit', `-replace=${mod}=${mod}@${version}`], { cwd: src, env });
      }
      const ldflags = ['-s', '-w', ...(b.ldflags ?? [])].join(' ');
      await run(['nice', '-n', '10', 'go', 'build', '-trimpath', `-ldflags=${ldflags}`, '-o', join(tmp, b.name), b.pkg], { cwd: src, env, timeoutMs: b.timeoutMs ?? 30 * 60_000 });
      rmSync(src, { recursive: true, force: true });
      chmodSync(join(tmp, b.name), 0o755);
      const sha256 = createHash('sha256').update(readFileSync(join(tmp, b.name))).digest('hex');
      const reported = await run([join(tmp, b.name), '--version'], { allowFailure: true, timeoutMs: 30_000 });
      const goVersion = /^\S+: (go\S+)/.exec(await output(['go', 'version', join(tmp, b.name)], { env }))?.[1] ?? 'unknown';
      const seconds = (performance.now() - t0) / 1000;
      const record: BuildRecord = {
        recipe: RECIPE, module: b.module, version: b.version, pkg: b.pkg, ldflags, sha256,
        reportedVersion: (reported.stdout || reported.stderr).trim().split('\n')[0] ?? '', goVersion, moduleSum: info.Sum ?? '',
        ...(b.replace ? { replaced: b.replace } : {}), builtAt: new Date().toISOString(), seconds,
      };
      writeFileSync(join(tmp, 'BUILD.json'), JSON.stringify(record, null, 2) + '\n');
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      log(`built ${b.name} ${b.version} (${goVersion}) in ${seconds.toFixed(0)}s, sha256 ${sha256}`);
      return { name: b.name, module: b.module, version: b.version, path, sha256, reportedVersion: record.reportedVersion, goVersion, cached: false, seconds };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }));
}

/** AWS's ecr-credential-provider at the given tag (default: the newest the proxy serves). */
export function buildEcrCredentialProvider(version = ECR_PLUGIN_VERSION): Promise<GoModuleBuild> {
  return buildFromModuleSource({
    name: ECR_PLUGIN_NAME, module: ECR_PLUGIN_MODULE, version, pkg: `./cmd/${ECR_PLUGIN_NAME}`,
    // The upstream Makefile's LDFLAGS (cobra prints main.gitVersion for --version).
    ldflags: [`-X k8s.io/component-base/version.gitVersion=${version}`, `-X main.gitVersion=${version}`],
  });
}

export const ACR_PLUGIN_MODULE = 'sigs.k8s.io/cloud-provider-azure';
/** The only tag of the module the proxy serves here (its version list answers 403). */
export const ACR_PLUGIN_VERSION = 'v1.35.3';
export const ACR_PLUGIN_NAME = 'acr-credential-provider';
/**
 * v1.35.3 requires pkg/azclient v0.13.0 (with cache v0.10.0 and configloader v0.11.0), which the proxy
 * refuses (403); these newer versions are served. Not the upstream build: every report says so.
 */
export const ACR_REPLACEMENTS: Record<string, string> = {
  'sigs.k8s.io/cloud-provider-azure/pkg/azclient': 'v0.19.0',
  'sigs.k8s.io/cloud-provider-azure/pkg/azclient/configloader': 'v0.14.0',
  'sigs.k8s.io/cloud-provider-azure/pkg/azclient/cache': 'v0.13.0',
};

/** Azure's acr-credential-provider, with the replaced azclient modules above (see docs/aws-ecr.md). */
export function buildAcrCredentialProvider(): Promise<GoModuleBuild> {
  return buildFromModuleSource({
    name: ACR_PLUGIN_NAME, module: ACR_PLUGIN_MODULE, version: ACR_PLUGIN_VERSION, pkg: `./cmd/${ACR_PLUGIN_NAME}`, replace: ACR_REPLACEMENTS,
  });
}
