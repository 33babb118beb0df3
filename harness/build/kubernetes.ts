// Kubernetes binaries built from the Go module proxy. `go install k8s.io/kubernetes/cmd/x@v` is
// impossible (k8s.io/kubernetes replaces its staging modules with ./staging paths, and go install
// rejects modules with replace directives), so each version gets a wrapper module that requires
// k8s.io/kubernetes and replaces every `k8s.io/<x> v0.0.0` requirement with the matching v0.Y.Z tag.
// The replace list is read from that version's own go.mod, never hard-coded. Each build uses the Go
// toolchain the version's .go-version names (GOTOOLCHAIN, fetched through the module proxy) and the
// version ldflags upstream's hack/lib/version.sh sets, so `kubelet --version` and kubeadm's own
// version checks see the real version.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HarnessError, UsageError } from '../errors.ts';
import { withHostLock } from '../host/lock.ts';
import { publishFile, usableEntry } from '../util/cache-digest.ts';
import { withSpaceCheck } from '../util/disk.ts';
import { CommandError, output, run } from '../util/exec.ts';
import { log, warn } from '../util/log.ts';
import { cachePath } from '../util/paths.ts';
import { goEnv, goProxy, goProxyForDisplay } from './go.ts';
import { parseRelease } from '../oracle/versions.ts';

export const KUBE_COMPONENTS = ['kubelet', 'kubeadm', 'kubectl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'] as const;
export type KubeComponent = (typeof KUBE_COMPONENTS)[number];

/** Bumped when the way binaries are built changes, so old cache entries are not reused. */
const RECIPE = 'k8s-wrapper-v1';

export interface KubeSource {
  version: string;
  /** Go toolchain, e.g. go1.25.9 (from the version's .go-version). */
  toolchain: string;
  /** `go` directive and `godebug` lines of k8s.io/kubernetes' go.mod, copied into the wrapper. */
  goDirective: string;
  godebug: string[];
  /** Release time from the module proxy, used as buildDate. */
  buildDate: string;
  /** Extracted module (read-only). */
  moduleDir: string;
  goModPath: string;
}

export interface ComponentBuild {
  component: KubeComponent;
  path: string;
  cached: boolean;
  seconds: number;
}

export interface KubeBuild {
  version: string;
  /** Git commit of a source tree build. */
  commit?: string;
  toolchain: string;
  binaries: Partial<Record<KubeComponent, string>>;
  builds: ComponentBuild[];
}

/** An exact release such as v1.35.4 (the version table's parser; a usage error naming the field otherwise). */
export function parseKubeVersion(version: string, field = '--kubernetes'): { major: number; minor: number; patch: number } {
  return parseRelease(version, field);
}

interface ModDownload { Dir?: string; GoMod?: string; Info?: string; Error?: string }

/** Downloads k8s.io/kubernetes@version from the module proxy (cached) and reads what the build needs. */
export async function kubeSource(version: string): Promise<KubeSource> {
  parseKubeVersion(version);
  mkdirSync(cachePath('kubernetes'), { recursive: true });
  const download = async (toolchain: string): Promise<ModDownload> => {
    const r = await run(['go', 'mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
      env: { ...goEnv(), GOTOOLCHAIN: toolchain }, cwd: cachePath('kubernetes'), timeoutMs: 20 * 60_000, allowFailure: true,
    });
    try {
      return JSON.parse(r.stdout) as ModDownload;
    } catch {
      return { Error: r.stderr.trim() || `go mod download exited ${r.exitCode}` };
    }
  };
  let info = await download('local');
  // A release newer than the machine's Go (1.38 needs Go 1.27): the go command refuses to extract it
  // with its own toolchain; the toolchain the module asks for comes from the module proxy.
  const needs = /requires go >= (\d+\.\d+(?:\.\d+)?)/.exec(info.Error ?? '')?.[1];
  if (needs) info = await download(`go${needs}`);
  if (info.Error || !info.Dir || !info.GoMod) {
    throw new UsageError('--kubernetes', `k8s.io/kubernetes@${version} is not available from the Go module proxy (${info.Error ?? 'no module directory'})`,
      'check the version exists (https://github.com/kubernetes/kubernetes/releases) and that the module proxy is reachable');
  }
  const goMod = readFileSync(info.GoMod, 'utf8');
  const goDirective = /^go\s+(\S+)$/m.exec(goMod)?.[1] ?? '1.24.0';
  const godebug = [...goMod.matchAll(/^godebug\s+(.+)$/gm)].map((m) => (m[1] ?? '').trim());
  const goVersionFile = join(info.Dir, '.go-version');
  const toolchain = existsSync(goVersionFile) ? `go${readFileSync(goVersionFile, 'utf8').trim()}` : `go${goDirective}`;
  let buildDate = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    const t = (JSON.parse(readFileSync(info.Info ?? '', 'utf8')) as { Time?: string }).Time;
    if (t) buildDate = t;
  } catch { /* keep now */ }
  return { version, toolchain, goDirective, godebug, buildDate, moduleDir: info.Dir, goModPath: info.GoMod };
}

