// The node's non-Kubernetes programs, built from the Go module proxy at pinned versions: containerd
// 2.x, runc, crictl, the four CNI plugins kind ships, and etcd (a wrapper module, because etcd's server
// module replaces its siblings with ../ paths). The versions are not chosen here: they come from the
// version table (harness/oracle/versions.ts, KIND_RELEASES[].runtime via nodeRecipe()), one set per kind
// release, following that release's images/base/Dockerfile where the module proxy serves it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { goEnv, goInstall, goProxy } from '../build/go.ts';
import { withHostLock } from '../host/lock.ts';
import type { NodeRuntime } from '../oracle/versions.ts';
import { recordDigest, usableEntry } from '../util/cache-digest.ts';
import { withSpaceCheck } from '../util/disk.ts';
import { run } from '../util/exec.ts';
import { log } from '../util/log.ts';
import { cachePath } from '../util/paths.ts';

/** Debian package that provides libseccomp.a for a static runc (downloaded, never installed). */
const LIBSECCOMP_DEV = 'libseccomp-dev';

// Module hashes for versions the module proxy serves but the checksum database has no entry for
// (cri-tools v1.34.0 here): the version is exempted from the checksum database and this hash is checked
// instead. Versions not listed are verified by the checksum database as usual.
const CRI_TOOLS_SUM: Record<string, string> = {
  'v1.34.0': 'h1:KqL9EJ+WgHtz1HR1exezm91n+o8O2uMLs/eHzHJHAWw=',
};

export interface Binary {
  /** Where it goes in the node. */
  dest: string;
  path: string;
  cached: boolean;
  seconds: number;
  version: string;
}

const PROXY_ONLY = { GOPROXY: goProxy() };

/**
 * Builds commands inside a module's own extracted source (from the module proxy), with that module as
 * the main module, so its go.sum, replace and exclude directives apply exactly as upstream's build.
 * (`go install pkg@version` refuses modules with exclude or replace directives.)
 */
