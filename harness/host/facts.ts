// What the host is: read, never changed, here.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { run } from '../util/exec.ts';

export const CAP_SYS_RESOURCE = 24;

export function capabilityBoundingSet(): bigint {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : -1n;
}

export function lacksSysResource(): boolean {
  return (capabilityBoundingSet() & (1n << BigInt(CAP_SYS_RESOURCE))) === 0n;
}

export function cgroupVersion(): 'v1' | 'v1-hybrid' | 'v2' | 'unknown' {
  try {
    const type = statfsSync('/sys/fs/cgroup').type;
    if (type === 0x63677270) return 'v2'; // CGROUP2_SUPER_MAGIC
    if (type === 0x01021994) return existsSync('/sys/fs/cgroup/unified') ? 'v1-hybrid' : 'v1'; // TMPFS_MAGIC
  } catch { /* fall through */ }
  return 'unknown';
}

export function readSysctl(name: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function pid1(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export async function commandExists(cmd: string): Promise<boolean> {
  return (await run(['sh', '-c', `command -v ${cmd}`], { allowFailure: true })).exitCode === 0;
}

export async function dockerServerVersion(): Promise<string | undefined> {
  const r = await run(['docker', 'version', '--format', '{{.Server.Version}}'], { allowFailure: true, timeoutMs: 15_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** The Debian mirror the host's apt uses (deb822 or one-line format); debootstrap uses the same one. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] && !deb822[1].includes('security')) return deb822[1];
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line?.[1]) return line[1];
  }
  return 'http://deb.debian.org/debian';
}