/** `replace k8s.io/x => k8s.io/x v0.Y.Z` for every `k8s.io/x v0.0.0` requirement of k8s.io/kubernetes. */
export function stagingReplaces(goMod: string, version: string): string[] {
  const { minor, patch, suffix } = parseRelease(version, '--kubernetes');
  const names = new Set<string>();
  for (const m of goMod.matchAll(/^\s*(k8s\.io\/[A-Za-z0-9._/-]+)\s+v0\.0\.0\s*$/gm)) if (m[1]) names.add(m[1]);
  // The staging modules are tagged with the same pre-release suffix (v0.38.0-beta.0 for v1.38.0-beta.0).
  return [...names].sort().map((n) => `${n} => ${n} v0.${minor}.${patch}${suffix}`);
}

/** The -X flags upstream's hack/lib/version.sh sets, for both version packages. */
export function versionLdflags(o: { version: string; buildDate: string; gitCommit?: string; treeState?: 'clean' | 'dirty' }): string[] {
  const { major, minor } = parseKubeVersion(o.version.replace(/[-+].*$/, ''), 'version');
  const values: Record<string, string> = {
    gitVersion: o.version,
    gitMajor: String(major),
    gitMinor: String(minor),
    // The module proxy carries no commit for k8s.io/kubernetes; zeros say "not known" in the right shape.
    gitCommit: o.gitCommit ?? '0'.repeat(40),
    gitTreeState: o.treeState ?? 'clean',
    buildDate: o.buildDate,
  };
  const flags: string[] = [];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [k, v] of Object.entries(values)) flags.push(`-X ${pkg}.${k}=${v}`);
  }
  return flags;
}

function wrapperGoMod(src: KubeSource, replaces: string[]): string {
  return [
    'module pullproof.local/k8sbuild',
    '',
    `go ${src.goDirective}`,
    '',
    ...src.godebug.map((g) => `godebug ${g}`),
    '',
    `require k8s.io/kubernetes ${src.version}`,
    '',
    'replace (',
    ...replaces.map((r) => `\t${r}`),
    ')',
    '',
  ].join('\n');
}