async function buildInModule(o: { module: string; version: string; cmds: string[]; tags?: string[]; ldflags?: string[]; env?: Record<string, string>; expectSum?: string }): Promise<Omit<Binary, 'dest' | 'version'>[]> {
  const key = createHash('sha256').update(JSON.stringify(['in-module-v1', o])).digest('hex').slice(0, 12);
  const name = o.module.split('/').filter((x) => !/^v\d+$/.test(x)).pop() ?? 'module';
  const dir = cachePath('bin', `${name}-${o.version}-${key}`);
  const names = o.cmds.map((c) => c.split('/').pop() ?? c);
  const intact = async (): Promise<boolean> => {
    for (const n of names) if (!(await usableEntry(join(dir, n), { remove: [dir] }))) return false;
    return true;
  };
  if (await intact()) return names.map((n) => ({ path: join(dir, n), cached: true, seconds: 0 }));
  return withHostLock(`module-${name}-${o.version}`, () => withSpaceCheck(dir, async () => {
    const env = { ...goEnv(), ...PROXY_ONLY, GOTOOLCHAIN: 'auto', CGO_ENABLED: '0', ...o.env };
    const r = await run(['go', 'mod', 'download', '-json', `${o.module}@${o.version}`], { env: { ...env, GOTOOLCHAIN: 'local' }, cwd: cachePath(), timeoutMs: 10 * 60_000, allowFailure: true });
    const src = (JSON.parse(r.stdout || '{}') as { Dir?: string; Sum?: string; Error?: string });
    if (!src.Dir) throw new HarnessError(`could not download ${o.module}@${o.version} from the module proxy`, src.Error ?? r.stderr);
    if (o.expectSum && src.Sum !== o.expectSum) {
      throw new HarnessError(`${o.module}@${o.version} from the module proxy has hash ${src.Sum ?? 'unknown'}, not the pinned ${o.expectSum}`, 'not building it; check the module proxy');
    }
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const out: Omit<Binary, 'dest' | 'version'>[] = [];
    for (const [i, cmd] of o.cmds.entries()) {
      const t0 = performance.now();
      const args = ['go', 'build', '-mod=readonly', '-trimpath', `-ldflags=${['-s', '-w', ...(o.ldflags ?? [])].join(' ')}`];
      if (o.tags?.length) args.push(`-tags=${o.tags.join(',')}`);
      args.push('-o', join(tmp, names[i] as string), cmd);
      // GOFLAGS cleared: the module cache copy is read-only, so -mod=mod could not record anything anyway.
      await run(args, { cwd: src.Dir, env: { ...env, GOFLAGS: '' }, timeoutMs: 30 * 60_000 });
      await recordDigest(join(tmp, names[i] as string));
      out.push({ path: join(dir, names[i] as string), cached: false, seconds: (performance.now() - t0) / 1000 });
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return out;
  }));
}

async function containerd(v: string): Promise<Binary[]> {
  const built = await buildInModule({
    module: 'github.com/containerd/containerd/v2', version: v,
    cmds: ['./cmd/containerd', './cmd/ctr', './cmd/containerd-shim-runc-v2'],
    tags: ['no_aufs', 'no_zfs', 'no_btrfs', 'no_devmapper'],
    ldflags: [`-X github.com/containerd/containerd/v2/version.Version=${v}`, '-X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2'],
  });
  return built.map((b, i) => ({ ...b, dest: `/usr/local/bin/${['containerd', 'ctr', 'containerd-shim-runc-v2'][i] as string}`, version: v }));
}

/** libseccomp's static library and headers from Debian's package, unpacked into the cache. */
async function libseccompSysroot(): Promise<string> {
  const root = cachePath('sysroot', 'libseccomp');
  if (existsSync(join(root, 'READY'))) return root;
  return withHostLock('libseccomp', async () => {
    if (existsSync(join(root, 'READY'))) return root;
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await run(['apt-get', 'download', LIBSECCOMP_DEV], { cwd: tmp, timeoutMs: 5 * 60_000 });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new HarnessError(`apt-get download ${LIBSECCOMP_DEV} produced no .deb`, 'run "apt-get update" and try again');
    await run(['dpkg-deb', '-x', join(tmp, deb), join(tmp, 'root')]);
    writeFileSync(join(tmp, 'root', 'READY'), `${deb}\n`);
    rmSync(root, { recursive: true, force: true });
    renameSync(join(tmp, 'root'), root);
    rmSync(tmp, { recursive: true, force: true });
    return root;
  });
}

async function runc(v: string): Promise<Binary> {
  const sysroot = await libseccompSysroot();
  const lib = join(sysroot, 'usr/lib/x86_64-linux-gnu');
  // runc needs cgo (nsenter); linked statically against libseccomp.a so the node needs no -dev package.
  const b = await goInstall({
    pkg: 'github.com/opencontainers/runc', version: v, cgo: true,
    tags: ['seccomp', 'netgo', 'osusergo', 'urfave_cli_no_docs'],
    ldflags: [`-X main.version=${v.slice(1)}`, '-extldflags=-static'],
    env: {
      ...PROXY_ONLY,
      PKG_CONFIG_LIBDIR: join(lib, 'pkgconfig'),
      PKG_CONFIG_SYSROOT_DIR: sysroot,
      CGO_CFLAGS: `-I${join(sysroot, 'usr/include')}`,
      CGO_LDFLAGS: `-L${lib}`,
    },
  });
  return { ...b, dest: '/usr/local/sbin/runc', version: v };
}

async function crictl(v: string): Promise<Binary> {
  const sum = CRI_TOOLS_SUM[v];
  // The checksum database has no entry for this version: exempt it and check the pinned hash instead.
  const [b] = await buildInModule({
    module: 'sigs.k8s.io/cri-tools', version: v, cmds: ['./cmd/crictl'],
    ldflags: [`-X sigs.k8s.io/cri-tools/pkg/version.Version=${v}`],
    env: sum ? { GONOSUMDB: 'sigs.k8s.io/cri-tools' } : {}, expectSum: sum,
  });
  if (!b) throw new HarnessError('crictl build produced nothing');
  return { ...b, dest: '/usr/local/bin/crictl', version: v };
}

async function cniPlugins(v: string): Promise<Binary[]> {
  const out: Binary[] = [];
  for (const p of ['ipam/host-local', 'main/loopback', 'main/ptp', 'meta/portmap']) {
    const b = await goInstall({ pkg: `github.com/containernetworking/plugins/plugins/${p}`, version: v, ldflags: [`-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=${v}`], env: PROXY_ONLY });
    out.push({ ...b, dest: `/opt/cni/bin/${p.split('/')[1]}`, version: v });
  }
  return out;
}

/**
 * etcd's server binary at the given version (e.g. v3.6.6 for kubeadm's 3.6.6-0), through a wrapper
 * module whose main calls etcdmain.Main, like etcd's own server/main.go.
 */
export async function buildEtcd(version: string): Promise<Binary> {
  const key = createHash('sha256').update(JSON.stringify(['etcd-wrapper-v1', version])).digest('hex').slice(0, 12);
  const dir = cachePath('bin', `etcd-${version}-${key}`);
  const path = join(dir, 'etcd');
  if (await usableEntry(path, { remove: [dir] })) return { path, dest: '/usr/local/bin/etcd', cached: true, seconds: 0, version };
  return withHostLock(`etcd-${version}`, () => withSpaceCheck(dir, async () => {
    if (await usableEntry(path, { remove: [dir] })) return { path, dest: '/usr/local/bin/etcd', cached: true, seconds: 0, version };
    const t0 = performance.now();
    const mod = cachePath('modules', `etcd-${version}`);
    rmSync(mod, { recursive: true, force: true });
    mkdirSync(mod, { recursive: true });
    writeFileSync(join(mod, 'go.mod'), `module pullproof.local/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 ${version}\n`);
    writeFileSync(join(mod, 'main.go'), 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n');
    const env = { ...goEnv(), ...PROXY_ONLY, CGO_ENABLED: '0', GOTOOLCHAIN: 'auto' };
    await run(['go', 'mod', 'tidy'], { cwd: mod, env, timeoutMs: 20 * 60_000 });
    const tmp = `${dir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    await run(['go', 'build', '-trimpath', `-ldflags=-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${version}`, '-o', join(tmp, 'etcd'), '.'], { cwd: mod, env, timeoutMs: 30 * 60_000 });
    await recordDigest(join(tmp, 'etcd'));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    const seconds = (performance.now() - t0) / 1000;
    log(`  built etcd ${version} in ${seconds.toFixed(0)}s`);
    return { path, dest: '/usr/local/bin/etcd', cached: false, seconds, version };
  }));
}

/** Every runtime binary the node needs, at the given pins, built or taken from the cache. */
export async function buildRuntimeBinaries(pins: NodeRuntime, onBuilt?: (name: string, b: Binary) => void): Promise<Binary[]> {
  const all: Binary[] = [];
  const add = (bs: Binary[]): void => {
    for (const b of bs) {
      all.push(b);
      const name = b.dest.split('/').pop() ?? b.dest;
      if (!b.cached) log(`  built ${name} ${b.version} in ${b.seconds.toFixed(0)}s`);
      onBuilt?.(name, b);
    }
  };
  add(await containerd(pins.containerd));
  add([await runc(pins.runc)]);
  add([await crictl(pins.crictl)]);
  add(await cniPlugins(pins.cniPlugins));
  return all;
}
