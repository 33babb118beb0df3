// `pullproof doctor`: what this host has, what pullproof needs, and for each problem the fix.
import { readFileSync, existsSync } from 'node:fs';
import { run } from '../util/exec.ts';
import { cacheRoot } from '../util/paths.ts';
import { CAP_SYS_RESOURCE, capabilityBoundingSet, cgroupVersion, commandExists, dockerServerVersion, freeBytes, lacksSysResource, readSysctl } from './facts.ts';
import { WRAPPER_PATH, WRAPPER_RUNTIME } from './setup.ts';

export interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  value: string;
  fix?: string;
}

const GiB = 1024 ** 3;

async function version(cmd: string[], pattern: RegExp): Promise<string | undefined> {
  const r = await run(cmd, { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  return pattern.exec(r.stdout + r.stderr)?.[1];
}

export async function diagnose(): Promise<Finding[]> {
  const f: Finding[] = [];
  const docker = await dockerServerVersion();
  if (!docker) {
    f.push({ check: 'docker engine', status: 'fail', value: 'no engine answers', fix: 'run "npx pullproof setup" (installs Debian\'s docker.io and starts dockerd)' });
  } else {
    const major = Number(docker.split('.')[0]);
    f.push({ check: 'docker engine', status: major >= 20 ? 'ok' : 'fail', value: docker, ...(major >= 20 ? {} : { fix: 'kind needs Docker 20.10 or newer (--cgroupns=private)' }) });
    const info = await run(['docker', 'info', '--format', '{{.DefaultRuntime}} {{.CgroupDriver}}'], { allowFailure: true });
    const [runtime, driver] = info.stdout.trim().split(' ');
    const needsWrapper = lacksSysResource();
    const wrapped = runtime === WRAPPER_RUNTIME;
    f.push({
      check: 'privileged containers',
      status: !needsWrapper || wrapped ? 'ok' : 'fail',
      value: needsWrapper ? `host lacks CAP_SYS_RESOURCE; default runtime ${runtime}` : `bounding set complete; default runtime ${runtime}`,
      ...(needsWrapper && !wrapped ? { fix: `run "npx pullproof setup": it installs ${WRAPPER_PATH} as dockerd's default runtime (kind's --privileged nodes fail otherwise with "unable to apply caps")` } : {}),
    });
    f.push({ check: 'docker cgroup driver', status: 'ok', value: driver ?? 'unknown' });
    const chain = await run(['iptables', '-w', '-S', 'DOCKER-USER'], { allowFailure: true });
    f.push({
      check: 'egress fence (DOCKER-USER chain)', status: chain.exitCode === 0 ? 'ok' : 'fail',
      value: chain.exitCode === 0 ? 'present' : 'missing',
      ...(chain.exitCode === 0 ? {} : { fix: 'dockerd must manage iptables (do not set "iptables": false); or run with --online to skip the fence' }),
    });
  }
  const cg = cgroupVersion();
  f.push({
    check: 'cgroup version', status: cg === 'unknown' ? 'warn' : 'ok', value: cg,
    ...(cg.startsWith('v1') ? { fix: 'cgroup v1 works: pullproof sets failCgroupV1: false for 1.35+ kubelets and uses a bookworm (systemd 252) node base' } : {}),
  });
  const bnd = capabilityBoundingSet();
  f.push({ check: 'capability bounding set', status: 'ok', value: `0x${bnd.toString(16)}${lacksSysResource() ? ` (without CAP_SYS_RESOURCE, bit ${CAP_SYS_RESOURCE})` : ''}` });
  for (const [key, min] of [['fs.inotify.max_user_instances', 512], ['fs.inotify.max_user_watches', 524288]] as const) {
    const v = readSysctl(key);
    f.push({ check: key, status: v !== undefined && v >= min ? 'ok' : 'warn', value: String(v), ...(v !== undefined && v >= min ? {} : { fix: `run "npx pullproof setup" (raises it to ${min}); multi-node kind clusters fail with "too many open files" otherwise` }) });
  }
  for (const [label, path, min] of [['free disk (cache)', cacheRoot(), 20], ['free disk (docker)', '/var/lib/docker', 20]] as const) {
    const probe = existsSync(path) ? path : '/';
    const free = freeBytes(probe);
    f.push({ check: label, status: free !== undefined && free >= min * GiB ? 'ok' : 'warn', value: free === undefined ? 'unknown' : `${(free / GiB).toFixed(1)} GiB at ${probe}`, ...(free !== undefined && free >= min * GiB ? {} : { fix: `a node image build needs about ${min} GiB; free space or run "npx pullproof cache prune"` }) });
  }
  const go = await version(['go', 'version'], /go(\d+\.\d+(?:\.\d+)?)/);
  f.push({ check: 'go', status: go ? 'ok' : 'fail', value: go ?? 'not found', ...(go ? {} : { fix: 'install Go 1.21+ (Debian: golang-go); pullproof builds the registry, kind and Kubernetes from the Go module proxy' }) });
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  f.push({ check: 'node', status: nodeMajor >= 22 ? 'ok' : 'fail', value: process.version, ...(nodeMajor >= 22 ? {} : { fix: 'run pullproof through npx or npm scripts: the node@24 dev dependency supplies Node 24' }) });
  for (const cmd of ['debootstrap', 'jq']) {
    const ok = await commandExists(cmd);
    f.push({ check: cmd, status: ok ? 'ok' : 'warn', value: ok ? 'present' : 'missing', ...(ok ? {} : { fix: 'run "npx pullproof setup"' }) });
  }
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'unknown';
  f.push({ check: 'os', status: 'ok', value: `${pretty}, ${process.arch}` });
  if (process.arch !== 'x64') {
    f.push({ check: 'architecture', status: 'warn', value: process.arch, fix: 'only x86-64 is tested; fixture images carry an x86-64 program' });
  }
  return f;
}