/** The wrapper module's tools.go: an import of each command, so `go mod tidy` keeps their dependencies. */
function toolsGo(components: readonly KubeComponent[] = KUBE_COMPONENTS): string {
  return ['//go:build tools', '', 'package tools', '', 'import (', ...components.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`), ')', ''].join('\n');
}

function kubeEnv(toolchain: string): Record<string, string> {
  // Only the module proxy: a module it lacks is an error, never a fallback to cloning from a VCS host.
  return { ...goEnv(), CGO_ENABLED: '0', GOTOOLCHAIN: toolchain, GOPROXY: goProxy() };
}

/** The wrapper module for a version, created (go mod tidy) once and kept in the cache. */
async function wrapperModule(src: KubeSource): Promise<string> {
  const dir = cachePath('kubernetes', 'modules', src.version);
  if (existsSync(join(dir, 'go.sum')) && existsSync(join(dir, 'READY'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const replaces = stagingReplaces(readFileSync(src.goModPath, 'utf8'), src.version);
  writeFileSync(join(dir, 'go.mod'), wrapperGoMod(src, replaces));
  writeFileSync(join(dir, 'tools.go'), toolsGo());
  // -e: tidy also walks test dependencies of packages we never build; a missing one must not stop us.
  await run(['go', 'mod', 'tidy', '-e'], { cwd: dir, env: kubeEnv(src.toolchain), timeoutMs: 30 * 60_000 });
  writeFileSync(join(dir, 'READY'), `${new Date().toISOString()}\n`);
  return dir;
}

const BUILD_FLAGS = ['-trimpath'];

/**
 * Time limit of one `go build` of a Kubernetes command. A cold kubelet takes 4 to 5 minutes on 2 quiet
 * cores, but on this 2-core host shared with other builds (load average 15 to 25) the v1.37.2 kubelet
 * was still compiling after 46 minutes and a 45-minute limit killed it: the limit is there to stop a
 * hang, not a slow build. (Packages compiled before a kill stay in the Go build cache.)
 */
const GO_BUILD_TIMEOUT_MS = 150 * 60_000;

function notInSumdb(stderr: string): string[] {
  return [...new Set([...stderr.matchAll(/verifying go\.mod: (\S+?)@(v[^/\s]+)\/go\.mod: reading \S+\/sumdb\/\S+: 404/g)].map((m) => `${m[1]}@${m[2]}`))];
}

/**
 * Some proxies (mirrors, filtered proxies) lack single module versions: a staging module (v1.32.13's),
 * or another dependency (v1.38.0-beta.0's sigs.k8s.io/iptables-wrappers@v1.0.0, whose .info is served
 * here but not its .zip). Name each, with the way out.
 */
export function unavailableModules(stderr: string): string[] {
  return [...new Set([...stderr.matchAll(/([A-Za-z0-9.-]+\.[A-Za-z]+\/[A-Za-z0-9._~/-]+?)@(v[0-9A-Za-z.+-]+): reading \S+: (?:403|404|410)/g)].map((m) => `${m[1]}@${m[2]}`))];
}

function explainUnavailable(err: unknown, version: string, component: string): unknown {
  const stderr = err instanceof CommandError ? err.result.stderr : '';
  const missing = unavailableModules(stderr);
  if (missing.length === 0) return err;
  const staging = missing.every((m) => /^k8s\.io\/[a-z0-9-]+@v0\./.test(m));
  return new HarnessError(`cannot build ${component} ${version}: the Go module proxy does not serve ${missing.join(', ')}`,
    staging
      ? `choose another patch release of the same minor whose staging modules the proxy serves (GOPROXY=${goProxyForDisplay()})`
      : `the release needs ${missing.length > 1 ? 'these modules' : 'this module'} and the proxy (GOPROXY=${goProxyForDisplay()}) refuses ${missing.length > 1 ? 'them' : 'it'}: use a proxy that serves ${missing.length > 1 ? 'them' : 'it'}, or give a kubelet built elsewhere with --kubelet-binary`, { cause: err });
}

/**
 * Whether the module proxy serves everything the release's kubelet needs: a throwaway wrapper module
 * importing only cmd/kubelet, tidied strictly (a module the proxy refuses fails it, with its name). Network
 * only, no compilation; the modules downloaded stay in the Go module cache for the build.
 */
export async function kubeletModulesAvailable(version: string): Promise<{ ok: true } | { ok: false; missing: string[]; error: string }> {
  const src = await kubeSource(version);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-modcheck-'));
  try {
    writeFileSync(join(dir, 'go.mod'), wrapperGoMod(src, stagingReplaces(readFileSync(src.goModPath, 'utf8'), src.version)));
    writeFileSync(join(dir, 'tools.go'), toolsGo(['kubelet']));
    const r = await run(['go', 'mod', 'tidy'], { cwd: dir, env: kubeEnv(src.toolchain), timeoutMs: 30 * 60_000, allowFailure: true });
    if (r.exitCode === 0) return { ok: true };
    return { ok: false, missing: unavailableModules(r.stderr), error: r.stderr.trim().split('\n').filter((l) => !l.startsWith('go: downloading')).slice(-6).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildKey(src: KubeSource, extra: string[] = []): string {
  return createHash('sha256').update(JSON.stringify([RECIPE, src.version, src.toolchain, src.goDirective, src.godebug, BUILD_FLAGS, src.buildDate, ...extra])).digest('hex').slice(0, 12);
}

/** Where the binaries of a version live in the cache. */
export function kubeBinDir(src: KubeSource): string {
  return cachePath('kubernetes', 'bin', `${src.version}-${buildKey(src)}`);
}

/**
 * Builds the given components of a Kubernetes release (each cached on its own: a kubelet-only build
 * and a full build share binaries). Holds a host lock per version so two processes never build the
 * same thing at once.
 */
export async function buildKubernetes(version: string, components: readonly KubeComponent[], o: { onBuilt?: (b: ComponentBuild) => void } = {}): Promise<KubeBuild> {
  const src = await kubeSource(version);
  const dir = kubeBinDir(src);
  const result: KubeBuild = { version, toolchain: src.toolchain, binaries: {}, builds: [] };
  // Each binary is checked against its recorded digest: a damaged one is removed and rebuilt below.
  const intact = new Set<KubeComponent>();
  for (const c of components) if (await usableEntry(join(dir, c))) intact.add(c);
  const missing = components.filter((c) => !intact.has(c));
  for (const c of components.filter((x) => !missing.includes(x))) {
    const b: ComponentBuild = { component: c, path: join(dir, c), cached: true, seconds: 0 };
    result.binaries[c] = b.path;
    result.builds.push(b);
    o.onBuilt?.(b);
  }
  if (missing.length === 0) return result;
  await withHostLock(`kubernetes-${version}`, () => withSpaceCheck(dir, async () => {
    const mod = await wrapperModule(src);
    mkdirSync(dir, { recursive: true });
    const ldflags = ['-s', '-w', ...versionLdflags({ version, buildDate: src.buildDate })].join(' ');
    for (const c of missing) {
      const out = join(dir, c);
      let b: ComponentBuild;
      if (await usableEntry(out)) {
        b = { component: c, path: out, cached: true, seconds: 0 };
      } else {
        const t0 = performance.now();
        const tmp = `${out}.tmp-${process.pid}`;
        const argv = ['go', 'build', ...BUILD_FLAGS, `-ldflags=${ldflags}`, '-o', tmp, `k8s.io/kubernetes/cmd/${c}`];
        try {
          const first = await run(argv, { cwd: mod, env: kubeEnv(src.toolchain), timeoutMs: GO_BUILD_TIMEOUT_MS, allowFailure: true });
          if (first.exitCode !== 0 && first.durationMs >= GO_BUILD_TIMEOUT_MS - 1000) {
            throw new HarnessError(`go build of ${c} ${version} did not finish within ${GO_BUILD_TIMEOUT_MS / 60_000} minutes and was stopped`,
              'run the same command again when the host is less busy: the packages compiled so far are kept in the Go build cache');
          }
          if (first.exitCode !== 0) {
            // A module the checksum database has no entry for (seen with a filtered proxy): retry with
            // exactly those modules exempt, and say so; their hashes are then kept in the wrapper's go.sum.
            const unverified = notInSumdb(first.stderr);
            if (unverified.length === 0) throw new CommandError(first);
            warn(`${unverified.join(', ')}: not in the Go checksum database; building ${c} ${version} with these modules verified only by the go.sum recorded now (trust on first use)`);
            await run(argv, { cwd: mod, env: { ...kubeEnv(src.toolchain), GONOSUMDB: unverified.map((m) => m.split('@')[0]).join(',') }, timeoutMs: GO_BUILD_TIMEOUT_MS });
            writeFileSync(join(dir, `UNVERIFIED-${c}.txt`), `${unverified.join('\n')}\n`);
          }
        } catch (err) {
          throw explainUnavailable(err, version, c);
        }
        await publishFile(tmp, out);
        b = { component: c, path: out, cached: false, seconds: (performance.now() - t0) / 1000 };
        log(`  built ${c} ${version} with ${src.toolchain} in ${b.seconds.toFixed(0)}s`);
      }
      result.binaries[c] = out;
      result.builds.push(b);
      o.onBuilt?.(b);
    }
    writeFileSync(join(dir, 'BUILD.json'), JSON.stringify({ recipe: RECIPE, version, toolchain: src.toolchain, buildDate: src.buildDate, flags: BUILD_FLAGS, ldflags }, null, 2) + '\n');
  }));
  return result;
}

/** A kubelet of the given release, built (or reused from the cache); returns the binary's path. */
export async function buildKubelet(version: string): Promise<string> {
  const b = await buildKubernetes(version, ['kubelet']);
  return b.binaries.kubelet as string;
}

/**
 * Builds components from a Kubernetes source tree (a release engineer's checkout). The tree's own
 * go.mod, go.work and .go-version drive the build; the result is cached by the tree's state (git
 * HEAD and a hash of `git status`, or a hash of every .go file's path, size and mtime without git).
 * A tree without its staging modules (a release's module zip from the Go module proxy, unpacked and
 * changed) is built through the release's wrapper module with `k8s.io/kubernetes => <tree>`; its
 * version must then be given (`--kubelet v1.35.4`).
 */
export async function buildFromSource(dirArg: string, components: readonly KubeComponent[], o: { version: string }): Promise<KubeBuild> {
  const dir = resolve(dirArg);
  if (!existsSync(join(dir, 'go.mod')) || !/^module k8s\.io\/kubernetes$/m.test(readFileSync(join(dir, 'go.mod'), 'utf8'))) {
    throw new UsageError('--kubernetes-source', `${dir} is not a Kubernetes source tree (no go.mod declaring module k8s.io/kubernetes)`, 'point it at a checkout of https://github.com/kubernetes/kubernetes');
  }
  const goVersionFile = join(dir, '.go-version');
  const toolchain = existsSync(goVersionFile) ? `go${readFileSync(goVersionFile, 'utf8').trim()}` : 'auto';
  let state = `files:${await treeDigest(dir)}`;
  let gitCommit: string | undefined;
  let treeState: 'clean' | 'dirty' = 'dirty';
  let gitVersion = o.version;
  const head = await run(['git', '-C', dir, 'rev-parse', 'HEAD'], { allowFailure: true });
  if (head.exitCode === 0) {
    gitCommit = head.stdout.trim();
    const status = await output(['git', '-C', dir, 'status', '--porcelain'], { allowFailure: true });
    treeState = status === '' ? 'clean' : 'dirty';
    state = `${gitCommit}:${createHash('sha256').update(status).digest('hex')}`;
    const describe = await run(['git', '-C', dir, 'describe', '--tags', '--match', 'v*', '--abbrev=14'], { allowFailure: true });
    if (describe.exitCode === 0 && describe.stdout.trim()) gitVersion = describe.stdout.trim() + (treeState === 'dirty' ? '-dirty' : '');
  }
  const moduleZip = !existsSync(join(dir, 'staging', 'src', 'k8s.io', 'api', 'go.mod'));
  if (moduleZip && !/^v\d+\.\d+\.\d+/.test(gitVersion)) {
    throw new UsageError('--kubernetes-source', `${dir} has no staging modules and no git history, so its release is unknown`, 'give the release it was unpacked from, e.g. --kubelet v1.35.4');
  }
  const key = createHash('sha256').update(JSON.stringify([RECIPE, 'source', dir, state, toolchain, gitVersion, moduleZip])).digest('hex').slice(0, 12);
  const binDir = cachePath('kubernetes', 'bin', `source-${key}`);
  // How each component is built: in the tree itself (its own go.mod, go.work and vendor/ decide module
  // mode, so no -mod=mod), or, for a module zip, from the release's wrapper module pointed at the tree.
  let how: { cwd: string; env: Record<string, string>; ldflags: string; toolchain: string; target: (c: KubeComponent) => string };
  if (moduleZip) {
    const release = gitVersion.replace(/[-+].*$/, '');
    const src = await kubeSource(release);
    const upstream = await wrapperModule(src);
    const wdir = cachePath('kubernetes', 'modules', `source-${key}`);
    mkdirSync(wdir, { recursive: true });
    const replaces = [...stagingReplaces(readFileSync(src.goModPath, 'utf8'), release), `k8s.io/kubernetes => ${dir}`];
    writeFileSync(join(wdir, 'go.mod'), wrapperGoMod(src, replaces));
    copyFileSync(join(upstream, 'go.sum'), join(wdir, 'go.sum'));
    how = {
      cwd: wdir, env: { ...kubeEnv(src.toolchain), GOFLAGS: '-mod=mod' }, toolchain: src.toolchain, target: (c) => `k8s.io/kubernetes/cmd/${c}`,
      ldflags: ['-s', '-w', ...versionLdflags({ version: gitVersion, buildDate: src.buildDate, treeState: 'dirty' })].join(' '),
    };
  } else {
    how = {
      cwd: dir, env: { ...goEnv(), GOFLAGS: '', CGO_ENABLED: '0', GOTOOLCHAIN: toolchain }, toolchain, target: (c) => `./cmd/${c}`,
      ldflags: ['-s', '-w', ...versionLdflags({ version: gitVersion, buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), gitCommit, treeState })].join(' '),
    };
  }
  const result: KubeBuild = { version: gitVersion, toolchain: how.toolchain, binaries: {}, builds: [], ...(gitCommit ? { commit: gitCommit } : {}) };
  mkdirSync(binDir, { recursive: true });
  for (const c of components) {
    const out = join(binDir, c);
    if (await usableEntry(out)) {
      result.builds.push({ component: c, path: out, cached: true, seconds: 0 });
    } else {
      const t0 = performance.now();
      await withSpaceCheck(binDir, () => run(['go', 'build', ...BUILD_FLAGS, `-ldflags=${how.ldflags}`, '-o', `${out}.tmp`, how.target(c)], {
        cwd: how.cwd, env: how.env, timeoutMs: GO_BUILD_TIMEOUT_MS,
      }));
      await publishFile(`${out}.tmp`, out);
      const seconds = (performance.now() - t0) / 1000;
      result.builds.push({ component: c, path: out, cached: false, seconds });
      log(`  built ${c} from ${dir} (${gitVersion}) with ${how.toolchain} in ${seconds.toFixed(0)}s`);
    }
    result.binaries[c] = out;
  }
  return result;
}

/** A digest of a tree's Go sources without reading them: every .go file's path, size and mtime. */
async function treeDigest(dir: string): Promise<string> {
  const list = await output(['find', '.', '-name', '*.go', '-not', '-path', './_output/*', '-printf', '%p %s %T@\n'], { cwd: dir, timeoutMs: 120_000 });
  return createHash('sha256').update(list.split('\n').sort().join('\n')).digest('hex').slice(0, 16);
}

/** Copies a user-supplied kubelet into the cache (so the node image's input hash covers its bytes). */
export function adoptKubeletBinary(pathArg: string): { path: string; sha256: string } {
  const path = resolve(pathArg);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError('--kubelet-binary', `${path} does not exist or is not a file`, 'give the path of a linux/amd64 kubelet binary');
  }
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 4).toString('latin1') !== '\x7fELF') {
    throw new UsageError('--kubelet-binary', `${path} is not an ELF executable`, 'give the path of a linux/amd64 kubelet binary (e.g. _output/bin/kubelet)');
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = cachePath('kubernetes', 'bin', `user-kubelet-${sha256.slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, 'kubelet');
  // The cached copy is named by the user's file's digest: a copy that no longer has it is replaced.
  if (!existsSync(dest) || createHash('sha256').update(readFileSync(dest)).digest('hex') !== sha256) {
    if (existsSync(dest)) warn(`cache entry ${dest} does not match the sha256 of ${path}: copying it again`);
    copyFileSync(path, dest);
  }
  return { path: dest, sha256 };
}
